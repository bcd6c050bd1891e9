//! The REST API: a token reads its own tenant only, revoked tokens are refused, pollers pay
//! little, and nobody polls too fast.

use serde_json::Value;

use super::{ApiClient, token};
use crate::support::{TestApp, tenant_scope};

async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().unwrap().starts_with("/api/v1/problems/"), "{body}");
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

#[tokio::test]
async fn a_token_sees_its_own_tenant_and_gets_404_for_another_tenants_people() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    let beta = app.create_tenant("Beta ApS", 5).await;
    app.add_user(alfa, "anna@alfa.dk").await;
    let input = calbridge::services::directory::UserInput {
        email: "bo@beta.dk".into(),
        display_name: Some("Bo Berg".into()),
        extension: Some("204".into()),
        department: Some("Salg".into()),
    };
    let actor = calbridge::services::Actor::command_line();
    calbridge::services::directory::add(&app.state, &actor, tenant_scope(beta), &input, false)
        .await
        .unwrap();
    app.add_user(beta, "carl@beta.dk").await;
    let api = ApiClient::new(&app, &token(&app, beta, "Omstilling").await);

    let res = api.get("/api/v1/presence").await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["tenant"], beta.to_string());
    let mut emails: Vec<&str> =
        list["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    emails.sort_unstable();
    assert_eq!(emails, ["bo@beta.dk", "carl@beta.dk"], "only its own tenant's people");

    // Another tenant's person does not exist for this token.
    problem(api.get("/api/v1/presence/anna@alfa.dk").await, 404).await;
    let res = api.get("/api/v1/presence/BO@beta.dk").await;
    assert_eq!(res.status(), 200, "addresses match ignoring case");
    let bo: Value = res.json().await.unwrap();
    assert_eq!((bo["name"].as_str(), bo["extension"].as_str()), (Some("Bo Berg"), Some("204")));
    assert_eq!(bo["state"], "unknown", "not synced yet");
    assert_eq!(bo["available"], Value::Null);

    // Filters narrow the list; a state that does not exist is a client error.
    let by = |q: &'static str| {
        let api = &api;
        async move {
            let list: Value = api.get(&format!("/api/v1/presence?{q}")).await.json().await.unwrap();
            list["users"].as_array().unwrap().len()
        }
    };
    assert_eq!(by("department=salg").await, 1);
    assert_eq!(by("extension=204").await, 1);
    assert_eq!(by("email=carl@beta.dk").await, 1);
    assert_eq!(by("state=unknown").await, 2);
    assert_eq!(by("state=busy").await, 0);
    problem(api.get("/api/v1/presence?state=asleep").await, 400).await;
}

#[tokio::test]
async fn missing_wrong_and_revoked_tokens_get_401_and_the_token_is_used_as_a_whole() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    let live = token(&app, alfa, "Omstilling").await;
    assert!(live.starts_with("cbk_") && live.len() > 40, "{live}");

    let anonymous = reqwest::get(format!("http://{}/api/v1/presence", app.addr)).await.unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer realm=\"calbridge\"");
    problem(anonymous, 401).await;
    let truncated = &live[..live.len() - 1];
    problem(ApiClient::new(&app, truncated).get("/api/v1/presence").await, 401).await;
    problem(ApiClient::new(&app, "cbk_guess").get("/api/v1/presence").await, 401).await;

    let api = ApiClient::new(&app, &live);
    assert_eq!(api.get("/api/v1/presence").await.status(), 200);
    let rows = calbridge::services::api_tokens::list(&app.state, tenant_scope(alfa)).await.unwrap();
    assert!(rows[0].last_used_at.is_some(), "last use is recorded");
    assert!(!rows[0].prefix.contains(&live[12..]), "only a prefix is kept for display");

    let actor = calbridge::services::Actor::command_line();
    calbridge::services::api_tokens::revoke(&app.state, &actor, tenant_scope(alfa), rows[0].id)
        .await
        .unwrap();
    problem(api.get("/api/v1/presence").await, 401).await;
    let res = api.get("/api/v1/presence/stream").await;
    problem(res, 401).await;
}

#[tokio::test]
async fn pollers_get_304_while_nothing_changed() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    app.add_user(alfa, "anna@alfa.dk").await;
    let api = ApiClient::new(&app, &token(&app, alfa, "Omstilling").await);

    let first = api.get("/api/v1/presence").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = api.get_with("/api/v1/presence", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    // Someone new in the directory: the list changed.
    app.add_user(alfa, "bo@alfa.dk").await;
    let changed = api.get_with("/api/v1/presence", &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag.as_str());

    let one = api.get("/api/v1/presence/anna@alfa.dk").await;
    let one_tag = one.headers()["etag"].to_str().unwrap().to_owned();
    let res = api.get_with("/api/v1/presence/anna@alfa.dk", &[("if-none-match", &one_tag)]).await;
    assert_eq!(res.status(), 304, "anna did not change");
}

#[tokio::test]
async fn a_token_over_its_rate_gets_429_with_retry_after_and_others_are_not_slowed() {
    // 12 a minute: 2 at once, then one every 5 s.
    let app = TestApp::spawn_with(|c| c.api_rate_per_minute = 12).await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    let busy = ApiClient::new(&app, &token(&app, alfa, "Eager poller").await);
    let calm = ApiClient::new(&app, &token(&app, alfa, "Switchboard").await);

    assert_eq!(busy.get("/api/v1/presence").await.status(), 200);
    assert_eq!(busy.get("/api/v1/presence").await.status(), 200);
    let limited = busy.get("/api/v1/presence").await;
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    problem(limited, 429).await;
    assert_eq!(calm.get("/api/v1/presence").await.status(), 200, "each token has its own rate");

    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(busy.get("/api/v1/presence").await.status(), 200, "allowed again after the wait");
}

#[tokio::test]
async fn the_command_line_creates_lists_and_revokes_tokens() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    let tenant = alfa.to_string();
    let args = ["api-token", "create", "--tenant", &tenant, "--name", "Telefonsystem"];
    let created = crate::cli::calbridge(&app, &args, None).await;
    assert_eq!(created.code, 0, "{}", created.stderr);
    let secret = created.stdout.trim().to_owned();
    assert!(secret.starts_with("cbk_"), "{secret}");
    assert_eq!(ApiClient::new(&app, &secret).get("/api/v1/presence").await.status(), 200);

    let listed =
        crate::cli::calbridge(&app, &["api-token", "list", "--tenant", &tenant, "--json"], None)
            .await;
    let list: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(list[0]["name"], "Telefonsystem");
    assert!(!listed.stdout.contains(&secret), "the token itself is never listed");
    let id = list[0]["id"].as_str().unwrap();

    let revoked =
        crate::cli::calbridge(&app, &["api-token", "revoke", "--tenant", &tenant, id], None).await;
    assert_eq!(revoked.code, 0, "{}", revoked.stderr);
    assert_eq!(ApiClient::new(&app, &secret).get("/api/v1/presence").await.status(), 401);
    let again =
        crate::cli::calbridge(&app, &["api-token", "revoke", "--tenant", &tenant, id], None).await;
    assert_eq!(again.code, 2, "revoking twice is a usage error: {}", again.stderr);

    let audit =
        calbridge::services::audit::for_tenant(&app.state, tenant_scope(alfa)).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.contains(&"api_token.created") && actions.contains(&"api_token.revoked"));
}
