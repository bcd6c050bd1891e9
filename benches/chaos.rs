//! The chaos test: three `calbridge serve` instances on one PostgreSQL against the Microsoft
//! 365 simulator (its own process), 50 companies × 20 mailboxes with a meeting edge every
//! 15 s, synced every 10 s. Instances are killed with SIGKILL at random moments, in the middle
//! of syncs and at meeting edges, and started again; PostgreSQL is restarted once. Then the
//! invariants are checked from the database and the figures printed; the exit code is 1 if
//! any invariant failed.
//!
//!     cargo bench --bench chaos                        # 10 minutes of chaos
//!     cargo bench --bench chaos -- --minutes 60
//!     cargo test --bench chaos -- --short              # about 2 minutes, as CI runs it
//!
//! `CHAOS_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) names a server
//! where a throwaway database may be created. PostgreSQL is restarted with `pg_ctlcluster`
//! (as root); `--no-postgres-restart` leaves it alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test driver that cannot go on should stop loudly, where it stands"
)]

#[allow(dead_code, reason = "shared with the scale benchmark, which uses other parts")]
#[path = "support/fleet.rs"]
mod fleet;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use calbridge::db::TenantScope;
use calbridge::db::entities::{availability_history, directory_user, sync_run};
use calbridge::services::presence;
use chrono::{DateTime, Utc};
use fleet::{Fleet, Instance, Meeting, now, percentile, status_kb, whole};
use rand::RngExt;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use tokio::sync::Mutex;
use uuid::Uuid;

const COMPANIES: usize = 50;
const USERS: usize = 20;
const INTERVAL: i64 = 10;
const LEASE: i64 = 15;
const HEARTBEAT: i64 = 5;
/// A meeting starts every `PERIOD` seconds and lasts `LENGTH`; company c's meetings are
/// shifted by (c mod 5) × 3 s, so edges pass every few seconds.
const PERIOD: i64 = 30;
const LENGTH: i64 = 15;
const INSTANCES: [&str; 3] = ["chaos-a", "chaos-b", "chaos-c"];

struct Plan {
    chaos: Duration,
    restart_postgres: bool,
}

fn plan() -> Plan {
    let args: Vec<String> = std::env::args().collect();
    let minutes = args
        .iter()
        .position(|a| a == "--minutes")
        .and_then(|i| args.get(i + 1))
        .and_then(|m| m.parse::<f64>().ok());
    let chaos = if args.iter().any(|a| a == "--short") {
        Duration::from_secs(75)
    } else {
        Duration::from_secs_f64(minutes.unwrap_or(10.0) * 60.0)
    };
    Plan { chaos, restart_postgres: !args.iter().any(|a| a == "--no-postgres-restart") }
}

fn shift(company: usize) -> i64 {
    (company % 5) as i64 * 3
}

/// The edges of company c after `first`: (instant, busy after it).
fn edges(first: DateTime<Utc>, company: usize, until: DateTime<Utc>) -> Vec<(DateTime<Utc>, bool)> {
    let mut out = Vec::new();
    let mut start = first + chrono::Duration::seconds(shift(company));
    while start < until {
        out.push((start, true));
        out.push((start + chrono::Duration::seconds(LENGTH), false));
        start += chrono::Duration::seconds(PERIOD);
    }
    out
}

fn settings() -> Vec<(&'static str, String)> {
    vec![
        ("CALBRIDGE_SYNC_INTERVAL_SECS", INTERVAL.to_string()),
        ("CALBRIDGE_LEASE_SECS", LEASE.to_string()),
        ("CALBRIDGE_HEARTBEAT_SECS", HEARTBEAT.to_string()),
    ]
}

/// Which slot an instance name belongs to (`chaos-a-<pid>-<random>`).
fn slot(instance: &str) -> Option<usize> {
    INSTANCES.iter().position(|name| instance.starts_with(&format!("{name}-")))
}

async fn restart_postgres() -> anyhow::Result<Duration> {
    let version = std::fs::read_dir("/etc/postgresql")?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .ok_or_else(|| anyhow::anyhow!("no cluster under /etc/postgresql"))?;
    let started = Instant::now();
    let status = tokio::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "restart", "-m", "fast"])
        .status()
        .await?;
    anyhow::ensure!(status.success(), "pg_ctlcluster restart failed: {status}");
    Ok(started.elapsed())
}

/// Every second, what presence reports as `observed_at` for each user; counts the times it
/// went backwards.
async fn sample(fleet: Arc<Fleet>, stop: Arc<AtomicBool>, regressions: Arc<Mutex<Vec<String>>>) {
    let mut last: HashMap<(Uuid, String), DateTime<Utc>> = HashMap::new();
    while !stop.load(Ordering::SeqCst) {
        for company in &fleet.companies {
            let scope = TenantScope::for_cli(company.tenant);
            let Ok(p) = presence::list(&fleet.state, scope).await else { continue };
            for e in p.entries {
                let Some(observed) = e.observed_at else { continue };
                let before = last.insert((company.tenant, e.email.clone()), observed);
                if let Some(before) = before.filter(|b| observed < *b) {
                    regressions.lock().await.push(format!("{}: {before} → {observed}", e.email));
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let plan = plan();
    let admin = std::env::var("CHAOS_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let first = whole(now()) + chrono::Duration::seconds(40);
    let horizon = first + chrono::Duration::from_std(plan.chaos)? + chrono::Duration::minutes(5);
    let seeding = Instant::now();
    let fleet = Fleet::start(&admin, COMPANIES, USERS, "free-busy", 100, |c, _| {
        edges(first, c, horizon)
            .chunks(2)
            .map(|pair| Meeting { start: pair[0].0, end: pair[1].0 })
            .collect()
    })
    .await?;
    let fleet = Arc::new(fleet);
    println!(
        "seeded {COMPANIES} companies × {USERS} mailboxes in {:.1} s; interval {INTERVAL} s, \
         lease {LEASE} s, heartbeat {HEARTBEAT} s; {:.0} s of chaos",
        seeding.elapsed().as_secs_f64(),
        plan.chaos.as_secs_f64()
    );

    let mut instances: Vec<Instance> =
        INSTANCES.iter().map(|n| fleet.serve(n, &settings())).collect::<Result<_, _>>()?;
    let began = now();
    let stop = Arc::new(AtomicBool::new(false));
    let regressions = Arc::new(Mutex::new(Vec::new()));
    let sampler = tokio::spawn(sample(fleet.clone(), stop.clone(), regressions.clone()));

    let mut rng = rand::rng();
    let mut kills: Vec<(DateTime<Utc>, &'static str, String)> = Vec::new();
    let mut postgres_restart = None;
    let chaos_until = Instant::now() + plan.chaos;
    let restart_at = Instant::now() + plan.chaos / 2;
    while Instant::now() < chaos_until {
        tokio::time::sleep(Duration::from_millis(rng.random_range(3_000..8_000))).await;
        if plan.restart_postgres && postgres_restart.is_none() && Instant::now() >= restart_at {
            let at = now();
            let took = restart_postgres().await;
            println!("PostgreSQL restarted at {at}: {took:?}");
            postgres_restart = Some((at, took.map_err(|e| e.to_string())));
            continue;
        }
        let (victim, how) = match rng.random_range(0..3) {
            0 => (rng.random_range(0..INSTANCES.len()), "at random"),
            1 => {
                // Whoever holds a lease right now is in the middle of a sync.
                let sql = "SELECT lease_owner FROM sync_states WHERE lease_until > now() \
                           AND lease_owner IS NOT NULL LIMIT 1";
                let mut holder = None;
                for _ in 0..40 {
                    let row = fleet
                        .state
                        .db
                        .query_one_raw(Statement::from_string(
                            sea_orm::DatabaseBackend::Postgres,
                            sql,
                        ))
                        .await
                        .ok()
                        .flatten();
                    holder = row
                        .and_then(|r| r.try_get::<String>("", "lease_owner").ok())
                        .and_then(|o| slot(&o));
                    if holder.is_some() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                (holder.unwrap_or(0), "mid-sync")
            }
            _ => {
                let soon = now() + chrono::Duration::milliseconds(300);
                let next = (0..COMPANIES)
                    .flat_map(|c| edges(first, c, horizon))
                    .map(|(at, _)| at)
                    .filter(|at| *at > soon)
                    .min()
                    .unwrap();
                tokio::time::sleep((next - now()).to_std().unwrap_or_default()).await;
                (rng.random_range(0..INSTANCES.len()), "at a meeting edge")
            }
        };
        let at = now();
        instances[victim].kill().await;
        kills.push((at, how, INSTANCES[victim].to_owned()));
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..3_000))).await;
        instances[victim] = fleet.serve(INSTANCES[victim], &settings())?;
    }
    let chaos_ended = now();

    // Let every tenant catch up, then compare with the calendars away from any edge.
    tokio::time::sleep(Duration::from_secs((INTERVAL + LEASE + 5) as u64)).await;
    // Edges pass every 3 s; half-way between two of them nothing is in flux.
    let check_at = (0..COMPANIES)
        .flat_map(|c| edges(first, c, horizon))
        .map(|(at, _)| at)
        .filter(|at| *at > now())
        .min()
        .unwrap()
        + chrono::Duration::milliseconds(1_500);
    tokio::time::sleep((check_at - now()).to_std().unwrap_or_default()).await;
    let mut mismatches = Vec::new();
    let checked = now();
    for company in &fleet.companies {
        let expected_busy = edges(first, company.index, horizon)
            .chunks(2)
            .any(|pair| pair[0].0 <= checked && checked < pair[1].0);
        let p = presence::list(&fleet.state, TenantScope::for_cli(company.tenant)).await?;
        for e in p.entries {
            let busy = e.state.as_str() == "busy";
            if busy != expected_busy {
                mismatches.push(format!(
                    "{}: {} (expected {})",
                    e.email,
                    e.state,
                    if expected_busy { "busy" } else { "free" }
                ));
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = sampler.await;
    let rss: Vec<(String, u64, u64)> = instances
        .iter()
        .filter_map(|i| {
            i.pid().map(|p| (i.name.clone(), status_kb(p, "VmRSS:"), status_kb(p, "VmHWM:")))
        })
        .collect();
    for instance in &mut instances {
        instance.stop().await;
    }
    let ended = now();

    // --- The invariants, from the database.
    let db = &fleet.state.db;
    let runs = sync_run::Entity::find().order_by_asc(sync_run::Column::StartedAt).all(db).await?;
    let mut by_tenant: HashMap<Uuid, Vec<&sync_run::Model>> = HashMap::new();
    for run in &runs {
        by_tenant.entry(run.tenant_id).or_default().push(run);
    }
    let (mut overlaps, mut token_order, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_instance = [0usize; INSTANCES.len()];
    for run in &runs {
        if let Some(s) = slot(&run.instance) {
            per_instance[s] += 1;
        }
    }
    for (tenant, runs) in &by_tenant {
        for pair in runs.windows(2) {
            if pair[0].finished_at > pair[1].started_at {
                overlaps.push(format!(
                    "{tenant}: {} until {} overlaps {} from {}",
                    pair[0].instance, pair[0].finished_at, pair[1].instance, pair[1].started_at
                ));
            }
            if pair[1].fencing_token <= pair[0].fencing_token {
                token_order.push(format!(
                    "{tenant}: token {} after {}",
                    pair[1].fencing_token, pair[0].fencing_token
                ));
            }
            gaps.push((pair[1].started_at - pair[0].started_at).num_milliseconds() as f64 / 1000.0);
        }
    }
    let goal = (INTERVAL + LEASE + 5) as f64;
    let beyond_goal = gaps.iter().filter(|g| **g > goal).count();
    let max_gap = gaps.iter().copied().fold(0.0, f64::max);
    let median_gap = percentile(&mut gaps.clone(), 50.0);

    // History: one entry per edge that passed once every user was synced, never two.
    let users: HashMap<Uuid, Uuid> = directory_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.tenant_id))
        .collect();
    let company_of: HashMap<Uuid, usize> =
        fleet.companies.iter().map(|c| (c.tenant, c.index)).collect();
    let history = availability_history::Entity::find()
        .order_by_asc(availability_history::Column::At)
        .all(db)
        .await?;
    let first_synced =
        by_tenant.values().filter_map(|r| r.first().map(|r| r.finished_at)).max().unwrap_or(began);
    let mut by_user: HashMap<Uuid, Vec<&availability_history::Model>> = HashMap::new();
    for h in &history {
        by_user.entry(h.user_id).or_default().push(h);
    }
    let (mut edges_checked, mut missing, mut duplicates, mut wrong) =
        (0usize, 0usize, 0usize, 0usize);
    let mut lateness = Vec::new();
    for (user, tenant) in &users {
        let company = company_of[tenant];
        let entries = by_user.get(user).map(Vec::as_slice).unwrap_or_default();
        let list = edges(first, company, horizon);
        for (i, (edge, busy)) in list.iter().enumerate() {
            let next = list.get(i + 1).map_or(horizon, |e| e.0);
            if *edge <= first_synced + chrono::Duration::seconds(1) || next >= chaos_ended {
                continue;
            }
            edges_checked += 1;
            let hits: Vec<_> = entries.iter().filter(|h| h.at >= *edge && h.at < next).collect();
            match hits.as_slice() {
                [] => missing += 1,
                [h] => {
                    if (h.state.as_str() == "busy") != *busy {
                        wrong += 1;
                    }
                    lateness.push((h.at - *edge).num_milliseconds() as f64 / 1000.0);
                }
                _ => duplicates += 1,
            }
        }
    }
    let regressions = regressions.lock().await.clone();

    println!(
        "\n== chaos: {} s, {} kills, PostgreSQL restart: {}",
        (chaos_ended - began).num_seconds(),
        kills.len(),
        postgres_restart.as_ref().map_or("none".to_owned(), |(at, took)| format!(
            "at {} ({took:?})",
            at.format("%H:%M:%S")
        ))
    );
    let by_kind = |k: &str| kills.iter().filter(|(_, how, _)| *how == k).count();
    println!(
        "kills                 {} at random, {} mid-sync, {} at a meeting edge",
        by_kind("at random"),
        by_kind("mid-sync"),
        by_kind("at a meeting edge")
    );
    println!(
        "syncs recorded        {} ({} per instance: {:?})",
        runs.len(),
        INSTANCES.len(),
        per_instance
    );
    println!(
        "start-to-start gaps   median {median_gap:.1} s, max {max_gap:.1} s; {beyond_goal} beyond the goal of {goal:.0} s"
    );
    println!("overlapping syncs     {}", overlaps.len());
    println!("fencing out of order  {}", token_order.len());
    println!(
        "history               {edges_checked} edges: {missing} missing, {duplicates} duplicated, {wrong} wrong state"
    );
    println!(
        "flip lateness         p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&mut lateness.clone(), 50.0) * 1000.0,
        percentile(&mut lateness.clone(), 99.0) * 1000.0,
        lateness.iter().copied().fold(0.0, f64::max) * 1000.0
    );
    println!("observed_at           {} regressions", regressions.len());
    println!(
        "state vs calendars    {} mismatches of {} users at {}",
        mismatches.len(),
        users.len(),
        checked.format("%H:%M:%S%.3f")
    );
    for (name, rss, hwm) in &rss {
        println!("memory                {name}: {} MiB now, {} MiB peak", rss / 1024, hwm / 1024);
    }
    println!("took                  {:.0} s in all", (ended - began).num_seconds());

    let mut failed = Vec::new();
    for (what, problems) in [
        ("overlapping syncs", &overlaps),
        ("fencing order", &token_order),
        ("observed_at", &regressions),
        ("state", &mismatches),
    ] {
        if !problems.is_empty() {
            failed.push(format!(
                "{what}: {}",
                problems.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
            ));
        }
    }
    if beyond_goal > 0 {
        failed.push(format!("{beyond_goal} gaps beyond {goal:.0} s (max {max_gap:.1} s)"));
    }
    if missing + duplicates + wrong > 0 {
        failed.push(format!("history: {missing} missing, {duplicates} duplicated, {wrong} wrong"));
    }
    if let Some((_, Err(e))) = &postgres_restart {
        failed.push(format!("PostgreSQL could not be restarted: {e}"));
    }
    let fleet = Arc::try_unwrap(fleet).map_err(|_| anyhow::anyhow!("the fleet is still shared"))?;
    let logs = fleet.dir.path().to_owned();
    if failed.is_empty() {
        fleet.finish().await?;
        println!("\nall invariants held");
        Ok(())
    } else {
        for f in &failed {
            println!("FAILED: {f}");
        }
        // Keep the instances' logs for a look.
        let kept = std::env::temp_dir().join(format!("calbridge-chaos-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&kept);
        for entry in std::fs::read_dir(&logs)?.flatten() {
            let _ = std::fs::copy(entry.path(), kept.join(entry.file_name()));
        }
        println!("instance logs kept in {}", kept.display());
        fleet.finish().await?;
        std::process::exit(1);
    }
}
