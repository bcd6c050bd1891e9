use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::db;
use crate::services::AppState;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers and carries every migration this build knows. The probe asks the
/// database itself, not a use case: it is what load balancers watch.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match db::pending_migrations(&state.db).await {
        Ok(0) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(pending) => HttpResponse::ServiceUnavailable().json(
            json!({ "status": "not ready", "reason": "migrations pending", "pending": pending }),
        ),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "not ready", "reason": "database unreachable" }))
        }
    }
}

/// Prometheus metrics on the portal's address, for the bearer of `CALBRIDGE_METRICS_TOKEN`;
/// not served here without one (then only `CALBRIDGE_METRICS_BIND` serves them, if set).
pub async fn metrics(state: web::Data<AppState>, req: actix_web::HttpRequest) -> HttpResponse {
    match &state.config.metrics_token {
        None => HttpResponse::NotFound().finish(),
        Some(token) => guarded(token, &req),
    }
}

/// Prometheus metrics on the separate `CALBRIDGE_METRICS_BIND` address: open, unless a
/// token is configured too.
pub async fn metrics_listener(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> HttpResponse {
    match &state.config.metrics_token {
        None => exposition(),
        Some(token) => guarded(token, &req),
    }
}

fn guarded(token: &secrecy::SecretString, req: &actix_web::HttpRequest) -> HttpResponse {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests compared, so the time taken says nothing about the token.
    if Sha256::digest(presented.as_bytes()) != Sha256::digest(token.expose_secret().as_bytes()) {
        return HttpResponse::Unauthorized()
            .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
            .finish();
    }
    exposition()
}

fn exposition() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::telemetry::render())
}
