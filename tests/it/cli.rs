//! The command line as an operator scripts it.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::support::{PASSWORD, TestApp};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the CLI against the app's database with its master key.
pub async fn calbridge(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Run {
    calbridge_with(
        app,
        args,
        stdin,
        &[("CALBRIDGE_MASTER_KEY", &app.master_key), ("RUST_LOG", "warn")],
    )
    .await
}

/// Runs the CLI against the app's database with exactly the given extra environment.
pub async fn calbridge_with(
    app: &TestApp,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Run {
    let workdir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calbridge"));
    cmd.args(args)
        .current_dir(workdir.path())
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn tenant_and_user_commands_round_trip() {
    let app = TestApp::spawn().await;
    let created = calbridge(
        &app,
        &[
            "tenant",
            "create",
            "--name",
            "Hansen & Co",
            "--licences",
            "2",
            "--locale",
            "en",
            "--cvr",
            "12345678",
        ],
        None,
    )
    .await;
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = created.stdout.trim().to_owned();
    assert!(sea_orm::prelude::Uuid::parse_str(&id).is_ok(), "prints the id: {id}");

    let added = calbridge(
        &app,
        &[
            "user",
            "add",
            "--tenant",
            &id,
            "--email",
            "Anna@Hansen.dk",
            "--name",
            "Anna Hansen",
            "--extension",
            "201",
            "--department",
            "Salg",
            "--sync",
        ],
        None,
    )
    .await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    calbridge(&app, &["user", "add", "--tenant", &id, "--email", "bo@hansen.dk"], None).await;

    let list = calbridge(&app, &["user", "list", "--tenant", &id], None).await;
    assert_eq!(list.code, 0);
    assert!(list.stdout.lines().next().unwrap().starts_with("EMAIL"));
    assert!(list.stdout.contains("Anna@Hansen.dk") && list.stdout.contains("Anna Hansen"));

    let json = calbridge(&app, &["user", "list", "--tenant", &id, "--json"], None).await;
    let users: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    let anna = users.as_array().unwrap().iter().find(|u| u["email"] == "Anna@Hansen.dk").unwrap();
    assert_eq!(anna["sync_enabled"], true);
    assert_eq!(anna["extension"], "201");

    let tenants = calbridge(&app, &["tenant", "list", "--json"], None).await;
    let tenants: serde_json::Value = serde_json::from_str(&tenants.stdout).unwrap();
    let t = &tenants.as_array().unwrap()[0];
    assert_eq!(t["id"], id.as_str());
    assert_eq!(t["licences"], 2);
    assert_eq!(t["sync_enabled_users"], 1);
    assert_eq!(t["users"], 2);
    let table = calbridge(&app, &["tenant", "list"], None).await;
    assert!(table.stdout.contains("Hansen & Co"));

    // What the CLI wrote, the portal shows.
    let detail =
        calbridge::db::tenants::find(&app.state.db, id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(detail.locale, "en");
}

#[tokio::test]
async fn operator_create_reads_the_password_from_stdin() {
    let app = TestApp::spawn().await;
    let run = calbridge(
        &app,
        &["operator", "create", "--email", "ops@calbridge.dk"],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
    assert_eq!(app.browser().login("ops@calbridge.dk", PASSWORD).await.status, 303);

    let weak = calbridge(
        &app,
        &["operator", "create", "--email", "weak@calbridge.dk"],
        Some("password1234\n"),
    )
    .await;
    assert_eq!(weak.code, 2);
    assert!(weak.stderr.contains("too common"), "{}", weak.stderr);
    let dup = calbridge(
        &app,
        &["operator", "create", "--email", "OPS@calbridge.dk"],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert_eq!(dup.code, 2);
    assert!(dup.stderr.contains("already exists"));
}

#[tokio::test]
async fn bad_input_gives_one_line_and_a_nonzero_exit() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 1).await.to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["tenant", "create", "--name", "X", "--licences", "-3"], "licences"),
        (vec!["tenant", "create", "--name", "X", "--licences", "ten"], "licences"),
        (
            vec![
                "tenant",
                "create",
                "--name",
                "X",
                "--licences",
                "1",
                "--timezone",
                "Nowhere/Land",
            ],
            "timezone",
        ),
        (
            vec!["tenant", "create", "--name", "X", "--licences", "1", "--locale", "de"],
            "invalid value",
        ),
        (vec!["tenant", "create", "--name", "X", "--licences", "1", "--cvr", "12"], "cvr"),
        (vec!["tenant", "create", "--licences", "1"], "--name"),
        (vec!["user", "add", "--tenant", "not-a-uuid", "--email", "a@b.dk"], "not a tenant id"),
        (
            vec![
                "user",
                "add",
                "--tenant",
                "00000000-0000-0000-0000-000000000000",
                "--email",
                "a@b.dk",
            ],
            "no tenant",
        ),
        (vec!["user", "add", "--tenant", &tenant, "--email", "nope"], "e-mail"),
        (vec!["user", "list", "--tenant", ""], "not a tenant id"),
        (vec!["frobnicate"], "unrecognized subcommand"),
        (vec!["operator", "create", "--email", "x@y.dk"], "no password"),
    ];
    for (args, expected) in cases {
        let run = calbridge(&app, &args, Some("")).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", run.stderr);
        assert!(
            lines[0].to_lowercase().contains(&expected.to_lowercase()),
            "{args:?}: {}",
            lines[0]
        );
        assert!(!run.stderr.contains("panicked"));
    }
    // Licence limit from the CLI too.
    calbridge(
        &app,
        &["user", "add", "--tenant", &tenant, "--email", "a@hansen.dk", "--sync"],
        None,
    )
    .await;
    let over = calbridge(
        &app,
        &["user", "add", "--tenant", &tenant, "--email", "b@hansen.dk", "--sync"],
        None,
    )
    .await;
    assert_eq!(over.code, 2);
    assert!(over.stderr.contains("All licences are in use"));
}

#[tokio::test]
async fn configuration_errors_name_the_variable() {
    let app = TestApp::spawn().await;
    for (var, value) in [
        ("CALBRIDGE_BIND", "not-an-address"),
        ("CALBRIDGE_SYNC_INTERVAL_SECS", "soon"),
        ("CALBRIDGE_MASTER_KEY", "dG9vIHNob3J0"),
        ("DATABASE_URL", "mysql://nope"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_calbridge"))
            .args(["tenant", "list"])
            .env_clear()
            .env("DATABASE_URL", app.database_url())
            .env("CALBRIDGE_MASTER_KEY", &app.master_key)
            .env(var, value)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}: {stderr}");
        assert!(stderr.contains(var), "{var}: {stderr}");
    }
}

#[tokio::test]
async fn migrate_brings_an_empty_database_up_to_date() {
    // An empty database of the same kind the suite runs on.
    let app = TestApp::spawn().await;
    use migration::MigratorTrait;
    migration::Migrator::reset(&app.state.db).await.unwrap();
    assert!(calbridge::db::pending_migrations(&app.state.db).await.unwrap() > 0);
    let run = calbridge(&app, &["migrate"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(calbridge::db::pending_migrations(&app.state.db).await.unwrap(), 0);
    let again = calbridge(&app, &["migrate"], None).await;
    assert_eq!(again.code, 0, "migrating twice is harmless");
}

#[tokio::test]
async fn simulate_m365_serves_a_scenario_file_and_prints_its_address() {
    use tokio::io::AsyncBufReadExt;
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/simulator-scenario.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_calbridge"))
        .args(["simulate-m365", "--bind", "127.0.0.1:0", "--scenario", scenario])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address printed")
        .to_owned();
    assert!(!base.ends_with(":0"), "the real port: {line}");
    let tenants: serde_json::Value =
        reqwest::get(format!("{base}/_simulator/tenants")).await.unwrap().json().await.unwrap();
    assert!(!tenants.as_array().unwrap().is_empty(), "the scenario's tenants are served");
    let _ = child.start_kill();

    let app = TestApp::spawn().await;
    let missing =
        calbridge(&app, &["simulate-m365", "--scenario", "/no/such/file.toml"], None).await;
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("--scenario"), "{}", missing.stderr);
}

/// Relays one PostgreSQL connection and reports whether the client ended it with the
/// protocol's Terminate message (rather than just dropping the socket).
async fn relay(client: tokio::net::TcpStream, upstream: String) -> bool {
    use tokio::io::AsyncReadExt;
    let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    let mut tail = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend_from_slice(&buf[..n]);
                let keep = tail.len().saturating_sub(5);
                tail.drain(..keep);
                if server_write.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    back.abort();
    tail == [b'X', 0, 0, 0, 4]
}

#[tokio::test]
async fn the_command_line_closes_its_database_connections_before_it_exits() {
    if crate::support::postgres_only(
        "the_command_line_closes_its_database_connections_before_it_exits",
    ) {
        return;
    }
    let app = TestApp::spawn().await;
    let mut url = url::Url::parse(&app.database_url()).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(listener.local_addr().unwrap().port())).unwrap();
    // In the clear, so the relay can read how each connection ends.
    url.query_pairs_mut().append_pair("sslmode", "disable");
    let endings = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let recorder = endings.clone();
    let proxy = tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, endings) = (upstream.clone(), recorder.clone());
            tokio::spawn(async move {
                let ended_properly = relay(client, upstream).await;
                endings.lock().await.push(ended_properly);
            });
        }
    });
    for args in [&["tenant", "list"][..], &["migrate"][..]] {
        let run = calbridge_with(
            &app,
            args,
            None,
            &[
                ("DATABASE_URL", url.as_str()),
                ("CALBRIDGE_MASTER_KEY", &app.master_key),
                ("RUST_LOG", "warn"),
            ],
        )
        .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    proxy.abort();
    let endings = endings.lock().await.clone();
    assert!(!endings.is_empty(), "the commands went through the relay");
    assert!(
        endings.iter().all(|ended| *ended),
        "connections dropped without Terminate: {endings:?}"
    );
}
