//! The scheduler: a claim loop wakes when the next tenant comes due and syncs each claimed
//! tenant in its own task, a transition timer flips users at the instant their meetings start
//! or end, and housekeeping trims old data.
//!
//! Every instance runs the same loops; leases in the database decide who syncs which tenant,
//! so one stalled tenant only ever occupies its own task. Each instance holds at most its share
//! of the tenants (all tenants over the instances alive), so a crash touches only that share.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use chrono::Duration;
use sea_orm::prelude::Uuid;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::single_instance::{self, SchedulerLock};
use crate::config::{Config, DatabaseTarget};
use crate::domain::FailureReason;
use crate::services::sync::{self, Claim, Interrupted, SyncContext, TenantError};
use crate::services::{AppState, housekeeping, notices, transitions, webhooks};

#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Names this instance in leases and sync runs.
    pub instance: String,
    /// The claim loop's longest sleep: it wakes at the earliest `next_run_at`, and at least
    /// this often to see tenants that other instances or the portal made due.
    pub tick: StdDuration,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// How often running syncs renew their leases and the instance says it is alive.
    pub heartbeat: StdDuration,
    /// Tenants synced at once by this instance, whatever its share.
    pub max_parallel: usize,
    /// A tenant sync taking longer than this is abandoned and recorded as timed out.
    pub sync_timeout: StdDuration,
    /// The transition timer's longest sleep; changes written by other instances are seen
    /// within it.
    pub transition_poll: StdDuration,
    /// How long shutdown waits for running syncs before giving their leases back.
    pub shutdown_grace: StdDuration,
    /// Availability history kept this long.
    pub history_retention: Duration,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            instance: default_instance_name(),
            tick: StdDuration::from_secs(1),
            lease: Duration::seconds(15),
            heartbeat: StdDuration::from_secs(5),
            max_parallel: 64,
            sync_timeout: StdDuration::from_secs(120),
            transition_poll: StdDuration::from_millis(500),
            shutdown_grace: StdDuration::from_secs(10),
            history_retention: Duration::days(30),
        }
    }
}

impl SchedulerOptions {
    /// The defaults with the lease, heartbeat and sync deadline the operator configured.
    pub fn from_config(config: &Config) -> SchedulerOptions {
        SchedulerOptions {
            lease: Duration::from_std(config.lease).unwrap_or(Duration::seconds(15)),
            heartbeat: config.heartbeat,
            sync_timeout: config.sync_deadline,
            ..SchedulerOptions::default()
        }
    }
}

/// `host-pid-random`: unique per process, readable in the sync health page.
pub fn default_instance_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "calbridge".into());
    format!("{host}-{}-{:04x}", std::process::id(), rand::random::<u16>())
}

struct Running {
    claim: Claim,
    task: JoinHandle<()>,
}

struct Inner {
    state: AppState,
    options: SchedulerOptions,
    running: Mutex<HashMap<Uuid, Running>>,
    ticking: Mutex<()>,
    /// How many tenants this instance may hold at once: its share of all of them.
    share: AtomicUsize,
    /// Instances alive, this one included.
    instances: AtomicUsize,
    /// Syncs that ended without their result stored, until the database takes it.
    interrupted: Mutex<Vec<Interrupted>>,
    stopping: AtomicBool,
    stop: Notify,
}

pub struct Scheduler {
    inner: Arc<Inner>,
    cron: JobScheduler,
    claims: JoinHandle<()>,
    transitions: JoinHandle<()>,
    webhooks: JoinHandle<()>,
    _lock: Option<SchedulerLock>,
}

impl Scheduler {
    /// Starts the loops. With SQLite, refuses if another process already schedules on the
    /// same database file.
    pub async fn start(state: AppState, options: SchedulerOptions) -> anyhow::Result<Scheduler> {
        let lock = match &state.config.database {
            DatabaseTarget::Sqlite(path) => Some(single_instance::acquire(path)?),
            DatabaseTarget::Postgres(_) => None,
        };
        let inner = Arc::new(Inner {
            state,
            options,
            running: Mutex::new(HashMap::new()),
            ticking: Mutex::new(()),
            share: AtomicUsize::new(usize::MAX),
            instances: AtomicUsize::new(1),
            interrupted: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
        });
        let cron = JobScheduler::new().await?;
        let notices_inner = inner.clone();
        cron.add(Job::new_repeated_async(StdDuration::from_secs(60), move |_, _| {
            let inner = notices_inner.clone();
            Box::pin(async move { inner.notices().await })
        })?)
        .await?;
        let housekeeping_inner = inner.clone();
        cron.add(Job::new_repeated_async(StdDuration::from_secs(300), move |_, _| {
            let inner = housekeeping_inner.clone();
            Box::pin(async move { inner.housekeeping().await })
        })?)
        .await?;
        cron.start().await?;
        let transitions = tokio::spawn(inner.clone().transition_loop());
        let webhooks = tokio::spawn(inner.clone().webhook_loop());
        tracing::info!(instance = %inner.options.instance, "scheduler started");
        // The first claim should not wait a whole tick.
        inner.look_ahead().await;
        inner.tick().await;
        let claims = tokio::spawn(inner.clone().claim_loop());
        Ok(Scheduler { inner, cron, claims, transitions, webhooks, _lock: lock })
    }

    pub fn instance(&self) -> &str {
        &self.inner.options.instance
    }

    /// Claims and starts due syncs now (the periodic tick does the same).
    pub async fn tick(&self) {
        self.inner.tick().await;
    }

    /// Tenants this instance is syncing at this moment.
    pub async fn syncing(&self) -> Vec<Uuid> {
        let running = self.inner.running.lock().await;
        running.iter().filter(|(_, r)| !r.task.is_finished()).map(|(id, _)| *id).collect()
    }

    /// Stops claiming, lets running syncs finish within the grace period, and gives back the
    /// leases of those that do not.
    pub async fn shutdown(mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let _ = self.cron.shutdown().await;
        self.inner.stop.notify_waiters();
        let _ = self.claims.await;
        let _ = self.transitions.await;
        let _ = self.webhooks.await;
        let deadline = tokio::time::Instant::now() + self.inner.options.shutdown_grace;
        let mut running: Vec<Running> =
            self.inner.running.lock().await.drain().map(|(_, r)| r).collect();
        for r in &mut running {
            if tokio::time::timeout_at(deadline, &mut r.task).await.is_err() {
                r.task.abort();
                if let Err(e) =
                    sync::release(&self.inner.state, r.claim, &self.inner.options.instance).await
                {
                    tracing::warn!(tenant = %r.claim.tenant_id, error = %e, "could not give a lease back");
                }
            }
        }
        self.inner.settle_interrupted().await;
        if let Err(e) = sync::sign_off(&self.inner.state, &self.inner.options.instance).await {
            tracing::warn!(error = %e, "could not sign this instance off");
        }
        tracing::info!(instance = %self.inner.options.instance, "scheduler stopped");
    }

    /// Stops everything at once without giving leases back, as a crash would.
    pub async fn kill(mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let _ = self.cron.shutdown().await;
        self.claims.abort();
        self.transitions.abort();
        self.webhooks.abort();
        for (_, r) in self.inner.running.lock().await.drain() {
            r.task.abort();
        }
    }
}

impl Inner {
    /// Claims what is due, up to this instance's share, and starts it; true when it holds
    /// all it may.
    async fn tick(self: &Arc<Self>) -> bool {
        if self.stopping.load(Ordering::SeqCst) {
            return false;
        }
        // A slow database must not stack ticks on top of each other.
        let Ok(_guard) = self.ticking.try_lock() else { return false };
        let mut running = self.running.lock().await;
        running.retain(|_, r| !r.task.is_finished());
        let allowed = self.options.max_parallel.min(self.share.load(Ordering::Relaxed));
        let capacity = allowed.saturating_sub(running.len());
        if capacity == 0 {
            return true;
        }
        // Of the tenants due now, this instance takes its share; the others take theirs.
        let due = match sync::due_count(&self.state).await {
            Ok(0) => return false,
            Ok(due) => usize::try_from(due).unwrap_or(usize::MAX),
            Err(e) => {
                tracing::warn!(error = %e, "counting due tenants failed");
                return false;
            }
        };
        let batch = due.div_ceil(self.instances.load(Ordering::Relaxed).max(1));
        let limit = capacity.min(batch);
        let instance = &self.options.instance;
        let claims =
            match sync::claim_due(&self.state, instance, self.options.lease, limit as u64).await {
                Ok(claims) => claims,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming due tenants failed");
                    return false;
                }
            };
        let full = claims.len() >= capacity;
        for claim in claims {
            let task = tokio::spawn(self.clone().sync_one(claim));
            running.insert(claim.tenant_id, Running { claim, task });
        }
        full
    }

    /// Says this instance is alive, works out its share, and returns when the next tenant
    /// comes due.
    async fn look_ahead(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        // Every instance says it is alive at least once a tick; one silent for a heartbeat
        // and two ticks more has crashed.
        let dead_after = Duration::from_std(self.options.heartbeat + self.options.tick * 2)
            .unwrap_or(self.options.lease);
        match sync::look_ahead(&self.state, &self.options.instance, dead_after).await {
            Ok(outlook) => {
                let share = outlook.tenants.div_ceil(outlook.instances.max(1)).max(1);
                self.share.store(usize::try_from(share).unwrap_or(usize::MAX), Ordering::Relaxed);
                self.instances
                    .store(usize::try_from(outlook.instances).unwrap_or(1), Ordering::Relaxed);
                outlook.next_due
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the schedule failed");
                None
            }
        }
    }

    /// Claims due tenants, then sleeps until the next one comes due (at most a tick), so a
    /// tenant's sync starts when it is due rather than at the next tick after.
    async fn claim_loop(self: Arc<Self>) {
        let shortest = StdDuration::from_millis(20);
        let mut full = false;
        loop {
            self.settle_interrupted().await;
            let next_due = self.look_ahead().await;
            // With every slot taken, a due tenant waits for a slot, not for the clock.
            let wait = match next_due {
                Some(next) if !full => (next - self.state.clock.now()).to_std().unwrap_or(shortest),
                _ => self.options.tick,
            }
            .clamp(shortest, self.options.tick);
            // Instances wake for the same due tenant; who claims it first is left to chance,
            // so that over time each gets its share of the work.
            let jitter = StdDuration::from_millis(rand::random::<u64>() % 40);
            tokio::select! {
                () = tokio::time::sleep(wait + jitter) => {}
                () = self.stop.notified() => return,
            }
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            full = self.tick().await;
        }
    }

    /// Gives back the leases and records the runs of syncs the database failed under, as soon
    /// as it answers again; until then they wait here.
    async fn settle_interrupted(&self) {
        let mut pending = self.interrupted.lock().await;
        let mut still = Vec::new();
        for interrupted in pending.drain(..) {
            match sync::settle(&self.state, &self.options.instance, &interrupted).await {
                Ok(()) => tracing::info!(
                    tenant = %interrupted.claim.tenant_id,
                    reason = %interrupted.error.reason,
                    "interrupted sync recorded"
                ),
                Err(e) => {
                    tracing::debug!(error = %e, "the interrupted sync waits for the database");
                    still.push(interrupted);
                }
            }
        }
        *pending = still;
    }

    /// One tenant's sync with a heartbeat on its lease and an overall time limit.
    async fn sync_one(self: Arc<Self>, claim: Claim) {
        let instance = self.options.instance.as_str();
        let started = self.state.clock.now();
        let elapsed =
            |from: chrono::DateTime<chrono::Utc>| (self.state.clock.now() - from).as_seconds_f64();
        let heartbeat = async {
            loop {
                tokio::time::sleep(self.options.heartbeat).await;
                match sync::renew(&self.state, claim, instance, self.options.lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(tenant = %claim.tenant_id, error = %e, "lease heartbeat failed")
                    }
                }
            }
        };
        let ctx = SyncContext { state: &self.state, claim, instance, lease: self.options.lease };
        let work = tokio::time::timeout(self.options.sync_timeout, sync::run(ctx));
        let failure = tokio::select! {
            outcome = work => match outcome {
                Ok(Ok(report)) => {
                    crate::telemetry::sync_run(report.outcome.as_str(), report.duration_ms as f64 / 1000.0);
                    tracing::info!(
                        tenant = %claim.tenant_id,
                        outcome = %report.outcome,
                        users = report.users_read,
                        changed = report.changed,
                        http_requests = report.http_requests,
                        ms = report.duration_ms,
                        write_ms = report.write_ms,
                        "tenant synced"
                    );
                    None
                }
                Ok(Err(e)) if e.is_lease_lost() => {
                    tracing::warn!(tenant = %claim.tenant_id, "lease lost to another instance; nothing written");
                    None
                }
                Ok(Err(e)) => {
                    crate::telemetry::sync_run("storage_failed", elapsed(started));
                    tracing::error!(tenant = %claim.tenant_id, error = format!("{e:#}"), "tenant sync failed on storage");
                    Some(TenantError::new(FailureReason::StorageUnavailable, format!("{e:#}")))
                }
                Err(_) => {
                    crate::telemetry::sync_run("timed_out", elapsed(started));
                    tracing::warn!(tenant = %claim.tenant_id, "tenant sync timed out");
                    Some(TenantError::new(
                        FailureReason::Timeout,
                        format!("the sync took longer than {} s", self.options.sync_timeout.as_secs()),
                    ))
                }
            },
            () = heartbeat => {
                tracing::warn!(tenant = %claim.tenant_id, "lease lost to another instance; sync abandoned");
                None
            }
        };
        if let Some(error) = failure {
            let interrupted = Interrupted::new(claim, started, self.state.clock.now(), error);
            if let Err(e) = sync::settle(&self.state, instance, &interrupted).await {
                tracing::warn!(tenant = %claim.tenant_id, error = format!("{e:#}"), "the sync's end is recorded once the database answers");
                self.interrupted.lock().await.push(interrupted);
            }
        }
    }

    /// Sleeps until the next pending change (at most `transition_poll`), then applies every
    /// change that is due.
    async fn transition_loop(self: Arc<Self>) {
        let shortest = StdDuration::from_millis(5);
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            let now = self.state.clock.now();
            let started = std::time::Instant::now();
            match transitions::run_due(&self.state, now).await {
                Ok(0) => {}
                Ok(changed) => tracing::info!(
                    changed,
                    ms = started.elapsed().as_millis() as u64,
                    "availability changes applied"
                ),
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "applying availability changes failed")
                }
            }
            let wait = match transitions::next_change(&self.state).await {
                Ok(Some(next)) => (next - self.state.clock.now()).to_std().unwrap_or(shortest),
                _ => self.options.transition_poll,
            }
            .clamp(shortest, self.options.transition_poll);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.stop.notified() => return,
            }
        }
    }

    /// Starts the webhook deliveries that are due, each in its own task, then sleeps until
    /// the next is due (at most a second; at once when a test event is queued).
    async fn webhook_loop(self: Arc<Self>) {
        let allow_private = self.state.config.webhook_allow_private;
        let client = match webhooks::address::client(allow_private, webhooks::deliver::TIMEOUT) {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "webhooks cannot be sent");
                return;
            }
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(webhooks::deliver::PARALLEL));
        let recorder = webhooks::deliver::Recorder::start(self.state.clone());
        let (shortest, longest) = (StdDuration::from_millis(20), StdDuration::from_secs(1));
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            let started =
                match webhooks::deliver::start_due(&self.state, &client, &permits, &recorder).await
                {
                    Ok(started) => started,
                    Err(e) => {
                        tracing::warn!(
                            error = format!("{e:#}"),
                            "claiming webhook deliveries failed"
                        );
                        0
                    }
                };
            let wait = match webhooks::deliver::next_due(&self.state).await {
                Ok(Some(next)) => (next - self.state.clock.now()).to_std().unwrap_or_default(),
                _ => longest,
            };
            // Due but not taken (its endpoint has as many attempts in flight as it may):
            // look again shortly rather than at once.
            let floor = if started == 0 { StdDuration::from_millis(200) } else { shortest };
            tokio::select! {
                () = tokio::time::sleep(wait.clamp(floor, longest)) => {}
                () = self.state.webhook_wake.notified() => {}
                () = self.stop.notified() => return,
            }
        }
    }

    /// E-mails due secret-expiry warnings and "needs an administrator" alerts.
    async fn notices(&self) {
        match notices::run(&self.state).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "notices e-mailed"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "notices failed"),
        }
    }

    async fn housekeeping(&self) {
        match housekeeping::run(&self.state, self.options.history_retention).await {
            Ok(trimmed) => tracing::debug!(
                sessions = trimmed.sessions,
                history = trimmed.history,
                "housekeeping done"
            ),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "housekeeping failed"),
        }
    }
}
