//! The presence stream: a snapshot, then every event of the tenant as it commits.
//!
//! The history is the source of truth. An instance learns that a tenant has new events from
//! its own writes, from PostgreSQL (`LISTEN`, for the writes of other instances) and from a
//! sweep every two seconds (should a notification be lost); it then reads the events after the
//! last one it has passed on, once per tenant, and fans them out to that tenant's clients. A
//! client that resumes, or falls behind, reads its missed events from the history itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::prelude::Uuid;
use tokio::sync::broadcast;

use super::presence;
use super::{AppState, Result, TenantScope};
use crate::db::entities::availability_history;
use crate::db::{directory, events};

/// More missed events than this are not replayed one by one: a snapshot is shorter.
const REPLAY_LIMIT: u64 = 5_000;
/// Events a slow client may fall behind before it reads them back from the history.
const BUFFER: usize = 1_024;
/// How often every tenant with clients is checked for events nobody announced.
pub const SWEEP: Duration = Duration::from_secs(2);

/// One change: the tenant's event number and the person's presence as JSON.
#[derive(Debug)]
pub struct Event {
    pub seq: i64,
    pub json: String,
}

/// Everyone at one moment, and the number of the last event it reflects.
#[derive(Debug)]
pub struct Snapshot {
    pub seq: i64,
    pub list: presence::PresenceList,
}

/// How a client's stream begins.
#[derive(Debug)]
pub enum Start {
    /// Everyone as they are now (a new client, or one whose gap is no longer in the history).
    Snapshot(Snapshot),
    /// Exactly the events the client missed.
    Replay(Vec<Arc<Event>>),
}

struct Feed {
    sender: broadcast::Sender<Arc<Event>>,
    /// The last event passed on; the lock also makes one reader per tenant at a time.
    cursor: tokio::sync::Mutex<i64>,
}

/// This instance's clients, per tenant.
#[derive(Default)]
pub struct Hub {
    feeds: Mutex<HashMap<Uuid, Arc<Feed>>>,
    clients: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hub({} clients)", self.clients.load(Ordering::Relaxed))
    }
}

impl Hub {
    fn feed(&self, tenant: Uuid) -> Option<Arc<Feed>> {
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner).get(&tenant).cloned()
    }

    /// Stream clients connected to this instance.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Reads and passes on the tenant's new events, soon, without holding up the caller.
    pub fn announce(&self, state: &AppState, tenants: &[Uuid]) {
        for tenant in tenants.iter().copied() {
            if self.feed(tenant).is_some() {
                let state = state.clone();
                tokio::spawn(async move { state.hub.pass_on(&state, tenant).await });
            }
        }
    }

    /// Passes on the tenant's events after the last one passed on.
    pub async fn pass_on(&self, state: &AppState, tenant: Uuid) {
        let Some(feed) = self.feed(tenant) else { return };
        if feed.sender.receiver_count() == 0 {
            self.forget_idle();
            return;
        }
        let mut cursor = feed.cursor.lock().await;
        let scope = TenantScope::new(tenant);
        loop {
            let batch = match read_events(state, scope, *cursor, REPLAY_LIMIT).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(%tenant, error = format!("{e:#}"), "reading presence events");
                    return;
                }
            };
            let Some(last) = batch.last_seq else { return };
            *cursor = last;
            for event in batch.events {
                // No receiver left is fine: they re-read from the history when they return.
                let _ = feed.sender.send(event);
            }
            if !batch.more {
                return;
            }
        }
    }

    /// Checks every tenant with clients for events nobody announced (a lost notification, a
    /// write by another process on the same SQLite file).
    pub async fn sweep(&self, state: &AppState) {
        self.forget_idle();
        let feeds: Vec<(Uuid, Arc<Feed>)> = self
            .feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(t, f)| (*t, f.clone()))
            .collect();
        if feeds.is_empty() {
            return;
        }
        let tenants: Vec<Uuid> = feeds.iter().map(|(t, _)| *t).collect();
        let latest = match events::latest_of(&state.db, &tenants).await {
            Ok(latest) => latest.into_iter().collect::<HashMap<_, _>>(),
            Err(e) => {
                tracing::warn!(error = %e, "checking for presence events");
                return;
            }
        };
        for (tenant, feed) in feeds {
            let passed_on = *feed.cursor.lock().await;
            if latest.get(&tenant).is_some_and(|seq| *seq > passed_on) {
                self.pass_on(state, tenant).await;
            }
        }
    }

    fn forget_idle(&self) {
        self.feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, feed| feed.sender.receiver_count() > 0);
    }

    /// Receives the tenant's events from now on. The feed's position is read before the
    /// caller reads its snapshot or replay, so nothing falls between the two.
    async fn subscribe(
        &self,
        state: &AppState,
        scope: TenantScope,
    ) -> Result<broadcast::Receiver<Arc<Event>>> {
        let tenant = scope.tenant_id();
        let (feed, fresh) = {
            let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
            match feeds.get(&tenant) {
                Some(feed) => (feed.clone(), false),
                None => {
                    let feed = Arc::new(Feed {
                        sender: broadcast::channel(BUFFER).0,
                        cursor: tokio::sync::Mutex::new(i64::MAX),
                    });
                    feeds.insert(tenant, feed.clone());
                    (feed, true)
                }
            }
        };
        let receiver = feed.sender.subscribe();
        let mut cursor = feed.cursor.lock().await;
        if fresh || *cursor == i64::MAX {
            *cursor = events::latest(&state.db, scope).await?;
        }
        Ok(receiver)
    }
}

/// Events read from the history, made ready to send.
struct Batch {
    events: Vec<Arc<Event>>,
    /// The last event number read (also of events no longer sendable, whose user is gone).
    last_seq: Option<i64>,
    /// There were more than the limit.
    more: bool,
}

async fn read_events(
    state: &AppState,
    scope: TenantScope,
    after: i64,
    limit: u64,
) -> Result<Batch> {
    let rows = events::since(&state.db, scope, after, limit).await?;
    let more = rows.len() as u64 == limit;
    let last_seq = rows.last().and_then(|r| r.seq);
    Ok(Batch { events: to_events(state, scope, rows).await?, last_seq, more })
}

async fn to_events(
    state: &AppState,
    scope: TenantScope,
    rows: Vec<availability_history::Model>,
) -> Result<Vec<Arc<Event>>> {
    let users: HashMap<Uuid, _> =
        directory::by_ids(&state.db, scope, rows.iter().map(|r| r.user_id))
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let (Some(seq), Some(user)) = (row.seq, users.get(&row.user_id)) else { continue };
        let json = serde_json::to_string(&presence::from_history(user.clone(), row))
            .map_err(anyhow::Error::from)?;
        events.push(Arc::new(Event { seq, json }));
    }
    Ok(events)
}

/// Who holds a stream open; checked again every [`RECHECK`], so that a revoked token or an
/// ended session does not keep receiving.
#[derive(Debug, Clone)]
pub enum Holder {
    Token(Uuid),
    /// A signed-in person's session, by its stored hash.
    Session(String),
}

pub const RECHECK: Duration = Duration::from_secs(30);

impl Holder {
    async fn still_allowed(&self, state: &AppState) -> bool {
        let live = match self {
            Holder::Token(id) => super::api_tokens::is_live(state, *id).await,
            Holder::Session(hash) => super::sessions::is_live(state, hash).await,
        };
        // A database that does not answer ends no stream; the next check decides.
        live.unwrap_or(true)
    }
}

/// One client's stream.
pub struct Subscription {
    holder: Holder,
    recheck: tokio::time::Interval,
    pub start: Start,
    scope: TenantScope,
    /// The last event this client has been given (or that its snapshot reflects).
    position: i64,
    receiver: broadcast::Receiver<Arc<Event>>,
    backlog: std::collections::VecDeque<Arc<Event>>,
    _counted: Counted,
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
        crate::telemetry::stream_clients(self.0.load(Ordering::Relaxed));
    }
}

/// Opens a stream: a snapshot, or with `last_event_id` the events missed since, when the
/// history still holds them all.
pub async fn open(
    state: &AppState,
    scope: TenantScope,
    holder: Holder,
    last_event_id: Option<i64>,
) -> Result<Subscription> {
    let receiver = state.hub.subscribe(state, scope).await?;
    let counted = Counted(state.hub.clients.clone());
    let clients = counted.0.fetch_add(1, Ordering::Relaxed) + 1;
    crate::telemetry::stream_clients(clients);
    let latest = events::latest(&state.db, scope).await?;
    let replay = match last_event_id {
        Some(after) if after >= 0 && after <= latest => replay(state, scope, after, latest).await?,
        _ => None,
    };
    let (start, position) = match replay {
        Some((events, position)) => (Start::Replay(events), position),
        None => (Start::Snapshot(snapshot(state, scope, latest).await?), latest),
    };
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Ok(Subscription {
        holder,
        recheck,
        start,
        scope,
        position,
        receiver,
        backlog: Default::default(),
        _counted: counted,
    })
}

/// The events after `after`, if the history still has every one of them.
async fn replay(
    state: &AppState,
    scope: TenantScope,
    after: i64,
    latest: i64,
) -> Result<Option<(Vec<Arc<Event>>, i64)>> {
    if after == latest {
        return Ok(Some((Vec::new(), after)));
    }
    let complete =
        events::oldest(&state.db, scope).await?.is_some_and(|oldest| oldest <= after + 1);
    if !complete {
        return Ok(None);
    }
    let batch = read_events(state, scope, after, REPLAY_LIMIT).await?;
    if batch.more {
        return Ok(None);
    }
    Ok(Some((batch.events, batch.last_seq.unwrap_or(after))))
}

async fn snapshot(state: &AppState, scope: TenantScope, seq: i64) -> Result<Snapshot> {
    let list = presence::document(state, scope, &presence::Filter::default()).await?;
    Ok(Snapshot { seq, list })
}

impl Subscription {
    /// The next event for this client; waits for it. `None` when the stream ends: the
    /// holder is no longer allowed, or the client fell too far behind.
    pub async fn next(&mut self, state: &AppState) -> Option<Arc<Event>> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                self.position = event.seq;
                return Some(event);
            }
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                _ = self.recheck.tick() => {
                    if !self.holder.still_allowed(state).await {
                        return None;
                    }
                    continue;
                }
            };
            match received {
                Ok(event) if event.seq <= self.position => continue,
                Ok(event) => {
                    self.position = event.seq;
                    return Some(event);
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Fell behind: what it missed is read back from the history.
                    match read_events(state, self.scope, self.position, REPLAY_LIMIT).await {
                        // Too far behind to catch up event by event: the client reconnects
                        // and starts again from a snapshot.
                        Ok(batch) if batch.more => return None,
                        Ok(batch) => self.backlog.extend(batch.events),
                        Err(e) => {
                            tracing::warn!(error = format!("{e:#}"), "reading missed events");
                            return None;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// Keeps this instance's streams fed, for as long as the database is open: PostgreSQL's
/// notifications of other instances' events as they come, and the sweep.
pub async fn feed(state: AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    let postgres = state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut listener: Option<PgListener> = None;
    loop {
        if postgres && listener.is_none() {
            let pool = state.db.get_postgres_connection_pool();
            if pool.is_closed() {
                return;
            }
            match PgListener::connect_with(pool).await {
                Ok(mut l) => match l.listen(events::CHANNEL).await {
                    Ok(()) => {
                        listener = Some(l);
                        // Whatever was announced while not listening.
                        state.hub.sweep(&state).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "listening for presence events"),
                },
                Err(e) => tracing::warn!(error = %e, "connecting to listen for presence events"),
            }
        }
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.try_recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sweep.tick() => state.hub.sweep(&state).await,
            received = notified => match received {
                Ok(Some(notification)) => {
                    if let Ok(tenant) = notification.payload().parse::<Uuid>() {
                        state.hub.announce(&state, &[tenant]);
                    }
                }
                // The connection dropped; it reconnects on the next call.
                Ok(None) => state.hub.sweep(&state).await,
                Err(sea_orm::sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "receiving presence events");
                    listener = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
}
