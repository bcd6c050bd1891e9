//! What every command shares: how it fails, and the database it opens (closed before the
//! process exits).

use sea_orm::prelude::Uuid;

use crate::clock::Clock;
use crate::config::Config;
use crate::services::{self, AppState, FormError, TenantScope};
use crate::startup::build_state;

/// A failure worth one line on stderr: bad input (exit 2) or a failed operation (exit 1).
#[derive(Debug)]
pub(crate) enum Failure {
    Usage(String),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Failed(e)
    }
}

/// Refused input is the caller's to fix (exit 2); anything else is a failed operation.
impl From<services::Error> for Failure {
    fn from(e: services::Error) -> Failure {
        match e {
            services::Error::Invalid(problems) | services::Error::Conflict(problems) => {
                Failure::Usage(problems.to_string())
            }
            services::Error::NotFound => Failure::Usage("not found".into()),
            services::Error::Unusable => {
                Failure::Usage("the link is invalid, used or expired".into())
            }
            services::Error::Busy => {
                Failure::Failed(anyhow::anyhow!("the service is busy; try again shortly"))
            }
            services::Error::Internal(cause) => Failure::Failed(cause),
        }
    }
}

impl<P> From<FormError<P>> for Failure {
    fn from(e: FormError<P>) -> Failure {
        match e {
            FormError::Refused(refused) => Failure::Usage(refused.errors.to_string()),
            FormError::Other(e) => e.into(),
        }
    }
}

pub(super) fn config() -> Result<Config, Failure> {
    Config::from_env().map_err(|e| Failure::Usage(e.to_string()))
}

pub(super) async fn state() -> Result<AppState, Failure> {
    opened(config()?).await
}

/// Database pools this command opened. They are closed before the process exits, so that
/// PostgreSQL sees each connection end properly instead of a reset.
static OPENED: std::sync::Mutex<Vec<sea_orm::DatabaseConnection>> =
    std::sync::Mutex::new(Vec::new());

pub(super) async fn opened(config: Config) -> Result<AppState, Failure> {
    let state = build_state(config, Clock::system()).await?;
    OPENED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(state.db.clone());
    Ok(state)
}

pub(super) async fn close_databases() {
    let pools =
        std::mem::take(&mut *OPENED.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for pool in pools {
        if let Err(e) = pool.close().await {
            tracing::debug!(error = %e, "closing the database pool");
        }
    }
}

pub(super) async fn tenant_scope(state: &AppState, raw: &str) -> Result<TenantScope, Failure> {
    let id = Uuid::parse_str(raw.trim()).map_err(|_| {
        Failure::Usage(format!("--tenant: '{raw}' is not a tenant id (see: calbridge tenant list)"))
    })?;
    match services::tenants::operator_scope(state, id).await {
        Err(services::Error::NotFound) => {
            Err(Failure::Usage(format!("--tenant: no tenant has the id {id}")))
        }
        other => Ok(other?),
    }
}
