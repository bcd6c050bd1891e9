//! Errors of the machine API, as RFC 9457 `application/problem+json`: a stable `type` a
//! client can branch on, a title, the status and what to do about it.

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::services::{self, api_tokens::Refusal};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// The body of every API error.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Identifies the kind of problem, e.g. `/api/v1/problems/unauthenticated`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing, unknown or revoked API token")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("rate limit reached")]
    Limited(Duration),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<services::Error> for ApiError {
    fn from(e: services::Error) -> ApiError {
        match e {
            services::Error::NotFound | services::Error::Unusable => ApiError::NotFound,
            services::Error::Busy => ApiError::Busy,
            services::Error::Invalid(fields) | services::Error::Conflict(fields) => {
                ApiError::BadRequest(format!("invalid parameter: {fields}"))
            }
            services::Error::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        match r {
            Refusal::Unauthenticated => ApiError::Unauthenticated,
            Refusal::Limited(wait) => ApiError::Limited(wait),
            Refusal::Failed(e) => e.into(),
        }
    }
}

impl ApiError {
    fn parts(&self) -> (&'static str, &'static str, String) {
        match self {
            ApiError::Unauthenticated => (
                "unauthenticated",
                "Missing or invalid API token",
                "Send an API token of this tenant as `Authorization: Bearer cbk_…`. Tokens are \
                 created on the Integrations page or with `calbridge api-token create`; a revoked \
                 token no longer works."
                    .into(),
            ),
            ApiError::NotFound => {
                ("not-found", "Not found", "No such person in this token's tenant.".into())
            }
            ApiError::Limited(wait) => (
                "rate-limited",
                "Too many requests",
                format!(
                    "This token made too many requests. Try again in {} s, or use the stream \
                     (`/api/v1/presence/stream`) or ETags instead of frequent polling.",
                    seconds(*wait)
                ),
            ),
            ApiError::BadRequest(detail) => ("bad-request", "Bad request", detail.clone()),
            ApiError::Busy => {
                ("busy", "Service busy", "The service is busy; try again in a moment.".into())
            }
            ApiError::Internal(_) => (
                "internal",
                "Internal error",
                "Something went wrong on our side; it has been logged. Try again later.".into(),
            ),
        }
    }
}

/// Whole seconds to wait, rounded up: a client that waits that long is let in.
fn seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "API request failed");
        }
        let (kind, title, detail) = self.parts();
        let status = self.status_code();
        let problem = Problem {
            kind: format!("/api/v1/problems/{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
        };
        let mut response = HttpResponse::build(status);
        response.content_type(CONTENT_TYPE);
        match self {
            ApiError::Unauthenticated => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"calbridge\""));
            }
            ApiError::Limited(wait) => {
                response.insert_header((header::RETRY_AFTER, seconds(*wait).to_string()));
            }
            _ => {}
        }
        response.json(problem)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
