//! Trimming what is no longer needed: expired sessions, old availability history and old
//! finished webhook deliveries.

use chrono::Duration;

use super::{AppState, Result};
use crate::auth::session::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT};
use crate::db::{availability, sessions, webhooks};

/// What one round removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trimmed {
    pub sessions: u64,
    pub history: u64,
    pub deliveries: u64,
}

/// Deletes sessions past their limits, and history and finished webhook deliveries older
/// than `history_retention`.
pub async fn run(state: &AppState, history_retention: Duration) -> Result<Trimmed> {
    let now = state.clock.now();
    let sessions =
        sessions::purge_expired(&state.db, now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT).await?;
    let history = availability::prune_history(&state.db, now - history_retention).await?;
    let deliveries = webhooks::prune(&state.db, now - history_retention).await?;
    Ok(Trimmed { sessions, history, deliveries })
}
