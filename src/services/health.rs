//! How a tenant's syncing is going: for the sync health page of admins and operators, the
//! dashboard's badge and the operator's console.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::{AppState, Error, Result, TenantScope};
use crate::db::entities::{provider_config, sync_state};
use crate::db::{availability as stored, directory, leases, provider_configs, sync_runs, tenants};
use crate::domain::{ErrorCode, FailureReason, SyncOutcome};

/// Runs shown on the sync health page.
const RECENT_RUNS: u64 = 20;
/// A running sync is "longer than usual" past this many times the usual duration, and never
/// before `OVERDUE_AFTER`.
const OVERDUE_FACTOR: i32 = 3;
const OVERDUE_AFTER: chrono::Duration = chrono::Duration::seconds(20);

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

/// One recorded sync.
#[derive(Debug, Clone)]
pub struct SyncRun {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: SyncOutcome,
    pub users: i32,
    pub changed: i32,
    pub http_requests: i32,
    pub throttled: i32,
    pub errors: i32,
}

/// A synced user whose calendar could not be read last time.
#[derive(Debug, Clone)]
pub struct UserProblem {
    pub email: String,
    pub name: Option<String>,
    pub code: ErrorCode,
}

/// A sync in progress, and whether it takes longer than the recent ones did.
#[derive(Debug, Clone)]
pub struct RunningSync {
    pub instance: String,
    pub elapsed: chrono::Duration,
    /// The median duration of the recent runs.
    pub usual: Option<chrono::Duration>,
    pub longer_than_usual: bool,
}

impl RunningSync {
    fn of(
        s: &sync_state::Model,
        runs: &[crate::db::entities::sync_run::Model],
        now: DateTime<Utc>,
    ) -> Option<RunningSync> {
        let instance = s.lease_owner.clone().filter(|_| s.lease_until.is_some_and(|u| u > now))?;
        let elapsed = s.running_since.map_or(chrono::Duration::zero(), |since| now - since);
        let mut durations: Vec<_> = runs.iter().map(|r| r.finished_at - r.started_at).collect();
        durations.sort();
        let usual = durations.get(durations.len() / 2).copied();
        let limit = usual.map_or(OVERDUE_AFTER, |u| (u * OVERDUE_FACTOR).max(OVERDUE_AFTER));
        Some(RunningSync { instance, elapsed, usual, longer_than_usual: elapsed > limit })
    }
}

/// The sync health page.
#[derive(Debug, Clone)]
pub struct SyncHealth {
    pub tenant_name: String,
    pub status: SyncStatus,
    /// What is wrong, when something is.
    pub problem: Option<FailureReason>,
    pub failures: i32,
    /// The sync running at this moment, if one is.
    pub running: Option<RunningSync>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub runs: Vec<SyncRun>,
    pub user_errors: Vec<UserProblem>,
    /// The Entra group whose members are synced, if one is chosen.
    pub group: Option<super::group_sync::GroupStatus>,
}

/// The sync health of a tenant.
pub async fn of(state: &AppState, scope: TenantScope) -> Result<SyncHealth> {
    let tenant = tenants::find(&state.db, scope.tenant_id()).await?.ok_or(Error::NotFound)?;
    let configured = provider_configs::find(&state.db, scope).await?.is_some();
    let sync_state = leases::find(&state.db, scope.tenant_id()).await?;
    let now = state.clock.now();
    let runs = sync_runs::recent(&state.db, scope, RECENT_RUNS).await?;
    let mut codes: HashMap<Uuid, ErrorCode> = stored::for_tenant(&state.db, scope)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.user_id, r.sync_error_code?)))
        .collect();
    let user_errors = directory::list(&state.db, scope)
        .await?
        .into_iter()
        .filter(|u| u.sync_enabled)
        .filter_map(|u| {
            let code = codes.remove(&u.id)?;
            Some(UserProblem { email: u.email, name: u.display_name, code })
        })
        .collect();
    let s = sync_state.as_ref();
    let problem = match s {
        _ if !configured => Some(FailureReason::NotConfigured),
        Some(s) if s.consecutive_failures > 0 || s.needs_admin_action => s.last_error_code,
        _ => None,
    };
    Ok(SyncHealth {
        tenant_name: tenant.name,
        status: SyncStatus::of(configured, s, now),
        problem,
        failures: s.map_or(0, |s| s.consecutive_failures),
        running: s.and_then(|s| RunningSync::of(s, &runs, now)),
        last_run_at: s.and_then(|s| s.last_run_at),
        last_success_at: s.and_then(|s| s.last_success_at),
        next_run_at: s.map(|s| s.next_run_at).filter(|_| configured),
        runs: runs
            .into_iter()
            .map(|r| SyncRun {
                started_at: r.started_at,
                finished_at: r.finished_at,
                outcome: r.outcome,
                users: r.users,
                changed: r.changed,
                http_requests: r.http_requests,
                throttled: r.throttled,
                errors: r.errors,
            })
            .collect(),
        user_errors,
        group: super::group_sync::status(state, scope).await?,
    })
}

/// The tenant's status alone, for the dashboard's badge.
pub async fn status(state: &AppState, scope: TenantScope) -> Result<SyncStatus> {
    let configured = provider_configs::find(&state.db, scope).await?.is_some();
    let sync_state = leases::find(&state.db, scope.tenant_id()).await?;
    Ok(SyncStatus::of(configured, sync_state.as_ref(), state.clock.now()))
}

/// Every tenant's sync status, for the operator console.
pub async fn overview(state: &AppState) -> Result<HashMap<Uuid, SyncStatus>> {
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
