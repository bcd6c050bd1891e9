//! Outlook's 4 concurrent requests per app and mailbox, and 4 in flight per tenant.

use std::time::Duration;

use calbridge::providers::CalendarProvider;
use calbridge::providers::graph::{DetailLevel, GraphProvider, GraphSettings};
use calbridge::simulator::{EndpointKind, SettingsPatch};
use futures_util::future::join_all;
use secrecy::SecretString;

use crate::support::provider::*;

#[tokio::test]
async fn no_mailbox_is_in_more_than_four_concurrent_requests() {
    let sim = start(60).await;
    sim.apply_settings(&SettingsPatch { latency_ms: Some(40), ..Default::default() });
    let mailboxes = emails(&users(1..=60));
    for detail in [DetailLevel::Full, DetailLevel::FreeBusy] {
        sim.reset_counters();
        let provider = provider(&sim, detail);
        // Six overlapping syncs of the same mailboxes, as a slow scheduler might start.
        let outcomes =
            join_all((0..6).map(|_| provider.read_calendars(&mailboxes, window()))).await;
        for outcome in outcomes {
            assert_eq!(outcome.stats.throttled_responses, 0, "{detail:?}");
            assert!(answers(outcome).iter().all(|a| a.result.is_ok()));
        }
        let counters = sim.counters();
        let highest = counters.max_concurrency_overall();
        assert!(
            (1..=4).contains(&highest),
            "{detail:?}: {highest} concurrent requests for one mailbox"
        );
        assert_eq!(counters.count(endpoint(detail), "429"), 0);
    }
    sim.stop().await;
}

fn endpoint(detail: DetailLevel) -> EndpointKind {
    match detail {
        DetailLevel::FreeBusy => EndpointKind::GetSchedule,
        DetailLevel::Full => EndpointKind::CalendarView,
    }
}

#[tokio::test]
async fn at_most_four_requests_in_flight_per_tenant() {
    let sim = start(200).await;
    sim.apply_settings(&SettingsPatch { latency_ms: Some(50), ..Default::default() });
    let proxy = CountingProxy::start(sim.base_url()).await;
    let settings =
        GraphSettings::new(TENANT, CLIENT, SecretString::from(SECRET), DetailLevel::Full)
            .with_base_url(&proxy.base_url)
            .with_tunables(quick());
    let provider = GraphProvider::new(settings).unwrap();
    let first = emails(&users(1..=100));
    let second = emails(&users(101..=200));
    // Two calls at once: 5 + 5 batches, all wanting to go at the same time.
    let outcomes = join_all([
        provider.read_calendars(&first, window()),
        provider.read_calendars(&second, window()),
    ])
    .await;
    let requests: u32 = outcomes.iter().map(|o| o.stats.http_requests).sum();
    for outcome in outcomes {
        assert!(answers(outcome).iter().all(|a| a.result.is_ok()));
    }
    assert_eq!(proxy.requests(), requests as usize);
    assert_eq!(requests, 11, "one token request and ten batches");
    assert_eq!(proxy.max_in_flight(), 4, "the cap is reached and never exceeded");
    tokio::time::timeout(Duration::from_secs(5), proxy.stop()).await.ok();
    sim.stop().await;
}
