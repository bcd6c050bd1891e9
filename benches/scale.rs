//! The scale benchmark: 1,000 companies × 100 mailboxes (100,000 mailboxes) synced every 60 s
//! by one `calbridge serve` instance, then by three over one PostgreSQL, against the Microsoft
//! 365 simulator in its own process (50 ms per request). 10,000 of the mailboxes have a meeting
//! that starts at the same instant during the measured window.
//!
//! Per configuration: the first full cycle, then a steady window in which it measures each
//! instance's CPU (share of one core) and memory, PostgreSQL's and the simulator's CPU, the
//! database write time per cycle, whether every tenant kept its interval, how evenly the
//! instances split the syncs, and how late the 10,000 flips came.
//!
//!     cargo bench --bench scale                                  # all four configurations
//!     cargo bench --bench scale -- --instances 3 --detail full   # one of them
//!     cargo bench --bench scale -- --companies 100 --minutes 2   # smaller and shorter
//!
//! `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) names a server
//! where a throwaway database may be created.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

#[allow(dead_code, reason = "shared with the chaos test, which uses other parts")]
#[path = "support/fleet.rs"]
mod fleet;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use calbridge::db::entities::sync_run;
use chrono::{DateTime, Utc};
use fleet::{
    Fleet, Instance, Meeting, cpu_time, log_field, now, percentile, postgres_cpu_time, read_log,
    status_kb, whole,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

const INTERVAL: i64 = 60;
const LATENCY_MS: u64 = 50;
/// Mailboxes per company whose shared meeting starts at the same instant.
const FLIPPING: usize = 10;

struct Args {
    companies: usize,
    users: usize,
    minutes: f64,
    instances: Vec<usize>,
    details: Vec<String>,
}

fn args() -> Args {
    let args: Vec<String> = std::env::args().collect();
    let value =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    Args {
        companies: value("--companies").and_then(|v| v.parse().ok()).unwrap_or(1_000),
        users: value("--users").and_then(|v| v.parse().ok()).unwrap_or(100),
        minutes: value("--minutes").and_then(|v| v.parse().ok()).unwrap_or(3.0),
        instances: value("--instances").map_or(vec![1, 3], |v| vec![v.parse().unwrap()]),
        details: value("--detail").map_or(vec!["free-busy".into(), "full".into()], |d| vec![d]),
    }
}

async fn count(fleet: &Fleet, sql: &str) -> i64 {
    let row = fleet
        .state
        .db
        .query_one_raw(Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql))
        .await
        .ok()
        .flatten();
    row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0)
}

/// Seconds of the flips' lateness at which half, 99 % and all had flipped.
async fn watch_flips(fleet: &Fleet, at: DateTime<Utc>, total: i64) -> [Option<f64>; 3] {
    let mut marks = [None; 3];
    let sql = "SELECT COUNT(*) AS n FROM availability WHERE state = 'busy'";
    tokio::time::sleep((at - now()).to_std().unwrap_or_default()).await;
    while now() < at + chrono::Duration::seconds(60) && marks[2].is_none() {
        let busy = count(fleet, sql).await;
        let late = (now() - at).num_milliseconds() as f64 / 1000.0;
        for (mark, share) in marks.iter_mut().zip([50, 99, 100]) {
            if mark.is_none() && busy * 100 >= total * share {
                *mark = Some(late);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    marks
}

async fn run(admin: &str, args: &Args, instances: usize, detail: &str) -> anyhow::Result<()> {
    let mailboxes = args.companies * args.users;
    let window = Duration::from_secs_f64(args.minutes * 60.0);
    // Far enough ahead for seeding and the first cycle; checked below.
    let seeding = Instant::now();
    let flip_after = chrono::Duration::seconds(((mailboxes / 1_000) as i64).max(30) + INTERVAL / 2)
        + chrono::Duration::from_std(window / 2)?;
    let flip_at = whole(now()) + flip_after;
    let fleet = Fleet::start(admin, args.companies, args.users, detail, LATENCY_MS, |_, u| {
        if u < FLIPPING {
            vec![Meeting { start: flip_at, end: flip_at + chrono::Duration::minutes(30) }]
        } else {
            Vec::new()
        }
    })
    .await?;
    println!(
        "\n== {} companies × {} mailboxes, {detail}, {instances} instance(s): seeded in {:.0} s",
        args.companies,
        args.users,
        seeding.elapsed().as_secs_f64()
    );
    let settings = [("CALBRIDGE_SYNC_INTERVAL_SECS", INTERVAL.to_string())];
    let mut running: Vec<Instance> = (0..instances)
        .map(|i| fleet.serve(&format!("scale-{i}"), &settings))
        .collect::<Result<_, _>>()?;

    // The first cycle: every mailbox read and written once.

    let first = Instant::now();
    let companies = args.companies as i64;
    while count(&fleet, "SELECT COUNT(DISTINCT tenant_id) AS n FROM sync_runs").await < companies {
        anyhow::ensure!(
            first.elapsed() < Duration::from_secs(900),
            "the first cycle took over 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first_cycle = first.elapsed();
    println!("first cycle           {:.1} s for {mailboxes} mailboxes", first_cycle.as_secs_f64());
    if now() > flip_at - chrono::Duration::seconds(20) {
        println!(
            "(the shared meeting starts too soon after the first cycle to be measured cleanly)"
        );
    }
    // Let the cycle settle into its rhythm before measuring.
    tokio::time::sleep(Duration::from_secs(INTERVAL as u64 / 2)).await;

    let pids: Vec<u32> = running.iter().filter_map(Instance::pid).collect();
    let cpu_before: Vec<Duration> = pids.iter().map(|p| cpu_time(*p)).collect();
    let sim_before = fleet.simulator_pid().map(cpu_time).unwrap_or_default();
    let pg_before = postgres_cpu_time();
    let from = now();
    let measured = Instant::now();
    let flips = watch_flips(&fleet, flip_at, (args.companies * FLIPPING) as i64);
    let (flips, ()) = tokio::join!(flips, tokio::time::sleep(window));
    let wall = measured.elapsed();
    let to = now();
    let share = |d: Duration| 100.0 * d.as_secs_f64() / wall.as_secs_f64();
    let cpu: Vec<f64> =
        pids.iter().zip(&cpu_before).map(|(p, b)| share(cpu_time(*p) - *b)).collect();
    let rss: Vec<u64> = pids.iter().map(|p| status_kb(*p, "VmRSS:") / 1024).collect();
    let hwm: Vec<u64> = pids.iter().map(|p| status_kb(*p, "VmHWM:") / 1024).collect();
    let sim_cpu = share(fleet.simulator_pid().map(cpu_time).unwrap_or_default() - sim_before);
    let pg_cpu = share(postgres_cpu_time().saturating_sub(pg_before));
    for instance in &mut running {
        instance.stop().await;
    }

    // Cadence and split, from the recorded runs of the window.
    let runs = sync_run::Entity::find()
        .filter(sync_run::Column::StartedAt.gte(from - chrono::Duration::seconds(INTERVAL * 2)))
        .filter(sync_run::Column::StartedAt.lt(to))
        .all(&fleet.state.db)
        .await?;
    let mut by_tenant: HashMap<Uuid, Vec<DateTime<Utc>>> = HashMap::new();
    let mut by_instance: HashMap<String, usize> = HashMap::new();
    let mut failed = 0;
    for run in &runs {
        by_tenant.entry(run.tenant_id).or_default().push(run.started_at);
        if run.started_at >= from {
            let slot = run.instance.split('-').take(2).collect::<Vec<_>>().join("-");
            *by_instance.entry(slot).or_default() += 1;
            failed += usize::from(run.outcome.as_str() == "failed");
        }
    }
    let mut gaps = Vec::new();
    for starts in by_tenant.values_mut() {
        starts.sort();
        for pair in starts.windows(2) {
            if pair[1] >= from {
                gaps.push((pair[1] - pair[0]).num_milliseconds() as f64 / 1000.0);
            }
        }
    }
    let late = gaps.iter().filter(|g| **g > (INTERVAL + 1) as f64).count();
    let synced_in_window = by_tenant.values().filter(|s| s.iter().any(|t| *t >= from)).count();
    let mut writes = Vec::new();
    for instance in &running {
        for line in read_log(&instance.log).lines().filter(|l| l.contains("tenant synced")) {
            let at = line.split_whitespace().next().and_then(|t| t.parse::<DateTime<Utc>>().ok());
            if at.is_some_and(|at| at >= from && at < to) {
                writes.push(
                    log_field(line, "write_ms").and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0),
                );
            }
        }
    }
    let cycles = wall.as_secs_f64() / INTERVAL as f64;
    let counts: Vec<usize> = by_instance.values().copied().collect();
    let (least, most) =
        (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));

    println!("window                {:.0} s ({cycles:.1} cycles)", wall.as_secs_f64());
    println!(
        "CPU per instance      {}",
        cpu.iter().map(|c| format!("{c:.1} %")).collect::<Vec<_>>().join(", ")
    );
    println!("  simulator           {sim_cpu:.1} %   PostgreSQL {pg_cpu:.1} %  (of one core)");
    println!(
        "RSS per instance      {} MiB now, {} MiB peak",
        rss.iter().map(u64::to_string).collect::<Vec<_>>().join("/"),
        hwm.iter().map(u64::to_string).collect::<Vec<_>>().join("/")
    );
    println!(
        "syncs in the window   {} ({failed} failed); per instance {by_instance:?}; spread {:.0} %",
        runs.iter().filter(|r| r.started_at >= from).count(),
        if most == 0 { 0.0 } else { 100.0 * (most - least) as f64 / most as f64 }
    );
    println!("tenants synced        {synced_in_window} of {}", args.companies);
    println!(
        "start-to-start gaps   median {:.1} s, p99 {:.1} s, max {:.1} s; {late} of {} over {} s",
        percentile(&mut gaps.clone(), 50.0),
        percentile(&mut gaps.clone(), 99.0),
        gaps.iter().copied().fold(0.0, f64::max),
        gaps.len(),
        INTERVAL + 1
    );
    println!(
        "database write time   {:.2} s per cycle summed over tenants ({} syncs logged)",
        writes.iter().sum::<f64>() / 1000.0 / cycles.max(1.0),
        writes.len()
    );
    let mark =
        |m: Option<f64>| m.map_or("not reached".to_owned(), |s| format!("{:.0} ms", s * 1000.0));
    println!(
        "flips ({} at once)   p50 {}, p99 {}, all {}",
        args.companies * FLIPPING,
        mark(flips[0]),
        mark(flips[1]),
        mark(flips[2])
    );
    fleet.finish().await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args();
    let admin = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!(
        "machine: {} cores; interval {INTERVAL} s; simulator latency {LATENCY_MS} ms",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for detail in &args.details {
        for instances in &args.instances {
            run(&admin, &args, *instances, detail).await?;
        }
    }
    Ok(())
}
