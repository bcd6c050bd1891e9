//! What the provider benchmarks share: one deterministic calendar generator, so both read the
//! same calendars, and the CPU and memory readings of a process.
#![allow(dead_code, reason = "each benchmark uses what it needs")]

use chrono::{DateTime, Utc};
use nix::sys::resource::{UsageWho, getrusage};

/// A small deterministic generator, so every run reads the same calendars.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// One mailbox's appointments as TOML inline tables: working days with 2–6 meetings between
/// 07:00 and 17:00 UTC around `window_start`, some private, tentative, out of office or
/// cancelled, and a daily stand-up for every third person (`n`).
pub fn mailbox_events(rng: &mut Lcg, n: usize, window_start: DateTime<Utc>) -> Vec<String> {
    let mut events = Vec::new();
    for day in -1..=2i64 {
        let midnight = window_start.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()
            + chrono::Duration::days(day);
        for _ in 0..2 + rng.below(5) {
            let start = midnight + chrono::Duration::minutes(7 * 60 + 15 * rng.below(40) as i64);
            let minutes = [15, 30, 30, 45, 60, 60, 90, 120][rng.below(8) as usize];
            let show_as = ["busy", "busy", "busy", "tentative", "free", "oof", "workingElsewhere"]
                [rng.below(7) as usize];
            let sensitivity = if rng.below(10) == 0 { "private" } else { "normal" };
            let cancelled = rng.below(25) == 0;
            events.push(format!(
                "{{ subject = \"Meeting {n}-{day}\", location = \"Room {}\", start = \"{}\", duration = \"{minutes}m\", show_as = \"{show_as}\", sensitivity = \"{sensitivity}\", cancelled = {cancelled} }}",
                rng.below(30),
                start.to_rfc3339()
            ));
        }
    }
    if n.is_multiple_of(3) {
        let first = window_start - chrono::Duration::days(7) + chrono::Duration::hours(4);
        events.push(format!(
            "{{ subject = \"Stand-up\", start = \"{}\", duration = \"15m\", recurrence = {{ pattern = \"daily\", count = 30 }} }}",
            first.to_rfc3339()
        ));
    }
    events
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// utime + stime of /proc/<pid>/stat, in seconds (USER_HZ is 100 on Linux).
pub fn proc_cpu_seconds(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the name: state is field 0, utime field 11, stime field 12.
    (ticks(11) + ticks(12)) / 100.0
}

pub fn own_cpu_seconds() -> f64 {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let seconds = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
    seconds(usage.user_time()) + seconds(usage.system_time())
}

/// VmHWM of a /proc/<pid>/status file, in MiB.
pub fn peak_rss_mib(path: &str) -> f64 {
    let status = std::fs::read_to_string(path).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}
