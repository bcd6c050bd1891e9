//! The machine interfaces under load, against one `calbridge serve` on PostgreSQL:
//!
//! - **stream**: 1,000 clients on one tenant's presence stream; five meetings start (10 s
//!   apart); for each, the time from its start to each client receiving the flip. And the
//!   server's memory with 1,000 clients connected.
//! - **rest**: `GET /api/v1/presence` of a 1,000-person tenant by 50 concurrent clients for
//!   10 s, without and with `If-None-Match`.
//! - **webhooks**: 10,000 meetings starting at one instant across 100 tenants (100 each), one
//!   endpoint per tenant on a local receiver: the time from each meeting's start to its
//!   delivery.
//!
//! ```sh
//! cargo bench --bench interfaces                       # all three
//! cargo bench --bench interfaces -- --only webhooks    # one
//! ```
//!
//! `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) names a server
//! where a throwaway database may be created.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

#[allow(dead_code, reason = "shared with the chaos test and the scale benchmark")]
#[path = "support/fleet.rs"]
mod fleet;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use calbridge::services::webhooks::EndpointInput;
use calbridge::services::{Actor, api_tokens, webhooks};
use chrono::{DateTime, Utc};
use fleet::{Fleet, Instance, Meeting, now, percentile, status_kb, whole};
use futures_util::StreamExt;
use sea_orm::EntityTrait;

/// Who received a flip, and when.
type Received = Arc<Mutex<Vec<(String, DateTime<Utc>)>>>;

fn admin_url() -> String {
    std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `serve` on a known port and waits until it answers.
async fn serve(fleet: &Fleet, settings: &[(&str, String)]) -> (Instance, String) {
    let port = free_port();
    let mut settings = settings.to_vec();
    settings.push(("CALBRIDGE_BIND", format!("127.0.0.1:{port}")));
    settings.push(("CALBRIDGE_API_RATE_PER_MINUTE", "1000000".into()));
    settings.push(("CALBRIDGE_WEBHOOK_ALLOW_PRIVATE", "true".into()));
    let instance = fleet.serve("interfaces", &settings).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..600 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            return (instance, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("serve did not start: {}", fleet::read_log(&instance.log));
}

/// Waits until every tenant has been synced once.
async fn first_cycle(fleet: &Fleet) {
    let started = Instant::now();
    loop {
        let mut done = 0;
        for c in &fleet.companies {
            let state = calbridge::db::leases::find(&fleet.state.db, c.tenant).await.unwrap();
            done += usize::from(state.is_some_and(|s| s.last_success_at.is_some()));
        }
        if done == fleet.companies.len() {
            println!("  first cycle: {} tenants in {:.1} s", done, started.elapsed().as_secs_f64());
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the first cycle did not finish");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn report(name: &str, values: &mut [f64], unit: &str) {
    println!(
        "  {name}: n={} p50 {:.1} {unit}, p99 {:.1} {unit}, max {:.1} {unit}",
        values.len(),
        percentile(values, 50.0),
        percentile(values, 99.0),
        percentile(values, 100.0)
    );
}

async fn stream_and_rest(only: Option<&str>) {
    let t0 = whole(now()) + chrono::Duration::seconds(90);
    let starts: Vec<DateTime<Utc>> =
        (0..5).map(|i| t0 + chrono::Duration::seconds(10 * i)).collect();
    let flips = starts.clone();
    let fleet = Fleet::start(&admin_url(), 1, 1_000, "full", 0, move |_, u| {
        flips
            .get(u)
            .map(|s| vec![Meeting { start: *s, end: *s + chrono::Duration::hours(1) }])
            .unwrap_or_default()
    })
    .await
    .unwrap();
    let (instance, base) = serve(&fleet, &[]).await;
    first_cycle(&fleet).await;
    let tenant = calbridge::db::TenantScope::for_cli(fleet.companies[0].tenant);
    let token = api_tokens::create(&fleet.state, &Actor::command_line(), tenant, "bench")
        .await
        .unwrap()
        .token;
    let pid = instance.pid().unwrap();

    if only.is_none_or(|o| o == "rest") {
        println!("rest: GET /api/v1/presence, 1,000 people, 50 concurrent clients, 10 s each");
        for conditional in [false, true] {
            let client = reqwest::Client::builder().pool_max_idle_per_host(50).build().unwrap();
            let url = format!("{base}/api/v1/presence");
            let etag = client.get(&url).bearer_auth(&token).send().await.unwrap().headers()["etag"]
                .to_str()
                .unwrap()
                .to_owned();
            let latencies = Arc::new(Mutex::new(Vec::new()));
            let until = Instant::now() + Duration::from_secs(10);
            let started = Instant::now();
            let workers: Vec<_> = (0..50)
                .map(|_| {
                    let (client, url, token, etag, latencies) = (
                        client.clone(),
                        url.clone(),
                        token.clone(),
                        etag.clone(),
                        latencies.clone(),
                    );
                    tokio::spawn(async move {
                        while Instant::now() < until {
                            let sent = Instant::now();
                            let mut req = client.get(&url).bearer_auth(&token);
                            if conditional {
                                req = req.header("if-none-match", &etag);
                            }
                            let res = req.send().await.unwrap();
                            let status = res.status().as_u16();
                            let _ = res.bytes().await.unwrap();
                            assert!(status == 200 || status == 304, "{status}");
                            latencies.lock().unwrap().push(sent.elapsed().as_secs_f64() * 1000.0);
                        }
                    })
                })
                .collect();
            for w in workers {
                w.await.unwrap();
            }
            let mut values = latencies.lock().unwrap().clone();
            let rps = values.len() as f64 / started.elapsed().as_secs_f64();
            let name = if conditional { "with If-None-Match (304)" } else { "full answers (200)" };
            report(name, &mut values, "ms");
            println!("    {rps:.0} requests/s; server RSS {} MiB", status_kb(pid, "VmRSS:") / 1024);
        }
    }

    if only.is_none_or(|o| o == "stream") {
        println!("stream: 1,000 clients on one tenant, five meetings starting 10 s apart");
        let received: Received = Arc::default();
        let connected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let rss_before = status_kb(pid, "VmRSS:");
        let mut clients = Vec::new();
        for _ in 0..1_000 {
            let (url, token, received, connected) = (
                format!("{base}/api/v1/presence/stream"),
                token.clone(),
                received.clone(),
                connected.clone(),
            );
            clients.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
                let mut events = eventsource_stream::Eventsource::eventsource(res.bytes_stream());
                connected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                while let Some(Ok(event)) = events.next().await {
                    if event.event == "presence" && event.data.contains("\"state\":\"busy\"") {
                        let at = calbridge::clock::Clock::system().now();
                        let email = event.data.split("\"email\":\"").nth(1).unwrap_or_default();
                        let email = email.split('"').next().unwrap_or_default().to_owned();
                        received.lock().unwrap().push((email, at));
                    }
                }
            }));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        while connected.load(std::sync::atomic::Ordering::Relaxed) < 1_000 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss = status_kb(pid, "VmRSS:");
        println!(
            "  1,000 clients connected: server RSS {} MiB (before {} MiB)",
            rss / 1024,
            rss_before / 1024
        );
        let last = *starts.last().unwrap();
        let wait = (last - now()).to_std().unwrap_or_default() + Duration::from_secs(5);
        tokio::time::sleep(wait).await;
        let got = received.lock().unwrap().clone();
        let mut per_flip = Vec::new();
        let mut all = Vec::new();
        for (u, start) in starts.iter().enumerate() {
            let email = fleet.companies[0].mailbox(u);
            let mut late: Vec<f64> = got
                .iter()
                .filter(|(e, _)| *e == email)
                .map(|(_, at)| (*at - *start).num_microseconds().unwrap() as f64 / 1000.0)
                .collect();
            per_flip.push((late.len(), percentile(&mut late, 100.0)));
            all.extend(late);
        }
        report("flip to client", &mut all, "ms");
        for (i, (n, max)) in per_flip.iter().enumerate() {
            println!("    meeting {i}: {n} clients, the last after {max:.1} ms");
        }
        for c in clients {
            c.abort();
        }
    }
    let mut instance = instance;
    instance.stop().await;
    fleet.finish().await.unwrap();
}

async fn webhook_delivery() {
    println!("webhooks: 10,000 meetings starting at one instant in 100 tenants, one endpoint each");
    let start = whole(now()) + chrono::Duration::seconds(120);
    let fleet = Fleet::start(&admin_url(), 100, 100, "free-busy", 0, move |_, _| {
        vec![Meeting { start, end: start + chrono::Duration::hours(1) }]
    })
    .await
    .unwrap();
    let arrivals: Arc<Mutex<Vec<DateTime<Utc>>>> = Arc::default();
    let port = free_port();
    let kept = arrivals.clone();
    let receiver = actix_web::HttpServer::new(move || {
        let kept = kept.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |body: actix_web::web::Bytes| {
                let kept = kept.clone();
                async move {
                    if body.windows(16).any(|w| w == b"presence.changed")
                        && body.windows(13).any(|w| w == b"\"state\":\"busy")
                    {
                        kept.lock().unwrap().push(calbridge::clock::Clock::system().now());
                    }
                    actix_web::HttpResponse::Ok().finish()
                }
            },
        ))
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    tokio::spawn(receiver);
    let mut state = fleet.state.clone();
    let mut config = (*state.config).clone();
    config.webhook_allow_private = true;
    state.config = Arc::new(config);
    for c in &fleet.companies {
        let input = EndpointInput {
            url: format!("http://127.0.0.1:{port}/t{}", c.index),
            events: vec!["presence.changed".into()],
            enabled: true,
        };
        let scope = calbridge::db::TenantScope::for_cli(c.tenant);
        webhooks::create(&state, &Actor::command_line(), scope, &input).await.unwrap();
    }
    let (instance, _) = serve(&fleet, &[]).await;
    first_cycle(&fleet).await;
    let wait = (start - now()).to_std().unwrap_or_default();
    println!("  meetings start in {:.0} s", wait.as_secs_f64());
    let deadline = Instant::now() + wait + Duration::from_secs(120);
    while arrivals.lock().unwrap().len() < 10_000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut late: Vec<f64> = arrivals
        .lock()
        .unwrap()
        .iter()
        .map(|at| (*at - start).num_microseconds().unwrap() as f64 / 1000.0)
        .collect();
    report("meeting start to delivery", &mut late, "ms");
    // Where the time went: the flip (the outbox row's time is the flip's) and the queue.
    let rows = calbridge::db::entities::webhook_delivery::Entity::find()
        .all(&fleet.state.db)
        .await
        .unwrap();
    let ms = |d: chrono::Duration| d.num_microseconds().unwrap_or_default() as f64 / 1000.0;
    let mut flipped: Vec<f64> = rows.iter().map(|d| ms(d.created_at - start)).collect();
    let mut queued: Vec<f64> =
        rows.iter().filter_map(|d| d.last_attempt_at.map(|at| ms(at - d.created_at))).collect();
    report("meeting start to flip (outbox row written)", &mut flipped, "ms");
    report("outbox row to attempt recorded", &mut queued, "ms");
    for line in fleet::read_log(&instance.log).lines().filter(|l| l.contains("changes applied")) {
        println!("  {line}");
    }
    let mut instance = instance;
    instance.stop().await;
    fleet.finish().await.unwrap();
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    if only.as_deref().is_none_or(|o| o == "rest" || o == "stream") {
        stream_and_rest(only.as_deref()).await;
    }
    if only.as_deref().is_none_or(|o| o == "webhooks") {
        webhook_delivery().await;
    }
}
