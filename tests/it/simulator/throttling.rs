use std::time::Duration;

use calbridge::simulator::{EndpointKind, SettingsPatch};
use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::support::graph::*;

const VIEW: &str = "/v1.0/users/adele@contoso.dk/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z";

#[tokio::test]
async fn fifth_concurrent_request_per_mailbox_is_throttled() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.set_latency(Duration::from_millis(400));
    let requests = (0..5).map(|_| h.get(&token, VIEW));
    let responses = join_all(requests).await;
    let mut statuses: Vec<u16> = Vec::new();
    for response in responses {
        let (status, headers, body) = json_of(response).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(error_code(&body), "ApplicationThrottled");
            assert_eq!(
                body["error"]["message"],
                "Application is over its MailboxConcurrency limit."
            );
            assert!(headers.contains_key("retry-after"));
        }
        statuses.push(status.as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 200, 200, 429]);
    let counters = h.sim.counters();
    let adele = counters.max_concurrency.iter().find(|r| r.mailbox == "adele@contoso.dk").unwrap();
    assert_eq!(adele.max_concurrency, 5, "the refused fifth request is recorded");
    assert_eq!(counters.count(EndpointKind::CalendarView, "429"), 1);

    // Four at a time is within the limit, and another mailbox is independent.
    h.sim.reset_counters();
    let mixed = VIEW.replace("adele", "mixed");
    let requests = (0..4).map(|_| h.get(&token, VIEW)).chain((0..4).map(|_| h.get(&token, &mixed)));
    for response in join_all(requests).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(h.sim.counters().max_concurrency_overall(), 4);
    h.stop().await;
}

#[tokio::test]
async fn request_budget_exhaustion_returns_429_with_retry_after() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.apply_settings(&SettingsPatch { request_budget: Some(3), ..Default::default() });
    for _ in 0..3 {
        assert_eq!(h.get(&token, VIEW).await.status(), StatusCode::OK);
    }
    let (status, headers, body) = json_of(h.get(&token, VIEW).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "TooManyRequests");
    assert_eq!(body["error"]["innerError"]["status"], "429");
    let retry_after: f64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 590.0 && retry_after <= 600.0, "{retry_after}");
    // The budget is per (app, mailbox).
    let mixed = VIEW.replace("adele", "mixed");
    assert_eq!(h.get(&token, &mixed).await.status(), StatusCode::OK);
    h.stop().await;
}
