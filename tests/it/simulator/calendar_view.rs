use std::collections::HashSet;

use calbridge::simulator::{EventSpec, NewMailbox};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::graph::*;

fn view(user: &str, start: &str, end: &str, extra: &str) -> String {
    format!("/v1.0/users/{user}/calendarView?startDateTime={start}&endDateTime={end}{extra}")
}

async fn add_pager(h: &GraphClient, events: usize) {
    let mailbox: NewMailbox = serde_json::from_value(json!({
        "tenant": DOMAIN,
        "upn": "pager@contoso.dk",
        "time_zone": "UTC"
    }))
    .unwrap();
    h.sim.add_mailbox(&mailbox).unwrap();
    for n in 0..events {
        let spec = EventSpec {
            subject: format!("Slot {n:02}"),
            start: Some(
                format!("2030-05-01T{:02}:{:02}:00Z", 8 + n / 4, (n % 4) * 15).as_str().into(),
            ),
            duration: Some("10m".into()),
            ..EventSpec::default()
        };
        h.sim.add_event("pager@contoso.dk", &spec).unwrap();
    }
}

#[tokio::test]
async fn pages_with_top_and_next_link_until_exhausted() {
    let h = GraphClient::start().await;
    add_pager(&h, 25).await;
    let token = h.token().await;
    let mut url = h.url(&view(
        "pager@contoso.dk",
        "2030-05-01T00:00:00Z",
        "2030-05-02T00:00:00Z",
        "&$top=10",
    ));
    let mut pages = Vec::new();
    let mut subjects = Vec::new();
    loop {
        let (status, _, body) =
            json_of(h.http.get(&url).bearer_auth(&token).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let value = body["value"].as_array().unwrap();
        pages.push(value.len());
        subjects.extend(value.iter().map(|e| e["subject"].as_str().unwrap().to_string()));
        match body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(h.sim.base_url()),
                    "absolute link on the simulator: {next}"
                );
                assert!(next.contains(&format!("$skip={}", subjects.len())), "{next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, vec![10, 10, 5]);
    let expected: Vec<String> = (0..25).map(|n| format!("Slot {n:02}")).collect();
    assert_eq!(subjects, expected, "ordered by start, nothing repeated or lost");

    let (_, _, body) = json_of(
        h.get(
            &token,
            &view("pager@contoso.dk", "2030-05-01T00:00:00Z", "2030-05-02T00:00:00Z", ""),
        )
        .await,
    )
    .await;
    assert_eq!(body["value"].as_array().unwrap().len(), 10, "Graph's default page size");
    assert!(body["@odata.nextLink"].as_str().unwrap().contains("$skip=10"));
    h.stop().await;
}

#[tokio::test]
async fn select_restricts_properties() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let path = view(
        "adele@contoso.dk",
        "2030-03-15T00:00:00Z",
        "2030-03-16T00:00:00Z",
        "&$select=subject,start",
    );
    let (status, _, body) = json_of(h.get(&token, &path).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#users('adele@contoso.dk')/calendarView(subject,start)")
    );
    for event in body["value"].as_array().unwrap() {
        let mut keys: Vec<&str> = event.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, vec!["@odata.etag", "id", "start", "subject"]);
    }
    let bad = view(
        "adele@contoso.dk",
        "2030-03-15T00:00:00Z",
        "2030-03-16T00:00:00Z",
        "&$select=subject,colour",
    );
    let (status, _, body) = json_of(h.get(&token, &bad).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("'colour'"));
    h.stop().await;
}

#[tokio::test]
async fn both_window_parameters_are_required() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    for path in [
        "/v1.0/users/adele@contoso.dk/calendarView",
        "/v1.0/users/adele@contoso.dk/calendarView?startDateTime=2030-03-15T00:00:00Z",
    ] {
        let (status, _, body) = json_of(h.get(&token, path).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_code(&body), "ErrorInvalidParameter");
        assert_eq!(
            body["error"]["message"],
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime."
        );
    }
    h.stop().await;
}

fn by_subject<'a>(body: &'a Value, subject: &str) -> Vec<&'a Value> {
    body["value"].as_array().unwrap().iter().filter(|e| e["subject"] == subject).collect()
}

#[tokio::test]
async fn expands_daily_and_weekly_series() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let path =
        view("adele@contoso.dk", "2030-03-20T00:00:00Z", "2030-04-10T00:00:00Z", "&$top=100");
    let (status, _, body) = json_of(h.get(&token, &path).await).await;
    assert_eq!(status, StatusCode::OK);
    let standups = by_subject(&body, "Standup");
    assert_eq!(standups.len(), 10, "count = 10");
    let starts: Vec<&str> =
        standups.iter().map(|e| e["start"]["dateTime"].as_str().unwrap()).collect();
    // 09:00 in Copenhagen: 08:00Z in winter time, 07:00Z from 31 March (CEST).
    assert_eq!(starts[0], "2030-03-25T08:00:00.0000000");
    assert_eq!(starts[5], "2030-03-30T08:00:00.0000000");
    assert_eq!(starts[6], "2030-03-31T07:00:00.0000000");
    assert_eq!(starts[9], "2030-04-03T07:00:00.0000000");
    let ids: HashSet<&str> = standups.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 10, "each occurrence has its own id");
    for standup in &standups {
        assert_eq!(standup["type"], "occurrence");
        assert_eq!(standup["seriesMasterId"], "standup");
        assert_ne!(standup["id"], "standup");
    }

    let path =
        view("adele@contoso.dk", "2030-04-01T00:00:00Z", "2030-05-01T00:00:00Z", "&$top=100");
    let (_, _, body) = json_of(h.get(&token, &path).await).await;
    let gym: Vec<&str> =
        by_subject(&body, "Gym").iter().map(|e| e["start"]["dateTime"].as_str().unwrap()).collect();
    assert_eq!(
        gym,
        vec![
            "2030-04-01T15:00:00.0000000",
            "2030-04-03T15:00:00.0000000",
            "2030-04-05T15:00:00.0000000",
            "2030-04-08T15:00:00.0000000",
            "2030-04-10T15:00:00.0000000",
            "2030-04-12T15:00:00.0000000",
        ],
        "Mon/Wed/Fri at 17:00 CEST until 12 April"
    );
    assert!(by_subject(&body, "Gym").iter().all(|e| e["showAs"] == "oof"));
    h.stop().await;
}

#[tokio::test]
async fn prefer_time_zone_with_windows_and_iana_names() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let path = view("adele@contoso.dk", "2030-03-15T00:00:00Z", "2030-03-16T00:00:00Z", "");
    for zone in ["Romance Standard Time", "Europe/Copenhagen", "W. Europe Standard Time"] {
        let (status, headers, body) = json_of(h.get_prefer(&token, &path, zone).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["preference-applied"], format!("outlook.timezone=\"{zone}\""));
        let lunch = &by_subject(&body, "Let's go for lunch")[0];
        assert_eq!(
            lunch["start"],
            json!({"dateTime": "2030-03-15T12:00:00.0000000", "timeZone": zone})
        );
        assert_eq!(
            lunch["end"],
            json!({"dateTime": "2030-03-15T13:00:00.0000000", "timeZone": zone})
        );
    }
    let (_, headers, body) =
        json_of(h.get_prefer(&token, &path, "Pacific Standard Time").await).await;
    assert!(headers.contains_key("preference-applied"));
    assert_eq!(
        by_subject(&body, "Let's go for lunch")[0]["start"]["dateTime"],
        "2030-03-15T04:00:00.0000000"
    );

    let (_, headers, body) = json_of(h.get(&token, &path).await).await;
    assert!(!headers.contains_key("preference-applied"));
    let lunch = &by_subject(&body, "Let's go for lunch")[0];
    assert_eq!(
        lunch["start"],
        json!({"dateTime": "2030-03-15T11:00:00.0000000", "timeZone": "UTC"})
    );
    assert_eq!(lunch["type"], "singleInstance");
    assert_eq!(lunch["seriesMasterId"], Value::Null);
    assert_eq!(lunch["location"]["displayName"], "Harry's Bar");
    assert_eq!(lunch["showAs"], "busy");
    assert_eq!(lunch["sensitivity"], "normal");
    assert_eq!(lunch["originalStartTimeZone"], "Romance Standard Time");
    assert!(lunch["@odata.etag"].as_str().unwrap().starts_with("W/\""));
    let doctor = &by_subject(&body, "Doctor")[0];
    assert_eq!(doctor["sensitivity"], "private");
    let cancelled = &by_subject(&body, "Called off")[0];
    assert_eq!(cancelled["isCancelled"], true);
    h.stop().await;
}
