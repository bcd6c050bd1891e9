use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::graph::*;

const PATH: &str = "/v1.0/users/adele@contoso.dk/calendar/getSchedule";

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn twenty_schedules_answered_in_request_order() {
    let h = GraphClient::start_with(|s| with_users(s, 21)).await;
    let token = h.token().await;
    let users: Vec<String> = (1..=20).map(|n| format!("user{n:02}@contoso.dk")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let request = schedule_request(&refs, "2030-03-15T08:00:00", "2030-03-15T12:00:00", Some(60));
    let (status, _, body) = json_of(h.post(&token, PATH, &request).await).await;
    assert_eq!(status, StatusCode::OK);
    let value = body["value"].as_array().unwrap();
    assert_eq!(value.len(), 20);
    for (n, (schedule, user)) in value.iter().zip(&users).enumerate() {
        assert_eq!(schedule["scheduleId"], *user);
        // One busy hour from 08:00 + 10·n minutes, seen in hour slots from 08:00.
        let (start, end) = (10 * (n + 1), 10 * (n + 1) + 60);
        let view: String = (0..4)
            .map(|slot| if start < 60 * (slot + 1) && end > 60 * slot { '2' } else { '0' })
            .collect();
        assert_eq!(schedule["availabilityView"], view.as_str(), "{user}");
        assert_eq!(schedule["scheduleItems"].as_array().unwrap().len(), 1);
    }
    h.stop().await;
}

#[tokio::test]
async fn twenty_one_schedules_rejected() {
    let h = GraphClient::start_with(|s| with_users(s, 21)).await;
    let token = h.token().await;
    let users: Vec<String> = (1..=21).map(|n| format!("user{n:02}@contoso.dk")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let request = schedule_request(&refs, "2030-03-15T08:00:00", "2030-03-15T12:00:00", None);
    let (status, _, body) = json_of(h.post(&token, PATH, &request).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "ErrorMailboxDataArrayTooBig");
    assert!(body["error"]["message"].as_str().unwrap().contains("the actual size = 21"));
    h.stop().await;
}

#[tokio::test]
async fn unknown_and_foreign_mailboxes_are_5009_inside_a_200() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let request = schedule_request(
        &["ghost@contoso.dk", "adele@contoso.dk", "megan@fabrikam.dk"],
        "2030-03-15T10:00:00",
        "2030-03-15T15:00:00",
        Some(60),
    );
    let (status, _, body) = json_of(h.post(&token, PATH, &request).await).await;
    assert_eq!(status, StatusCode::OK);
    let value = body["value"].as_array().unwrap();
    for index in [0, 2] {
        let error = &value[index]["error"];
        assert_eq!(error["responseCode"], "5009");
        let id = value[index]["scheduleId"].as_str().unwrap();
        assert_eq!(
            error["message"],
            format!("Unable to resolve e-mail address {id} to an Active Directory object.")
        );
        assert_eq!(keys(&value[index]), vec!["error", "scheduleId"]);
    }
    assert_eq!(value[1]["availabilityView"], "02120");
    h.stop().await;
}

#[tokio::test]
async fn items_views_private_withholding_and_working_hours() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let request = schedule_request(
        &["adele@contoso.dk", "mixed@contoso.dk"],
        "2030-03-15T10:00:00",
        "2030-03-15T15:00:00",
        Some(60),
    );
    let (status, headers, body) = json_of(h.post(&token, PATH, &request).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("preference-applied").is_none());
    let adele = &body["value"][0];
    // 10-11 free, 11-12 busy, 12-13 tentative, 13-14 private busy, 14-15 cancelled (ignored).
    assert_eq!(adele["availabilityView"], "02120");
    let items = adele["scheduleItems"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0],
        json!({
            "isPrivate": false,
            "status": "busy",
            "subject": "Let's go for lunch",
            "location": "Harry's Bar",
            "start": {"dateTime": "2030-03-15T11:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2030-03-15T12:00:00.0000000", "timeZone": "UTC"}
        })
    );
    assert_eq!(items[1]["status"], "tentative");
    assert_eq!(
        keys(&items[2]),
        vec!["end", "isPrivate", "start", "status"],
        "private item keeps no details"
    );
    assert_eq!(items[2]["isPrivate"], true);
    assert_eq!(
        adele["workingHours"],
        json!({
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "16:00:00.0000000",
            "timeZone": {"name": "Romance Standard Time"}
        })
    );

    let request = schedule_request(
        &["mixed@contoso.dk"],
        "2030-03-15T10:00:00",
        "2030-03-15T13:00:00",
        Some(30),
    );
    let (_, _, body) = json_of(h.post(&token, PATH, &request).await).await;
    // oof beats busy, working elsewhere (4) beats free.
    assert_eq!(body["value"][0]["availabilityView"], "232244");
    h.stop().await;
}

#[tokio::test]
async fn window_and_interval_limits() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let post = |request: Value| {
        let (h, token) = (&h, &token);
        async move { json_of(h.post(token, PATH, &request).await).await }
    };
    let (status, _, body) = post(schedule_request(
        &["adele@contoso.dk"],
        "2030-03-01T00:00:00",
        "2030-05-02T00:00:00",
        Some(1440),
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "62 days is too long");
    assert_eq!(error_code(&body), "ErrorTimeIntervalTooBig");
    let (status, _, _) = post(schedule_request(
        &["adele@contoso.dk"],
        "2030-03-01T00:00:00",
        "2030-05-01T00:00:00",
        Some(1440),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "61 days is fine");
    let (status, _, body) = post(schedule_request(
        &["adele@contoso.dk"],
        "2030-03-02T00:00:00",
        "2030-03-01T00:00:00",
        None,
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "ErrorInvalidTimeInterval");

    for (interval, ok) in [(4, false), (5, true), (1440, true), (1441, false)] {
        let (status, _, body) = post(schedule_request(
            &["adele@contoso.dk"],
            "2030-03-15T00:00:00",
            "2030-03-16T00:00:00",
            Some(interval),
        ))
        .await;
        if ok {
            assert_eq!(status, StatusCode::OK, "interval {interval}");
            let view = body["value"][0]["availabilityView"].as_str().unwrap();
            assert_eq!(view.len(), (1440 / interval) as usize);
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "interval {interval}");
            assert_eq!(error_code(&body), "ErrorInvalidMergedFreeBusyInterval");
        }
    }
    let (_, _, body) = post(schedule_request(
        &["adele@contoso.dk"],
        "2030-03-15T00:00:00",
        "2030-03-16T00:00:00",
        None,
    ))
    .await;
    assert_eq!(
        body["value"][0]["availabilityView"].as_str().unwrap().len(),
        48,
        "default interval 30"
    );

    let response =
        h.http.post(h.url(PATH)).bearer_auth(&token).body("{not json").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    h.stop().await;
}

#[tokio::test]
async fn prefer_time_zone_object_id_path_and_recurrences() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let request = schedule_request(
        &["adele@contoso.dk"],
        "2030-03-15T10:00:00",
        "2030-03-15T15:00:00",
        Some(60),
    );
    let response = h
        .http
        .post(h.url(&format!("/v1.0/users/{ADELE_ID}/calendar/getSchedule")))
        .bearer_auth(&token)
        .header("Prefer", "outlook.timezone=\"Pacific Standard Time\"")
        .json(&request)
        .send()
        .await
        .unwrap();
    let (status, headers, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["preference-applied"], "outlook.timezone=\"Pacific Standard Time\"");
    // 11:00Z is 04:00 PDT (US daylight time began 10 March 2030).
    assert_eq!(
        body["value"][0]["scheduleItems"][0]["start"],
        json!({"dateTime": "2030-03-15T04:00:00.0000000", "timeZone": "Pacific Standard Time"})
    );

    let request = json!({
        "schedules": ["adele@contoso.dk"],
        "startTime": {"dateTime": "2030-03-25T00:00:00", "timeZone": "Romance Standard Time"},
        "endTime": {"dateTime": "2030-04-05T00:00:00", "timeZone": "Europe/Copenhagen"},
        "availabilityViewInterval": 1440
    });
    let (status, _, body) = json_of(h.post(&token, PATH, &request).await).await;
    assert_eq!(status, StatusCode::OK);
    let items = body["value"][0]["scheduleItems"].as_array().unwrap();
    let subjects: Vec<&str> = items.iter().map(|i| i["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects.iter().filter(|s| **s == "Standup").count(), 10);
    assert_eq!(subjects.iter().filter(|s| **s == "Gym").count(), 2, "Mon 1 and Wed 3 April");
    assert_eq!(body["value"][0]["availabilityView"], "22222223230");
    h.stop().await;
}
