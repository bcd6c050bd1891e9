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
