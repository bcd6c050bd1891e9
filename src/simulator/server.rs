//! The HTTP server: binds, routes, applies latency and hangs, and hands out a control handle.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::batch::{self, BatchCall};
use super::control::{self, SettingsPatch, SettingsView};
use super::counters::{CountersSnapshot, Outcome};
use super::ews::connections::ConnectionTag;
use super::ews::reply::EwsResponse;
use super::ews::{self, EwsCall, EwsReply};
use super::faults::{ActiveFault, EndpointKind, FaultSpec};
use super::graph::response::{Body, GraphResponse, RequestCtx};
use super::graph::{self, GraphCall, Reply, response};
use super::scenario::{EventPatch, EventSpec, EwsAccess, GroupSpec, Scenario, TenantSpec};
use super::state::{ControlError, EventInfo, MailboxInfo, NewMailbox, Sim, TenantInfo};
use super::tls;
use super::token::{self, TokenCall};
use crate::clock::Clock;

/// Large enough for any 20-item batch a client could reasonably send.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub struct Simulator;

impl Simulator {
    /// Binds `bind` (e.g. "127.0.0.1:0") and serves `scenario` until [`SimulatorHandle::stop`].
    pub async fn start(scenario: Scenario, bind: &str) -> anyhow::Result<SimulatorHandle> {
        Simulator::start_with_clock(scenario, bind, Clock::system()).await
    }

    /// As [`Simulator::start`], with Microsoft's clock given (tests move it with the app's).
    pub async fn start_with_clock(
        scenario: Scenario,
        bind: &str,
        clock: Clock,
    ) -> anyhow::Result<SimulatorHandle> {
        let listener =
            TcpListener::bind(bind).with_context(|| format!("cannot bind simulator to {bind}"))?;
        listener.set_nonblocking(true)?;
        let plain_addr = loopback(listener.local_addr()?);
        let base_url = format!("http://{plain_addr}");
        let tls_listener = std::net::TcpListener::bind(SocketAddr::new(
            plain_addr.ip(),
            scenario.simulator.ews_tls_port.unwrap_or(0),
        ))
        .context("cannot bind the simulator's HTTPS listener")?;
        tls_listener.set_nonblocking(true)?;
        let tls_addr = loopback(tls_listener.local_addr()?);
        let identity = tls::generate()?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let sim = Sim::from_scenario(&scenario, clock, shutdown_rx.clone())?;
        let data = Data::from(Arc::clone(&sim));
        let connections = Arc::clone(&sim.ews_connections);
        let mut server = HttpServer::new(move || {
            let ews_route = || {
                web::resource(ews::PATH)
                    .app_data(web::PayloadConfig::new(ews::MAX_BODY_BYTES))
                    .route(web::post().to(ews_entry))
            };
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .route("/{tenant}/oauth2/v2.0/token", web::post().to(token_entry))
                .service(ews_route())
                // IIS paths are case-insensitive; clients write both spellings.
                .service(
                    web::resource("/ews/exchange.asmx")
                        .app_data(web::PayloadConfig::new(ews::MAX_BODY_BYTES))
                        .route(web::post().to(ews_entry)),
                )
                .service(web::scope("/_simulator").configure(control::routes))
                .default_service(web::to(graph_entry))
        })
        .on_connect(move |_, extensions| {
            extensions.insert(connections.open());
        })
        .disable_signals()
        .shutdown_timeout(5);
        if let Some(workers) = scenario.simulator.workers {
            server = server.workers(workers.max(1));
        }
        let server = server.listen(listener)?.run();
        let server_handle = server.handle();
        let task = tokio::spawn(server);
        let tls_task = tls::serve(
            tokio::net::TcpListener::from_std(tls_listener)?,
            identity.config,
            plain_addr,
            shutdown_rx,
        );
        let ews_url = format!("https://{tls_addr}{}", ews::PATH);
        tracing::info!(%base_url, %ews_url, "Microsoft 365 simulator listening");
        Ok(SimulatorHandle {
            sim,
            base_url,
            ews_url,
            ca_pem: identity.ca_pem,
            server: server_handle,
            task,
            tls_task,
            shutdown: shutdown_tx,
        })
    }
}

/// Runs the simulator from a scenario file until ctrl-c (for `calbridge simulate-m365`).
pub async fn run_standalone(bind: &str, scenario_path: &Path) -> anyhow::Result<()> {
    let scenario = Scenario::from_toml_file(scenario_path)?;
    let handle = Simulator::start(scenario, bind).await?;
    // The address actually bound (port 0 picks one), for whoever started it.
    println!(
        "Microsoft 365 simulator listening on {} (use it as both the login and the Graph base \
         URL; ctrl-c stops it)",
        handle.base_url()
    );
    let ews_url = handle.ews_url();
    let port = ews_url.split(':').nth(2).and_then(|p| p.split('/').next()).unwrap_or("");
    let ca_file = std::env::temp_dir().join(format!("calbridge-simulator-ca-{port}.pem"));
    std::fs::write(&ca_file, handle.ca_pem())
        .with_context(|| format!("cannot write {}", ca_file.display()))?;
    println!(
        "Exchange Web Services (on-premises organisations): {}; its certificate's CA is in {}",
        handle.ews_url(),
        ca_file.display()
    );
    tokio::signal::ctrl_c().await.context("cannot listen for ctrl-c")?;
    handle.stop().await;
    Ok(())
}

/// A client cannot connect to 0.0.0.0, so an unspecified bind address is reported as loopback.
fn loopback(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// A running simulator. Control methods mirror the `/_simulator` API.
pub struct SimulatorHandle {
    sim: Arc<Sim>,
    base_url: String,
    ews_url: String,
    ca_pem: String,
    server: ServerHandle,
    task: JoinHandle<std::io::Result<()>>,
    tls_task: JoinHandle<()>,
    shutdown: watch::Sender<bool>,
}

impl SimulatorHandle {
    /// Both the login base URL (`{base}/{tenant}/oauth2/v2.0/token`) and the Graph base URL
    /// (`{base}/v1.0/…`), e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// EWS over HTTPS, e.g. `https://127.0.0.1:40124/EWS/Exchange.asmx`; its certificate is
    /// signed by [`SimulatorHandle::ca_pem`].
    pub fn ews_url(&self) -> String {
        self.ews_url.clone()
    }

    /// EWS on the plain listener, for clients that allow http.
    pub fn ews_http_url(&self) -> String {
        format!("{}{}", self.base_url, ews::PATH)
    }

    /// The PEM of the CA that signed the HTTPS certificate (what a tenant pastes).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Changes what the organisation's EWS account may see of `mailbox`.
    pub fn set_ews_access(
        &self,
        mailbox: &str,
        access: EwsAccess,
    ) -> Result<MailboxInfo, ControlError> {
        self.sim.set_ews_access(mailbox, access)
    }

    pub fn tenants(&self) -> Vec<TenantInfo> {
        self.sim.tenants()
    }

    pub fn mailboxes(&self) -> Vec<MailboxInfo> {
        self.sim.mailboxes()
    }

    pub fn add_tenant(&self, tenant: &TenantSpec) -> Result<(), ControlError> {
        self.sim.add_tenant(tenant)
    }

    pub fn add_mailbox(&self, mailbox: &NewMailbox) -> Result<MailboxInfo, ControlError> {
        self.sim.add_mailbox(mailbox)
    }

    /// Creates or replaces an Entra group of the tenant named `tenant`.
    pub fn put_group(&self, tenant: &str, group: &GroupSpec) -> Result<(), ControlError> {
        self.sim.put_group(tenant, group)
    }

    pub fn remove_mailbox(&self, mailbox: &str) -> Result<(), ControlError> {
        self.sim.remove_mailbox(mailbox)
    }

    pub fn list_events(&self, mailbox: &str) -> Result<Vec<EventInfo>, ControlError> {
        self.sim.list_events(mailbox)
    }

    /// Relative times in `event` ("+15m", "today 09:00") are taken from now.
    pub fn add_event(&self, mailbox: &str, event: &EventSpec) -> Result<EventInfo, ControlError> {
        self.sim.add_event(mailbox, event)
    }

    pub fn change_event(
        &self,
        mailbox: &str,
        id: &str,
        patch: &EventPatch,
    ) -> Result<EventInfo, ControlError> {
        self.sim.change_event(mailbox, id, patch)
    }

    pub fn remove_event(&self, mailbox: &str, id: &str) -> Result<(), ControlError> {
        self.sim.remove_event(mailbox, id)
    }

    /// Adds a fault rule and returns its id.
    pub fn add_fault(&self, fault: FaultSpec) -> u64 {
        self.sim.faults.add(fault)
    }

    pub fn faults(&self) -> Vec<ActiveFault> {
        self.sim.faults.list()
    }

    pub fn clear_fault(&self, id: u64) -> bool {
        self.sim.faults.remove(id)
    }

    pub fn clear_faults(&self) {
        self.sim.faults.clear();
    }

    pub fn set_latency(&self, latency: Duration) {
        self.sim.set_latency(latency);
    }

    pub fn settings(&self) -> SettingsView {
        self.sim.settings()
    }

    /// Changes latency, token lifetime, throttling limits or batch order at run time.
    pub fn apply_settings(&self, patch: &SettingsPatch) -> SettingsView {
        self.sim.apply_settings(patch)
    }

    pub fn counters(&self) -> CountersSnapshot {
        self.sim.counters.snapshot(self.sim.throttle.concurrency_records())
    }

    /// Zeroes the counters, the observed concurrency maxima and the used request budgets.
    pub fn reset_counters(&self) {
        self.sim.counters.reset();
        self.sim.throttle.reset();
    }

    /// Stops accepting connections, ends hung requests and waits for the server to finish.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.server.stop(true).await;
        let _ = self.task.await;
        let _ = self.tls_task.await;
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Several `Prefer` headers mean the same as one with comma-separated preferences.
fn prefer_header(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> =
        req.headers().get_all("prefer").filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn request_base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn into_http(reply: GraphResponse) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &reply.headers {
        builder.insert_header((name.as_str(), value.as_str()));
    }
    match reply.body {
        Body::Json(value) => builder.body(serde_json::to_vec(&value).unwrap_or_default()),
        Body::Raw { content_type, bytes } => {
            builder.insert_header(("Content-Type", content_type));
            builder.body(bytes)
        }
    }
}

/// Holds a hung request until its time is up or the simulator stops.
async fn hang(sim: &Sim, duration: Duration) {
    let mut shutdown = sim.shutdown_signal();
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = shutdown.wait_for(|stopping| *stopping) => {}
    }
}

async fn delay(sim: &Sim) {
    let latency = sim.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

/// What a hung request finally gets, if its client is still there.
fn hang_ended(sim: &Sim, client_request_id: Option<&str>) -> HttpResponse {
    into_http(response::error(
        &RequestCtx::new(client_request_id, sim.clock.now()),
        504,
        "serviceNotAvailable",
        "The request timed out.",
    ))
}

async fn finish(
    sim: &Sim,
    kind: EndpointKind,
    reply: Reply,
    outcome: Outcome,
    client_request_id: Option<&str>,
) -> HttpResponse {
    match reply {
        Reply::Respond(response) => {
            sim.counters.record(kind, &response.status.to_string(), outcome, false);
            into_http(response)
        }
        Reply::Hang(duration) => {
            sim.counters.record(kind, "hang", outcome, false);
            hang(sim, duration).await;
            hang_ended(sim, client_request_id)
        }
    }
}

async fn token_entry(
    req: HttpRequest,
    tenant: web::Path<String>,
    body: Bytes,
    sim: Data<Sim>,
) -> HttpResponse {
    let client_request_id = header(&req, "client-request-id");
    let served = token::serve(&sim, &TokenCall { tenant: &tenant, body: &body, client_request_id });
    delay(&sim).await;
    finish(&sim, EndpointKind::Token, served.reply, served.outcome, client_request_id).await
}

async fn graph_entry(req: HttpRequest, body: Bytes, sim: Data<Sim>) -> HttpResponse {
    let Some(path) = req.path().strip_prefix("/v1.0/") else {
        return HttpResponse::NotFound().json(serde_json::json!({
            "error": "not a simulated endpoint; Graph lives under /v1.0/, the token endpoint at /{tenant}/oauth2/v2.0/token, the control API under /_simulator/"
        }));
    };
    let sim: Arc<Sim> = sim.into_inner();
    let base = request_base(&req);
    let authorization = header(&req, "authorization");
    let client_request_id = header(&req, "client-request-id");
    if path.eq_ignore_ascii_case("$batch") && req.method() == actix_web::http::Method::POST {
        let served = batch::serve(
            &sim,
            &BatchCall { authorization, client_request_id, body: &body, base: &base },
        );
        delay(&sim).await;
        drop(served.guards);
        for item in &served.items {
            sim.counters.record(item.kind, &item.status, item.outcome, true);
        }
        return finish(&sim, EndpointKind::Batch, served.reply, served.outcome, client_request_id)
            .await;
    }
    let prefer = prefer_header(&req);
    let served = graph::serve(
        &sim,
        &GraphCall {
            method: req.method().as_str(),
            path,
            query: req.query_string(),
            authorization,
            prefer: prefer.as_deref(),
            client_request_id,
            body: &body,
            base: &base,
        },
    );
    delay(&sim).await;
    drop(served.guard);
    finish(&sim, served.kind, served.reply, served.outcome, client_request_id).await
}

fn ews_into_http(reply: EwsResponse) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &reply.headers {
        // append, not insert: a 401 carries one WWW-Authenticate per scheme.
        builder.append_header((name.as_str(), value.as_str()));
    }
    builder.insert_header(("Content-Type", reply.content_type));
    builder.body(reply.body)
}

async fn ews_entry(req: HttpRequest, body: Bytes, sim: Data<Sim>) -> HttpResponse {
    let sim: Arc<Sim> = sim.into_inner();
    let connection = req.conn_data::<ConnectionTag>().map(|tag| tag.id);
    let info = req.connection_info().clone();
    let served = ews::serve(
        &sim,
        &EwsCall {
            connection,
            authorization: header(&req, "authorization"),
            host: info.host(),
            body: &body,
        },
    );
    delay(&sim).await;
    match served.reply {
        EwsReply::Respond(response) => {
            sim.counters.record(served.kind, &response.status.to_string(), served.outcome, false);
            ews_into_http(response)
        }
        EwsReply::Hang(duration) => {
            sim.counters.record(served.kind, "hang", served.outcome, false);
            hang(&sim, duration).await;
            ews_into_http(ews::reply::html_error_page(504))
        }
    }
}
