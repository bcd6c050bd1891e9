//! Graph provider benchmark: 10,000 mailboxes in 50 tenants against the Microsoft 365
//! simulator with 50 ms latency, at both detail levels.
//!
//! Run with `cargo bench --bench graph_provider`. The simulator runs as a separate process
//! (`calbridge simulate-m365`), so the CPU time and peak memory reported are the provider's
//! own. Every tenant syncs at once, each on its own task, as the scheduler runs them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use calbridge::domain::Email;
use calbridge::providers::graph::{DetailLevel, GraphProvider, GraphSettings, Tunables};
use calbridge::providers::{CalendarProvider, CallStats, TimeWindow};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;

#[path = "support/provider_load.rs"]
mod provider_load;

const TENANTS: usize = 50;
const MAILBOXES_PER_TENANT: usize = 200;
const LATENCY_MS: u64 = 50;
/// Outlook's limit per app and mailbox, which the provider applies per tenant.
const IN_FLIGHT_PER_TENANT: usize = 4;
const WARM_RUNS: usize = 5;

fn directory_id(tenant: usize) -> String {
    format!("{tenant:08x}-0000-4000-8000-00000000be1c")
}

fn client_id(tenant: usize) -> String {
    format!("{tenant:08x}-1111-4000-8000-00000000c11e")
}

fn secret(tenant: usize) -> String {
    format!("bench-Secret-Value-{tenant}")
}

fn mailbox(tenant: usize, n: usize) -> String {
    format!("user{n:03}@tenant{tenant:02}.example")
}

/// Monday 05:00 UTC, looking 37 hours ahead: the scheduler's window.
fn window_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 18, 5, 0, 0).unwrap()
}

/// Working days with 2–6 meetings each between 07:00 and 17:00 UTC, a daily stand-up for a
/// third of the people, some private, tentative and out-of-office items, an occasional
/// cancellation, and meetings the day before and after the window. `empty` leaves every
/// calendar empty, to see the provider's overhead when the simulator has little to do.
fn scenario(empty: bool) -> String {
    let mut rng = provider_load::Lcg(42);
    let mut toml = format!("[simulator]\nlatency_ms = {LATENCY_MS}\nbatch_seed = 7\n\n");
    for t in 0..TENANTS {
        writeln!(
            toml,
            "[[tenants]]\nname = \"Tenant {t}\"\ndirectory_id = \"{}\"\ndomains = [\"tenant{t:02}.example\"]\nclient_id = \"{}\"\nclient_secret = \"{}\"\n",
            directory_id(t),
            client_id(t),
            secret(t)
        )
        .unwrap();
        for n in 0..MAILBOXES_PER_TENANT {
            if empty {
                writeln!(toml, "[[tenants.mailboxes]]\nupn = \"{}\"\n", mailbox(t, n)).unwrap();
                continue;
            }
            let events = provider_load::mailbox_events(&mut rng, n, window_start());
            writeln!(
                toml,
                "[[tenants.mailboxes]]\nupn = \"{}\"\nevents = [{}]\n",
                mailbox(t, n),
                events.join(", ")
            )
            .unwrap();
        }
    }
    toml
}

struct SimulatorProcess {
    child: Child,
    base_url: String,
    _scenario: tempfile::NamedTempFile,
}

impl SimulatorProcess {
    fn start(empty: bool) -> SimulatorProcess {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(scenario(empty).as_bytes()).unwrap();
        let port = provider_load::free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_calbridge"))
            .args(["simulate-m365", "--bind", &format!("127.0.0.1:{port}"), "--scenario"])
            .arg(file.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("simulator starts");
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "simulator did not start listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        SimulatorProcess { child, base_url: format!("http://127.0.0.1:{port}"), _scenario: file }
    }

    /// User plus system CPU seconds the simulator has used, from /proc.
    fn cpu_seconds(&self) -> f64 {
        provider_load::proc_cpu_seconds(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Tenant {
    provider: Arc<GraphProvider>,
    mailboxes: Arc<Vec<Email>>,
}

struct Run {
    wall: Duration,
    cpu: f64,
    simulator_cpu: f64,
    stats: CallStats,
    /// Requests of the busiest tenant: its share sets the critical path.
    max_tenant_requests: u32,
    failed_mailboxes: usize,
    items: usize,
}

async fn sync_all(tenants: &[Tenant], window: TimeWindow, sim: &SimulatorProcess) -> Run {
    let cpu = provider_load::own_cpu_seconds();
    let simulator_cpu = sim.cpu_seconds();
    let started = Instant::now();
    let tasks: Vec<_> = tenants
        .iter()
        .map(|tenant| {
            let provider = Arc::clone(&tenant.provider);
            let mailboxes = Arc::clone(&tenant.mailboxes);
            tokio::spawn(async move { provider.read_calendars(&mailboxes, window).await })
        })
        .collect();
    let mut run = Run {
        wall: Duration::ZERO,
        cpu: 0.0,
        simulator_cpu: 0.0,
        stats: CallStats::default(),
        max_tenant_requests: 0,
        failed_mailboxes: 0,
        items: 0,
    };
    for task in tasks {
        let outcome = task.await.expect("tenant sync task");
        let stats = outcome.stats;
        run.stats.http_requests += stats.http_requests;
        run.stats.token_requests += stats.token_requests;
        run.stats.sub_requests += stats.sub_requests;
        run.stats.throttled_responses += stats.throttled_responses;
        run.stats.retries += stats.retries;
        run.max_tenant_requests =
            run.max_tenant_requests.max(stats.http_requests - stats.token_requests);
        match outcome.result {
            Ok(answers) => {
                for answer in answers {
                    match answer.result {
                        Ok(items) => run.items += items.len(),
                        Err(_) => run.failed_mailboxes += 1,
                    }
                }
            }
            Err(error) => panic!("a tenant failed: {error}"),
        }
    }
    run.wall = started.elapsed();
    run.cpu = provider_load::own_cpu_seconds() - cpu;
    run.simulator_cpu = sim.cpu_seconds() - simulator_cpu;
    run
}

fn report(label: &str, run: &Run) -> String {
    let mailboxes = (TENANTS * MAILBOXES_PER_TENANT) as f64;
    let graph_requests = run.stats.http_requests - run.stats.token_requests;
    let latency = LATENCY_MS as f64 / 1000.0;
    let allowed = (IN_FLIGHT_PER_TENANT * TENANTS) as f64;
    let formula_bound = run.stats.http_requests as f64 / allowed * latency;
    // No request is faster than one latency, and a tenant's own requests queue behind its 4
    // slots; a first sync also waits for its token first.
    let rounds = (run.max_tenant_requests as f64 / IN_FLIGHT_PER_TENANT as f64).ceil();
    let token_round = if run.stats.token_requests > 0 { 1.0 } else { 0.0 };
    let path_bound = (rounds + token_round) * latency;
    let bound = formula_bound.max(path_bound);
    format!(
        "| {label} | {:.3} s | {} ({} Graph + {} token) | {:.4} | {} | {} | {} | {:.3} s | {:.3} s | {:.2}× | {:.2} s | {:.2} s |",
        run.wall.as_secs_f64(),
        run.stats.http_requests,
        graph_requests,
        run.stats.token_requests,
        run.stats.http_requests as f64 / mailboxes,
        run.stats.sub_requests,
        run.stats.retries,
        run.failed_mailboxes,
        formula_bound,
        path_bound,
        run.wall.as_secs_f64() / bound,
        run.cpu,
        run.simulator_cpu,
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        // `cargo test --benches` and IDEs probe with --list; nothing to list here.
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let prepare = Instant::now();
    let empty = std::env::var_os("CALBRIDGE_BENCH_EMPTY").is_some();
    let sim = SimulatorProcess::start(empty);
    eprintln!("simulator ready in {:.1} s at {}", prepare.elapsed().as_secs_f64(), sim.base_url);
    let window = TimeWindow::new(window_start(), window_start() + chrono::Duration::hours(37))
        .expect("37 hours is a valid window");
    let mut lines = vec![
        "| run | wall | HTTP requests | per mailbox | sub-requests | retries | failed | bound: requests ÷ 200 × 50 ms | bound: critical path | wall ÷ max(bound) | CPU (provider) | CPU (simulator) |".to_string(),
        "|---|---|---|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    runtime.block_on(async {
        for detail in [DetailLevel::FreeBusy, DetailLevel::Full] {
            let tenants: Vec<Tenant> = (0..TENANTS)
                .map(|t| {
                    let settings = GraphSettings::new(
                        directory_id(t),
                        client_id(t),
                        SecretString::from(secret(t)),
                        detail,
                    )
                    .with_base_url(&sim.base_url)
                    .with_tunables(Tunables::default());
                    let mailboxes = (0..MAILBOXES_PER_TENANT)
                        .map(|n| Email::parse(&mailbox(t, n)).unwrap())
                        .collect();
                    Tenant {
                        provider: Arc::new(GraphProvider::new(settings).unwrap()),
                        mailboxes: Arc::new(mailboxes),
                    }
                })
                .collect();
            let name = match detail {
                DetailLevel::FreeBusy => "free/busy",
                DetailLevel::Full => "full",
            };
            let cold = sync_all(&tenants, window, &sim).await;
            lines.push(report(&format!("{name}, first sync (tokens)"), &cold));
            let mut warm = Vec::new();
            for _ in 0..WARM_RUNS {
                warm.push(sync_all(&tenants, window, &sim).await);
            }
            warm.sort_by_key(|run| run.wall);
            let median = &warm[warm.len() / 2];
            lines.push(report(&format!("{name}, later sync (median of {WARM_RUNS})"), median));
            eprintln!(
                "{name}: {} items read, fastest later sync {:.3} s, slowest {:.3} s",
                median.items,
                warm[0].wall.as_secs_f64(),
                warm[warm.len() - 1].wall.as_secs_f64()
            );
        }
    });
    println!("{}", lines.join("\n"));
    if empty {
        println!("\n(CALBRIDGE_BENCH_EMPTY: every calendar empty)");
    }
    println!(
        "\npeak RSS of the benchmark process (providers and results, not the simulator): {:.1} MiB",
        provider_load::peak_rss_mib("/proc/self/status")
    );
}
