//! The presence stream: a snapshot, then every change as it happens; a client that comes back
//! gets exactly what it missed; several instances feed each other's clients.

use std::time::Duration;

use calbridge::clock::Clock;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ApiClient, token};
use crate::support::world::{Customer, World, meeting, now, options};
use crate::support::{postgres_only, tenant_scope};

const STREAM: &str = "/api/v1/presence/stream";

/// A synced customer whose anna is free now and in a meeting from four seconds on.
async fn anna_meets_in_four_seconds() -> (World, Customer, DateTime<Utc>) {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let start = now() + chrono::Duration::seconds(4);
    let customer_meeting = meeting("Kundemøde", start, start + chrono::Duration::seconds(60));
    world.person(&hansen, "anna", vec![customer_meeting]).await;
    world.sync(&hansen).await;
    (world, hansen, start)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_that_starts_reaches_a_connected_client_within_one_and_a_half_seconds() {
    let (world, hansen, start) = anna_meets_in_four_seconds().await;
    let api = ApiClient::new(&world.app, &token(&world.app, hansen.id, "Omstilling").await);

    let mut stream = api.stream(STREAM, None).await;
    let snapshot = stream.next(Duration::from_secs(5)).await.expect("a snapshot on connect");
    assert_eq!(snapshot.event, "snapshot");
    let list: Value = serde_json::from_str(&snapshot.data).unwrap();
    assert_eq!(list["users"][0]["state"], "free");
    let snapshot_id: i64 = snapshot.id.parse().unwrap();

    let scheduler = world.scheduler(options("flip")).await.unwrap();
    let (event, anna) =
        stream.next_for("anna@hansen.dk", Duration::from_secs(15)).await.expect("the flip arrives");
    let received = Clock::system().now();
    scheduler.shutdown().await;
    assert_eq!(anna["state"], "busy");
    assert_eq!(anna["appointment"]["subject"], "Kundemøde");
    assert!(event.id.parse::<i64>().unwrap() > snapshot_id, "ids increase");
    let lateness = received - start;
    assert!(received >= start, "not before the meeting");
    assert!(lateness < chrono::Duration::milliseconds(1500), "{lateness} after the start");
}

/// The tenant's event ids in the history, oldest first.
async fn history_ids(world: &World, tenant: uuid::Uuid) -> Vec<i64> {
    calbridge::db::events::since(&world.state.db, tenant_scope(tenant), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|h| h.seq)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_comes_back_gets_exactly_the_events_it_missed() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let soon = now() + chrono::Duration::seconds(2);
    for (n, who) in ["anna", "bo", "carl"].iter().enumerate() {
        let start = soon + chrono::Duration::seconds(n as i64);
        world
            .person(
                &hansen,
                who,
                vec![meeting("Møde", start, start + chrono::Duration::seconds(2))],
            )
            .await;
    }
    world.sync(&hansen).await;
    let api = ApiClient::new(&world.app, &token(&world.app, hansen.id, "Omstilling").await);
    let mut stream = api.stream(STREAM, None).await;
    let seen: i64 = stream.next(Duration::from_secs(5)).await.unwrap().id.parse().unwrap();
    drop(stream);

    // Everyone's meeting starts and ends while the client is away.
    let scheduler = world.scheduler(options("away")).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while history_ids(&world, hansen.id).await.len() < 3 + 6
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scheduler.shutdown().await;
    let missed: Vec<i64> =
        history_ids(&world, hansen.id).await.into_iter().filter(|id| *id > seen).collect();
    assert_eq!(missed.len(), 6, "three meetings started and ended: {missed:?}");

    for via_query in [false, true] {
        let mut stream = if via_query {
            api.stream(&format!("{STREAM}?last_event_id={seen}"), None).await
        } else {
            api.stream(STREAM, Some(seen)).await
        };
        let mut replayed = Vec::new();
        while let Some(event) = stream.next(Duration::from_secs(2)).await {
            assert_eq!(event.event, "presence", "a replay, not a snapshot");
            let data: Value = serde_json::from_str(&event.data).unwrap();
            assert!(data["email"].as_str().unwrap().ends_with("@hansen.dk"));
            replayed.push(event.id.parse::<i64>().unwrap());
        }
        assert_eq!(replayed, missed, "exactly the missed events, in order (query: {via_query})");
    }

    // Up to date: nothing to replay, and nothing is sent until something changes.
    let latest = *missed.last().unwrap();
    let mut stream = api.stream(STREAM, Some(latest)).await;
    assert!(stream.next(Duration::from_millis(800)).await.is_none());

    // A gap the history no longer holds: a fresh snapshot instead.
    calbridge::db::availability::prune_history(&world.state.db, now() + chrono::Duration::days(1))
        .await
        .unwrap();
    let mut stream = api.stream(STREAM, Some(seen)).await;
    let event = stream.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(event.event, "snapshot");
    assert_eq!(event.id.parse::<i64>().unwrap(), latest);
    // An id from the future (another tenant's, or made up) also starts over.
    let mut stream = api.stream(STREAM, Some(latest + 1000)).await;
    assert_eq!(stream.next(Duration::from_secs(5)).await.unwrap().event, "snapshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flip_applied_by_one_instance_reaches_a_stream_client_of_another() {
    if postgres_only("a_flip_applied_by_one_instance_reaches_a_stream_client_of_another") {
        return;
    }
    let (world, hansen, _) = anna_meets_in_four_seconds().await;

    // Instance B: its own process state (own hub, own LISTEN) on the same database.
    let config = (*world.app.state.config).clone();
    let state_b = calbridge::startup::build_state(config, Clock::system()).await.unwrap();
    let b =
        calbridge::startup::Application::start(state_b, "127.0.0.1:0".parse().unwrap(), 1).unwrap();
    let b_url = format!("http://{}", b.addr());
    let b_handle = b.handle();
    tokio::spawn(b.run_until_stopped());

    let api = ApiClient::at(&b_url, &token(&world.app, hansen.id, "Omstilling").await);
    let mut stream = api.stream(STREAM, None).await;
    assert_eq!(stream.next(Duration::from_secs(5)).await.unwrap().event, "snapshot");
    // Instance A flips (its scheduler runs on A's state; B runs none).
    let scheduler = world.scheduler(options("instance-a")).await.unwrap();
    let (_, anna) =
        stream.next_for("anna@hansen.dk", Duration::from_secs(15)).await.expect("B hears A's flip");
    let received = Clock::system().now();
    scheduler.shutdown().await;
    assert_eq!(anna["state"], "busy");
    let flipped = world.row_history_at(hansen.id, "busy").await;
    let delay = received - flipped;
    assert!(delay < chrono::Duration::seconds(1), "reached B {delay} after A wrote it");
    b_handle.stop(false).await;
}

#[tokio::test]
async fn an_open_stream_ends_once_its_token_is_revoked() {
    let app = crate::support::TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    app.add_user(alfa, "anna@alfa.dk").await;
    let secret = token(&app, alfa, "Omstilling").await;
    let api = ApiClient::new(&app, &secret);
    let mut stream = api.stream(STREAM, None).await;
    assert_eq!(stream.next(Duration::from_secs(5)).await.unwrap().event, "snapshot");

    let scope = tenant_scope(alfa);
    let id = calbridge::services::api_tokens::list(&app.state, scope).await.unwrap()[0].id;
    let actor = calbridge::services::Actor::command_line();
    calbridge::services::api_tokens::revoke(&app.state, &actor, scope, id).await.unwrap();
    let ended = tokio::time::timeout(
        calbridge::services::stream::RECHECK + Duration::from_secs(10),
        async { while stream.next(Duration::from_secs(60)).await.is_some() {} },
    )
    .await;
    assert!(ended.is_ok(), "the stream ended after the token was revoked");
}
