//! The sync scheduler at scale: 10,000 users in 100 tenants against the Microsoft 365
//! simulator (run as its own process, 50 ms per request).
//!
//! Measures one full sync cycle (wall time against the lower bound the limits imply, database
//! write time, CPU time, peak RSS) and the precision of transitions when all 10,000 users'
//! meetings start at the same instant (p50/p99 lateness of the flip).
//!
//!     cargo bench --bench scheduler                       # SQLite
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench scheduler
//!
//! `BENCH_DETAIL=full` reads calendarView instead of getSchedule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

#[allow(dead_code, reason = "shared with the chaos test and the scale benchmark")]
#[path = "support/fleet.rs"]
mod fleet;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use calbridge::clock::Clock;
use calbridge::config::{Config, DatabaseTarget};
use calbridge::db::entities::directory_user;
use calbridge::db::leases;
use calbridge::jobs::{Scheduler, SchedulerOptions};
use calbridge::secrets::MasterKey;
use calbridge::services::credentials::GraphInput;
use calbridge::services::sync::{self, SyncContext};
use calbridge::services::tenants::TenantInput;
use calbridge::services::{self, Actor};
use calbridge::startup::build_state;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use secrecy::SecretString;
use uuid::Uuid;

const TENANTS: usize = 100;
const USERS_PER_TENANT: usize = 100;
const LATENCY_MS: u64 = 50;

/// This process's own CPU time and memory.
fn cpu_time() -> Duration {
    fleet::cpu_time(std::process::id())
}

fn proc_status(field: &str) -> u64 {
    fleet::status_kb(std::process::id(), field)
}

fn scenario(meeting_at: DateTime<Utc>, directories: &[(Uuid, Uuid)]) -> String {
    let mut s = format!("[simulator]\nlatency_ms = {LATENCY_MS}\nrequest_budget = 1000000\n");
    for (t, (directory, client)) in directories.iter().enumerate() {
        s += &format!(
            "\n[[tenants]]\nname = \"Bench {t}\"\ndirectory_id = \"{directory}\"\ndomains = [\"t{t}.bench.dk\"]\nclient_id = \"{client}\"\nclient_secret = \"bench~{t}\"\nrole = \"Calendars.Read\"\n"
        );
        for u in 0..USERS_PER_TENANT {
            s += &format!(
                "\n[[tenants.mailboxes]]\nupn = \"u{u}@t{t}.bench.dk\"\ntime_zone = \"Europe/Copenhagen\"\n"
            );
            // A working day of meetings in the window, then the meeting everyone shares.
            // Six meetings after the shared one, so that one decides every user's flip.
            for k in 0..6 {
                let offset = 60 + (k * 170 + u as i64 * 7) % 1800;
                let start =
                    if offset < 0 { format!("-{}m", -offset) } else { format!("+{offset}m") };
                s += &format!(
                    "[[tenants.mailboxes.events]]\nsubject = \"Møde {k}\"\nlocation = \"Lokale {u}\"\nstart = \"{start}\"\nduration = \"{}m\"\nshow_as = \"busy\"\n",
                    20 + k * 5
                );
            }
            s += &format!(
                "[[tenants.mailboxes.events]]\nsubject = \"Fællesmøde\"\nstart = \"{}\"\nduration = \"30m\"\nshow_as = \"busy\"\n",
                meeting_at.to_rfc3339()
            );
        }
    }
    s
}

/// Claims every tenant and syncs them all at once, as the scheduler's tick does.
async fn cycle(
    state: &calbridge::services::AppState,
    label: &str,
    kind: &str,
    detail: &str,
    fetches_tokens: bool,
) -> anyhow::Result<()> {
    let cpu_before = cpu_time();
    let started = Instant::now();
    let now = calbridge::clock::Clock::system().now();
    let lease = chrono::Duration::seconds(300);
    let claims = leases::claim_due(&state.db, "bench", now, now + lease, TENANTS as u64).await?;
    assert_eq!(claims.len(), TENANTS, "every tenant is due");
    let mut tasks = Vec::new();
    for claim in claims {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            sync::run(SyncContext { state: &state, claim, instance: "bench", lease }).await
        }));
    }
    let (mut requests, mut write_ms, mut users_read, mut changed, mut failed) =
        (0u64, 0u64, 0usize, 0usize, 0usize);
    for task in tasks {
        let report = task.await??;
        requests += u64::from(report.http_requests);
        write_ms += report.write_ms;
        users_read += report.users_read;
        changed += report.changed;
        failed += usize::from(report.outcome.as_str() != "ok");
    }
    let wall = started.elapsed();
    let cpu = cpu_time() - cpu_before;
    // Requests ÷ allowed concurrency (4 per tenant, all tenants in parallel) × latency, plus
    // the token request each tenant must make first when it has none cached.
    let per_tenant = requests as f64 / TENANTS as f64;
    let token_round = if fetches_tokens { 1.0 } else { 0.0 };
    let rounds = token_round + ((per_tenant - token_round) / 4.0).ceil().max(1.0);
    let lower_bound = Duration::from_millis((rounds * LATENCY_MS as f64) as u64);
    println!("\n== {label} ({kind}, detail {detail})");
    println!(
        "users read            {users_read} ({changed} rows written, {failed} tenants not ok)"
    );
    println!(
        "HTTP requests         {requests} ({:.4} per user, {per_tenant:.1} per tenant)",
        requests as f64 / users_read.max(1) as f64
    );
    println!("wall time             {:.3} s", wall.as_secs_f64());
    println!(
        "lower bound           {:.3} s  (ratio {:.2})",
        lower_bound.as_secs_f64(),
        wall.as_secs_f64() / lower_bound.as_secs_f64()
    );
    println!(
        "database write time   {:.3} s summed over tenants (including waits for the database)",
        write_ms as f64 / 1000.0
    );
    println!("CPU time              {:.2} s", cpu.as_secs_f64());
    println!("peak RSS              {} MB", proc_status("VmHWM:") / 1024);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let detail = std::env::var("BENCH_DETAIL").unwrap_or_else(|_| "free-busy".into());
    let dir = tempfile::tempdir()?;
    let (database, pg_cleanup) =
        match std::env::var("BENCH_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
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
    let kind = if pg_cleanup.is_some() { "PostgreSQL" } else { "SQLite" };

    // The simulator runs as its own process, so its CPU and memory are not counted here.
    let directories: Vec<(Uuid, Uuid)> =
        (0..TENANTS).map(|_| (Uuid::new_v4(), Uuid::new_v4())).collect();
    let meeting_at = calbridge::clock::Clock::system().now() + chrono::Duration::seconds(45);
    let scenario_path = dir.path().join("bench.toml");
    std::fs::File::create(&scenario_path)?
        .write_all(scenario(meeting_at, &directories).as_bytes())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut simulator = tokio::process::Command::new(env!("CARGO_BIN_EXE_calbridge"))
        .args(["simulate-m365", "--bind", &format!("127.0.0.1:{port}"), "--scenario"])
        .arg(&scenario_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the simulator")?;
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if reqwest::get(format!("{base}/_simulator/settings")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut config = Config::from_lookup(|_| None).expect("defaults");
    config.database = database;
    config.master_key = Some(MasterKey::generate().to_base64());
    config.ms_login_url = base.parse()?;
    config.ms_graph_url = base.parse()?;
    config.sync_interval = Duration::from_secs(3600);
    let state = build_state(config, Clock::system()).await?;

    let seeding = Instant::now();
    let actor = Actor::command_line();
    let mut tenants = Vec::new();
    for (t, (directory, client)) in directories.iter().enumerate() {
        let input = TenantInput {
            name: format!("Bench {t}"),
            licences: "1000".into(),
            ..Default::default()
        };
        let tenant = services::tenants::create(&state, &actor, &input).await?;
        let scope = calbridge::db::TenantScope::for_cli(tenant);
        let now = calbridge::clock::Clock::system().now();
        let users = (0..USERS_PER_TENANT).map(|u| directory_user::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant),
            email: Set(format!("u{u}@t{t}.bench.dk")),
            email_key: Set(format!("u{u}@t{t}.bench.dk")),
            display_name: Set(Some(format!("Bruger {u}"))),
            extension: Set(None),
            department: Set(None),
            sync_enabled: Set(true),
            group_managed: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        });
        directory_user::Entity::insert_many(users).exec_without_returning(&state.db).await?;
        let graph = GraphInput {
            directory_id: directory.to_string(),
            client_id: client.to_string(),
            client_secret: SecretString::from(format!("bench~{t}")),
            secret_expires: None,
            detail: Some(detail.clone()),
        };
        services::credentials::set_graph(&state, &actor, scope, &graph).await?;
        tenants.push(tenant);
    }
    println!(
        "seeded {TENANTS} tenants × {USERS_PER_TENANT} users on {kind} in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // The first cycle writes every user; a second one finds nothing changed and writes nothing.
    for (label, fetches_tokens) in
        [("first sync cycle: every user new", true), ("second sync cycle: nothing changed", false)]
    {
        cycle(&state, label, kind, &detail, fetches_tokens).await?;
        for tenant in &tenants {
            leases::make_due(&state.db, *tenant, calbridge::clock::Clock::system().now()).await?;
        }
    }

    // Transitions: everyone's shared meeting starts at the same instant.
    let wait = (meeting_at - calbridge::clock::Clock::system().now()).to_std().unwrap_or_default();
    println!(
        "\n== transitions: waiting {:.0} s for 10,000 meetings to start at once",
        wait.as_secs_f64()
    );
    let options = SchedulerOptions {
        instance: "bench".into(),
        tick: Duration::from_secs(3600),
        ..SchedulerOptions::default()
    };
    let scheduler = Scheduler::start(state.clone(), options).await?;
    let total = (TENANTS * USERS_PER_TENANT) as u64;
    let count_busy = || async {
        let row = state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                state.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM availability WHERE state = 'busy'",
            ))
            .await
            .ok()
            .flatten();
        row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0) as u64
    };
    let mut p50 = None;
    let mut p99 = None;
    let mut all = None;
    let deadline = meeting_at + chrono::Duration::seconds(30);
    while calbridge::clock::Clock::system().now() < deadline && all.is_none() {
        let busy = count_busy().await;
        let lateness = calbridge::clock::Clock::system().now() - meeting_at;
        if p50.is_none() && busy * 2 >= total {
            p50 = Some(lateness);
        }
        if p99.is_none() && busy * 100 >= total * 99 {
            p99 = Some(lateness);
        }
        if busy >= total {
            all = Some(lateness);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    scheduler.shutdown().await;
    let ms = |d: Option<chrono::Duration>| {
        d.map_or("not reached".to_owned(), |d| format!("{} ms", d.num_milliseconds()))
    };
    println!("p50 flip lateness     {}", ms(p50));
    println!("p99 flip lateness     {}", ms(p99));
    println!("all flipped after     {}", ms(all));
    println!("peak RSS              {} MB", proc_status("VmHWM:") / 1024);

    let _ = simulator.start_kill();
    drop(state);
    if let Some((admin, name)) = pg_cleanup {
        let conn = sea_orm::Database::connect(&admin).await?;
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
