//! The machine API under `/api/v1`: a tenant's presence for phone systems and switchboards,
//! read-only, with a bearer token of that tenant.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use serde::Deserialize;

use crate::services::presence::{Conditional, Filter};
use crate::services::{self, AppState};
use crate::web::extract::Api;
use crate::web::problem::ApiResult;
use crate::web::sse;

/// Filters of the presence list; each one given must match (ignoring case).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresenceQuery {
    /// The person's e-mail address.
    email: Option<String>,
    /// The person's phone extension.
    extension: Option<String>,
    department: Option<String>,
    /// One of `free`, `busy`, `tentative`, `out_of_office`, `working_elsewhere`, `unknown`.
    state: Option<String>,
}

fn if_none_match(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

/// 304 with the validator, or the JSON with it.
fn conditional(answer: Conditional<std::sync::Arc<str>>) -> HttpResponse {
    match answer {
        Conditional::NotModified(etag) => HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .finish(),
        Conditional::Fresh(etag, json) => HttpResponse::Ok()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .content_type("application/json")
            .body(json.to_string()),
    }
}

/// Everyone in the directory with their availability now.
#[utoipa::path(
    get,
    path = "/api/v1/presence",
    tag = "presence",
    params(PresenceQuery),
    responses(
        (status = 200, description = "The people the filters pick", body = services::presence::PresenceList,
            headers(("ETag" = String, description = "Send it back as If-None-Match"))),
        (status = 304, description = "Nothing changed since the ETag sent in If-None-Match"),
        (status = 400, description = "An unknown state", body = crate::web::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::web::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached; see Retry-After", body = crate::web::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []))
)]
pub async fn presence_list(
    state: web::Data<AppState>,
    Api(client): Api,
    query: web::Query<PresenceQuery>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let filter =
        Filter { email: q.email, extension: q.extension, department: q.department, state: q.state };
    let answer =
        services::presence::document_if_changed(&state, client.scope, &filter, if_none_match(&req))
            .await?;
    Ok(conditional(answer))
}

/// One person, by e-mail address.
#[utoipa::path(
    get,
    path = "/api/v1/presence/{email}",
    tag = "presence",
    params(("email" = String, Path, description = "The person's e-mail address")),
    responses(
        (status = 200, description = "The person", body = services::presence::PresenceEntry,
            headers(("ETag" = String, description = "Send it back as If-None-Match"))),
        (status = 304, description = "Nothing changed since the ETag sent in If-None-Match"),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::web::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person in the token's tenant", body = crate::web::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached; see Retry-After", body = crate::web::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []))
)]
pub async fn presence_one(
    state: web::Data<AppState>,
    Api(client): Api,
    email: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let answer =
        services::presence::one_if_changed(&state, client.scope, &email, if_none_match(&req))
            .await?;
    Ok(conditional(answer))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// For clients that cannot send the `Last-Event-ID` header: the id of the last event seen.
    last_event_id: Option<String>,
}

/// Server-sent events: `snapshot` (the list, as `GET /api/v1/presence` gives it) on connect,
/// then `presence` (one person, as `GET /api/v1/presence/{email}` gives them) per change,
/// each with an `id` increasing per tenant; a comment every 15 s. Reconnect with
/// `Last-Event-ID` to receive exactly the events missed (or a fresh snapshot when they are
/// too old to replay).
#[utoipa::path(
    get,
    path = "/api/v1/presence/stream",
    tag = "presence",
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received")),
    responses(
        (status = 200, description = "An endless text/event-stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::web::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached; see Retry-After", body = crate::web::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []))
)]
pub async fn presence_stream(
    state: web::Data<AppState>,
    Api(client): Api,
    query: web::Query<StreamQuery>,
    req: HttpRequest,
) -> ApiResult<impl Responder> {
    let last = sse::last_event_id(&req, query.last_event_id.as_deref());
    let holder = services::stream::Holder::Token(client.token_id);
    let subscription = services::stream::open(&state, client.scope, holder, last).await?;
    Ok(sse::respond(state.get_ref().clone(), subscription))
}
