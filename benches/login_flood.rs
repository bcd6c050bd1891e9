//! Memory under sign-in floods: the release `calbridge serve` on a fresh SQLite database,
//! hit by rounds of simultaneous sign-ins, with its resident memory read from /proc.
//!
//! Run with `cargo bench --bench login_flood`. `LOGIN_FLOOD_BIN=/path/to/calbridge` measures
//! another build of the binary (an older one, to compare). Prints one line per round: how the
//! sign-ins were answered, the server's RSS right after the round and its peak so far, then
//! the RSS once the server has been idle for 5 s and for 45 s.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that cannot go on should stop loudly, where it stands"
)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "blå kaffekop på taget 42";
const EMAIL: &str = "ops@flood.example";

fn binary() -> String {
    std::env::var("LOGIN_FLOOD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_calbridge").into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// (current RSS, peak RSS) of a process, in MB.
fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn calbridge(dir: &std::path::Path, key: &str) -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", format!("sqlite://{}", dir.join("calbridge.db").display()))
        .env("CALBRIDGE_MASTER_KEY", key)
        .env("RUST_LOG", "warn");
    cmd
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One sign-in as a browser does it: the form (for its token), then the post.
async fn sign_in(base: &str) -> u16 {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let Ok(page) = client.get(format!("{base}/login")).send().await else { return 0 };
    let body = page.text().await.unwrap_or_default();
    let marker = "name=\"csrf_token\" value=\"";
    let Some(start) = body.find(marker).map(|i| i + marker.len()) else { return 0 };
    let token = &body[start..start + body[start..].find('"').unwrap_or(0)];
    let form = [("email", EMAIL), ("password", PASSWORD), ("csrf_token", token)];
    match client.post(format!("{base}/login")).header("origin", base).form(&form).send().await {
        Ok(res) => res.status().as_u16(),
        Err(_) => 0,
    }
}

async fn round(base: &str, concurrent: usize) -> (BTreeMap<u16, usize>, Duration) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrent)
        .map(|_| {
            tokio::spawn({
                let base = base.to_owned();
                async move { sign_in(&base).await }
            })
        })
        .collect();
    let mut answers = BTreeMap::new();
    for task in tasks {
        *answers.entry(task.await.unwrap()).or_default() += 1;
    }
    (answers, started.elapsed())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
    };
    let mut create = calbridge(dir.path(), &key)
        .args(["operator", "create", "--email", EMAIL])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(create.wait().unwrap().success(), "operator create failed");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        calbridge(dir.path(), &key)
            .arg("serve")
            .env("CALBRIDGE_BIND", format!("127.0.0.1:{port}"))
            .env("CALBRIDGE_PUBLIC_URL", &base)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = server.0.id();
    let client = reqwest::Client::new();
    let ready = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(ready.elapsed() < Duration::from_secs(30), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (start, _) = rss(pid);
    println!("binary: {}", binary());
    println!("idle after start: RSS {start:.0} MB");
    assert_eq!(sign_in(&base).await, 303, "one sign-in works");
    let (warm, _) = rss(pid);
    println!("after one sign-in: RSS {warm:.0} MB");

    let plan: Vec<usize> = std::env::var("LOGIN_FLOOD_ROUNDS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200, 200, 200, 200, 200, 1000]);
    for (n, concurrent) in plan.iter().enumerate() {
        let (answers, took) = round(&base, *concurrent).await;
        let (now, peak) = rss(pid);
        println!(
            "round {}: {concurrent} at once in {:.1} s, answers {answers:?}: RSS {now:.0} MB, peak {peak:.0} MB",
            n + 1,
            took.as_secs_f64()
        );
    }
    // The hashing workers give their memory back after 30 s without work, and the allocator
    // purges what requests freed within about 10 s.
    for wait in [5, 45] {
        tokio::time::sleep(Duration::from_secs(if wait == 5 { 5 } else { 40 })).await;
        let (idle, peak) = rss(pid);
        println!(
            "idle {wait} s later: RSS {idle:.0} MB ({:+.0} MB against the idle start), peak {peak:.0} MB",
            idle - start
        );
    }
}
