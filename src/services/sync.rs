//! One tenant's sync: read every enabled user's calendar, compute availability, write what
//! changed under the tenant's lease, and decide when the next sync runs.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use sea_orm::prelude::Uuid;
use serde::Serialize;

use super::availability::{
    UserError, differs, history_entry, last_confirmed, row_from_error, row_from_items,
    visibly_differs,
};
use super::provider_registry::ConnectionProblem;
use super::{AppState, Error, Result, TenantScope, rules};
use crate::availability::AvailabilityRules;
use crate::db::entities::{availability, sync_run};
pub use crate::db::leases::Claim;
use crate::db::leases::{self, Finish};
use crate::db::{availability as stored, directory, instances, sync_runs, tenants};
use crate::domain::calendar::CalendarItem;
use crate::domain::{Email, ErrorCode, FailureReason, Locale, SyncOutcome};
use crate::i18n::messages;
use crate::providers::{ProviderError, TimeWindow};

/// The calendar window read each time: an hour back (meetings in progress) to 36 hours ahead
/// (tomorrow, whatever the time zone).
pub const WINDOW_BEFORE: Duration = Duration::hours(1);
pub const WINDOW_AFTER: Duration = Duration::hours(36);
/// After this many failed syncs in a row the breaker opens: the tenant shows as paused, and
/// one trial sync runs after each cool-down (half-open); the first success closes it.
pub const BREAKER_AFTER: i32 = 5;
/// The longest wait between a tenant's failed syncs, and so the breaker's cool-down: a
/// tenant whose fault cleared is back within this.
pub const LONGEST_BACKOFF: Duration = Duration::minutes(2);
/// How soon a sync that failed on calbridge's own database is tried again (by any instance).
const STORAGE_RETRY: Duration = Duration::seconds(5);
/// How soon a tenant that needs its admin is tried again (consent may be granted in Entra
/// without anyone telling calbridge).
const ADMIN_RETRY: Duration = Duration::minutes(5);

/// What one sync did, as `calbridge sync --once` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub tenant: Uuid,
    pub outcome: SyncOutcome,
    pub users_read: usize,
    pub changed: usize,
    pub errors: usize,
    pub http_requests: u32,
    pub throttled: u32,
    pub duration_ms: u64,
    /// Of which writing to the database.
    pub write_ms: u64,
    pub error: Option<TenantError>,
}

/// Why a whole tenant could not be synced: a stable code, a reason for the explanation, and
/// the technical detail for logs.
#[derive(Debug, Clone, Serialize)]
pub struct TenantError {
    pub code: ErrorCode,
    pub reason: FailureReason,
    pub message: String,
}

impl TenantError {
    pub fn new(reason: FailureReason, message: String) -> TenantError {
        TenantError { code: reason.code(), reason, message }
    }
}

/// The lease was taken over mid-sync (this instance stalled beyond its lease): nothing was
/// written, and the other instance's results stand.
#[derive(Debug, thiserror::Error)]
#[error("the lease on tenant {0} was lost during the sync")]
pub struct LeaseLost(pub Uuid);

impl Error {
    /// Whether another instance took the tenant over, so that this one's result was dropped.
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, Error::Internal(e) if e.downcast_ref::<LeaseLost>().is_some())
    }
}

/// A sync that ended without its result stored: the database failed under it, or it ran past
/// its deadline. Kept until [`settle`] gets it into the database.
#[derive(Debug, Clone)]
pub struct Interrupted {
    pub claim: Claim,
    pub started: DateTime<Utc>,
    pub error: TenantError,
    /// When it ended; the run is recorded as ending then, however late it is recorded.
    ended: DateTime<Utc>,
    /// The run's id, fixed so that settling twice records it once.
    run_id: Uuid,
}

impl Interrupted {
    pub fn new(
        claim: Claim,
        started: DateTime<Utc>,
        ended: DateTime<Utc>,
        error: TenantError,
    ) -> Interrupted {
        Interrupted { claim, started, error, ended, run_id: Uuid::now_v7() }
    }
}

pub struct SyncContext<'a> {
    pub state: &'a AppState,
    pub claim: Claim,
    pub instance: &'a str,
    pub lease: Duration,
}

/// Stored with the user's row; the English words, for the command line and the API.
fn user_error(e: &ProviderError) -> UserError {
    UserError { code: e.code(), message: messages(Locale::En).explain(e.reason()).problem.into() }
}

fn connection_error(p: &ConnectionProblem) -> TenantError {
    TenantError::new(p.reason(), p.to_string())
}

/// Claims up to `limit` due tenants for this instance, each for `lease`.
pub async fn claim_due(
    state: &AppState,
    instance: &str,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Claim>> {
    let now = state.clock.now();
    Ok(leases::claim_due(&state.db, instance, now, now + lease, limit).await?)
}

/// How many tenants are due now.
pub async fn due_count(state: &AppState) -> Result<u64> {
    Ok(leases::due_count(&state.db, state.clock.now()).await?)
}

/// Extends a claim by `lease` from now; false when another instance took the tenant over.
pub async fn renew(
    state: &AppState,
    claim: Claim,
    instance: &str,
    lease: Duration,
) -> Result<bool> {
    Ok(leases::renew(&state.db, claim, instance, state.clock.now() + lease).await?)
}

/// What the claim loop plans with: when the next tenant comes due, how many tenants there
/// are, and how many instances share them.
#[derive(Debug, Clone, Copy)]
pub struct Outlook {
    pub next_due: Option<DateTime<Utc>>,
    pub tenants: u64,
    pub instances: u64,
}

/// Says `instance` is alive, ends the leases of instances silent for longer than
/// `dead_after` (they crashed), and reads the schedule.
pub async fn look_ahead(state: &AppState, instance: &str, dead_after: Duration) -> Result<Outlook> {
    let now = state.clock.now();
    instances::beat(&state.db, instance, now).await?;
    let ended = instances::reap(&state.db, now, now - dead_after).await?;
    if ended > 0 {
        tracing::warn!(leases = ended, "an instance stopped answering; its tenants are taken over");
        crate::telemetry::lease_takeovers(ended);
    }
    let instances = instances::alive(&state.db, now - dead_after).await?;
    let outlook = leases::outlook(&state.db, now).await?;
    Ok(Outlook { next_due: outlook.next_due, tenants: outlook.tenants, instances })
}

/// Takes a stopping instance out of the count (and any that crashed long ago).
pub async fn sign_off(state: &AppState, instance: &str) -> Result<()> {
    instances::forget(&state.db, instance, state.clock.now() - Duration::hours(1)).await?;
    Ok(())
}

/// Gives a claim back unfinished (shutdown): the tenant is due again at once.
pub async fn release(state: &AppState, claim: Claim, instance: &str) -> Result<()> {
    Ok(leases::release(&state.db, claim, instance, state.clock.now()).await?)
}

/// Syncs one tenant now, outside the scheduler (`calbridge sync --once`). Refused while
/// another instance is syncing it.
pub async fn run_once(state: &AppState, scope: TenantScope, instance: &str) -> Result<SyncReport> {
    let lease = Duration::minutes(10);
    let now = state.clock.now();
    let claim = leases::claim_now(&state.db, scope.tenant_id(), instance, now, now + lease)
        .await?
        .ok_or(Error::Busy)?;
    run(SyncContext { state, claim, instance, lease }).await
}

/// Runs one sync of the claimed tenant. Only storage failures and a lost lease are errors;
/// everything Microsoft does wrong is an outcome, recorded and scheduled around.
pub async fn run(ctx: SyncContext<'_>) -> Result<SyncReport> {
    let SyncContext { state, claim, instance, lease } = ctx;
    let clock = &state.clock;
    let started = clock.now();
    let timer = Instant::now();
    let scope = TenantScope::new(claim.tenant_id);
    let tenant = tenants::get(&state.db, scope).await?;
    let rules = rules::parse(tenant.id, tenant.rules_json.as_deref());
    let schedule = leases::find(&state.db, claim.tenant_id).await?;
    let confirmed = schedule.as_ref().and_then(|s| s.last_success_at);
    let failures_before = schedule.map_or(0, |s| s.consecutive_failures);
    let mut report = SyncReport {
        tenant: tenant.id,
        outcome: SyncOutcome::Ok,
        users_read: 0,
        changed: 0,
        errors: 0,
        http_requests: 0,
        throttled: 0,
        duration_ms: 0,
        write_ms: 0,
        error: None,
    };

    let provider = match state.providers.for_tenant(&state.db, &state.keyring, scope).await {
        Ok(p) => Some(p),
        Err(problem) => {
            report.error = Some(connection_error(&problem));
            None
        }
    };
    // The tenant's Entra group decides who is synced, so it runs before the users are listed.
    if let Some(provider) = &provider {
        super::group_sync::run_if_due(state, scope, provider.as_ref()).await?;
    }
    let users: Vec<_> =
        directory::list(&state.db, scope).await?.into_iter().filter(|u| u.sync_enabled).collect();
    let mut retry_after = None;
    if let (Some(provider), false) = (provider, users.is_empty()) {
        let emails: Vec<Email> = users.iter().filter_map(|u| Email::parse(&u.email).ok()).collect();
        let window = TimeWindow::new(started - WINDOW_BEFORE, started + WINDOW_AFTER)
            .map_err(anyhow::Error::from)?;
        let outcome = provider.read_calendars(&emails, window).await;
        report.http_requests = outcome.stats.http_requests;
        report.throttled = outcome.stats.throttled_responses;
        match outcome.result {
            Err(e) => {
                if let ProviderError::Throttled { retry_after: Some(wait), .. } = &e {
                    retry_after = Duration::from_std(*wait).ok();
                }
                tracing::warn!(tenant = %tenant.id, error = %e, "tenant sync failed");
                report.error = Some(TenantError::new(e.reason(), e.to_string()));
            }
            Ok(calendars) => {
                let by_key: HashMap<String, &CalendarResult> =
                    calendars.iter().map(|c| (c.mailbox.key(), &c.result)).collect();
                let read: Vec<(Uuid, &CalendarResult)> = users
                    .iter()
                    .filter_map(|u| by_key.get(&u.email_key).map(|r| (u.id, *r)))
                    .collect();
                report.users_read = read.len();
                report.errors = read.iter().filter(|(_, r)| r.is_err()).count();
                let reading = Reading { tenant: tenant.id, rules: &rules, started, confirmed };
                let writing = Instant::now();
                report.changed =
                    write_fenced(state, claim, instance, lease, &reading, &read).await?;
                if report.changed > 0 {
                    report.write_ms = writing.elapsed().as_millis() as u64;
                }
                if report.errors > 0 {
                    report.outcome = SyncOutcome::Partial;
                }
            }
        }
    }

    report.duration_ms = timer.elapsed().as_millis() as u64;
    let ending = Ending { started, retry_after, run_id: Uuid::now_v7(), failures_before };
    conclude(state, claim, instance, &mut report, ending).await?;
    Ok(report)
}

/// Ends an interrupted sync in the database; safe to call again until it succeeds.
///
/// A timed-out sync is the tenant's failure: it is scheduled with backoff like any other. A
/// storage failure is calbridge's own: the lease is given back first (so the tenant is due
/// again at once, on any instance), then the run is recorded without counting against the
/// tenant.
pub async fn settle(state: &AppState, instance: &str, interrupted: &Interrupted) -> Result<()> {
    let Interrupted { claim, started, error, ended, run_id } = interrupted.clone();
    let mut report = SyncReport {
        tenant: claim.tenant_id,
        outcome: SyncOutcome::Failed,
        users_read: 0,
        changed: 0,
        errors: 0,
        http_requests: 0,
        throttled: 0,
        duration_ms: (ended - started).num_milliseconds().max(0) as u64,
        write_ms: 0,
        error: Some(error),
    };
    if interrupted.error.reason == FailureReason::StorageUnavailable {
        leases::release(&state.db, claim, instance, state.clock.now() + STORAGE_RETRY).await?;
    } else {
        let failures_before =
            leases::find(&state.db, claim.tenant_id).await?.map_or(0, |s| s.consecutive_failures);
        let ending = Ending { started, retry_after: None, run_id, failures_before };
        match conclude(state, claim, instance, &mut report, ending).await {
            Err(e) if e.is_lease_lost() => {}
            other => return other,
        }
    }
    sync_runs::record(&state.db, run_record(claim, instance, started, ended, &report, run_id))
        .await?;
    Ok(())
}

fn run_record(
    claim: Claim,
    instance: &str,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    report: &SyncReport,
    id: Uuid,
) -> sync_run::Model {
    sync_run::Model {
        id,
        tenant_id: claim.tenant_id,
        instance: instance.to_owned(),
        fencing_token: claim.token,
        started_at: started,
        finished_at: finished,
        users: report.users_read as i32,
        changed: report.changed as i32,
        http_requests: report.http_requests as i32,
        throttled: report.throttled as i32,
        errors: report.errors as i32,
        outcome: report.outcome,
        error_code: report.error.as_ref().map(|e| e.code),
        error_message: report.error.as_ref().map(|e| e.message.clone()),
    }
}

/// What [`conclude`] needs beyond the report: when the sync started, how long Microsoft asked
/// to wait, the run's id, and the failures in a row before this sync (read when it started;
/// only the lease holder changes them).
struct Ending {
    started: DateTime<Utc>,
    retry_after: Option<Duration>,
    run_id: Uuid,
    failures_before: i32,
}

/// Schedules the next sync from the outcome (interval, backoff, breaker, admin action), gives
/// the lease back and records the run.
async fn conclude(
    state: &AppState,
    claim: Claim,
    instance: &str,
    report: &mut SyncReport,
    ending: Ending,
) -> Result<()> {
    let Ending { started, retry_after, run_id, failures_before: failures } = ending;
    let finished = state.clock.now();
    let interval = Duration::from_std(state.config.sync_interval).unwrap_or(Duration::seconds(60));
    let finish = match &report.error {
        // Every interval from the previous start; at once if the sync took longer than that.
        None => Finish {
            next_run_at: (started + interval).max(finished),
            consecutive_failures: 0,
            breaker_open_until: None,
            needs_admin_action: false,
            error: None,
            ran_at: finished,
            succeeded: true,
        },
        Some(error) => {
            report.outcome = SyncOutcome::Failed;
            let needs_admin = error.reason.needs_admin();
            let failures = failures + 1;
            let backoff =
                (interval * 2_i32.pow((failures - 1).clamp(0, 10) as u32)).min(LONGEST_BACKOFF);
            // Open: nothing runs until the cool-down ends, then one trial (the lease makes it
            // one); its failure opens the breaker again, its success closes it.
            let breaker = (!needs_admin && failures >= BREAKER_AFTER).then(|| finished + backoff);
            let mut next = if needs_admin { finished + ADMIN_RETRY } else { finished + backoff };
            if let Some(wait) = retry_after {
                next = next.max(finished + wait);
            }
            if let Some(open_until) = breaker {
                next = next.max(open_until);
            }
            Finish {
                next_run_at: next,
                consecutive_failures: failures,
                breaker_open_until: breaker,
                needs_admin_action: needs_admin,
                error: Some((error.reason, error.message.clone())),
                ran_at: finished,
                succeeded: false,
            }
        }
    };
    // The schedule and the run's record land together, or not at all.
    let txn = state.db.begin().await?;
    if !leases::finish(&txn, claim, instance, finish).await? {
        return Err(anyhow::Error::new(LeaseLost(claim.tenant_id)).into());
    }
    sync_runs::record(&txn, run_record(claim, instance, started, finished, report, run_id)).await?;
    txn.commit().await?;
    Ok(())
}

type CalendarResult = std::result::Result<Vec<CalendarItem>, ProviderError>;

/// What one read of a tenant's calendars says, turned into a user's row against whatever is
/// stored for them.
struct Reading<'a> {
    tenant: Uuid,
    rules: &'a AvailabilityRules,
    started: DateTime<Utc>,
    /// The tenant's last successful sync before this one.
    confirmed: Option<DateTime<Utc>>,
}

impl Reading<'_> {
    fn row(
        &self,
        user: Uuid,
        result: &CalendarResult,
        old: Option<&availability::Model>,
        now: DateTime<Utc>,
    ) -> availability::Model {
        match (result, old) {
            (Ok(items), _) => {
                row_from_items(self.tenant, user, self.rules, items.clone(), now, self.started)
            }
            // A passing hiccup: keep what we knew, say why it is stale.
            (Err(e), Some(old)) if e.is_transient() => {
                let error = user_error(e);
                availability::Model {
                    sync_error_code: Some(error.code),
                    sync_error_message: Some(error.message),
                    observed_at: last_confirmed(old, self.confirmed),
                    ..old.clone()
                }
            }
            (Err(e), _) => row_from_error(self.tenant, user, user_error(e), now, self.started),
        }
    }
}

/// Writes what changed, with its history, in one transaction that first proves (and extends)
/// the lease: if another instance claimed the tenant meanwhile, nothing is written. Returns
/// how many rows were written.
///
/// The read took time, and a meeting may have started meanwhile (and been flipped by the
/// transition timer). So the users whose rows look changed are compared again, inside the
/// transaction, with what is stored then (locked on PostgreSQL; SQLite's write lock is taken
/// by the lease update), evaluated at that moment: nothing stale is written and no change is
/// recorded twice.
async fn write_fenced(
    state: &AppState,
    claim: Claim,
    instance: &str,
    lease: Duration,
    reading: &Reading<'_>,
    read: &[(Uuid, &CalendarResult)],
) -> Result<usize> {
    let scope = TenantScope::new(claim.tenant_id);
    let snapshot: HashMap<Uuid, availability::Model> =
        stored::for_tenant(&state.db, scope).await?.into_iter().map(|r| (r.user_id, r)).collect();
    let now = state.clock.now();
    let candidates: Vec<(Uuid, &CalendarResult)> = read
        .iter()
        .filter(|(user, result)| {
            let old = snapshot.get(user);
            old.is_none_or(|old| differs(old, &reading.row(*user, result, Some(old), now)))
        })
        .copied()
        .collect();
    if candidates.is_empty() {
        return Ok(0);
    }
    let txn = state.db.begin().await?;
    if !leases::renew(&txn, claim, instance, state.clock.now() + lease).await? {
        return Err(anyhow::Error::new(LeaseLost(claim.tenant_id)).into());
    }
    let ids: Vec<Uuid> = candidates.iter().map(|(user, _)| *user).collect();
    let current: HashMap<Uuid, availability::Model> =
        stored::locked(&txn, &ids).await?.into_iter().map(|r| (r.user_id, r)).collect();
    let now = state.clock.now();
    let rows: Vec<availability::Model> = candidates
        .iter()
        .map(|(user, result)| reading.row(*user, result, current.get(user), now))
        .filter(|row| current.get(&row.user_id).is_none_or(|old| differs(old, row)))
        .collect();
    let history: Vec<_> = rows
        .iter()
        .filter(|r| visibly_differs(current.get(&r.user_id), r))
        .map(history_entry)
        .collect();
    stored::upsert(&txn, &rows, stored::Guard::NotOlder).await?;
    let recorded = super::events::record(&txn, history).await?;
    txn.commit().await?;
    recorded.announce(state);
    Ok(rows.len())
}
