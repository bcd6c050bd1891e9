use std::time::Duration;

use calbridge::simulator::SettingsPatch;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::graph::*;

async fn token_error(h: &GraphClient, tenant: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let (status, headers, body) = json_of(h.request_token(tenant, form).await).await;
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
    (status, body)
}

fn assert_aadsts(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]));
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
    let trace = body["trace_id"].as_str().unwrap();
    let correlation = body["correlation_id"].as_str().unwrap();
    let timestamp = body["timestamp"].as_str().unwrap();
    assert!(description.ends_with(&format!(
        "\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
    )));
    assert_eq!(body["error_uri"], format!("https://login.microsoftonline.com/error?code={code}"));
}

fn form<'a>(client: &'a str, secret: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client),
        ("client_secret", secret),
        ("scope", scope),
        ("grant_type", "client_credentials"),
    ]
}

#[tokio::test]
async fn issues_bearer_token_by_guid_and_by_domain() {
    let h = GraphClient::start().await;
    for tenant in [TENANT, DOMAIN, "CONTOSO.onmicrosoft.com"] {
        let (status, _, body) =
            json_of(h.request_token(tenant, &form(CLIENT, SECRET, GRAPH_SCOPE)).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["ext_expires_in"], 3599);
        assert!(body["access_token"].as_str().unwrap().len() > 40);
    }
    h.stop().await;
}

#[tokio::test]
async fn every_token_error_in_microsofts_shape() {
    let h = GraphClient::start().await;
    let (status, body) =
        token_error(&h, "00000000-0000-4000-8000-000000000000", &form(CLIENT, SECRET, GRAPH_SCOPE))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_aadsts(&body, "invalid_tenant", 90002);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Tenant '00000000-0000-4000-8000-000000000000' not found.")
    );

    let (status, body) =
        token_error(&h, TENANT, &form(UNCONSENTED_CLIENT, SECRET, GRAPH_SCOPE)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_aadsts(&body, "unauthorized_client", 700016);
    assert!(body["error_description"].as_str().unwrap().contains(&format!(
        "Application with identifier '{UNCONSENTED_CLIENT}' was not found in the directory 'Contoso'."
    )));

    let (status, body) = token_error(&h, TENANT, &form(CLIENT, "wrong", GRAPH_SCOPE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_aadsts(&body, "invalid_client", 7000215);
    assert!(
        body["error_description"].as_str().unwrap().contains("Invalid client secret provided.")
    );

    let (status, body) =
        token_error(&h, EXPIRED_TENANT, &form(EXPIRED_CLIENT, EXPIRED_SECRET, GRAPH_SCOPE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_aadsts(&body, "invalid_client", 7000222);

    let (status, body) = token_error(
        &h,
        TENANT,
        &form(CLIENT, SECRET, "https://graph.microsoft.com/Calendars.Read"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_aadsts(&body, "invalid_scope", 70011);

    let mut no_scope = form(CLIENT, SECRET, GRAPH_SCOPE);
    no_scope.retain(|(k, _)| *k != "scope");
    let (status, body) = token_error(&h, TENANT, &no_scope).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_aadsts(&body, "invalid_scope", 70011);

    let mut password = form(CLIENT, SECRET, GRAPH_SCOPE);
    password[3] = ("grant_type", "password");
    let (status, body) = token_error(&h, TENANT, &password).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_aadsts(&body, "unsupported_grant_type", 70003);

    let mut no_grant = form(CLIENT, SECRET, GRAPH_SCOPE);
    no_grant.truncate(3);
    let (status, body) = token_error(&h, TENANT, &no_grant).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_aadsts(&body, "invalid_request", 900144);

    let (status, body) = token_error(&h, TENANT, &form(CLIENT, "", GRAPH_SCOPE)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_aadsts(&body, "invalid_client", 7000218);
    h.stop().await;
}

#[tokio::test]
async fn graph_rejects_missing_invalid_and_expired_tokens() {
    let h = GraphClient::start().await;
    let path = "/v1.0/users/adele@contoso.dk/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z";
    let (status, _, body) = json_of(h.http.get(h.url(path)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");

    let (status, _, body) = json_of(h.get("not-a-token", path).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "InvalidAuthenticationToken");

    h.sim.apply_settings(&SettingsPatch { token_lifetime_secs: Some(1), ..Default::default() });
    let (status, _, body) =
        json_of(h.request_token(TENANT, &form(CLIENT, SECRET, GRAPH_SCOPE)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(h.get(&token, path).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, body) = json_of(h.get(&token, path).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "Lifetime validation failed, the token is expired.");
    h.stop().await;
}

#[tokio::test]
async fn tenant_without_role_gets_token_but_graph_denies() {
    let h = GraphClient::start().await;
    let token = h.token_for(UNCONSENTED_TENANT, UNCONSENTED_CLIENT, UNCONSENTED_SECRET).await;
    let path = "/v1.0/users/megan@fabrikam.dk/calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z";
    let (status, _, body) = json_of(h.get(&token, path).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "ErrorAccessDenied");
    assert_eq!(body["error"]["message"], "Access is denied. Check credentials and try again.");
    let request = schedule_request(
        &["megan@fabrikam.dk"],
        "2030-03-15T00:00:00",
        "2030-03-16T00:00:00",
        None,
    );
    let response =
        h.post(&token, "/v1.0/users/megan@fabrikam.dk/calendar/getSchedule", &request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    h.stop().await;
}

#[tokio::test]
async fn access_policy_blocks_one_mailbox_and_other_tenants_mailboxes_are_invisible() {
    let h = GraphClient::start().await;
    let token = h.token().await;
    let window = "calendarView?startDateTime=2030-03-15T00:00:00Z&endDateTime=2030-03-16T00:00:00Z";
    let (status, _, body) =
        json_of(h.get(&token, &format!("/v1.0/users/blocked@contoso.dk/{window}")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "ErrorAccessDenied");
    assert!(body["error"]["message"].as_str().unwrap().contains("AppOnly AccessPolicy"));
    assert_eq!(
        h.get(&token, &format!("/v1.0/users/adele@contoso.dk/{window}")).await.status(),
        StatusCode::OK
    );

    for user in ["megan@fabrikam.dk", "nobody@contoso.dk"] {
        let (status, _, body) =
            json_of(h.get(&token, &format!("/v1.0/users/{user}/{window}")).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(error_code(&body), "ErrorInvalidUser");
        assert_eq!(body["error"]["message"], format!("The requested user '{user}' is invalid."));
    }
    h.stop().await;
}
