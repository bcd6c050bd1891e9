//! The one simulator scenario (`tests/fixtures/contoso-scenario.toml`), the mailboxes tests add
//! to it, and Microsoft's own payloads.

use std::path::PathBuf;

use calbridge::providers::TimeWindow;
use calbridge::simulator::{MailboxSpec, Scenario, Simulator, SimulatorHandle};
use chrono::{DateTime, TimeZone, Utc};

use super::ids::DOMAIN;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The fixture scenario as it is on disk.
pub fn contoso() -> Scenario {
    let path = fixture_path("contoso-scenario.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Scenario::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture with `users` generated Contoso mailboxes (see [`user`]) and `packed@contoso.dk`.
pub fn scenario(users: usize) -> Scenario {
    let mut scenario = contoso();
    with_users(&mut scenario, users);
    scenario.tenants[0].mailboxes.extend(mailboxes(&packed()));
    scenario
}

/// The simulator on port 0, playing [`scenario`].
pub async fn simulator(users: usize) -> SimulatorHandle {
    Simulator::start(scenario(users), "127.0.0.1:0").await.expect("simulator starts")
}

/// `userNN@contoso.dk`, each with one busy meeting "Meeting NN" in "Room NN" starting NN·10
/// minutes after 08:00 UTC on 15 March 2030, so every mailbox's answer is recognisably its own.
pub fn user(n: usize) -> String {
    format!("user{n:02}@{DOMAIN}")
}

pub fn users(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(user).collect()
}

pub fn meeting_start(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 15, 8, 0, 0).unwrap() + chrono::Duration::minutes(10 * n as i64)
}

/// Adds `user01@contoso.dk` … `userNN@contoso.dk` to Contoso.
pub fn with_users(scenario: &mut Scenario, count: usize) {
    let text: String = (1..=count)
        .map(|n| {
            format!(
                "[[mailboxes]]\nupn = \"{}\"\n[[mailboxes.events]]\nsubject = \"Meeting {n:02}\"\nlocation = \"Room {n:02}\"\nstart = \"{}\"\nduration = \"1h\"\n",
                user(n),
                meeting_start(n).to_rfc3339()
            )
        })
        .collect();
    scenario.tenants[0].mailboxes.extend(mailboxes(&text));
}

/// A mailbox with more events than one page holds: "Slot 0" … "Slot 24", 20 minutes each,
/// every half hour from 06:00 UTC on 15 March 2030.
fn packed() -> String {
    let mut text = String::from("[[mailboxes]]\nupn = \"packed@contoso.dk\"\n");
    for n in 0..25 {
        let start =
            Utc.with_ymd_and_hms(2030, 3, 15, 6, 0, 0).unwrap() + chrono::Duration::minutes(30 * n);
        text.push_str(&format!(
            "[[mailboxes.events]]\nsubject = \"Slot {n}\"\nstart = \"{}\"\nduration = \"20m\"\n",
            start.to_rfc3339()
        ));
    }
    text
}

fn mailboxes(text: &str) -> Vec<MailboxSpec> {
    #[derive(serde::Deserialize)]
    struct Mailboxes {
        #[serde(default)]
        mailboxes: Vec<MailboxSpec>,
    }
    toml::from_str::<Mailboxes>(text).expect("generated mailboxes parse").mailboxes
}

/// 37 hours from midnight UTC on 15 March 2030, the scheduler's look-ahead.
pub fn window() -> TimeWindow {
    let start = Utc.with_ymd_and_hms(2030, 3, 15, 0, 0, 0).unwrap();
    TimeWindow::new(start, start + chrono::Duration::hours(37)).unwrap()
}

/// Where Microsoft's payloads are, copied verbatim (sources in its SOURCES.md).
pub fn microsoft_dir() -> PathBuf {
    fixture_path("microsoft")
}

/// One of Microsoft's payloads, as text.
pub fn microsoft_text(name: &str) -> String {
    std::fs::read_to_string(microsoft_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One of Microsoft's payloads, as JSON.
pub fn microsoft(name: &str) -> serde_json::Value {
    serde_json::from_str(&microsoft_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}
