//! Shared set-up: a scenario with a few tenants and mailboxes, and an HTTP client for it.

use std::path::PathBuf;
use std::time::Duration;

use calbridge::simulator::{Scenario, Simulator, SimulatorHandle};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub const TENANT: &str = "0c1d2e3f-4a5b-4c6d-8e7f-101112131415";
pub const CLIENT: &str = "a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4";
pub const SECRET: &str = "Zq8~correct-horse-battery";
pub const DOMAIN: &str = "contoso.dk";

pub const OTHER_TENANT: &str = "9f9e9d9c-9b9a-4998-8979-695949392919";
pub const OTHER_CLIENT: &str = "5b5b5b5b-1c1c-4d1d-8e1e-2f2f2f2f2f2f";
pub const OTHER_SECRET: &str = "fabrikam-secret";

pub const EXPIRED_TENANT: &str = "e0e0e0e0-1111-4222-8333-444455556666";
pub const EXPIRED_CLIENT: &str = "e1e1e1e1-1111-4222-8333-444455556666";

pub const ADELE_ID: &str = "6f1b9c3e-2d4a-4b5c-9d8e-7f6a5b4c3d2e";

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The scenario every test starts from; times are fixed so assertions can be exact.
pub const SCENARIO: &str = r#"
[simulator]
workers = 2
batch_order = "shuffled"

[[tenants]]
name = "Contoso"
directory_id = "0c1d2e3f-4a5b-4c6d-8e7f-101112131415"
domains = ["contoso.dk", "contoso.onmicrosoft.com"]
client_id = "a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4"
client_secret = "Zq8~correct-horse-battery"
secret_expires = "2099-12-31"
role = "Calendars.Read"

[[tenants.mailboxes]]
upn = "adele@contoso.dk"
display_name = "Adele Vance"
object_id = "6f1b9c3e-2d4a-4b5c-9d8e-7f6a5b4c3d2e"
time_zone = "Europe/Copenhagen"
working_hours = { days = ["monday", "tuesday", "wednesday", "thursday", "friday"], start = "08:00", end = "16:00" }

[[tenants.mailboxes.events]]
id = "lunch"
subject = "Let's go for lunch"
location = "Harry's Bar"
start = "2030-03-15T11:00:00Z"
duration = "1h"
show_as = "busy"

[[tenants.mailboxes.events]]
id = "maybe"
subject = "Maybe a call"
start = "2030-03-15T12:00:00Z"
end = "2030-03-15T13:00:00Z"
show_as = "tentative"

[[tenants.mailboxes.events]]
id = "doctor"
subject = "Doctor"
location = "Clinic"
start = "2030-03-15T13:00:00Z"
duration = "1h"
sensitivity = "private"

[[tenants.mailboxes.events]]
id = "cancelled"
subject = "Called off"
start = "2030-03-15T14:00:00Z"
duration = "1h"
cancelled = true

[[tenants.mailboxes.events]]
id = "standup"
subject = "Standup"
location = "Teams"
start = "2030-03-25T09:00:00"
duration = "15m"
recurrence = { pattern = "daily", count = 10 }

[[tenants.mailboxes.events]]
id = "gym"
subject = "Gym"
start = "2030-04-01T17:00:00"
duration = "1h"
show_as = "oof"
recurrence = { pattern = "weekly", days_of_week = ["monday", "wednesday", "friday"], until = "2030-04-12" }

[[tenants.mailboxes]]
upn = "mixed@contoso.dk"
time_zone = "UTC"

[[tenants.mailboxes.events]]
start = "2030-03-15T10:00:00Z"
duration = "2h"
show_as = "busy"

[[tenants.mailboxes.events]]
start = "2030-03-15T10:30:00Z"
duration = "30m"
show_as = "oof"

[[tenants.mailboxes.events]]
start = "2030-03-15T12:00:00Z"
duration = "1h"
show_as = "workingElsewhere"

[[tenants.mailboxes.events]]
start = "2030-03-15T12:00:00Z"
duration = "30m"
show_as = "free"

[[tenants.mailboxes]]
upn = "blocked@contoso.dk"
access_denied_by_policy = true

[[tenants]]
name = "Fabrikam"
directory_id = "9f9e9d9c-9b9a-4998-8979-695949392919"
domains = ["fabrikam.dk"]
client_id = "5b5b5b5b-1c1c-4d1d-8e1e-2f2f2f2f2f2f"
client_secret = "fabrikam-secret"
role = "none"

[[tenants.mailboxes]]
upn = "megan@fabrikam.dk"

[[tenants]]
name = "Expired Ltd"
directory_id = "e0e0e0e0-1111-4222-8333-444455556666"
client_id = "e1e1e1e1-1111-4222-8333-444455556666"
client_secret = "old-secret"
secret_expires = 2020-01-01
"#;

/// `count` extra mailboxes `user01@contoso.dk`…, each with one busy hour.
pub fn with_users(scenario: &mut Scenario, count: usize) {
    let extra = (1..=count)
        .map(|n| {
            format!(
                "[[mailboxes]]\nupn = \"user{n:02}@contoso.dk\"\n[[mailboxes.events]]\nsubject = \"Meeting {n}\"\nstart = \"2030-03-15T09:00:00Z\"\nduration = \"1h\"\n"
            )
        })
        .collect::<String>();
    #[derive(serde::Deserialize)]
    struct Extra {
        mailboxes: Vec<calbridge::simulator::MailboxSpec>,
    }
    let extra: Extra = toml::from_str(&extra).expect("generated mailboxes parse");
    scenario.tenants[0].mailboxes.extend(extra.mailboxes);
}

pub struct Harness {
    pub sim: SimulatorHandle,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(change: impl FnOnce(&mut Scenario)) -> Harness {
        let mut scenario = Scenario::from_toml_str(SCENARIO).expect("test scenario parses");
        change(&mut scenario);
        let sim = Simulator::start(scenario, "127.0.0.1:0").await.expect("simulator starts");
        let http = reqwest::Client::builder().build().expect("client");
        Harness { sim, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    pub async fn request_token(&self, tenant: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(&format!("/{tenant}/oauth2/v2.0/token")))
            .form(form)
            .send()
            .await
            .expect("token request sent")
    }

    pub async fn token_for(&self, tenant: &str, client: &str, secret: &str) -> String {
        let response = self
            .request_token(
                tenant,
                &[
                    ("client_id", client),
                    ("client_secret", secret),
                    ("scope", GRAPH_SCOPE),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn token(&self) -> String {
        self.token_for(TENANT, CLIENT, SECRET).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET sent")
    }

    pub async fn get_prefer(&self, token: &str, path: &str, zone: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .header("Prefer", format!("outlook.timezone=\"{zone}\""))
            .send()
            .await
            .expect("GET sent")
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST sent")
    }

    pub async fn stop(self) {
        self.sim.stop().await;
    }
}

/// A getSchedule body for `schedules` over the given UTC window.
pub fn schedule_request(
    schedules: &[&str],
    start: &str,
    end: &str,
    interval: Option<u32>,
) -> Value {
    let mut body = serde_json::json!({
        "schedules": schedules,
        "startTime": {"dateTime": start, "timeZone": "UTC"},
        "endTime": {"dateTime": end, "timeZone": "UTC"},
    });
    if let Some(interval) = interval {
        body["availabilityViewInterval"] = interval.into();
    }
    body
}

pub async fn json_of(response: Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, headers, body)
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// Microsoft's payloads, copied verbatim into `tests/fixtures/microsoft` (sources in its
/// SOURCES.md).
pub fn fixture(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/microsoft").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub const SHORT: Duration = Duration::from_millis(300);
