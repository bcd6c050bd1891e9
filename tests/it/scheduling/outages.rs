//! The scheduler when things break: its own database, a hanging Microsoft, a fault that
//! clears, a mailbox that stops answering.

use std::time::{Duration, Instant};

use calbridge::db::entities::{availability_history, sync_run};
use calbridge::db::leases;
use calbridge::jobs::SchedulerOptions;
use calbridge::services::sync::{self, BREAKER_AFTER, LONGEST_BACKOFF, SyncContext};
use calbridge::services::{presence, transitions};
use calbridge::simulator::{FaultEndpoint, FaultKind, FaultSpec};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::support::PASSWORD;
use crate::support::outage::Outage;
use crate::support::world::{Customer, World, meeting, now, options};

async fn runs(world: &World, customer: &Customer) -> Vec<sync_run::Model> {
    sync_run::Entity::find()
        .filter(sync_run::Column::TenantId.eq(customer.id))
        .order_by_asc(sync_run::Column::StartedAt)
        .all(&world.state.db)
        .await
        .unwrap()
}

/// Hansen with Bo, whose board meeting starts at `start`, synced once.
async fn bo_meets_at(
    world: &World,
    start: chrono::DateTime<chrono::Utc>,
) -> (Customer, uuid::Uuid) {
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let meeting = meeting("Tavlemøde", start, start + chrono::Duration::hours(1));
    let bo = world.person(&hansen, "bo", vec![meeting]).await;
    world.sync(&hansen).await;
    (hansen, bo)
}

/// A user's availability history, oldest first.
async fn history(world: &World, user: uuid::Uuid) -> Vec<availability_history::Model> {
    availability_history::Entity::find()
        .filter(availability_history::Column::UserId.eq(user))
        .order_by_asc(availability_history::Column::At)
        .all(&world.state.db)
        .await
        .unwrap()
}

/// Waits up to `secs` for `done`, polling.
async fn eventually<F: std::future::Future<Output = bool>>(
    secs: u64,
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done().await {
        assert!(Instant::now() < deadline, "{what} did not happen within {secs} s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_that_fails_on_storage_gives_its_lease_back_and_is_recorded_once_storage_answers() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "free-busy").await;
    let anna = world.person(&hansen, "anna", vec![]).await;
    let outage = Outage::begin(&world.state.db, &["availability", "sync_runs"]).await;
    // A lease far longer than the test: only giving it back lets the tenant go.
    let options = SchedulerOptions {
        lease: chrono::Duration::minutes(5),
        heartbeat: Duration::from_secs(1),
        ..options("storage")
    };
    let scheduler = world.scheduler(options).await.unwrap();
    eventually(5, "giving the lease back", || async {
        let s = world.sync_state(&hansen).await;
        s.fencing_token >= 1 && s.lease_owner.is_none() && s.running_since.is_none()
    })
    .await;
    assert!(runs(&world, &hansen).await.is_empty(), "the record waits for the storage");
    assert!(world.row(anna).await.is_none());

    outage.end().await;
    eventually(10, "recording the failure and syncing again", || async {
        let runs = runs(&world, &hansen).await;
        runs.iter().any(|r| r.outcome.as_str() == "ok")
            && runs.iter().any(|r| {
                r.outcome.as_str() == "failed"
                    && r.error_message.as_deref().is_some_and(|m| m.contains("storage is gone"))
            })
    })
    .await;
    scheduler.shutdown().await;
    assert_eq!(world.row(anna).await.unwrap().state.as_str(), "free");
    let state = world.sync_state(&hansen).await;
    assert_eq!(state.consecutive_failures, 0, "calbridge's own storage is not the tenant's fault");
    // Each failed attempt is recorded once, however often recording it was tried.
    let runs = runs(&world, &hansen).await;
    let mut ids: Vec<_> = runs.iter().map(|r| r.fencing_token).collect();
    ids.dedup();
    assert_eq!(ids.len(), runs.len(), "{runs:#?}");
}

#[tokio::test]
async fn a_flip_and_its_history_entry_land_together_or_not_at_all() {
    let world = World::new().await;
    let start = now() + chrono::Duration::minutes(10);
    let (_, bo) = bo_meets_at(&world, start).await;
    assert_eq!(world.row(bo).await.unwrap().next_change_at, Some(start));
    assert_eq!(history(&world, bo).await.len(), 1);

    // The history cannot be written when the meeting starts: the flip waits for it.
    let outage = Outage::begin(&world.state.db, &["availability_history"]).await;
    let after = start + chrono::Duration::seconds(1);
    assert!(transitions::run_due(&world.state, after).await.is_err());
    assert_eq!(world.row(bo).await.unwrap().state.as_str(), "free");
    assert_eq!(history(&world, bo).await.len(), 1);

    outage.end().await;
    assert_eq!(transitions::run_due(&world.state, after).await.unwrap(), 1);
    assert_eq!(world.row(bo).await.unwrap().state.as_str(), "busy");
    let history = history(&world, bo).await;
    assert_eq!(history.len(), 2, "{history:#?}");
    assert!(history.iter().any(|h| h.state.as_str() == "busy"));
}

#[tokio::test]
async fn a_breaker_half_opens_after_a_short_cool_down_and_one_success_closes_it() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "free-busy").await;
    let vera = world.person(&hansen, "vera", vec![]).await;
    let down = world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Token,
        tenant: Some(hansen.directory.clone()),
        mailbox: None,
        kind: FaultKind::TokenEndpointDown,
        count: None,
    });
    for _ in 0..BREAKER_AFTER {
        world.sync(&hansen).await;
    }
    let clock = world.state.clock.clone();
    let open_until =
        world.sync_state(&hansen).await.breaker_open_until.expect("the breaker opened");
    assert!(open_until <= clock.now() + LONGEST_BACKOFF, "a short cool-down: {open_until}");
    let db = &world.state.db;
    let lease = chrono::Duration::seconds(30);
    let now = clock.now();
    assert!(leases::claim_due(db, "a", now, now + lease, 10).await.unwrap().is_empty(), "open");

    // The fault clears; after the cool-down one trial runs, and nobody else meanwhile.
    assert!(world.sim.clear_fault(down));
    clock.advance(open_until - now + chrono::Duration::seconds(1));
    let now = clock.now();
    let trial = leases::claim_due(db, "a", now, now + lease, 10).await.unwrap();
    assert_eq!(trial.len(), 1, "half-open: one trial");
    assert!(leases::claim_due(db, "b", now, now + lease, 10).await.unwrap().is_empty());
    let ctx = SyncContext { state: &world.state, claim: trial[0], instance: "a", lease };
    let report = sync::run(ctx).await.unwrap();
    assert_eq!(report.outcome.as_str(), "ok", "{report:?}");
    let state = world.sync_state(&hansen).await;
    assert_eq!((state.consecutive_failures, state.breaker_open_until), (0, None), "closed");
    assert_eq!(world.row(vera).await.unwrap().state.as_str(), "free");
}

#[tokio::test]
async fn what_presence_reports_as_observed_never_goes_back_and_a_failed_read_shows_as_stale() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "anna", vec![]).await;
    world.person(&hansen, "bent", vec![]).await;
    let clock = world.state.clock.clone();
    let observed = |email: &'static str| {
        let world = &world;
        let scope = world.scope(&hansen);
        async move {
            let all = presence::list(&world.state, scope).await.unwrap().entries;
            all.into_iter().find(|e| e.email == email).unwrap()
        }
    };
    world.sync(&hansen).await;
    clock.advance(chrono::Duration::minutes(10));
    // Nothing changed, so nothing is rewritten; this sync still confirmed everyone.
    world.sync(&hansen).await;
    let confirmed = observed("anna@hansen.dk").await.observed_at.unwrap();
    assert!(confirmed >= clock.now() - chrono::Duration::seconds(5));

    world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::CalendarView,
        tenant: None,
        mailbox: Some("anna@hansen.dk".into()),
        kind: FaultKind::ServiceUnavailable { retry_after: None },
        count: None,
    });
    for _ in 0..2 {
        clock.advance(chrono::Duration::minutes(10));
        let report = world.sync(&hansen).await;
        assert_eq!(report.outcome.as_str(), "partial", "{report:?}");
        let anna = observed("anna@hansen.dk").await;
        assert_eq!(anna.observed_at, Some(confirmed), "last confirmed, not older");
        assert!(anna.stale && anna.sync_error.is_some(), "{anna:?}");
        assert_eq!(anna.state.as_str(), "free", "the state is kept");
        let bent = observed("bent@hansen.dk").await;
        assert!(bent.observed_at.unwrap() > confirmed && !bent.stale, "{bent:?}");
    }

    world.app.create_member(hansen.id, "reception@hansen.dk", "receptionist").await;
    let reception = world.app.browser();
    reception.login("reception@hansen.dk", PASSWORD).await;
    let board = reception.get("/presence").await;
    assert!(board.body.contains("Showing the status as of"), "{}", board.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_running_longer_than_usual_shows_on_sync_health() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "sam", vec![]).await;
    world.sync(&hansen).await;
    world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Any,
        tenant: Some(hansen.directory.clone()),
        mailbox: None,
        kind: FaultKind::Hang { secs: Some(120) },
        count: None,
    });
    leases::make_due(&world.state.db, hansen.id, world.state.clock.now()).await.unwrap();
    let options = SchedulerOptions {
        lease: chrono::Duration::minutes(10),
        heartbeat: Duration::from_secs(1),
        sync_timeout: Duration::from_secs(60),
        ..options("slow")
    };
    let scheduler = world.scheduler(options).await.unwrap();
    eventually(5, "the sync starting", || async {
        world.sync_state(&hansen).await.running_since.is_some()
    })
    .await;
    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;
    let page = admin.get("/sync").await;
    assert!(page.body.contains("Running now on"), "{}", page.body);
    assert!(!page.body.contains("longer than usual"), "{}", page.body);

    world.state.clock.advance(chrono::Duration::minutes(3));
    let page = admin.get("/sync").await;
    assert!(page.body.contains("This sync is taking longer than usual"), "{}", page.body);
    assert!(page.body.contains("for 3 min"), "{}", page.body);
    scheduler.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_past_its_deadline_is_recorded_as_a_timeout_of_the_tenant() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "sam", vec![]).await;
    world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Any,
        tenant: Some(hansen.directory.clone()),
        mailbox: None,
        kind: FaultKind::Hang { secs: Some(120) },
        count: None,
    });
    let options = SchedulerOptions { sync_timeout: Duration::from_secs(2), ..options("deadline") };
    let scheduler = world.scheduler(options).await.unwrap();
    eventually(8, "the timeout being recorded", || async {
        world.sync_state(&hansen).await.consecutive_failures >= 1
    })
    .await;
    scheduler.shutdown().await;
    let state = world.sync_state(&hansen).await;
    assert_eq!(state.last_error_code.map(|c| c.as_str()), Some("timeout"));
    assert!(state.lease_owner.is_none() && state.running_since.is_none());
    let runs = runs(&world, &hansen).await;
    assert_eq!(runs[0].outcome.as_str(), "failed");
    assert!(runs[0].error_message.as_deref().unwrap().contains("longer than 2 s"), "{runs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_whose_write_straddles_a_meeting_edge_records_the_flip_once() {
    // The slow write is staged with a PostgreSQL trigger; SQLite serialises the writers.
    if crate::support::postgres_only(
        "a_sync_whose_write_straddles_a_meeting_edge_records_the_flip_once",
    ) {
        return;
    }
    use sea_orm::ConnectionTrait;
    let world = World::new().await;
    let start = now() + chrono::Duration::seconds(4);
    let (hansen, bo) = bo_meets_at(&world, start).await;
    // Something else changes in the calendar, so the next sync has a row to write.
    let tomorrow = start + chrono::Duration::days(1);
    world
        .sim
        .add_event(
            "bo@hansen.dk",
            &meeting("I morgen", tomorrow, tomorrow + chrono::Duration::hours(1)),
        )
        .unwrap();
    let db = &world.state.db;
    let lease = chrono::Duration::minutes(5);
    let claimed = world.state.clock.now();
    let claim =
        leases::claim_now(db, hansen.id, "slow", claimed, claimed + lease).await.unwrap().unwrap();
    // From now on the sync's write waits 2 s on its lease before it touches any row.
    db.execute_unprepared(
        "CREATE FUNCTION slow_lease() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(2); \
         RETURN NEW; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER slow_lease BEFORE UPDATE ON sync_states FOR EACH ROW \
         EXECUTE FUNCTION slow_lease()",
    )
    .await
    .unwrap();
    tokio::time::sleep((start - now() - chrono::Duration::seconds(1)).to_std().unwrap()).await;
    let state = world.state.clone();
    let sync = tokio::spawn(async move {
        sync::run(SyncContext { state: &state, claim, instance: "slow", lease }).await
    });
    // The meeting starts while the sync's write waits; the timer flips Bo.
    tokio::time::sleep((start - now() + chrono::Duration::milliseconds(200)).to_std().unwrap())
        .await;
    assert_eq!(transitions::run_due(&world.state, world.state.clock.now()).await.unwrap(), 1);
    sync.await.unwrap().unwrap();
    transitions::run_due(&world.state, world.state.clock.now()).await.unwrap();

    assert_eq!(world.row(bo).await.unwrap().state.as_str(), "busy");
    let history = history(&world, bo).await;
    let states: Vec<&str> = history.iter().map(|h| h.state.as_str()).collect();
    assert_eq!(states, ["free", "busy"], "one entry per change: {history:#?}");
}
