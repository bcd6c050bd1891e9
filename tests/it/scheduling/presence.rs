//! `calbridge presence --json` and `sync --once`, as a phone system integrator reads them.

use chrono::DateTime;
use serde_json::Value;

use crate::support::world::{World, meeting, now};

fn is_utc_rfc3339(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.ends_with('Z') && DateTime::parse_from_rfc3339(s).is_ok())
}

#[tokio::test]
async fn presence_json_has_the_documented_shape() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let now = now();
    world
        .person(
            &hansen,
            "anna",
            vec![meeting(
                "Kundemøde",
                now - chrono::Duration::minutes(5),
                now + chrono::Duration::minutes(25),
            )],
        )
        .await;
    world.person(&hansen, "bo", vec![]).await;
    world.directory_user(&hansen, "ghost@hansen.dk").await;
    calbridge::services::directory::add(
        &world.state,
        &calbridge::services::Actor::command_line(),
        world.scope(&hansen),
        &calbridge::services::directory::UserInput {
            email: "off@hansen.dk".into(),
            ..Default::default()
        },
        false,
    )
    .await
    .unwrap();

    let tenant = hansen.id.to_string();
    let sync = world.cli(&["sync", "--tenant", &tenant, "--once"]).await;
    // One mailbox does not exist, so the run is partial but not a failure.
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    let summary: Value = serde_json::from_str(&sync.stdout).unwrap();
    assert_eq!(summary["users_read"], 3);
    assert_eq!(summary["errors"], 1);
    assert!(summary["http_requests"].as_u64().unwrap() >= 1);
    assert!(summary["duration_ms"].is_u64());

    let run = world.cli(&["presence", "--tenant", &tenant, "--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["tenant"], tenant.as_str());
    assert!(is_utc_rfc3339(&doc["generated_at"]));
    let users = doc["users"].as_array().unwrap();
    assert_eq!(users.len(), 4);
    let by = |email: &str| users.iter().find(|u| u["email"] == email).unwrap().clone();
    for u in users {
        for key in [
            "email",
            "name",
            "extension",
            "sync_enabled",
            "available",
            "state",
            "until",
            "next_change_at",
            "appointment",
            "sync_error",
            "observed_at",
        ] {
            assert!(u.get(key).is_some(), "{key} missing in {u}");
        }
    }
    let anna = by("anna@hansen.dk");
    assert_eq!(anna["state"], "busy");
    assert_eq!(anna["available"], false);
    assert!(
        is_utc_rfc3339(&anna["until"])
            && is_utc_rfc3339(&anna["next_change_at"])
            && is_utc_rfc3339(&anna["observed_at"])
    );
    assert_eq!(anna["appointment"]["subject"], "Kundemøde");
    assert_eq!(anna["appointment"]["private"], false);
    assert!(is_utc_rfc3339(&anna["appointment"]["start"]));
    assert!(anna["sync_error"].is_null());

    let bo = by("bo@hansen.dk");
    assert_eq!((bo["state"].as_str(), bo["available"].as_bool()), (Some("free"), Some(true)));
    assert!(bo["appointment"].is_null() && bo["until"].is_null());

    let ghost = by("ghost@hansen.dk");
    assert_eq!(ghost["state"], "unknown");
    assert!(ghost["available"].is_null());
    assert_eq!(ghost["sync_error"]["code"], "mailbox_not_found");
    assert!(!ghost["sync_error"]["message"].as_str().unwrap().is_empty());

    let off = by("off@hansen.dk");
    assert_eq!(off["sync_enabled"], false);
    assert_eq!(off["state"], "unknown");
    assert!(off["observed_at"].is_null());
}
