//! A simulator scenario for the Graph provider, providers pointed at it, and a counting proxy.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web::{self, Bytes, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use calbridge::domain::Email;
use calbridge::providers::graph::{DetailLevel, GraphProvider, GraphSettings, Tunables};
use calbridge::providers::{MailboxCalendar, ReadOutcome, TimeWindow};
use calbridge::simulator::{
    FaultEndpoint, FaultKind, FaultSpec, Scenario, Simulator, SimulatorHandle,
};
use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;

pub const TENANT: &str = "0c1d2e3f-4a5b-4c6d-8e7f-101112131415";
pub const CLIENT: &str = "a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4";
pub const SECRET: &str = "Zq8~provider-Secret-Value-7f3a";
pub const DOMAIN: &str = "contoso.dk";

pub const UNCONSENTED_TENANT: &str = "9f9e9d9c-9b9a-4998-8979-695949392919";
pub const UNCONSENTED_CLIENT: &str = "5b5b5b5b-1c1c-4d1d-8e1e-2f2f2f2f2f2f";
pub const UNCONSENTED_SECRET: &str = "fabrikam-Secret-Value-91b2";

pub const EXPIRED_TENANT: &str = "e0e0e0e0-1111-4222-8333-444455556666";
pub const EXPIRED_CLIENT: &str = "e1e1e1e1-1111-4222-8333-444455556666";
pub const EXPIRED_SECRET: &str = "expired-Secret-Value-0c4d";

/// Words that must never leave the provider for private items.
pub const PRIVATE_SUBJECT: &str = "Oncology follow-up";
pub const PRIVATE_LOCATION: &str = "Rigshospitalet";
pub const CONFIDENTIAL_SUBJECT: &str = "Merger talks";

const BASE: &str = r#"
[simulator]
workers = 2
batch_order = "shuffled"

[[tenants]]
name = "Contoso"
directory_id = "0c1d2e3f-4a5b-4c6d-8e7f-101112131415"
domains = ["contoso.dk"]
client_id = "a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4"
client_secret = "Zq8~provider-Secret-Value-7f3a"
role = "Calendars.Read"

[[tenants.mailboxes]]
upn = "adele@contoso.dk"
time_zone = "Europe/Copenhagen"

[[tenants.mailboxes.events]]
subject = "Lunch with Harry"
location = "Harry's Bar"
start = "2030-03-15T11:00:00Z"
duration = "1h"
show_as = "busy"

[[tenants.mailboxes.events]]
subject = "Oncology follow-up"
location = "Rigshospitalet"
start = "2030-03-15T13:00:00Z"
duration = "1h"
sensitivity = "private"

[[tenants.mailboxes.events]]
subject = "Merger talks"
location = "Board room"
start = "2030-03-15T15:00:00Z"
duration = "1h"
show_as = "tentative"
sensitivity = "confidential"

[[tenants.mailboxes.events]]
subject = "Called off"
start = "2030-03-15T16:00:00Z"
duration = "1h"
cancelled = true

[[tenants.mailboxes.events]]
subject = "Standup"
location = "Teams"
start = "2030-03-14T09:00:00Z"
duration = "15m"
show_as = "workingElsewhere"
recurrence = { pattern = "daily", count = 5 }

[[tenants.mailboxes.events]]
subject = "Holiday"
start = "2030-03-16T00:00:00Z"
duration = "1d"
show_as = "oof"
all_day = true

[[tenants.mailboxes]]
upn = "blocked@contoso.dk"
access_denied_by_policy = true

[[tenants.mailboxes.events]]
subject = "Hidden by policy"
start = "2030-03-15T09:00:00Z"
duration = "1h"

[[tenants]]
name = "Fabrikam"
directory_id = "9f9e9d9c-9b9a-4998-8979-695949392919"
domains = ["fabrikam.dk"]
client_id = "5b5b5b5b-1c1c-4d1d-8e1e-2f2f2f2f2f2f"
client_secret = "fabrikam-Secret-Value-91b2"
role = "none"

[[tenants.mailboxes]]
upn = "megan@fabrikam.dk"

[[tenants.mailboxes]]
upn = "lynne@fabrikam.dk"

[[tenants]]
name = "Expired Ltd"
directory_id = "e0e0e0e0-1111-4222-8333-444455556666"
client_id = "e1e1e1e1-1111-4222-8333-444455556666"
client_secret = "expired-Secret-Value-0c4d"
secret_expires = 2020-01-01
"#;

/// `userNN@contoso.dk`, each with one busy meeting "Meeting NN" starting NN·10 minutes after
/// 08:00 UTC on 15 March 2030, so every mailbox's answer is recognisably its own.
pub fn user(n: usize) -> String {
    format!("user{n:02}@{DOMAIN}")
}

pub fn meeting_start(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 15, 8, 0, 0).unwrap() + chrono::Duration::minutes(10 * n as i64)
}

pub fn scenario(users: usize) -> Scenario {
    let mut text = BASE.to_string();
    let mut extra = String::new();
    for n in 1..=users {
        extra.push_str(&format!(
            "[[mailboxes]]\nupn = \"{}\"\n[[mailboxes.events]]\nsubject = \"Meeting {n:02}\"\nlocation = \"Room {n:02}\"\nstart = \"{}\"\nduration = \"1h\"\n",
            user(n),
            meeting_start(n).to_rfc3339()
        ));
    }
    // A mailbox with more events than one page holds.
    extra.push_str("[[mailboxes]]\nupn = \"packed@contoso.dk\"\n");
    for n in 0..25 {
        extra.push_str(&format!(
            "[[mailboxes.events]]\nsubject = \"Slot {n}\"\nstart = \"{}\"\nduration = \"20m\"\n",
            (Utc.with_ymd_and_hms(2030, 3, 15, 6, 0, 0).unwrap()
                + chrono::Duration::minutes(30 * n))
            .to_rfc3339()
        ));
    }
    #[derive(serde::Deserialize)]
    struct Extra {
        mailboxes: Vec<calbridge::simulator::MailboxSpec>,
    }
    let extra: Extra = toml::from_str(&extra).expect("generated mailboxes parse");
    text.push('\n');
    let mut scenario = Scenario::from_toml_str(&text).expect("provider scenario parses");
    scenario.tenants[0].mailboxes.extend(extra.mailboxes);
    scenario
}

pub async fn start(users: usize) -> SimulatorHandle {
    Simulator::start(scenario(users), "127.0.0.1:0").await.expect("simulator starts")
}

/// 37 hours from midnight UTC on 15 March 2030, the scheduler's look-ahead.
pub fn window() -> TimeWindow {
    let start = Utc.with_ymd_and_hms(2030, 3, 15, 0, 0, 0).unwrap();
    TimeWindow::new(start, start + chrono::Duration::hours(37)).unwrap()
}

/// Production tunables except for waits, so retry tests take milliseconds, not minutes.
pub fn quick() -> Tunables {
    Tunables {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry_base: Duration::from_millis(20),
        retry_cap: Duration::from_secs(10),
        ..Tunables::default()
    }
}

pub struct Credentials<'a> {
    pub directory: &'a str,
    pub client: &'a str,
    pub secret: &'a str,
}

pub const CONTOSO: Credentials<'static> =
    Credentials { directory: TENANT, client: CLIENT, secret: SECRET };
pub const FABRIKAM: Credentials<'static> = Credentials {
    directory: UNCONSENTED_TENANT,
    client: UNCONSENTED_CLIENT,
    secret: UNCONSENTED_SECRET,
};

pub fn provider_with(
    sim: &SimulatorHandle,
    credentials: &Credentials<'_>,
    detail: DetailLevel,
    tunables: Tunables,
) -> GraphProvider {
    let settings = GraphSettings::new(
        credentials.directory,
        credentials.client,
        SecretString::from(credentials.secret),
        detail,
    )
    .with_base_url(sim.base_url())
    .with_tunables(tunables);
    GraphProvider::new(settings).expect("provider builds")
}

pub fn provider(sim: &SimulatorHandle, detail: DetailLevel) -> GraphProvider {
    provider_with(sim, &CONTOSO, detail, quick())
}

pub fn emails(addresses: &[String]) -> Vec<Email> {
    addresses.iter().map(|a| Email::parse(a).expect("valid address")).collect()
}

pub fn users(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(user).collect()
}

pub fn answers(outcome: ReadOutcome) -> Vec<MailboxCalendar> {
    match outcome.result {
        Ok(answers) => answers,
        Err(error) => panic!("whole call failed: {error} ({:?})", error.code()),
    }
}

pub fn answer<'a>(answers: &'a [MailboxCalendar], address: &str) -> &'a MailboxCalendar {
    answers
        .iter()
        .find(|a| a.mailbox.as_str().eq_ignore_ascii_case(address))
        .unwrap_or_else(|| panic!("no answer for {address}"))
}

pub fn fault(
    endpoint: FaultEndpoint,
    mailbox: Option<&str>,
    kind: FaultKind,
    count: Option<u32>,
) -> FaultSpec {
    FaultSpec { endpoint, tenant: None, mailbox: mailbox.map(str::to_string), kind, count }
}

/// An HTTP proxy in front of the simulator that counts requests in flight, so the cap on
/// concurrent requests is observed from outside the provider.
pub struct CountingProxy {
    pub base_url: String,
    state: Arc<ProxyState>,
    server: actix_web::dev::ServerHandle,
}

struct ProxyState {
    target: String,
    client: reqwest::Client,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: AtomicUsize,
    /// Graph requests whose bearer token is still to be replaced by a bogus one.
    spoil_tokens: AtomicUsize,
}

impl CountingProxy {
    pub async fn start(target: &str) -> CountingProxy {
        let state = Arc::new(ProxyState {
            target: target.to_string(),
            client: reqwest::Client::new(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            spoil_tokens: AtomicUsize::new(0),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let data = Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(forward))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        CountingProxy { base_url, state, server: handle }
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Makes the next `count` Graph requests arrive with a token Graph does not know.
    pub fn spoil_tokens(&self, count: usize) {
        self.state.spoil_tokens.store(count, Ordering::SeqCst);
    }

    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub async fn stop(self) {
        self.server.stop(true).await;
    }
}

async fn forward(request: HttpRequest, body: Bytes, state: Data<ProxyState>) -> HttpResponse {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    state.requests.fetch_add(1, Ordering::SeqCst);
    let url = format!("{}{}", state.target, request.uri());
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes()).unwrap();
    let mut outgoing = state.client.request(method, url).body(body.to_vec());
    let spoil = request.path().starts_with("/v1.0/")
        && state
            .spoil_tokens
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    for name in ["authorization", "content-type", "prefer"] {
        if let Some(value) = request.headers().get(name).and_then(|v| v.to_str().ok()) {
            let value = if spoil && name == "authorization" {
                "Bearer not-a-token-graph-issued"
            } else {
                value
            };
            outgoing = outgoing.header(name, value);
        }
    }
    let reply = match outgoing.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let mut builder =
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
            for name in ["content-type", "retry-after"] {
                if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
                    builder.insert_header((name, value.to_string()));
                }
            }
            builder.body(response.bytes().await.unwrap_or_default())
        }
        Err(_) => HttpResponse::BadGateway().finish(),
    };
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    reply
}
