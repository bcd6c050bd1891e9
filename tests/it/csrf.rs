//! Every state-changing request needs the session's token and must come from our own site.

use crate::support::{PASSWORD, TestApp};

async fn user_count(app: &TestApp, tenant: sea_orm::prelude::Uuid) -> usize {
    calbridge::services::directory::list(&app.state, crate::support::tenant_scope(tenant))
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn forms_without_the_sessions_token_change_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    app.create_member(tenant, "other@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let other = app.browser();
    other.login("other@hansen.dk", PASSWORD).await;
    let others_token = other.get("/users").await.csrf();
    let own_token = admin.get("/users").await.csrf();
    assert_ne!(own_token, others_token);
    let fields = [("email", "anna@hansen.dk")];

    // Missing token.
    let res = admin.post_raw("/users", &fields, &[]).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("The form had expired"), "{}", res.body);
    // Wrong token.
    let res = admin
        .post_with_token("/users", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &fields)
        .await;
    assert_eq!(res.status, 403);
    // Another session's token.
    let res = admin.post_with_token("/users", &others_token, &fields).await;
    assert_eq!(res.status, 403);
    // The anonymous token from before sign-in is no longer valid either.
    let anonymous = app.browser().get("/login").await.csrf();
    assert_eq!(admin.post_with_token("/users", &anonymous, &fields).await.status, 403);
    assert_eq!(user_count(&app, tenant).await, 0);

    // The right token works.
    let res = admin.post_with_token("/users", &own_token, &fields).await;
    assert_eq!(res.status, 303);
    assert_eq!(user_count(&app, tenant).await, 1);
}

#[tokio::test]
async fn cross_site_requests_are_refused_even_with_a_valid_token() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let token = admin.get("/users").await.csrf();
    let form = [("email", "anna@hansen.dk"), ("csrf_token", token.as_str())];

    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let res = admin.post_raw("/users", &form, &headers).await;
        assert_eq!(res.status, 403, "{headers:?}");
    }
    assert_eq!(user_count(&app, tenant).await, 0);
}

#[tokio::test]
async fn the_login_form_is_protected_too() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();
    // Without the pre-session cookie and token (a forged cross-site login) nothing happens.
    let res = browser
        .post_raw(
            "/login",
            &[("email", "ops@calbridge.dk"), ("password", crate::support::PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(browser.cookie("calbridge_session").is_none());
}

#[tokio::test]
async fn nothing_changes_state_on_get() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let user = app.add_user(tenant, "anna@hansen.dk").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    for path in ["/logout".to_string(), format!("/users/{user}/sync?enabled=true")] {
        let res = admin.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
    }
    // A GET of the removal only asks: the page with the button that posts it.
    let ask = admin.get(&format!("/users/{user}/delete")).await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("method=\"post\""));
    assert_eq!(admin.get("/dashboard").await.status, 200, "still signed in");
    assert_eq!(user_count(&app, tenant).await, 1);
}
