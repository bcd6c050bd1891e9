//! Tenant syncs: what they read, write and record, and how failures stay inside a tenant.

use std::time::{Duration, Instant};

use calbridge::domain::calendar::ShowAs;
use calbridge::simulator::{
    EventSpec, FaultEndpoint, FaultKind, FaultSpec, RetryAfter, Sensitivity,
};
use sea_orm::EntityTrait;

use crate::support::PASSWORD;
use crate::support::world::{World, at, meeting, now, options};

const SECRET_SUBJECT: &str = "Fertilitetsbehandling Rigshospitalet";
const SECRET_PLACE: &str = "Afsnit 4071";

#[tokio::test]
async fn a_private_meetings_subject_appears_nowhere() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let now = now();
    let dora = world
        .person(
            &hansen,
            "dora",
            vec![EventSpec {
                subject: SECRET_SUBJECT.into(),
                location: SECRET_PLACE.into(),
                start: at(now - chrono::Duration::minutes(5)),
                end: at(now + chrono::Duration::minutes(55)),
                show_as: Some("busy".into()),
                sensitivity: Sensitivity::Private,
                ..EventSpec::default()
            }],
        )
        .await;
    world.sync(&hansen).await;
    let row = world.row(dora).await.unwrap();
    assert_eq!(row.state.as_str(), "busy");
    assert!(row.appointment_json.as_deref().unwrap().contains("\"private\":true"));

    // Database: every table that holds availability.
    let mut dump = format!("{row:?}");
    dump += &format!(
        "{:?}",
        calbridge::db::entities::availability_history::Entity::find()
            .all(&world.state.db)
            .await
            .unwrap()
    );
    dump += &format!(
        "{:?}",
        calbridge::db::entities::sync_run::Entity::find().all(&world.state.db).await.unwrap()
    );
    dump += &format!("{:?}", calbridge::db::audit::list_all(&world.state.db, 500).await.unwrap());
    // CLI.
    let cli = world.cli(&["presence", "--tenant", &hansen.id.to_string(), "--json"]).await;
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    dump += &cli.stdout;
    dump += &cli.stderr;
    let table = world.cli(&["presence", "--tenant", &hansen.id.to_string()]).await;
    assert!(table.stdout.contains("Private appointment"));
    dump += &table.stdout;
    // HTML, as the receptionist and the admin see it.
    world.app.create_member(hansen.id, "desk@hansen.dk", "receptionist").await;
    let desk = world.app.browser();
    desk.login("desk@hansen.dk", PASSWORD).await;
    let board = desk.get("/presence").await;
    assert!(board.body.contains("Private appointment"), "{}", board.body);
    dump += &board.body;
    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;
    for path in ["/presence", "/rules", "/sync", "/audit", "/users"] {
        dump += &admin.get(path).await.body;
    }
    for secret in [SECRET_SUBJECT, SECRET_PLACE, "Fertilitet", "4071"] {
        assert!(!dump.contains(secret), "{secret} leaked");
    }
}

#[tokio::test]
async fn only_changed_users_are_written_and_unknown_mailboxes_are_reported() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let now = now();
    let soon = now + chrono::Duration::hours(2);
    let eva = world
        .person(
            &hansen,
            "eva",
            vec![meeting("Planlægning", soon, soon + chrono::Duration::hours(1))],
        )
        .await;
    let finn = world.person(&hansen, "finn", vec![]).await;
    let ghost = world.directory_user(&hansen, "ghost@hansen.dk").await;

    let first = world.sync(&hansen).await;
    assert_eq!((first.users_read, first.changed, first.errors), (3, 3, 1), "{first:?}");
    assert_eq!(first.outcome.as_str(), "partial");
    let ghost_row = world.row(ghost).await.unwrap();
    assert_eq!(ghost_row.state.as_str(), "unknown");
    assert_eq!(ghost_row.sync_error_code.map(|c| c.as_str()), Some("mailbox_not_found"));

    // Nothing changed in the calendars: nothing is written.
    let before = world.row(eva).await.unwrap();
    let second = world.sync(&hansen).await;
    assert_eq!(second.changed, 0, "{second:?}");
    assert_eq!(world.row(eva).await.unwrap().observed_at, before.observed_at);

    // One meeting moves: one row is written.
    world
        .sim
        .add_event(
            &format!("finn@{}", hansen.domain),
            &meeting("Nyt møde", soon, soon + chrono::Duration::minutes(30)),
        )
        .unwrap();
    let third = world.sync(&hansen).await;
    assert_eq!(third.changed, 1, "{third:?}");
    assert_eq!(world.row(finn).await.unwrap().until, Some(soon));
    assert!(third.http_requests >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_tenant_does_not_delay_another() {
    let world = World::new().await;
    let stuck = world.customer("Stuck", "stuck.dk", "full").await;
    let fine = world.customer("Fine", "fine.dk", "full").await;
    world.person(&stuck, "sam", vec![]).await;
    let ulla = world.person(&fine, "ulla", vec![]).await;
    world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Any,
        tenant: Some(stuck.directory.clone()),
        mailbox: None,
        kind: FaultKind::Hang { secs: Some(120) },
        count: None,
    });
    let started = Instant::now();
    let scheduler = world.scheduler(options("hang")).await.unwrap();
    // The healthy tenant is synced at once, while the other hangs.
    while world.row(ulla).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the healthy tenant waited for the stuck one"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        scheduler.syncing().await.contains(&stuck.id),
        "the stuck tenant is still being synced"
    );
    scheduler.shutdown().await;
}

#[tokio::test]
async fn a_429_storm_backs_off_and_recovers() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let vera = world.person(&hansen, "vera", vec![]).await;
    let storm = world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Any,
        tenant: Some(hansen.directory.clone()),
        mailbox: None,
        kind: FaultKind::TooManyRequests { retry_after: Some(RetryAfter::Seconds(30)) },
        count: None,
    });
    let report = world.sync(&hansen).await;
    assert_eq!(report.outcome.as_str(), "failed", "{report:?}");
    assert!(report.throttled >= 1, "{report:?}");
    assert_eq!(report.error.as_ref().unwrap().code.as_str(), "throttled");
    let state = world.sync_state(&hansen).await;
    assert_eq!(state.consecutive_failures, 1);
    assert!(!state.needs_admin_action, "throttling is not the admin's problem");
    assert!(
        state.next_run_at >= world.state.clock.now() + chrono::Duration::seconds(29),
        "Retry-After honoured"
    );

    // Repeated failures back off further and finally open the breaker.
    let mut last_gap = chrono::Duration::zero();
    for round in 2..=5 {
        world.sync(&hansen).await;
        let state = world.sync_state(&hansen).await;
        assert_eq!(state.consecutive_failures, round);
        let gap = state.next_run_at - world.state.clock.now();
        // Measured from a moment later than the sync ended, so a gap at the cap may read a few
        // milliseconds shorter than the one before.
        assert!(gap + chrono::Duration::seconds(1) >= last_gap, "backoff never shrinks");
        assert!(gap <= calbridge::services::sync::LONGEST_BACKOFF, "backoff is capped: {gap}");
        last_gap = gap;
    }
    let state = world.sync_state(&hansen).await;
    assert!(state.breaker_open_until.is_some(), "breaker open after 5 failures");

    // The storm passes: the next sync succeeds and resets everything.
    assert!(world.sim.clear_fault(storm));
    let report = world.sync(&hansen).await;
    assert_eq!(report.outcome.as_str(), "ok", "{report:?}");
    let state = world.sync_state(&hansen).await;
    assert_eq!(state.consecutive_failures, 0);
    assert!(state.breaker_open_until.is_none());
    assert_eq!(world.row(vera).await.unwrap().state.as_str(), "free");
}

#[tokio::test]
async fn an_auth_failure_marks_the_tenant_for_its_admin_with_the_fix() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "wilma", vec![]).await;
    // The admin pasted a wrong secret.
    world.store_secret(&hansen, "Wrong~secret.value").await;
    let report = world.sync(&hansen).await;
    assert_eq!(report.outcome.as_str(), "failed");
    let error = report.error.unwrap();
    assert_eq!(error.code.as_str(), "auth_failed");
    let state = world.sync_state(&hansen).await;
    assert!(state.needs_admin_action);

    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;
    let page = admin.get("/sync").await;
    assert!(page.body.contains("Needs an administrator"), "{}", page.body);
    assert!(page.body.contains("The client secret is wrong"), "{}", page.body);
    assert!(page.body.contains("Secret ID"), "the fix names the mix-up");
    assert!(!page.body.contains("Wrong~secret"));
}

#[tokio::test]
async fn free_busy_detail_never_reads_subjects() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "free-busy").await;
    let now = now();
    let xena = world
        .person(
            &hansen,
            "xena",
            vec![meeting(
                "Fortroligt emne",
                now - chrono::Duration::minutes(1),
                now + chrono::Duration::hours(1),
            )],
        )
        .await;
    world.sync(&hansen).await;
    let row = world.row(xena).await.unwrap();
    assert_eq!(row.state.as_str(), "busy");
    assert!(!format!("{row:?}").contains("Fortroligt"));
    let items: Vec<calbridge::domain::calendar::CalendarItem> =
        serde_json::from_str(&row.items_json).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].show_as, ShowAs::Busy);
}

async fn rename_column(world: &World, table: &str, from: &str, to: &str) {
    use sea_orm::ConnectionTrait;
    let sql = format!("ALTER TABLE {table} RENAME COLUMN {from} TO {to}");
    world.state.db.execute_unprepared(&sql).await.unwrap();
}

#[tokio::test]
async fn a_database_failure_reading_the_connection_is_retried_not_put_on_the_admin() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "yrsa", vec![]).await;
    // The stored connection cannot be read (a column it needs is missing), while everything
    // else the sync touches still answers.
    rename_column(&world, "provider_configs", "detail_level", "detail_level_gone").await;
    let report = world.sync(&hansen).await;
    rename_column(&world, "provider_configs", "detail_level_gone", "detail_level").await;

    assert_eq!(report.outcome.as_str(), "failed", "{report:?}");
    let error = report.error.as_ref().unwrap();
    assert_eq!(error.reason.as_str(), "storage_unavailable", "{report:?}");
    let state = world.sync_state(&hansen).await;
    assert!(!state.needs_admin_action, "nothing is wrong with the credentials");
    assert_eq!(state.consecutive_failures, 1, "counted as a failure, so it backs off");
    assert!(state.next_run_at > world.state.clock.now(), "retried later, not at once");

    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;
    let page = admin.get("/sync").await;
    assert!(page.body.contains("Failing, retrying"), "{}", page.body);
    assert!(page.body.contains("could not read its own database"), "{}", page.body);
    assert!(!page.body.contains("Needs an administrator"));
    assert!(!page.body.contains("cannot be used as it is set up"));

    // Once the database answers again, the next sync simply works.
    let report = world.sync(&hansen).await;
    assert_eq!(report.outcome.as_str(), "ok", "{report:?}");
}
