//! The embedded database's files are readable by the service's user only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use calbridge::config::DatabaseTarget;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

async fn start(path: &Path) -> calbridge::services::AppState {
    // Always SQLite: this is about the embedded database's files.
    let key = calbridge::secrets::MasterKey::generate().to_base64();
    let config = crate::support::test_config(
        DatabaseTarget::Sqlite(path.to_owned()),
        secrecy::ExposeSecret::expose_secret(&key),
    );
    calbridge::startup::build_state(config, calbridge::clock::Clock::system()).await.unwrap()
}

#[tokio::test]
async fn a_new_database_and_its_folder_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("calbridge.db");
    let state = start(&path).await;
    // Something written, so the write-ahead log and its index exist.
    let input = calbridge::services::tenants::TenantInput {
        name: "Hansen".into(),
        licences: "5".into(),
        ..Default::default()
    };
    let actor = calbridge::services::Actor::command_line();
    calbridge::services::tenants::create(&state, &actor, &input).await.unwrap();
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    for file in ["calbridge.db", "calbridge.db-wal", "calbridge.db-shm"] {
        assert_eq!(mode(&dir.path().join("data").join(file)), 0o600, "{file}");
    }
}

#[tokio::test]
async fn files_an_earlier_version_left_open_are_closed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calbridge.db");
    drop(start(&path).await);
    for file in ["calbridge.db", "calbridge.db-wal", "calbridge.db-shm"] {
        let file = dir.path().join(file);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let _state = start(&path).await;
    assert_eq!(mode(&path), 0o600);
}
