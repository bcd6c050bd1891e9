//! `/metrics`: Prometheus text for whoever holds the token, or on an address of its own.

use std::time::Duration;

use crate::support::world::{World, meeting, now, options};

const TOKEN: &str = "metrics-token-0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_token_and_count_what_the_service_did() {
    let world = World::new_with(|c| c.metrics_token = Some(TOKEN.to_owned().into())).await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let start = now() + chrono::Duration::seconds(2);
    world
        .person(&hansen, "anna", vec![meeting("Møde", start, start + chrono::Duration::minutes(5))])
        .await;
    let scheduler = world.scheduler(options("metrics")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    scheduler.shutdown().await;

    let url = format!("http://{}/metrics", world.app.addr);
    let client = reqwest::Client::new();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(client.get(&url).bearer_auth("wrong").send().await.unwrap().status(), 401);
    let res = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    for metric in [
        "calbridge_sync_runs_total{outcome=\"ok\"}",
        "calbridge_sync_duration_seconds_bucket",
        "calbridge_graph_requests_total{status=\"200\"}",
        "calbridge_flips_total",
        "calbridge_flip_lateness_seconds_bucket",
    ] {
        assert!(text.contains(metric), "{metric} missing from:\n{text}");
    }
    assert!(
        !text.contains("hansen.dk") && !text.contains(&hansen.id.to_string()),
        "no per-tenant or per-user labels"
    );
}

#[tokio::test]
async fn without_a_token_metrics_are_served_only_on_their_own_address() {
    let app = crate::support::TestApp::spawn().await;
    let res = reqwest::get(format!("http://{}/metrics", app.addr)).await.unwrap();
    assert_eq!(res.status(), 404, "not on the portal without a token");

    let mut config = (*app.state.config).clone();
    config.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    let state =
        calbridge::startup::build_state(config, calbridge::clock::Clock::system()).await.unwrap();
    let instance =
        calbridge::startup::Application::start(state, "127.0.0.1:0".parse().unwrap(), 1).unwrap();
    let metrics = instance.metrics_addr().expect("a metrics listener");
    let (portal, handle) = (instance.addr(), instance.handle());
    tokio::spawn(instance.run_until_stopped());
    let res = reqwest::get(format!("http://{metrics}/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let other = reqwest::get(format!("http://{metrics}/presence")).await.unwrap();
    assert_eq!(other.status(), 404, "the metrics address serves nothing else");
    assert_eq!(reqwest::get(format!("http://{portal}/metrics")).await.unwrap().status(), 404);
    handle.stop(false).await;
}
