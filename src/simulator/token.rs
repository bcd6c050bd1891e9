//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant of the identity platform.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::counters::Outcome;
use super::faults::{EndpointKind, FaultKind, FaultProbe};
use super::graph::response::{Body, GraphResponse, RequestCtx, html_error_page};
use super::graph::{DEFAULT_HANG, Reply};
use super::state::{DirectoryTenant, Sim};

/// The scopes a client-credentials request for Microsoft Graph may ask for.
const GRAPH_SCOPES: &[&str] =
    &["https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"];

pub struct TokenCall<'a> {
    pub tenant: &'a str,
    pub body: &'a [u8],
    pub client_request_id: Option<&'a str>,
}

/// An identity-platform error: (HTTP status, `error`, AADSTS number, message).
struct AadError {
    status: u16,
    error: &'static str,
    code: u32,
    message: String,
}

fn aad(status: u16, error: &'static str, code: u32, message: impl Into<String>) -> AadError {
    AadError { status, error, code, message: message.into() }
}

fn headers() -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json; charset=utf-8".into()),
        ("Cache-Control".into(), "no-store, no-cache".into()),
        ("Pragma".into(), "no-cache".into()),
    ]
}

/// The body shape of `token-error-aadsts7000215.json`.
fn error_response(err: AadError, correlation_id: &str, now: DateTime<Utc>) -> GraphResponse {
    let trace_id = Uuid::new_v4().to_string();
    let timestamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": err.error,
        "error_description": format!(
            "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
            err.code, err.message
        ),
        "error_codes": [err.code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={}", err.code),
    });
    GraphResponse { status: err.status, headers: headers(), body: Body::Json(body) }
}

pub struct TokenServed {
    pub reply: Reply,
    pub outcome: Outcome,
}

pub fn serve(sim: &Sim, call: &TokenCall<'_>) -> TokenServed {
    let now = sim.clock.now();
    let correlation_id = call
        .client_request_id
        .filter(|id| Uuid::parse_str(id).is_ok())
        .map(str::to_string)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let tenant = sim.tenant_by_name(call.tenant);

    let names = tenant.as_ref().map(|t| t.names()).unwrap_or_else(|| vec![call.tenant.to_string()]);
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let probe =
        FaultProbe { kind: EndpointKind::Token, tenant_names: &name_refs, mailbox_names: &[] };
    let fault = sim.faults.take(&probe);
    let injected = |reply: Reply| TokenServed { reply, outcome: Outcome::Fault };
    match fault {
        None => {}
        Some(FaultKind::TooManyRequests { retry_after }) => {
            let mut response = error_response(
                aad(429, "temporarily_unavailable", 90055, "There are too many incoming requests."),
                &correlation_id,
                now,
            );
            if let Some(retry_after) = retry_after {
                response.set_header("Retry-After", retry_after.header_value(now));
            }
            return injected(Reply::Respond(response));
        }
        Some(FaultKind::ServiceUnavailable { retry_after }) => {
            let mut response = unavailable(&correlation_id, now);
            if let Some(retry_after) = retry_after {
                response.set_header("Retry-After", retry_after.header_value(now));
            }
            return injected(Reply::Respond(response));
        }
        // EWS kinds never reach the token endpoint unless a rule names it; then it is down.
        Some(
            FaultKind::TokenEndpointDown
            | FaultKind::EwsServerBusy { .. }
            | FaultKind::SoapFault { .. }
            | FaultKind::TruncatedXml,
        ) => {
            return injected(Reply::Respond(unavailable(&correlation_id, now)));
        }
        Some(FaultKind::GatewayTimeout) => {
            let ctx = RequestCtx::new(call.client_request_id, now);
            return injected(Reply::Respond(html_error_page(&ctx, 504)));
        }
        Some(FaultKind::Hang { secs }) => {
            return injected(Reply::Hang(secs.map(Duration::from_secs).unwrap_or(DEFAULT_HANG)));
        }
        Some(FaultKind::NonJson { status }) => {
            let ctx = RequestCtx::new(call.client_request_id, now);
            return injected(Reply::Respond(html_error_page(&ctx, status.unwrap_or(503))));
        }
        Some(FaultKind::TruncatedJson) => {
            let served = grant(sim, call, tenant, &correlation_id, now);
            return match served.reply {
                Reply::Respond(response) => injected(Reply::Respond(response.truncated())),
                hang => injected(hang),
            };
        }
    }
    grant(sim, call, tenant, &correlation_id, now)
}

/// Validates the client-credentials request in the order the identity platform reports errors.
fn grant(
    sim: &Sim,
    call: &TokenCall<'_>,
    tenant: Option<Arc<DirectoryTenant>>,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> TokenServed {
    let fail = |err: AadError| TokenServed {
        reply: Reply::Respond(error_response(err, correlation_id, now)),
        outcome: Outcome::Error,
    };
    let Some(tenant) = tenant else {
        return fail(aad(
            400,
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
                call.tenant
            ),
        ));
    };
    let mut form: HashMap<String, String> = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(call.body) {
        form.entry(key.into_owned()).or_insert_with(|| value.into_owned());
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        aad(
            400,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    let Some(grant_type) = field("grant_type") else { return fail(missing("grant_type")) };
    if grant_type != "client_credentials" {
        return fail(aad(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    let Some(client_id) = field("client_id") else { return fail(missing("client_id")) };
    if Uuid::parse_str(client_id).ok() != Some(tenant.client_id) {
        return fail(aad(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                tenant.name
            ),
        ));
    }
    let Some(secret) = field("client_secret") else {
        return fail(aad(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    if secret != tenant.client_secret {
        return fail(aad(
            401,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        ));
    }
    if tenant.secret_expires_at.is_some_and(|expires| expires <= now) {
        return fail(aad(
            401,
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
            ),
        ));
    }
    let Some(scope) = field("scope") else {
        return fail(aad(
            400,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter.",
        ));
    };
    if !GRAPH_SCOPES.iter().any(|valid| valid.eq_ignore_ascii_case(scope.trim())) {
        return fail(aad(
            400,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    }
    let (access_token, lifetime) = sim.issue_token(&tenant);
    sim.counters.record_token_issued();
    let body: Value = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    let response = GraphResponse { status: 200, headers: headers(), body: Body::Json(body) };
    TokenServed { reply: Reply::Respond(response), outcome: Outcome::Ok }
}

fn unavailable(correlation_id: &str, now: DateTime<Utc>) -> GraphResponse {
    error_response(
        aad(
            503,
            "temporarily_unavailable",
            90033,
            "The Microsoft Online Directory Service (MSODS) isn't available.",
        ),
        correlation_id,
        now,
    )
}
