use calbridge::simulator::{
    BatchOrder, FaultEndpoint, FaultKind, FaultSpec, RetryAfter, SettingsPatch,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::graph::*;

fn view_item(id: &str, user: &str) -> Value {
    json!({
        "id": id,
        "method": "GET",
        "url": format!("/users/{user}/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z&$select=subject,start,end,showAs"),
    })
}

async fn batch(h: &GraphClient, token: &str, requests: Vec<Value>) -> (StatusCode, Value) {
    let (status, _, body) =
        json_of(h.post(token, "/v1.0/$batch", &json!({ "requests": requests })).await).await;
    (status, body)
}

#[tokio::test]
async fn twenty_requests_shuffled_with_per_item_status() {
    let h = GraphClient::start_with(|s| with_users(s, 19)).await;
    let token = h.token().await;
    let mut requests: Vec<Value> =
        (1..=19).map(|n| view_item(&n.to_string(), &format!("user{n:02}@contoso.dk"))).collect();
    requests.push(view_item("20", "ghost@contoso.dk"));
    let (status, body) = batch(&h, &token, requests).await;
    assert_eq!(status, StatusCode::OK);
    let responses = body["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 20);
    let ids: Vec<&str> = responses.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let in_order: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
    assert_ne!(ids, in_order.iter().map(String::as_str).collect::<Vec<_>>(), "order is shuffled");
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| id.parse::<u32>().unwrap());
    assert_eq!(sorted, in_order.iter().map(String::as_str).collect::<Vec<_>>());
    for response in responses {
        if response["id"] == "20" {
            assert_eq!(response["status"], 404);
            assert_eq!(response["body"]["error"]["code"], "ErrorInvalidUser");
        } else {
            assert_eq!(response["status"], 200);
            assert_eq!(
                response["body"]["value"][0]["subject"],
                format!("Meeting {:02}", response["id"].as_str().unwrap().parse::<u32>().unwrap())
            );
            assert!(
                response["headers"]["Content-Type"]
                    .as_str()
                    .unwrap()
                    .starts_with("application/json")
            );
        }
    }
    let counters = h.sim.counters();
    assert_eq!(counters.batch_items, 20);
    h.stop().await;
}

#[tokio::test]
async fn more_than_twenty_rejected_and_auth_required() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let requests: Vec<Value> =
        (1..=21).map(|n| view_item(&n.to_string(), "adele@contoso.dk")).collect();
    let (status, body) = batch(&h, &token, requests).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "BadRequest");

    let response = h
        .http
        .post(h.url("/v1.0/$batch"))
        .json(&json!({"requests": [view_item("1", "adele@contoso.dk")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = batch(
        &h,
        &token,
        vec![view_item("1", "adele@contoso.dk"), view_item("1", "mixed@contoso.dk")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "duplicate ids: {body}");
    h.stop().await;
}

#[tokio::test]
async fn get_schedule_items_with_their_own_prefer_and_per_item_auth() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.apply_settings(&SettingsPatch {
        batch_order: Some(BatchOrder::InOrder),
        ..Default::default()
    });
    let schedule = schedule_request(
        &["adele@contoso.dk"],
        "2030-03-15T10:00:00",
        "2030-03-15T15:00:00",
        Some(60),
    );
    let requests = vec![
        json!({
            "id": "a",
            "method": "POST",
            "url": "/users/adele@contoso.dk/calendar/getSchedule",
            "headers": {"Content-Type": "application/json", "Prefer": "outlook.timezone=\"Romance Standard Time\""},
            "body": schedule,
        }),
        json!({"id": "b", "method": "GET", "url": "users/blocked@contoso.dk/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z"}),
        json!({"id": "c", "method": "GET", "url": "/users/megan@fabrikam.dk/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z"}),
        json!({"id": "d", "method": "GET", "url": "/users/adele@contoso.dk/calendar/getSchedule"}),
    ];
    let (status, body) = batch(&h, &token, requests).await;
    assert_eq!(status, StatusCode::OK);
    let responses = body["responses"].as_array().unwrap();
    let ids: Vec<&str> = responses.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["a", "b", "c", "d"], "in_order keeps request order");
    assert_eq!(responses[0]["status"], 200);
    assert_eq!(
        responses[0]["headers"]["Preference-Applied"],
        "outlook.timezone=\"Romance Standard Time\""
    );
    assert_eq!(
        responses[0]["body"]["value"][0]["scheduleItems"][0]["start"]["dateTime"],
        "2030-03-15T12:00:00.0000000"
    );
    assert_eq!(responses[1]["status"], 403);
    assert_eq!(responses[2]["status"], 404);
    assert_eq!(responses[3]["status"], 405);
    h.stop().await;
}

#[tokio::test]
async fn throttled_item_is_a_429_inside_a_200_batch() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::CalendarView,
        tenant: Some(DOMAIN.into()),
        mailbox: Some("mixed@contoso.dk".into()),
        kind: FaultKind::TooManyRequests { retry_after: Some(RetryAfter::FractionalSeconds(2.5)) },
        count: Some(1),
    });
    let (status, body) = batch(
        &h,
        &token,
        vec![view_item("1", "adele@contoso.dk"), view_item("2", "mixed@contoso.dk")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let throttled = body["responses"].as_array().unwrap().iter().find(|r| r["id"] == "2").unwrap();
    assert_eq!(throttled["status"], 429);
    assert_eq!(throttled["headers"]["Retry-After"], "2.5");
    assert_eq!(throttled["body"]["error"]["code"], "TooManyRequests");
    let fine = body["responses"].as_array().unwrap().iter().find(|r| r["id"] == "1").unwrap();
    assert_eq!(fine["status"], 200);

    // Budget throttling applies per item too.
    h.sim.apply_settings(&SettingsPatch { request_budget: Some(1), ..Default::default() });
    let (status, body) = batch(
        &h,
        &token,
        vec![view_item("1", "mixed@contoso.dk"), view_item("2", "mixed@contoso.dk")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let statuses: Vec<i64> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    h.stop().await;
}
