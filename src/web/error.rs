//! Errors a handler can return. They carry no page: the error-page middleware renders the
//! status in the product's look and the caller's language (and turns 401 into a redirect to
//! the sign-in page).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::auth::Denied;
use crate::services;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("not allowed for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("cross-site request refused")]
    CrossSite,
    #[error("the form is not valid UTF-8")]
    Encoding,
    #[error("the service is busy")]
    Busy,
    /// A use case refused the input and the handler had no form to show it on.
    #[error("refused: {0}")]
    Refused(StatusCode),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The one mapping from what a use case says to what the browser gets.
impl From<services::Error> for AppError {
    fn from(e: services::Error) -> AppError {
        match e {
            services::Error::NotFound | services::Error::Unusable => AppError::NotFound,
            services::Error::Busy => AppError::Busy,
            services::Error::Invalid(_) => AppError::Refused(StatusCode::UNPROCESSABLE_ENTITY),
            services::Error::Conflict(_) => AppError::Refused(StatusCode::CONFLICT),
            services::Error::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> AppError {
        match d {
            Denied::NotSignedIn => AppError::Unauthenticated,
            Denied::WrongRole => AppError::Forbidden,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::CrossSite => StatusCode::FORBIDDEN,
            AppError::Encoding => StatusCode::BAD_REQUEST,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Refused(status) => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => {
                // `{:#}` keeps the whole cause chain in the log; the user sees a plain page.
                tracing::error!(error = format!("{cause:#}"), "request failed");
                HttpResponse::InternalServerError().finish()
            }
            other => {
                let mut response = HttpResponse::build(other.status_code());
                if matches!(other, AppError::Csrf | AppError::CrossSite | AppError::Encoding) {
                    tracing::warn!(reason = %other, "refused a state-changing request");
                    response.insert_header(("x-calbridge-refusal", refusal_code(other)));
                }
                response.finish()
            }
        }
    }
}

/// A machine-readable reason, so the error page can explain a refused form.
fn refusal_code(e: &AppError) -> &'static str {
    match e {
        AppError::Csrf => "csrf",
        AppError::Encoding => "encoding",
        _ => "cross-site",
    }
}

pub type AppResult<T> = Result<T, AppError>;
