use std::time::Duration;

use calbridge::simulator::EndpointKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::graph::*;

async fn control(
    h: &GraphClient,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = h.http.request(method, h.url(&format!("/_simulator{path}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

fn view(user: &str) -> String {
    format!(
        "/v1.0/users/{user}/calendarView?startDateTime=2030-06-01T00:00:00Z&endDateTime=2030-06-02T00:00:00Z"
    )
}

#[tokio::test]
async fn mailboxes_and_events_round_trip() {
    use reqwest::Method;
    let h = GraphClient::start().await;
    let token = h.token().await;
    let (status, created) = control(
        &h,
        Method::POST,
        "/mailboxes",
        Some(json!({"tenant": TENANT, "upn": "new.person@contoso.dk", "time_zone": "Romance Standard Time"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["display_name"], "New Person");
    let (status, _) = control(
        &h,
        Method::POST,
        "/mailboxes",
        Some(json!({"tenant": TENANT, "upn": "new.person@contoso.dk"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = control(
        &h,
        Method::POST,
        "/mailboxes",
        Some(json!({"tenant": "nope.dk", "upn": "x@nope.dk"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = control(&h, Method::GET, "/mailboxes", None).await;
    assert!(list.as_array().unwrap().iter().any(|m| m["upn"] == "new.person@contoso.dk"));

    let (status, event) = control(
        &h,
        Method::POST,
        "/mailboxes/new.person@contoso.dk/events",
        Some(json!({"subject": "Planning", "location": "Room 1", "start": "2030-06-01T10:00:00", "duration": "45m"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = event["id"].as_str().unwrap().to_string();
    assert_eq!(event["start"], "2030-06-01T08:00:00Z", "local time in the mailbox zone (CEST)");
    let (status, _) = control(
        &h,
        Method::POST,
        "/mailboxes/new.person@contoso.dk/events",
        Some(json!({"start": "soon"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, _, body) = json_of(h.get(&token, &view("new.person@contoso.dk")).await).await;
    assert_eq!(body["value"][0]["subject"], "Planning");
    let etag = body["value"][0]["@odata.etag"].clone();

    let (status, changed) = control(
        &h,
        Method::PATCH,
        &format!("/mailboxes/new.person@contoso.dk/events/{id}"),
        Some(json!({"subject": "Planning (moved)", "start": "2030-06-01T12:00:00Z", "show_as": "tentative"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["end"], "2030-06-01T12:45:00Z", "a moved event keeps its length");
    let (_, _, body) = json_of(h.get(&token, &view("new.person@contoso.dk")).await).await;
    assert_eq!(body["value"][0]["subject"], "Planning (moved)");
    assert_eq!(body["value"][0]["showAs"], "tentative");
    assert_ne!(body["value"][0]["@odata.etag"], etag, "a change gives a new etag");

    let (_, events) =
        control(&h, Method::GET, "/mailboxes/new.person@contoso.dk/events", None).await;
    assert_eq!(events.as_array().unwrap().len(), 1);
    let (status, _) =
        control(&h, Method::DELETE, &format!("/mailboxes/new.person@contoso.dk/events/{id}"), None)
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        control(&h, Method::DELETE, &format!("/mailboxes/new.person@contoso.dk/events/{id}"), None)
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, body) = json_of(h.get(&token, &view("new.person@contoso.dk")).await).await;
    assert!(body["value"].as_array().unwrap().is_empty());

    let (status, _) = control(&h, Method::DELETE, "/mailboxes/new.person@contoso.dk", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(&token, &view("new.person@contoso.dk")).await.status(), StatusCode::NOT_FOUND);

    let (_, tenants) = control(&h, Method::GET, "/tenants", None).await;
    assert_eq!(tenants.as_array().unwrap().len(), 3);
    assert!(tenants[0].get("client_secret").is_none());
    h.stop().await;
}

#[tokio::test]
async fn faults_settings_and_counters_round_trip() {
    use reqwest::Method;
    let h = GraphClient::start().await;
    let token = h.token().await;
    let (status, added) = control(
        &h,
        Method::POST,
        "/faults",
        Some(json!({"endpoint": "calendar_view", "fault": "service_unavailable", "retry_after": 1.5, "count": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, faults) = control(&h, Method::GET, "/faults", None).await;
    assert_eq!(faults[0]["id"], added["id"]);
    assert_eq!(faults[0]["remaining"], 1);
    let response = h.get(&token, &view("adele@contoso.dk")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1.5");
    let (_, faults) = control(&h, Method::GET, "/faults", None).await;
    assert!(faults.as_array().unwrap().is_empty());

    let (_, added) =
        control(&h, Method::POST, "/faults", Some(json!({"fault": "gateway_timeout"}))).await;
    let (status, _) = control(&h, Method::DELETE, &format!("/faults/{}", added["id"]), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        control(&h, Method::POST, "/faults", Some(json!({"fault": "meteor_strike"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    control(&h, Method::POST, "/faults", Some(json!({"fault": "gateway_timeout"}))).await;
    let (status, _) = control(&h, Method::DELETE, "/faults", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, settings) = control(&h, Method::PUT, "/latency", Some(json!({"ms": 120}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["latency_ms"], 120);
    let started = std::time::Instant::now();
    assert_eq!(h.get(&token, &view("adele@contoso.dk")).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(120));
    let (_, settings) = control(
        &h,
        Method::PUT,
        "/throttling",
        Some(json!({"request_budget": 50, "max_concurrency": 2})),
    )
    .await;
    assert_eq!(settings["request_budget"], 50);
    assert_eq!(settings["max_concurrency"], 2);
    assert_eq!(settings["budget_window_secs"], 600);
    let (_, settings) = control(
        &h,
        Method::PATCH,
        "/settings",
        Some(json!({"latency_ms": 0, "batch_order": "in_order"})),
    )
    .await;
    assert_eq!(settings["batch_order"], "in_order");
    let (_, settings) = control(&h, Method::GET, "/settings", None).await;
    assert_eq!(settings["latency_ms"], 0);

    let (_, counters) = control(&h, Method::GET, "/counters", None).await;
    assert_eq!(counters["token_requests"], 1);
    assert_eq!(counters["tokens_issued"], 1);
    assert_eq!(counters["requests"]["calendar_view"]["503"], 1);
    assert_eq!(counters["requests"]["calendar_view"]["200"], 1);
    assert_eq!(counters["outcomes"]["calendar_view"]["fault"], 1);
    assert_eq!(counters["max_concurrency"][0]["mailbox"], "adele@contoso.dk");
    let (status, _) = control(&h, Method::POST, "/counters/reset", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let counters = h.sim.counters();
    assert_eq!(counters.total(EndpointKind::CalendarView), 0);
    assert!(counters.max_concurrency.is_empty());
    h.stop().await;
}

#[tokio::test]
async fn relative_times_from_scenario_and_handle() {
    let h = GraphClient::start_with(|scenario| {
        scenario.tenants[0].mailboxes[1].events.push(
            toml::from_str("subject = \"Soon\"\nstart = \"+15m\"\nduration = \"45m\"").unwrap(),
        );
    })
    .await;
    let token = h.token().await;
    let now = calbridge::clock::Clock::system().now();
    let path = format!(
        "/v1.0/users/mixed@contoso.dk/calendarView?startDateTime={}&endDateTime={}",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(3)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let event: calbridge::simulator::EventSpec =
        toml::from_str("subject = \"Later\"\nstart = \"+2h\"\nshow_as = \"oof\"").unwrap();
    h.sim.add_event("mixed@contoso.dk", &event).unwrap();
    let (_, _, body) = json_of(h.get(&token, &path).await).await;
    let subjects: Vec<&str> =
        body["value"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, vec!["Soon", "Later"]);
    let soon = chrono::DateTime::parse_from_rfc3339(&format!(
        "{}Z",
        body["value"][0]["start"]["dateTime"].as_str().unwrap()
    ))
    .unwrap();
    let offset = soon.with_timezone(&chrono::Utc) - now;
    assert!(
        offset > chrono::Duration::minutes(14) && offset < chrono::Duration::minutes(16),
        "{offset}"
    );
    h.stop().await;
}

#[tokio::test]
async fn example_scenario_file_loads_and_serves() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/simulator-scenario.toml");
    let scenario = calbridge::simulator::Scenario::from_toml_file(path).unwrap();
    let sim = calbridge::simulator::Simulator::start(scenario, "127.0.0.1:0").await.unwrap();
    let http = reqwest::Client::new();
    let base = sim.base_url().to_string();
    let token: Value = http
        .post(format!("{base}/contoso.dk/oauth2/v2.0/token"))
        .form(&[
            ("client_id", "7d9e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"),
            ("client_secret", "demo~Secret.Value-for-the-simulator"),
            ("scope", GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let now = calbridge::clock::Clock::system().now();
    let url = format!(
        "{base}/v1.0/users/adele.vance@contoso.dk/calendarView?startDateTime={}&endDateTime={}&$top=50",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(3)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let body: Value = http.get(&url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    let subjects: Vec<&str> =
        body["value"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert!(
        subjects.contains(&"Customer call") && subjects.contains(&"Quarterly review"),
        "{subjects:?}"
    );
    let flaky = url.replace("adele.vance", "flaky");
    let response = http.get(&flaky).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2");
    sim.stop().await;
}
