//! The user list import at 10,000 rows: reading the file, the preview, the import itself
//! (one transaction), the same file again (nothing to do), a file that changes every row,
//! and the export.
//!
//!     cargo bench --bench directory_import                       # SQLite
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench directory_import
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

use std::time::Instant;

use calbridge::clock::Clock;
use calbridge::config::{Config, DatabaseTarget};
use calbridge::domain::Locale;
use calbridge::secrets::MasterKey;
use calbridge::services::directory_import::{self as import, Choice};
use calbridge::services::tenants::TenantInput;
use calbridge::services::{self, Actor};
use calbridge::startup::build_state;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

const ROWS: usize = 10_000;

fn file(name_prefix: &str) -> Vec<u8> {
    let mut text = String::from("E-mail;Navn;Lokalnummer;Afdeling;Synkronisering\r\n");
    for i in 0..ROWS {
        text.push_str(&format!(
            "medarbejder{i}@hansen.dk;{name_prefix} Søren Ærø {i};{};Afdeling {};ja\r\n",
            10_000 + i,
            i % 40
        ));
    }
    // As Danish Excel saves "CSV (semikolonsepareret)".
    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
}

fn timed<T>(label: &str, started: Instant, value: T) -> T {
    println!("{label:<44} {:>8.3} s", started.elapsed().as_secs_f64());
    value
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (database, pg) = match std::env::var("BENCH_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        Some(admin) => {
            let name = format!("calbridge_bench_{}", Uuid::new_v4().simple());
            let conn = sea_orm::Database::connect(&admin).await?;
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await?;
            let mut url = url::Url::parse(&admin)?;
            url.set_path(&format!("/{name}"));
            (DatabaseTarget::Postgres(url.to_string()), Some((admin, name)))
        }
        None => (DatabaseTarget::Sqlite(dir.path().join("calbridge.db")), None),
    };
    println!("== {} rows, {}", ROWS, if pg.is_some() { "PostgreSQL" } else { "SQLite" });
    let mut config = Config::from_lookup(|_| None).expect("defaults");
    config.database = database;
    config.master_key = Some(MasterKey::generate().to_base64());
    let state = build_state(config, Clock::system()).await?;
    let actor = Actor::command_line();
    let input =
        TenantInput { name: "Hansen".into(), licences: ROWS.to_string(), ..Default::default() };
    let tenant = services::tenants::create(&state, &actor, &input).await?;
    let scope = calbridge::db::TenantScope::for_cli(tenant);

    let first = file("");
    println!("file size                                    {:>8} KB", first.len() / 1024);
    let t = Instant::now();
    let parsed = timed("read and check the file (no database)", t, import::parse::parse(&first));
    assert_eq!(parsed.map(|p| p.rows.len()).unwrap_or(0), ROWS);

    let t = Instant::now();
    let id =
        timed("upload (check and store)", t, import::upload(&state, scope, "u.csv", &first).await?);
    let t = Instant::now();
    let preview =
        timed("preview, empty directory", t, import::preview(&state, scope, id, false).await?);
    assert_eq!(preview.new, ROWS);
    let choice = Choice { digest: Some(preview.digest.clone()), ..Choice::default() };
    let t = Instant::now();
    let done = timed(
        "import: 10,000 new users, sync on",
        t,
        import::apply(&state, &actor, scope, id, &choice).await,
    );
    assert_eq!(done.map(|s| s.new).unwrap_or(0), ROWS);

    let id = import::upload(&state, scope, "u.csv", &first).await?;
    let t = Instant::now();
    let preview =
        timed("preview, same file again", t, import::preview(&state, scope, id, false).await?);
    assert_eq!(preview.unchanged, ROWS);
    let t = Instant::now();
    let choice = Choice { digest: Some(preview.digest.clone()), ..Choice::default() };
    timed(
        "import, same file again (changes nothing)",
        t,
        import::apply(&state, &actor, scope, id, &choice).await,
    )
    .map_err(|_| anyhow::anyhow!("refused"))?;

    let renamed = file("Ny");
    let id = import::upload(&state, scope, "u.csv", &renamed).await?;
    let t = Instant::now();
    let preview =
        timed("preview, every name changed", t, import::preview(&state, scope, id, false).await?);
    assert_eq!(preview.updated, ROWS);
    let choice = Choice { digest: Some(preview.digest.clone()), ..Choice::default() };
    let t = Instant::now();
    timed("import, every name changed", t, import::apply(&state, &actor, scope, id, &choice).await)
        .map_err(|_| anyhow::anyhow!("refused"))?;

    let t = Instant::now();
    let csv = timed("export", t, import::export(&state, scope, Locale::Da).await?);
    println!("export size                                  {:>8} KB", csv.len() / 1024);

    state.db.clone().close().await?;
    if let Some((admin, name)) = pg {
        let conn = sea_orm::Database::connect(&admin).await?;
        conn.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await?;
    }
    Ok(())
}
