//! Several instances, one tenant: leases, fencing and takeover.

use std::collections::HashMap;
use std::time::Duration;

use calbridge::config::DatabaseTarget;
use calbridge::db::leases;
use sea_orm::EntityTrait;

use crate::support::world::{World, options};

#[tokio::test]
async fn concurrent_claims_never_hand_one_tenant_to_two_instances() {
    let world = World::new().await;
    let mut customers = Vec::new();
    for i in 0..6 {
        let c = world.customer(&format!("T{i}"), &format!("t{i}.dk"), "free-busy").await;
        customers.push(c.id);
    }
    let db = world.state.db.clone();
    let mut held: HashMap<uuid::Uuid, i64> = HashMap::new();
    let mut claims_by: HashMap<&str, usize> = HashMap::new();
    for round in 0..20 {
        let now = world.state.clock.now();
        let until = now + chrono::Duration::seconds(30);
        let (a, b) = tokio::join!(
            leases::claim_due(&db, "alpha", now, until, 3),
            leases::claim_due(&db, "beta", now, until, 3)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        for (instance, claims) in [("alpha", &a), ("beta", &b)] {
            *claims_by.entry(instance).or_default() += claims.len();
            for claim in claims.iter() {
                if let Some(token) = held.insert(claim.tenant_id, claim.token) {
                    assert!(claim.token > token, "fencing token grows: round {round}");
                }
            }
        }
        let ids: Vec<_> = a.iter().chain(b.iter()).map(|c| c.tenant_id).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "a tenant claimed twice in round {round}");
        // Finish every claim so the tenants are due again next round.
        for (instance, claims) in [("alpha", a), ("beta", b)] {
            for claim in claims {
                let finish = leases::Finish {
                    next_run_at: now,
                    consecutive_failures: 0,
                    breaker_open_until: None,
                    needs_admin_action: false,
                    error: None,
                    ran_at: now,
                    succeeded: true,
                };
                assert!(leases::finish(&db, claim, instance, finish).await.unwrap());
            }
        }
    }
    assert_eq!(held.len(), customers.len(), "every tenant was claimed at some point");
    // Each asks for at most 3 of the 6 due tenants, so both must have had claims.
    assert!(claims_by.values().all(|n| *n > 0) && claims_by.len() == 2, "{claims_by:?}");
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_old_holder_is_fenced_off() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "free-busy").await;
    let db = &world.state.db;
    let now = calbridge::clock::Clock::system().now();
    let lease = chrono::Duration::seconds(30);
    let crashed = leases::claim_due(db, "crashed", now, now + lease, 10).await.unwrap();
    assert_eq!(crashed.len(), 1);
    // While the lease runs nobody else gets the tenant.
    assert!(
        leases::claim_due(db, "rescuer", now + chrono::Duration::seconds(29), now + lease * 2, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // After it expires, another instance does, with a newer token.
    let later = now + lease + chrono::Duration::seconds(1);
    let rescued = leases::claim_due(db, "rescuer", later, later + lease, 10).await.unwrap();
    assert_eq!(rescued.len(), 1);
    assert!(rescued[0].token > crashed[0].token);
    // The crashed instance comes back: its heartbeat and its writes are refused.
    assert!(!leases::renew(db, crashed[0], "crashed", later + lease).await.unwrap());
    let finish = leases::Finish {
        next_run_at: later,
        consecutive_failures: 0,
        breaker_open_until: None,
        needs_admin_action: false,
        error: None,
        ran_at: later,
        succeeded: true,
    };
    assert!(!leases::finish(db, crashed[0], "crashed", finish.clone()).await.unwrap());
    assert!(leases::finish(db, rescued[0], "rescuer", finish).await.unwrap());
    let _ = hansen;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_on_postgres_never_sync_one_tenant_at_once() {
    if crate::support::on_sqlite() {
        // SQLite runs one scheduler per file; `a_second_sqlite_scheduler_refuses_to_start`
        // covers that mode.
        crate::support::skip(
            "two_schedulers_on_postgres_never_sync_one_tenant_at_once",
            "PostgreSQL only (set TEST_DATABASE_URL)",
        );
        return;
    }
    let world = World::new().await;
    let mut customers = Vec::new();
    for i in 0..4 {
        let c = world.customer(&format!("T{i}"), &format!("t{i}.dk"), "free-busy").await;
        world.person(&c, "anna", vec![]).await;
        customers.push(c);
    }
    // Syncs come due every second, so many ticks contend for the same tenants.
    let mut state = world.state.clone();
    let mut config = (*state.config).clone();
    config.sync_interval = Duration::from_secs(1);
    state.config = std::sync::Arc::new(config);
    // Each instance takes at most two tenants at a time, so both must work and contend.
    let limited =
        |name: &str| calbridge::jobs::SchedulerOptions { max_parallel: 2, ..options(name) };
    let a = calbridge::jobs::Scheduler::start(state.clone(), limited("alpha")).await.unwrap();
    let b = calbridge::jobs::Scheduler::start(state.clone(), limited("beta")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(8)).await;
    a.shutdown().await;
    b.shutdown().await;

    let runs = calbridge::db::entities::sync_run::Entity::find().all(&state.db).await.unwrap();
    let instances: std::collections::HashSet<_> = runs.iter().map(|r| r.instance.clone()).collect();
    assert_eq!(instances.len(), 2, "both instances did work: {instances:?}");
    for c in &customers {
        let mut mine: Vec<_> = runs.iter().filter(|r| r.tenant_id == c.id).collect();
        assert!(
            mine.len() >= 3,
            "tenant synced repeatedly: {} {:#?}",
            mine.len(),
            runs.iter()
                .map(|r| (r.tenant_id, &r.instance, r.started_at, &r.outcome, &r.error_message))
                .collect::<Vec<_>>()
        );
        mine.sort_by_key(|r| r.fencing_token);
        for pair in mine.windows(2) {
            assert!(
                pair[0].finished_at <= pair[1].started_at,
                "overlapping syncs of one tenant: {pair:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_second_sqlite_scheduler_refuses_to_start() {
    // Always on SQLite: this is about the embedded database.
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::test_config(
        DatabaseTarget::Sqlite(dir.path().join("calbridge.db")),
        secrecy::ExposeSecret::expose_secret(
            &calbridge::secrets::MasterKey::generate().to_base64(),
        ),
    );
    config.bind = "127.0.0.1:0".parse().unwrap();
    let state =
        calbridge::startup::build_state(config, calbridge::clock::Clock::system()).await.unwrap();
    let first = calbridge::jobs::Scheduler::start(state.clone(), options("first")).await.unwrap();
    let second = calbridge::jobs::Scheduler::start(state.clone(), options("second")).await;
    let error = second.err().expect("the second scheduler is refused").to_string();
    assert!(error.contains("already runs the scheduler"), "{error}");
    first.shutdown().await;
    // Once the first is gone, a new one may start.
    let third = calbridge::jobs::Scheduler::start(state, options("third")).await.unwrap();
    third.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instance_claims_its_share_and_a_crashed_ones_share_is_taken_over_at_once() {
    if crate::support::postgres_only(
        "each_instance_claims_its_share_and_a_crashed_ones_share_is_taken_over_at_once",
    ) {
        return;
    }
    use calbridge::db::entities::{sync_run, sync_state};
    use sea_orm::{ColumnTrait, QueryFilter};
    let world = World::new().await;
    let mut customers = Vec::new();
    for i in 0..6 {
        let c = world.customer(&format!("T{i}"), &format!("t{i}.dk"), "free-busy").await;
        world.person(&c, "anna", vec![]).await;
        customers.push(c.id);
    }
    world.sim.set_latency(Duration::from_millis(1500));
    // Nothing is due until both instances are up.
    let due = world.state.clock.now() + chrono::Duration::seconds(2);
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::NextRunAt, sea_orm::sea_query::Expr::value(due))
        .exec(&world.state.db)
        .await
        .unwrap();
    // Leases far longer than the test: a crashed instance is noticed by its silence.
    let options = |name: &str| calbridge::jobs::SchedulerOptions {
        lease: chrono::Duration::seconds(60),
        ..options(name)
    };
    let alpha = world.scheduler(options("alpha")).await.unwrap();
    let beta = world.scheduler(options("beta")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2800)).await;
    let (held_by_alpha, held_by_beta) = (alpha.syncing().await, beta.syncing().await);
    assert_eq!((held_by_alpha.len(), held_by_beta.len()), (3, 3), "each holds its share");

    // Alpha dies mid-sync: only its three wait, until beta notices alpha's silence (a
    // heartbeat and two ticks, 3 s here), not until the leases run out.
    let crashed = world.state.clock.now();
    alpha.kill().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(3 + 1 + 2 + 1);
    for tenant in &held_by_alpha {
        loop {
            let taken_over = sync_run::Entity::find()
                .filter(sync_run::Column::TenantId.eq(*tenant))
                .filter(sync_run::Column::Instance.eq("beta"))
                .filter(sync_run::Column::StartedAt.gt(crashed))
                .one(&world.state.db)
                .await
                .unwrap();
            if taken_over.is_some() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{tenant} not taken over in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    beta.shutdown().await;
}
