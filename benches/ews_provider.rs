//! EWS provider benchmark: 10,000 mailboxes in 50 Exchange on-premises organisations against
//! the simulator's EWS side (HTTPS, NTLM) with 50 ms latency, at both detail levels.
//!
//! Run with `cargo bench --bench ews_provider`. The simulator runs as a separate process
//! (`calbridge simulate-m365`), so the CPU time and peak memory reported are the provider's
//! own. Every organisation syncs at once, each on its own task, as the scheduler runs them;
//! each signs in with its own Monitor account (`DOMAIN\user`, NTLM).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use calbridge::clock::Clock;
use calbridge::domain::Email;
use calbridge::domain::provider::{DetailLevel, EwsAuth};
use calbridge::providers::ews::{EwsProvider, EwsSettings, EwsTunables};
use calbridge::providers::{CalendarProvider, CallStats, TimeWindow};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;

#[path = "support/provider_load.rs"]
mod provider_load;

const TENANTS: usize = 50;
const MAILBOXES_PER_TENANT: usize = 200;
const LATENCY_MS: u64 = 50;
/// Mailboxes per `GetUserAvailability` request, Exchange's limit.
const AVAILABILITY_BATCH: usize = 100;
const WINDOW_HOURS: i64 = 37;
const WARM_RUNS: usize = 5;

fn directory_id(tenant: usize) -> String {
    format!("{tenant:08x}-0000-4000-8000-0000000000e5")
}

fn client_id(tenant: usize) -> String {
    format!("{tenant:08x}-1111-4000-8000-0000000000e5")
}

/// The organisation's Monitor account, as an administrator types it.
fn username(tenant: usize) -> String {
    format!("ORG{tenant:02}\\monitor")
}

fn password(tenant: usize) -> String {
    format!("Bench-Password-{tenant}!")
}

fn mailbox(tenant: usize, n: usize) -> String {
    format!("user{n:03}@org{tenant:02}.example")
}

/// Monday 05:00 UTC, looking 37 hours ahead: the scheduler's window.
fn window_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 18, 5, 0, 0).unwrap()
}

/// Working days with 2–6 meetings each between 07:00 and 17:00 UTC, a daily stand-up for a
/// third of the people, some private, tentative and out-of-office items, an occasional
/// cancellation, and meetings the day before and after the window.
fn scenario(tls_port: u16) -> String {
    let mut rng = provider_load::Lcg(42);
    let mut toml = format!("[simulator]\nlatency_ms = {LATENCY_MS}\news_tls_port = {tls_port}\n\n");
    for t in 0..TENANTS {
        writeln!(
            toml,
            "[[tenants]]\nname = \"Organisation {t}\"\ndirectory_id = \"{}\"\ndomains = [\"org{t:02}.example\"]\nclient_id = \"{}\"\nclient_secret = \"unused\"\news = {{ username = '{}', password = \"{}\", auth = [\"ntlm\", \"basic\"] }}\n",
            directory_id(t),
            client_id(t),
            username(t),
            password(t)
        )
        .unwrap();
        for n in 0..MAILBOXES_PER_TENANT {
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
    /// `https://127.0.0.1:PORT/EWS/Exchange.asmx`, as the simulator printed it.
    ews_url: String,
    /// The CA certificate that signed the HTTPS certificate, from the file the simulator named.
    ca_pem: String,
    _scenario: tempfile::NamedTempFile,
}

impl SimulatorProcess {
    fn start() -> SimulatorProcess {
        let tls_port = provider_load::free_port();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(scenario(tls_port).as_bytes()).unwrap();
        let port = provider_load::free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_calbridge"))
            .args(["simulate-m365", "--bind", &format!("127.0.0.1:{port}"), "--scenario"])
            .arg(file.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("simulator starts");
        // The simulator prints the EWS URL and the CA file once it listens; the rest of its
        // output is read and dropped so that it never blocks on a full pipe.
        let stdout = child.stdout.take().unwrap();
        let (found, announced) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Exchange Web Services") {
                    let _ = found.send(rest.to_owned());
                }
            }
        });
        let line = announced
            .recv_timeout(Duration::from_secs(180))
            .expect("the simulator announces its EWS URL");
        let (url_part, ca_part) =
            line.split_once("; its certificate's CA is in ").expect("EWS line with the CA file");
        let ews_url =
            url_part.rsplit_once(": ").map(|(_, url)| url.trim().to_owned()).expect("EWS URL");
        let ca_pem = std::fs::read_to_string(ca_part.trim()).expect("the CA file is readable");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
            assert!(Instant::now() < deadline, "simulator did not start listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        SimulatorProcess { child, ews_url, ca_pem, _scenario: file }
    }

    /// User plus system CPU seconds the simulator has used, from /proc.
    fn cpu_seconds(&self) -> f64 {
        provider_load::proc_cpu_seconds(&format!("/proc/{}/stat", self.child.id()))
    }

    fn peak_rss_mib(&self) -> f64 {
        provider_load::peak_rss_mib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a new peak-RSS measurement for this process (Linux: "5" resets VmHWM to VmRSS).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Tenant {
    provider: Arc<EwsProvider>,
    mailboxes: Arc<Vec<Email>>,
}

struct Run {
    wall: Duration,
    cpu: f64,
    simulator_cpu: f64,
    stats: CallStats,
    /// Requests of the busiest organisation: its share sets the critical path.
    max_tenant_requests: u32,
    failed_mailboxes: usize,
    failed_tenants: usize,
    /// Every error seen, by code and message, with how often.
    errors: BTreeMap<String, usize>,
    items: usize,
    /// The most items one mailbox had: if it reaches the page size, a calendar took pages.
    max_items: usize,
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
        failed_tenants: 0,
        errors: BTreeMap::new(),
        items: 0,
        max_items: 0,
    };
    for task in tasks {
        let outcome = task.await.expect("tenant sync task");
        let stats = outcome.stats;
        run.stats.http_requests += stats.http_requests;
        run.stats.throttled_responses += stats.throttled_responses;
        run.stats.retries += stats.retries;
        run.max_tenant_requests = run.max_tenant_requests.max(stats.http_requests);
        match outcome.result {
            Ok(answers) => {
                for answer in answers {
                    match answer.result {
                        Ok(items) => {
                            run.items += items.len();
                            run.max_items = run.max_items.max(items.len());
                        }
                        Err(error) => {
                            run.failed_mailboxes += 1;
                            *run.errors
                                .entry(format!("{}: {error}", error.code().as_str()))
                                .or_default() += 1;
                        }
                    }
                }
            }
            Err(error) => {
                run.failed_tenants += 1;
                *run.errors
                    .entry(format!("tenant-wide {}: {error}", error.code().as_str()))
                    .or_default() += 1;
            }
        }
    }
    run.wall = started.elapsed();
    run.cpu = provider_load::own_cpu_seconds() - cpu;
    run.simulator_cpu = sim.cpu_seconds() - simulator_cpu;
    run
}

/// The requests that carry a SOAP operation, per organisation, when nothing fails: free/busy
/// asks for 100 mailboxes at a time over the whole window (at most 42 days, so one piece);
/// full detail reads each calendar, one page each unless a calendar holds a page or more.
fn operations_per_tenant(detail: DetailLevel, pages_per_mailbox: usize) -> usize {
    match detail {
        DetailLevel::FreeBusy => MAILBOXES_PER_TENANT.div_ceil(AVAILABILITY_BATCH),
        DetailLevel::Full => MAILBOXES_PER_TENANT * pages_per_mailbox,
    }
}

/// Round trips before an organisation's first answer on a new connection: with automatic
/// scheme choice, one unauthenticated probe whose 401 lists the schemes (once per
/// organisation), then NTLM's Negotiate → Challenge; the Authenticate message carries the
/// first SOAP request itself, so it adds no round trip.
fn sign_in_round_trips(auth: EwsAuth) -> usize {
    match auth {
        EwsAuth::Auto => 2,
        _ => 1,
    }
}

struct Bound {
    rounds: usize,
    seconds: f64,
}

/// The critical path of one organisation, which all run at once on their own connections:
/// its operations go out `max_in_flight` at a time, each waiting one latency; a first sync
/// also waits for the sign-in round trips before the first answer. It assumes the simulator
/// and this process add nothing to the latency (no queueing, TLS, parsing or CPU time).
fn lower_bound(detail: DetailLevel, cold: bool, auth: EwsAuth, pages: usize) -> Bound {
    let in_flight = EwsTunables::default().max_in_flight;
    let rounds = operations_per_tenant(detail, pages).div_ceil(in_flight)
        + if cold { sign_in_round_trips(auth) } else { 0 };
    Bound { rounds, seconds: rounds as f64 * LATENCY_MS as f64 / 1000.0 }
}

fn report(label: &str, run: &Run, detail: DetailLevel, bound: &Bound) -> String {
    let mailboxes = (TENANTS * MAILBOXES_PER_TENANT) as f64;
    let pages = 1 + run.max_items / EwsTunables::default().page_size as usize;
    let operations = (operations_per_tenant(detail, pages) * TENANTS) as u32;
    let sign_in = run.stats.http_requests.saturating_sub(operations);
    format!(
        "| {label} | {:.3} s | {} ({} SOAP + {} sign-in) | {:.1} | {} | {} | {} | {:.3} s ({} round{}) | {:.2}× | {:.2} s | {:.2} s |",
        run.wall.as_secs_f64(),
        run.stats.http_requests,
        operations.min(run.stats.http_requests),
        sign_in,
        run.stats.http_requests as f64 / mailboxes * 1000.0,
        run.stats.throttled_responses,
        run.stats.retries,
        run.failed_mailboxes + run.failed_tenants * MAILBOXES_PER_TENANT,
        bound.seconds,
        bound.rounds,
        if bound.rounds == 1 { "" } else { "s" },
        run.wall.as_secs_f64() / bound.seconds,
        run.cpu,
        run.simulator_cpu,
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        // `cargo test --benches` and IDEs probe with --list; nothing to list here.
        return;
    }
    let auth = match std::env::var("CALBRIDGE_BENCH_EWS_AUTH").as_deref() {
        Ok("ntlm") => EwsAuth::Ntlm,
        _ => EwsAuth::Auto,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let prepare = Instant::now();
    let sim = SimulatorProcess::start();
    eprintln!("simulator ready in {:.1} s at {}", prepare.elapsed().as_secs_f64(), sim.ews_url);
    let window =
        TimeWindow::new(window_start(), window_start() + chrono::Duration::hours(WINDOW_HOURS))
            .expect("37 hours is a valid window");
    let mut lines = vec![
        "| run | wall | HTTP requests | per 1,000 mailboxes | ErrorServerBusy | retries | failed mailboxes | lower bound | wall ÷ bound | CPU (provider) | CPU (simulator) |".to_string(),
        "|---|---|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut peaks = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    runtime.block_on(async {
        for detail in [DetailLevel::FreeBusy, DetailLevel::Full] {
            let measured = reset_peak_rss();
            let tenants: Vec<Tenant> = (0..TENANTS)
                .map(|t| {
                    let settings = EwsSettings {
                        url: sim.ews_url.clone(),
                        username: username(t),
                        password: SecretString::from(password(t)),
                        auth,
                        ca_pem: Some(sim.ca_pem.clone()),
                        detail,
                        tunables: EwsTunables::default(),
                        allow_private: true,
                        clock: Clock::system(),
                    };
                    let mailboxes = (0..MAILBOXES_PER_TENANT)
                        .map(|n| Email::parse(&mailbox(t, n)).unwrap())
                        .collect();
                    Tenant {
                        provider: Arc::new(EwsProvider::new(settings).unwrap()),
                        mailboxes: Arc::new(mailboxes),
                    }
                })
                .collect();
            let name = match detail {
                DetailLevel::FreeBusy => "free/busy",
                DetailLevel::Full => "full",
            };
            let cold = sync_all(&tenants, window, &sim).await;
            let pages = 1 + cold.max_items / EwsTunables::default().page_size as usize;
            lines.push(report(
                &format!("{name}, first sync (sign-in)"),
                &cold,
                detail,
                &lower_bound(detail, true, auth, pages),
            ));
            let mut warm = Vec::new();
            for _ in 0..WARM_RUNS {
                warm.push(sync_all(&tenants, window, &sim).await);
            }
            for run in std::iter::once(&cold).chain(&warm) {
                for (error, count) in &run.errors {
                    *errors.entry(format!("{name}: {error}")).or_default() += count;
                }
            }
            warm.sort_by_key(|run| run.wall);
            let median = &warm[warm.len() / 2];
            lines.push(report(
                &format!("{name}, later sync (median of {WARM_RUNS})"),
                median,
                detail,
                &lower_bound(detail, false, auth, pages),
            ));
            eprintln!(
                "{name}: {} items read (most in one mailbox: {}), later syncs {:.3}–{:.3} s, {}–{} requests",
                median.items,
                median.max_items,
                warm[0].wall.as_secs_f64(),
                warm[warm.len() - 1].wall.as_secs_f64(),
                warm.iter().map(|r| r.stats.http_requests).min().unwrap_or(0),
                warm.iter().map(|r| r.stats.http_requests).max().unwrap_or(0),
            );
            let peak = provider_load::peak_rss_mib("/proc/self/status");
            peaks.push(if measured {
                format!("{name}: {peak:.1} MiB")
            } else {
                format!("{name}: {peak:.1} MiB (since the start: the peak could not be reset)")
            });
        }
    });
    println!("{}", lines.join("\n"));
    println!(
        "\nauthentication: {auth:?}; {TENANTS} organisations × {MAILBOXES_PER_TENANT} mailboxes, {LATENCY_MS} ms latency, {WINDOW_HOURS} h window, {} connections per organisation",
        EwsTunables::default().max_in_flight
    );
    println!(
        "peak RSS of the benchmark process (providers and results, not the simulator): {}",
        peaks.join("; ")
    );
    println!("peak RSS of the simulator: {:.1} MiB", sim.peak_rss_mib());
    if errors.is_empty() {
        println!("errors: none");
    } else {
        println!("errors:");
        for (error, count) in errors {
            println!("  {count} × {error}");
        }
    }
}
