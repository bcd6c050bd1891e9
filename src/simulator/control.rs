//! The control API under `/_simulator/…`: change the simulated world while it runs.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, Data, Path};
use actix_web::{HttpResponse, Responder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::faults::FaultSpec;
use super::scenario::{BatchOrder, EventPatch, EventSpec, EwsAccess};
use super::state::{ControlError, NewMailbox, Sim};
use super::throttle::ThrottleSettings;

/// Run-time settings; every field is optional when changing them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsPatch {
    pub latency_ms: Option<u64>,
    pub token_lifetime_secs: Option<u64>,
    pub request_budget: Option<u64>,
    pub budget_window_secs: Option<u64>,
    pub max_concurrency: Option<u32>,
    pub batch_order: Option<BatchOrder>,
    pub batch_seed: Option<u64>,
    pub ews_times_without_offset: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub latency_ms: u64,
    pub token_lifetime_secs: u64,
    pub request_budget: u64,
    pub budget_window_secs: u64,
    pub max_concurrency: u32,
    pub batch_order: BatchOrder,
    pub ews_times_without_offset: bool,
}

impl Sim {
    pub fn settings(&self) -> SettingsView {
        let throttle = self.throttle.settings();
        SettingsView {
            latency_ms: self.latency().as_millis() as u64,
            token_lifetime_secs: self.token_lifetime().as_secs(),
            request_budget: throttle.request_budget,
            budget_window_secs: throttle.budget_window_secs,
            max_concurrency: throttle.max_concurrency,
            batch_order: self.batch_order(),
            ews_times_without_offset: self.ews_times_without_offset(),
        }
    }

    pub fn apply_settings(&self, patch: &SettingsPatch) -> SettingsView {
        if let Some(ms) = patch.latency_ms {
            self.set_latency(Duration::from_millis(ms));
        }
        if let Some(secs) = patch.token_lifetime_secs {
            self.set_token_lifetime(Duration::from_secs(secs));
        }
        let current = self.throttle.settings();
        self.throttle.configure(&ThrottleSettings {
            request_budget: patch.request_budget.unwrap_or(current.request_budget),
            budget_window_secs: patch.budget_window_secs.unwrap_or(current.budget_window_secs),
            max_concurrency: patch.max_concurrency.unwrap_or(current.max_concurrency),
        });
        if let Some(without) = patch.ews_times_without_offset {
            self.set_ews_times_without_offset(without);
        }
        if patch.batch_order.is_some() || patch.batch_seed.is_some() {
            self.set_batch_order(patch.batch_order.unwrap_or(self.batch_order()), patch.batch_seed);
        }
        self.settings()
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(tenants))
        .route("/tenants", web::post().to(add_tenant))
        .route("/mailboxes", web::get().to(mailboxes))
        .route("/mailboxes", web::post().to(add_mailbox))
        .route("/mailboxes/{mailbox}", web::delete().to(remove_mailbox))
        .route("/tenants/{tenant}/groups", web::put().to(put_group))
        .route("/mailboxes/{mailbox}/ews_access", web::put().to(put_ews_access))
        .route("/mailboxes/{mailbox}/events", web::get().to(list_events))
        .route("/mailboxes/{mailbox}/events", web::post().to(add_event))
        .route("/mailboxes/{mailbox}/events/{id}", web::patch().to(change_event))
        .route("/mailboxes/{mailbox}/events/{id}", web::delete().to(remove_event))
        .route("/faults", web::get().to(list_faults))
        .route("/faults", web::post().to(add_fault))
        .route("/faults", web::delete().to(clear_faults))
        .route("/faults/{id}", web::delete().to(remove_fault))
        .route("/settings", web::get().to(get_settings))
        .route("/settings", web::patch().to(patch_settings))
        .route("/latency", web::put().to(put_latency))
        .route("/throttling", web::put().to(put_throttling))
        .route("/counters", web::get().to(counters))
        .route("/counters", web::delete().to(reset_counters))
        .route("/counters/reset", web::post().to(reset_counters));
}

fn problem(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// The rejection is boxed because an `HttpResponse` is large and the happy path is common.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<HttpResponse>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(problem(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}"))))
}

fn reply<T: Serialize>(status: StatusCode, result: Result<T, ControlError>) -> HttpResponse {
    match result {
        Ok(value) => HttpResponse::build(status).json(value),
        Err(ControlError::NotFound(message)) => problem(StatusCode::NOT_FOUND, &message),
        Err(ControlError::Invalid(message)) => problem(StatusCode::BAD_REQUEST, &message),
        Err(ControlError::Conflict(message)) => problem(StatusCode::CONFLICT, &message),
    }
}

fn no_content(result: Result<(), ControlError>) -> HttpResponse {
    match result {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => reply::<()>(StatusCode::OK, Err(err)),
    }
}

async fn tenants(sim: Data<Sim>) -> impl Responder {
    HttpResponse::Ok().json(sim.tenants())
}

async fn add_tenant(sim: Data<Sim>, body: Bytes) -> HttpResponse {
    match parse::<super::scenario::TenantSpec>(&body) {
        Ok(spec) => no_content(sim.add_tenant(&spec)),
        Err(response) => *response,
    }
}

async fn mailboxes(sim: Data<Sim>) -> impl Responder {
    HttpResponse::Ok().json(sim.mailboxes())
}

async fn add_mailbox(sim: Data<Sim>, body: Bytes) -> HttpResponse {
    match parse::<NewMailbox>(&body) {
        Ok(new) => reply(StatusCode::CREATED, sim.add_mailbox(&new)),
        Err(response) => *response,
    }
}

async fn put_group(sim: Data<Sim>, path: Path<String>, body: Bytes) -> HttpResponse {
    match parse::<super::scenario::GroupSpec>(&body) {
        Ok(group) => no_content(sim.put_group(&path, &group)),
        Err(response) => *response,
    }
}

async fn remove_mailbox(sim: Data<Sim>, path: Path<String>) -> HttpResponse {
    no_content(sim.remove_mailbox(&path))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EwsAccessBody {
    ews_access: EwsAccess,
}

async fn put_ews_access(sim: Data<Sim>, path: Path<String>, body: Bytes) -> HttpResponse {
    match parse::<EwsAccessBody>(&body) {
        Ok(body) => reply(StatusCode::OK, sim.set_ews_access(&path, body.ews_access)),
        Err(response) => *response,
    }
}

async fn list_events(sim: Data<Sim>, path: Path<String>) -> HttpResponse {
    reply(StatusCode::OK, sim.list_events(&path))
}

async fn add_event(sim: Data<Sim>, path: Path<String>, body: Bytes) -> HttpResponse {
    match parse::<EventSpec>(&body) {
        Ok(spec) => reply(StatusCode::CREATED, sim.add_event(&path, &spec)),
        Err(response) => *response,
    }
}

async fn change_event(sim: Data<Sim>, path: Path<(String, String)>, body: Bytes) -> HttpResponse {
    let (mailbox, id) = path.into_inner();
    match parse::<EventPatch>(&body) {
        Ok(patch) => reply(StatusCode::OK, sim.change_event(&mailbox, &id, &patch)),
        Err(response) => *response,
    }
}

async fn remove_event(sim: Data<Sim>, path: Path<(String, String)>) -> HttpResponse {
    let (mailbox, id) = path.into_inner();
    no_content(sim.remove_event(&mailbox, &id))
}

async fn list_faults(sim: Data<Sim>) -> impl Responder {
    HttpResponse::Ok().json(sim.faults.list())
}

async fn add_fault(sim: Data<Sim>, body: Bytes) -> HttpResponse {
    match parse::<FaultSpec>(&body) {
        Ok(spec) => HttpResponse::Created().json(json!({ "id": sim.faults.add(spec) })),
        Err(response) => *response,
    }
}

async fn clear_faults(sim: Data<Sim>) -> HttpResponse {
    sim.faults.clear();
    HttpResponse::NoContent().finish()
}

async fn remove_fault(sim: Data<Sim>, path: Path<u64>) -> HttpResponse {
    if sim.faults.remove(*path) {
        HttpResponse::NoContent().finish()
    } else {
        problem(StatusCode::NOT_FOUND, &format!("no fault {}", *path))
    }
}

async fn get_settings(sim: Data<Sim>) -> impl Responder {
    HttpResponse::Ok().json(sim.settings())
}

async fn patch_settings(sim: Data<Sim>, body: Bytes) -> HttpResponse {
    match parse::<SettingsPatch>(&body) {
        Ok(patch) => HttpResponse::Ok().json(sim.apply_settings(&patch)),
        Err(response) => *response,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Latency {
    ms: u64,
}

async fn put_latency(sim: Data<Sim>, body: Bytes) -> HttpResponse {
    match parse::<Latency>(&body) {
        Ok(latency) => {
            HttpResponse::Ok().json(sim.apply_settings(&SettingsPatch {
                latency_ms: Some(latency.ms),
                ..Default::default()
            }))
        }
        Err(response) => *response,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Throttling {
    request_budget: Option<u64>,
    budget_window_secs: Option<u64>,
    max_concurrency: Option<u32>,
}

async fn put_throttling(sim: Data<Sim>, body: Bytes) -> HttpResponse {
    match parse::<Throttling>(&body) {
        Ok(t) => HttpResponse::Ok().json(sim.apply_settings(&SettingsPatch {
            request_budget: t.request_budget,
            budget_window_secs: t.budget_window_secs,
            max_concurrency: t.max_concurrency,
            ..Default::default()
        })),
        Err(response) => *response,
    }
}

async fn counters(sim: Data<Sim>) -> impl Responder {
    HttpResponse::Ok().json(sim.counters.snapshot(sim.throttle.concurrency_records()))
}

async fn reset_counters(sim: Data<Sim>) -> HttpResponse {
    sim.counters.reset();
    sim.throttle.reset();
    HttpResponse::NoContent().finish()
}
