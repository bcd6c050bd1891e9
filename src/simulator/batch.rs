//! `POST /v1.0/$batch`: up to 20 Graph requests in one, answered in shuffled order.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::counters::Outcome;
use super::faults::{EndpointKind, FaultProbe};
use super::graph::response::{self, Body, GraphResponse, RequestCtx};
use super::graph::{self, FaultEffect, GraphCall, Reply};
use super::state::Sim;
use super::throttle::ConcurrencyGuard;

pub const MAX_REQUESTS: usize = 20;

pub struct BatchCall<'a> {
    pub authorization: Option<&'a str>,
    pub client_request_id: Option<&'a str>,
    pub body: &'a [u8],
    pub base: &'a str,
}

#[derive(Debug, Deserialize)]
struct BatchBody {
    requests: Vec<BatchItem>,
}

#[derive(Debug, Deserialize)]
struct BatchItem {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
}

/// One answered sub-request, for the counters.
pub struct ItemRecord {
    pub kind: EndpointKind,
    pub status: String,
    pub outcome: Outcome,
}

pub struct BatchServed {
    pub reply: Reply,
    pub outcome: Outcome,
    pub items: Vec<ItemRecord>,
    /// Concurrency slots of the sub-requests, held until the batch's latency has passed.
    pub guards: Vec<ConcurrencyGuard>,
}

impl BatchServed {
    fn alone(reply: GraphResponse, outcome: Outcome) -> Self {
        BatchServed { reply: Reply::Respond(reply), outcome, items: Vec::new(), guards: Vec::new() }
    }
}

fn header<'a>(headers: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
}

pub fn serve(sim: &Arc<Sim>, call: &BatchCall<'_>) -> BatchServed {
    let ctx = RequestCtx::new(call.client_request_id, sim.clock.now());
    let token = sim.check_bearer(call.authorization);
    let tenant_names = token
        .as_ref()
        .ok()
        .and_then(|t| sim.tenant(&t.tenant))
        .map(|t| t.names())
        .unwrap_or_default();
    let tenant_refs: Vec<&str> = tenant_names.iter().map(String::as_str).collect();
    let probe =
        FaultProbe { kind: EndpointKind::Batch, tenant_names: &tenant_refs, mailbox_names: &[] };
    let mut truncate = false;
    if let Some(fault) = sim.faults.take(&probe) {
        match graph::fault_effect(&fault, &ctx) {
            FaultEffect::Replace(reply) => return BatchServed::alone(reply, Outcome::Fault),
            FaultEffect::Hang(duration) => {
                return BatchServed {
                    reply: Reply::Hang(duration),
                    outcome: Outcome::Fault,
                    items: Vec::new(),
                    guards: Vec::new(),
                };
            }
            FaultEffect::Truncate => truncate = true,
        }
    }
    if let Err(problem) = token {
        return BatchServed::alone(graph::unauthenticated(&ctx, &problem), Outcome::Error);
    }
    let invalid = || {
        BatchServed::alone(
            response::error(&ctx, 400, "BadRequest", "Invalid batch payload format."),
            Outcome::Error,
        )
    };
    let Ok(batch) = serde_json::from_slice::<BatchBody>(call.body) else { return invalid() };
    if batch.requests.len() > MAX_REQUESTS {
        let reply = response::error(
            &ctx,
            400,
            "BadRequest",
            &format!(
                "The batch contains {} requests; at most {MAX_REQUESTS} requests are allowed in one batch.",
                batch.requests.len()
            ),
        );
        return BatchServed::alone(reply, Outcome::Error);
    }
    let mut ids = HashSet::new();
    if batch.requests.iter().any(|item| item.id.is_empty() || !ids.insert(item.id.as_str())) {
        return invalid();
    }

    let mut items = Vec::with_capacity(batch.requests.len());
    let mut guards = Vec::new();
    let mut answers = Vec::with_capacity(batch.requests.len());
    let mut hang: Option<Duration> = None;
    for item in &batch.requests {
        let relative = item.url.trim_start_matches('/');
        let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
        let body = item
            .body
            .as_ref()
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        let served = graph::serve(
            sim,
            &GraphCall {
                method: &item.method,
                path,
                query,
                authorization: call.authorization,
                prefer: header(&item.headers, "Prefer"),
                client_request_id: header(&item.headers, "client-request-id")
                    .or(call.client_request_id),
                body: &body,
                base: call.base,
            },
        );
        guards.extend(served.guard);
        let status = match &served.reply {
            Reply::Respond(reply) => {
                answers.push(item_json(&item.id, reply));
                reply.status.to_string()
            }
            Reply::Hang(duration) => {
                hang = Some(hang.unwrap_or_default().max(*duration));
                "hang".to_string()
            }
        };
        items.push(ItemRecord { kind: served.kind, status, outcome: served.outcome });
    }
    if let Some(duration) = hang {
        return BatchServed {
            reply: Reply::Hang(duration),
            outcome: Outcome::Fault,
            items,
            guards,
        };
    }
    let order = sim.batch_permutation(answers.len());
    let mut slots: Vec<Option<Value>> = answers.into_iter().map(Some).collect();
    let responses: Vec<Value> = order.iter().filter_map(|&i| slots[i].take()).collect();
    let mut reply = response::ok(&ctx, json!({ "responses": responses }));
    reply.set_header("Content-Type", "application/json");
    let outcome = if truncate {
        reply = reply.truncated();
        Outcome::Fault
    } else {
        Outcome::Ok
    };
    BatchServed { reply: Reply::Respond(reply), outcome, items, guards }
}

/// A sub-response; bodies that are not JSON are base64-encoded, as Graph does in batches.
fn item_json(id: &str, reply: &GraphResponse) -> Value {
    let mut headers: Map<String, Value> = reply
        .headers
        .iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("request-id")
                && !name.eq_ignore_ascii_case("client-request-id")
        })
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    let body = match &reply.body {
        Body::Json(value) => value.clone(),
        Body::Raw { bytes, content_type } => {
            headers.insert("Content-Type".into(), Value::String(content_type.clone()));
            Value::String(STANDARD.encode(bytes))
        }
    };
    json!({ "id": id, "status": reply.status, "headers": headers, "body": body })
}
