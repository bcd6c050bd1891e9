//! Trimming what is no longer needed: expired sessions and old availability history.

use chrono::Duration;

use super::{AppState, Result};
use crate::auth::session::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT};
use crate::db::{availability, sessions};

/// What one round removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trimmed {
    pub sessions: u64,
    pub history: u64,
}

/// Deletes sessions past their limits and history older than `history_retention`.
pub async fn run(state: &AppState, history_retention: Duration) -> Result<Trimmed> {
    let now = state.clock.now();
    let sessions =
        sessions::purge_expired(&state.db, now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT).await?;
    let history = availability::prune_history(&state.db, now - history_retention).await?;
    Ok(Trimmed { sessions, history })
}
