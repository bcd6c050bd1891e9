use std::time::{Duration, Instant};

use calbridge::simulator::{
    EndpointKind, FaultEndpoint, FaultKind, FaultSpec, Outcome, RetryAfter,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::graph::*;

const VIEW: &str = "/v1.0/users/adele@contoso.dk/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z";

fn fault(endpoint: FaultEndpoint, kind: FaultKind, count: Option<u32>) -> FaultSpec {
    FaultSpec { endpoint, tenant: None, mailbox: None, kind, count }
}

#[tokio::test]
async fn throttling_faults_with_each_retry_after_form() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let cases = [
        (Some(RetryAfter::Seconds(3)), Some("3".to_string())),
        (Some(RetryAfter::FractionalSeconds(2.128)), Some("2.128".to_string())),
        (Some(RetryAfter::HttpDate { http_date_in_secs: 5 }), None),
        (None, None),
    ];
    for (retry_after, expected) in cases {
        h.sim.add_fault(fault(
            FaultEndpoint::CalendarView,
            FaultKind::TooManyRequests { retry_after },
            Some(1),
        ));
        let (status, headers, body) = json_of(h.get(&token, VIEW).await).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error_code(&body), "TooManyRequests");
        let header = headers.get("retry-after").map(|v| v.to_str().unwrap().to_string());
        match (retry_after, expected) {
            (Some(RetryAfter::HttpDate { .. }), _) => {
                let date = header.expect("HTTP-date Retry-After");
                assert!(date.ends_with(" GMT") && date.contains(','), "{date}");
            }
            (None, _) => assert!(header.is_none()),
            (_, expected) => assert_eq!(header, expected),
        }
        assert_eq!(
            h.get(&token, VIEW).await.status(),
            StatusCode::OK,
            "count = 1 retires the rule"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn unavailable_and_gateway_timeout() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.add_fault(fault(
        FaultEndpoint::Any,
        FaultKind::ServiceUnavailable { retry_after: Some(RetryAfter::Seconds(7)) },
        Some(2),
    ));
    for _ in 0..2 {
        let (status, headers, body) = json_of(h.get(&token, VIEW).await).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers["retry-after"], "7");
        assert_eq!(error_code(&body), "serviceNotAvailable");
    }
    h.sim.add_fault(fault(FaultEndpoint::CalendarView, FaultKind::GatewayTimeout, None));
    for _ in 0..3 {
        assert_eq!(
            h.get(&token, VIEW).await.status(),
            StatusCode::GATEWAY_TIMEOUT,
            "until cleared"
        );
    }
    h.sim.clear_faults();
    assert_eq!(h.get(&token, VIEW).await.status(), StatusCode::OK);
    let counters = h.sim.counters();
    assert_eq!(counters.count(EndpointKind::CalendarView, "503"), 2);
    assert_eq!(counters.count(EndpointKind::CalendarView, "504"), 3);
    assert_eq!(counters.outcome(EndpointKind::CalendarView, Outcome::Fault), 5);
    h.stop().await;
}

#[tokio::test]
async fn hang_outlasts_the_client_timeout() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.add_fault(fault(FaultEndpoint::GetSchedule, FaultKind::Hang { secs: None }, Some(1)));
    let started = Instant::now();
    let result = h
        .http
        .post(h.url("/v1.0/users/adele@contoso.dk/calendar/getSchedule"))
        .bearer_auth(&token)
        .json(&schedule_request(
            &["adele@contoso.dk"],
            "2030-03-15T00:00:00",
            "2030-03-16T00:00:00",
            None,
        ))
        .timeout(SHORT)
        .send()
        .await;
    let err = result.expect_err("the client gives up");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(h.sim.counters().count(EndpointKind::GetSchedule, "hang"), 1);
    // The server is still healthy for the next request.
    assert_eq!(h.get(&token, VIEW).await.status(), StatusCode::OK);
    h.stop().await;
}

#[tokio::test]
async fn truncated_and_non_json_bodies() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.add_fault(fault(FaultEndpoint::CalendarView, FaultKind::TruncatedJson, Some(1)));
    let response = h.get(&token, VIEW).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let text = response.text().await.unwrap();
    assert!(text.starts_with('{'));
    assert!(serde_json::from_str::<Value>(&text).is_err(), "cut off: {text}");

    h.sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        FaultKind::NonJson { status: Some(502) },
        Some(1),
    ));
    let response = h.get(&token, VIEW).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let text = response.text().await.unwrap();
    assert!(text.contains("<HTML>") && serde_json::from_str::<Value>(&text).is_err());

    h.sim.add_fault(fault(FaultEndpoint::Token, FaultKind::TruncatedJson, Some(1)));
    let response = h
        .request_token(
            TENANT,
            &[
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", GRAPH_SCOPE),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());
    h.stop().await;
}

#[tokio::test]
async fn token_endpoint_down() {
    let h = GraphClient::start().await;
    let id = h.sim.add_fault(fault(FaultEndpoint::Any, FaultKind::TokenEndpointDown, None));
    let form = [
        ("client_id", CLIENT),
        ("client_secret", SECRET),
        ("scope", GRAPH_SCOPE),
        ("grant_type", "client_credentials"),
    ];
    for _ in 0..2 {
        let (status, _, body) = json_of(h.request_token(TENANT, &form).await).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    assert!(h.sim.clear_fault(id));
    assert_eq!(h.request_token(TENANT, &form).await.status(), StatusCode::OK);
    assert_eq!(h.sim.counters().count(EndpointKind::Token, "503"), 2);
    h.stop().await;
}

#[tokio::test]
async fn rules_filter_by_tenant_and_mailbox() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    h.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Any,
        tenant: Some(TENANT.into()),
        mailbox: Some(ADELE_ID.into()),
        kind: FaultKind::GatewayTimeout,
        count: None,
    });
    assert_eq!(
        h.get(&token, VIEW).await.status(),
        StatusCode::GATEWAY_TIMEOUT,
        "UPN path matches the object id rule"
    );
    assert_eq!(h.get(&token, &VIEW.replace("adele", "mixed")).await.status(), StatusCode::OK);
    h.sim.clear_faults();
    h.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Any,
        tenant: Some("fabrikam.dk".into()),
        mailbox: None,
        kind: FaultKind::GatewayTimeout,
        count: None,
    });
    assert_eq!(h.get(&token, VIEW).await.status(), StatusCode::OK, "other tenant's rule");
    h.stop().await;
}
