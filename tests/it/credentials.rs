//! Client secrets: validated, encrypted per tenant, rotatable, never shown or logged.

use calbridge::secrets::{Keyring, MasterKey, SecretField};
use sea_orm::EntityTrait;
use secrecy::{ExposeSecret, SecretString};

use crate::cli::{calbridge, calbridge_with};
use crate::support::ids::{CLIENT, SECRET, TENANT as DIRECTORY};
use crate::support::{TestApp, tenant_scope};

async fn stored_ciphertext(app: &TestApp, tenant: sea_orm::prelude::Uuid) -> String {
    calbridge::db::entities::provider_config::Entity::find_by_id(tenant)
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("connection stored")
        .client_secret_ciphertext
        .unwrap()
}

async fn set_graph(app: &TestApp, tenant: &str, env: &[(&str, &str)]) -> crate::cli::Run {
    calbridge_with(
        app,
        &[
            "tenant",
            "set-graph",
            "--tenant",
            tenant,
            "--directory-id",
            DIRECTORY,
            "--client-id",
            CLIENT,
            "--client-secret-stdin",
            "--secret-expires",
            "2030-05-01",
            "--detail",
            "full",
        ],
        Some(&format!("{SECRET}\n")),
        env,
    )
    .await
}

#[tokio::test]
async fn set_graph_stores_only_ciphertext_and_never_prints_the_secret() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    let run = set_graph(
        &app,
        &tenant.to_string(),
        &[("CALBRIDGE_MASTER_KEY", &app.master_key), ("RUST_LOG", "trace")],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("detail full") && run.stdout.contains("2030-05-01"));
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "secret in output/logs");

    let ciphertext = stored_ciphertext(&app, tenant).await;
    assert!(ciphertext.starts_with("v1:") && !ciphertext.contains(SECRET));
    let plain =
        app.state.keyring.decrypt(&tenant, SecretField::GraphClientSecret, &ciphertext).unwrap();
    assert_eq!(plain.expose_secret(), SECRET);
    // The sync path decrypts it into a working provider.
    let provider = app
        .state
        .providers
        .for_tenant(&app.state.db, &app.state.keyring, tenant_scope(tenant))
        .await;
    assert!(provider.is_ok(), "{provider:?}");

    // Nor does the audit trail hold it.
    let audit = format!("{:?}", calbridge::db::audit::list_all(&app.state.db, 100).await.unwrap());
    assert!(audit.contains("credentials.updated") && !audit.contains(SECRET));
    // With SQLite, not one byte of the database file holds it either.
    if let calbridge::config::DatabaseTarget::Sqlite(path) = &app.database {
        for file in std::fs::read_dir(path.parent().unwrap()).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
        }
    }
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_tenant_does_not_decrypt() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant("Alfa", 5).await;
    let b = app.create_tenant("Beta", 5).await;
    assert_eq!(
        set_graph(&app, &a.to_string(), &[("CALBRIDGE_MASTER_KEY", &app.master_key)]).await.code,
        0
    );
    let stolen = stored_ciphertext(&app, a).await;
    assert!(app.state.keyring.decrypt(&b, SecretField::GraphClientSecret, &stolen).is_err());
    // Planted into B's row through the database, B's settings refuse to load.
    use sea_orm::ActiveValue::Set;
    let planted = calbridge::db::entities::provider_config::ActiveModel {
        tenant_id: Set(b),
        kind: Set(calbridge::domain::provider::ProviderKind::Graph),
        directory_id: Set(Some(DIRECTORY.into())),
        client_id: Set(Some(CLIENT.into())),
        client_secret_ciphertext: Set(Some(stolen)),
        secret_expires_on: Set(None),
        detail_level: Set(calbridge::domain::provider::DetailLevel::Full),
        ews_url: Set(None),
        ews_username: Set(None),
        ews_password_ciphertext: Set(None),
        ews_auth_scheme: Set(None),
        ews_ca_pem: Set(None),
        updated_at: Set(calbridge::clock::Clock::system().now()),
        last_test_at: Set(None),
        last_test_ok: Set(None),
        granted_permissions: Set(None),
    };
    sea_orm::ActiveModelTrait::insert(planted, &app.state.db).await.unwrap();
    let refused =
        app.state.providers.for_tenant(&app.state.db, &app.state.keyring, tenant_scope(b)).await;
    assert!(
        matches!(
            refused,
            Err(calbridge::services::provider_registry::ConnectionProblem::Unreadable(_))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn wrong_key_cannot_read_secrets() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    assert_eq!(
        set_graph(&app, &tenant.to_string(), &[("CALBRIDGE_MASTER_KEY", &app.master_key)])
            .await
            .code,
        0
    );
    let other_key = MasterKey::generate().to_base64().expose_secret().to_owned();
    let run =
        calbridge_with(&app, &["keys", "rotate"], None, &[("CALBRIDGE_MASTER_KEY", &other_key)])
            .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be decrypted"), "{}", run.stderr);
    // Nothing was changed by the failed rotation.
    let ciphertext = stored_ciphertext(&app, tenant).await;
    assert!(
        app.state.keyring.decrypt(&tenant, SecretField::GraphClientSecret, &ciphertext).is_ok()
    );
}

#[tokio::test]
async fn rotation_with_environment_keys_moves_every_secret_to_the_new_key() {
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let tenants = [app.create_tenant("Alfa", 5).await, app.create_tenant("Beta", 5).await];
    // A webhook's signing secret is a stored secret too.
    let hook = calbridge::services::webhooks::EndpointInput {
        url: "http://127.0.0.1:9/hook".into(),
        events: vec!["presence.changed".into()],
        enabled: true,
    };
    let actor = calbridge::services::Actor::command_line();
    let shown =
        calbridge::services::webhooks::create(&app.state, &actor, tenant_scope(tenants[0]), &hook)
            .await
            .unwrap();
    for t in &tenants {
        assert_eq!(
            set_graph(&app, &t.to_string(), &[("CALBRIDGE_MASTER_KEY", &app.master_key)])
                .await
                .code,
            0
        );
    }
    let new_key = MasterKey::generate();
    let new_b64 = new_key.to_base64().expose_secret().to_owned();
    let run = calbridge_with(
        &app,
        &["keys", "rotate"],
        None,
        &[("CALBRIDGE_MASTER_KEY", &new_b64), ("CALBRIDGE_MASTER_KEY_PREVIOUS", &app.master_key)],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("3 secrets re-encrypted"), "{}", run.stdout);
    let only_new = Keyring::new(new_key, vec![]);
    let endpoints =
        calbridge::db::webhooks::endpoints(&app.state.db, tenant_scope(tenants[0])).await.unwrap();
    let sealed = &endpoints[0].secret_ciphertext;
    assert_eq!(
        only_new.decrypt(&tenants[0], SecretField::WebhookSecret, sealed).unwrap().expose_secret(),
        shown.secret
    );
    for t in &tenants {
        let c = stored_ciphertext(&app, *t).await;
        assert!(!only_new.is_stale(&c));
        assert_eq!(
            only_new.decrypt(t, SecretField::GraphClientSecret, &c).unwrap().expose_secret(),
            SECRET
        );
    }
    // Running it again finds nothing to do.
    let again =
        calbridge_with(&app, &["keys", "rotate"], None, &[("CALBRIDGE_MASTER_KEY", &new_b64)])
            .await;
    assert!(again.stdout.contains("0 secrets re-encrypted"), "{}", again.stdout);
}

#[tokio::test]
async fn rotation_with_the_key_file_installs_a_new_key() {
    // Key files belong to the embedded database, so this test always uses SQLite.
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("data").join("calbridge.db");
    let url = format!("sqlite://{}", db_path.display());
    let run = |args: Vec<&str>, stdin: Option<String>| {
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let url = url.clone();
        let cwd = dir.path().to_path_buf();
        async move {
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_calbridge"));
            cmd.args(&args).current_dir(cwd).env_clear().env("DATABASE_URL", url);
            cmd.stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            let mut input = child.stdin.take().unwrap();
            if let Some(text) = stdin {
                tokio::io::AsyncWriteExt::write_all(&mut input, text.as_bytes()).await.unwrap();
            }
            drop(input);
            child.wait_with_output().await.unwrap()
        }
    };
    let out = run(vec!["tenant", "create", "--name", "Hansen", "--licences", "3"], None).await;
    let tenant = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let key_file = db_path.parent().unwrap().join("master.key");
    let first_key = std::fs::read_to_string(&key_file).unwrap();
    let out = run(
        vec![
            "tenant",
            "set-graph",
            "--tenant",
            &tenant,
            "--directory-id",
            DIRECTORY,
            "--client-id",
            CLIENT,
            "--client-secret-stdin",
        ],
        Some(format!("{SECRET}\n")),
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(vec!["keys", "rotate"], None).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let second_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(first_key, second_key, "a new key was installed");
    assert_eq!(
        std::fs::read_to_string(key_file.with_extension("key.previous")).unwrap(),
        first_key
    );
    assert!(!key_file.with_extension("key.next").exists());
    // The secret decrypts with the new key alone.
    let conn = calbridge::db::connect(&calbridge::config::DatabaseTarget::Sqlite(db_path.clone()))
        .await
        .unwrap();
    let row =
        calbridge::db::entities::provider_config::Entity::find().one(&conn).await.unwrap().unwrap();
    let ring =
        Keyring::new(MasterKey::from_base64(&SecretString::from(second_key)).unwrap(), vec![]);
    let plain = ring
        .decrypt(
            &row.tenant_id,
            SecretField::GraphClientSecret,
            row.client_secret_ciphertext.as_deref().unwrap(),
        )
        .unwrap();
    assert_eq!(plain.expose_secret(), SECRET);
}

#[tokio::test]
async fn bad_connection_details_are_explained_in_one_line() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await.to_string();
    for (args, stdin, expected) in [
        (vec!["--directory-id", "nope", "--client-id", CLIENT], SECRET, "directory (tenant) id"),
        // Not a name the sign-in endpoint knows: refused before anything is stored or sent.
        (vec!["--directory-id", "ÆØÅ.dk", "--client-id", CLIENT], SECRET, "directory (tenant) id"),
        (
            vec!["--directory-id", DIRECTORY, "--client-id", "hansen"],
            SECRET,
            "application (client) id",
        ),
        (
            vec!["--directory-id", DIRECTORY, "--client-id", CLIENT],
            "6e2d1b0a-1111-4222-8333-944455566677",
            "looks like the secret's id",
        ),
        (
            vec![
                "--directory-id",
                DIRECTORY,
                "--client-id",
                CLIENT,
                "--secret-expires",
                "2020-01-01",
            ],
            SECRET,
            "already expired",
        ),
        (
            vec!["--directory-id", DIRECTORY, "--client-id", CLIENT, "--detail", "most"],
            SECRET,
            "free/busy or full",
        ),
        (vec!["--directory-id", DIRECTORY, "--client-id", CLIENT], "", "no client secret given"),
    ] {
        let mut all =
            vec!["tenant", "set-graph", "--tenant", tenant.as_str(), "--client-secret-stdin"];
        all.extend(args.iter().copied());
        let run = calbridge(&app, &all, Some(&format!("{stdin}\n"))).await;
        assert_eq!(run.code, 2, "{all:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.to_lowercase().contains(&expected.to_lowercase()),
            "{all:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(SECRET));
    }
}
