//! How a tenant's syncing is going: for the sync health page of admins and operators.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::AppState;
use crate::db::entities::{availability, directory_user, sync_run, sync_state};
use crate::db::{
    TenantScope, availability as stored, directory, leases, provider_configs, sync_runs,
};

pub struct SyncHealth {
    pub configured: bool,
    pub state: Option<sync_state::Model>,
    pub runs: Vec<sync_run::Model>,
    /// Users whose last read failed, with their stored row.
    pub user_errors: Vec<(directory_user::Model, availability::Model)>,
}

pub async fn of(state: &AppState, scope: TenantScope) -> Result<SyncHealth, sea_orm::DbErr> {
    let configured = provider_configs::find(&state.db, scope).await?.is_some();
    let sync_state = leases::find(&state.db, scope.tenant_id()).await?;
    let runs = sync_runs::recent(&state.db, scope, 20).await?;
    let rows = stored::for_tenant(&state.db, scope).await?;
    let users = directory::list(&state.db, scope).await?;
    let user_errors = users
        .into_iter()
        .filter(|u| u.sync_enabled)
        .filter_map(|u| {
            let row =
                rows.iter().find(|r| r.user_id == u.id && r.sync_error_code.is_some())?.clone();
            Some((u, row))
        })
        .collect();
    Ok(SyncHealth { configured, state: sync_state, runs, user_errors })
}

/// A tenant's syncing in one word, for badges and the sync health page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// No calendar connection is stored.
    Unconfigured,
    /// Sign-in or permission failed: only an administrator can fix it.
    NeedsAction,
    /// The breaker is open after repeated failures, until then.
    Paused(DateTime<Utc>),
    /// The last sync failed; it is being retried with backoff.
    Failing,
    /// Set up, not synced yet.
    Pending,
    Ok,
}

impl SyncStatus {
    pub fn of(
        configured: bool,
        state: Option<&sync_state::Model>,
        now: DateTime<Utc>,
    ) -> SyncStatus {
        let Some(s) = state.filter(|_| configured) else { return SyncStatus::Unconfigured };
        if s.needs_admin_action {
            SyncStatus::NeedsAction
        } else if let Some(until) = s.breaker_open_until.filter(|u| *u > now) {
            SyncStatus::Paused(until)
        } else if s.consecutive_failures > 0 {
            SyncStatus::Failing
        } else if s.last_run_at.is_none() {
            SyncStatus::Pending
        } else {
            SyncStatus::Ok
        }
    }

    /// A stable name, used as a CSS class.
    pub fn key(self) -> &'static str {
        match self {
            SyncStatus::Unconfigured => "unconfigured",
            SyncStatus::NeedsAction => "action",
            SyncStatus::Paused(_) => "paused",
            SyncStatus::Failing => "failing",
            SyncStatus::Pending => "pending",
            SyncStatus::Ok => "ok",
        }
    }
}

impl SyncHealth {
    pub fn status(&self, now: DateTime<Utc>) -> SyncStatus {
        SyncStatus::of(self.configured, self.state.as_ref(), now)
    }
}

/// Every tenant's sync status, for the operator console.
pub async fn overview(state: &AppState) -> Result<HashMap<Uuid, SyncStatus>, sea_orm::DbErr> {
    use crate::db::entities::provider_config;
    let configured: HashSet<Uuid> = provider_config::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| p.tenant_id)
        .collect();
    let now = state.clock.now();
    Ok(sync_state::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.tenant_id, SyncStatus::of(configured.contains(&s.tenant_id), Some(&s), now)))
        .collect())
}
