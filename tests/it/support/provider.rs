//! Graph providers pointed at the simulator, and a counting proxy in front of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web::{self, Bytes, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use calbridge::domain::Email;
use calbridge::providers::graph::{DetailLevel, GraphProvider, GraphSettings, Tunables};
use calbridge::providers::{MailboxCalendar, ReadOutcome};
use calbridge::simulator::{FaultEndpoint, FaultKind, FaultSpec, SimulatorHandle};
use secrecy::SecretString;

pub use super::ids::*;
pub use super::scenario::{meeting_start, user, users, window};

/// Words that must never leave the provider for private items (Alex's calendar).
pub const PRIVATE_SUBJECT: &str = "Oncology follow-up";
pub const PRIVATE_LOCATION: &str = "Rigshospitalet";
pub const CONFIDENTIAL_SUBJECT: &str = "Merger talks";

/// The fixture scenario with `users` generated mailboxes, served by a simulator.
pub async fn start(users: usize) -> SimulatorHandle {
    super::scenario::simulator(users).await
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
