//! State flips at the start and end of meetings, between polls.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::support::world::{World, meeting, now, options};

/// Polls the stored row until `state` or the deadline; returns when it was first seen.
async fn wait_for_state(
    world: &World,
    user: uuid::Uuid,
    state: &str,
    deadline: Duration,
) -> Option<chrono::DateTime<Utc>> {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if world.row(user).await.is_some_and(|r| r.state.as_str() == state) {
            return Some(calbridge::clock::Clock::system().now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_flips_its_user_within_a_second_of_start_and_end_without_a_poll() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let start = now() + chrono::Duration::seconds(3);
    let end = start + chrono::Duration::seconds(3);
    let anna = world.person(&hansen, "anna", vec![meeting("Kundemøde", start, end)]).await;

    let report = world.sync(&hansen).await;
    assert_eq!(report.outcome.as_str(), "ok", "{report:?}");
    let row = world.row(anna).await.unwrap();
    assert_eq!(row.state.as_str(), "free");
    assert_eq!(row.until, Some(start), "free until the meeting");
    assert_eq!(row.next_change_at, Some(start));

    // The scheduler's transition timer runs; its next poll is a minute away.
    let scheduler = world.scheduler(options("flip")).await.unwrap();
    let busy_at =
        wait_for_state(&world, anna, "busy", Duration::from_secs(10)).await.expect("flips to busy");
    let lateness = busy_at - start;
    assert!(lateness < chrono::Duration::seconds(1), "busy {lateness} after the start");
    assert!(busy_at >= start, "not before the meeting starts");
    let row = world.row(anna).await.unwrap();
    assert_eq!(row.until, Some(end));
    assert!(row.appointment_json.unwrap().contains("Kundemøde"));

    let free_at =
        wait_for_state(&world, anna, "free", Duration::from_secs(10)).await.expect("flips back");
    assert!(free_at - end < chrono::Duration::seconds(1), "free {} after the end", free_at - end);
    scheduler.shutdown().await;

    // No sync ran in between: the flips came from stored items alone.
    let runs =
        calbridge::db::sync_runs::recent(&world.state.db, world.scope(&hansen), 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    let history =
        calbridge::db::availability::history_of(&world.state.db, world.scope(&hansen), anna, 10)
            .await
            .unwrap();
    let states: Vec<_> = history.iter().rev().map(|h| h.state.as_str()).collect();
    assert_eq!(states, ["free", "busy", "free"]);
}

#[tokio::test]
async fn back_to_back_meetings_give_one_until() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let now = now();
    let first_end = now + chrono::Duration::minutes(20);
    let second_end = first_end + chrono::Duration::minutes(30);
    let bo = world
        .person(
            &hansen,
            "bo",
            vec![
                meeting("Salgsmøde", now - chrono::Duration::minutes(10), first_end),
                meeting("Tilbud", first_end, second_end),
            ],
        )
        .await;
    world.sync(&hansen).await;
    let row = world.row(bo).await.unwrap();
    assert_eq!(row.state.as_str(), "busy");
    assert!(!row.available);
    assert_eq!(row.until, Some(second_end), "in a meeting until the second one ends");
    assert_eq!(row.next_change_at, Some(first_end), "the subject changes at the boundary");
}

#[tokio::test]
async fn transitions_survive_a_restart() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let start = now() + chrono::Duration::seconds(2);
    let cy = world
        .person(&hansen, "cy", vec![meeting("Møde", start, start + chrono::Duration::minutes(5))])
        .await;
    world.sync(&hansen).await;
    // A scheduler that started and stopped before the meeting, then a new one: the flip
    // still happens, rebuilt from the stored items.
    let first = world.scheduler(options("first")).await.unwrap();
    first.shutdown().await;
    let second = world.scheduler(options("second")).await.unwrap();
    let busy = wait_for_state(&world, cy, "busy", Duration::from_secs(10))
        .await
        .expect("flips after restart");
    assert!(busy - start < chrono::Duration::seconds(1));
    second.shutdown().await;
}
