//! A tenant's syncs start every interval from the previous start, not interval + sync time +
//! a tick.

use std::time::Duration;

use calbridge::jobs::{Scheduler, SchedulerOptions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::support::world::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_start_every_interval_from_the_previous_start() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "free-busy").await;
    world.person(&hansen, "anna", vec![]).await;
    // Every request takes 1.2 s, so a sync takes well over a second.
    world.sim.set_latency(Duration::from_millis(1200));
    let mut state = world.state.clone();
    let mut config = (*state.config).clone();
    config.sync_interval = Duration::from_secs(5);
    state.config = std::sync::Arc::new(config);
    let options = SchedulerOptions { instance: "cadence".into(), ..SchedulerOptions::default() };
    let scheduler = Scheduler::start(state.clone(), options).await.unwrap();
    tokio::time::sleep(Duration::from_secs(18)).await;
    scheduler.shutdown().await;

    use calbridge::db::entities::sync_run;
    let runs = sync_run::Entity::find()
        .filter(sync_run::Column::TenantId.eq(hansen.id))
        .order_by_asc(sync_run::Column::StartedAt)
        .all(&state.db)
        .await
        .unwrap();
    assert!(runs.len() >= 3, "{} runs", runs.len());
    for pair in runs.windows(2) {
        let gap = (pair[1].started_at - pair[0].started_at).num_milliseconds();
        assert!((4_000..=6_000).contains(&gap), "a sync started {gap} ms after the previous one");
    }
}
