//! The portal's pages as a person uses them.

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn operator_creates_a_tenant_and_sees_it_in_the_list() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let ops = app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;

    let bad = ops
        .submit(
            "/operator/tenants/new",
            "/operator/tenants",
            &[("name", ""), ("licences", "many"), ("cvr", "12"), ("timezone", "Mars/Base")],
        )
        .await;
    assert_eq!(bad.status, 422);
    for message in ["Required.", "whole number", "8 digits", "Unknown time zone"] {
        assert!(bad.body.contains(message), "missing '{message}'");
    }

    let res = ops
        .submit(
            "/operator/tenants/new",
            "/operator/tenants",
            &[
                ("name", "<b>Hansen</b> & Søn"),
                ("cvr", "1234 5678"),
                ("licences", "25"),
                ("contact_name", "Karen Hansen"),
                ("contact_email", "karen@hansen.dk"),
                ("contact_phone", "+45 12 34 56 78"),
                ("timezone", "Europe/Copenhagen"),
                ("locale", "da"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let detail = ops.get(res.location().unwrap()).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("&#60;b&#62;Hansen&#60;/b&#62; &#38; Søn"), "names are escaped");
    assert!(!detail.body.contains("<b>Hansen</b>"));
    assert!(detail.body.contains("12345678"));

    let list = ops.get("/operator").await;
    assert!(list.body.contains("&#60;b&#62;Hansen"));
    assert!(list.body.contains(">25<"));
}

#[tokio::test]
async fn users_page_enforces_licences_and_case_insensitive_uniqueness() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 1).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;

    let res = admin
        .submit(
            "/users",
            "/users",
            &[
                ("email", "Anna@Hansen.dk"),
                ("display_name", "Anna"),
                ("extension", "201"),
                ("sync", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let dup = admin.submit("/users", "/users", &[("email", "anna@HANSEN.dk")]).await;
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("already exists"));
    let bad = admin
        .submit("/users", "/users", &[("email", "not-an-address"), ("extension", "abc")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Not a valid e-mail address"));
    assert!(bad.body.contains("may only contain digits"));

    // The only licence is taken: a second user cannot get sync.
    let res = admin.submit("/users", "/users", &[("email", "bo@hansen.dk"), ("sync", "on")]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("All licences are in use"));
    let bo = app.add_user(tenant, "bo@hansen.dk").await;
    let res = admin.submit("/users", &format!("/users/{bo}/sync"), &[("enabled", "true")]).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("All licences are in use"));

    let page = admin.get("/users").await;
    assert!(page.body.contains("1 / 1"));
    assert!(page.body.contains("Anna@Hansen.dk"));
}

#[tokio::test]
async fn language_follows_account_then_tenant_then_browser() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let da = browser.get_with("/login", &[("accept-language", "da")]).await;
    assert!(da.body.contains("Log ind med din e-mailadresse"));
    let en = browser.get_with("/login", &[("accept-language", "en-US")]).await;
    assert!(en.body.contains("Sign in with your e-mail address"));
    // An explicit choice on the sign-in page sticks.
    let chosen = browser.get_with("/login?lang=da", &[("accept-language", "en")]).await;
    assert!(chosen.body.contains("Log ind med din e-mailadresse"));
    let later = browser.get_with("/login", &[("accept-language", "en")]).await;
    assert!(later.body.contains("Log ind med din e-mailadresse"));

    // A Danish tenant's admin sees Danish even with an English browser.
    let tenant = app.create_tenant_in("Hansen", 5, "da").await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let page = admin.get_with("/dashboard", &[("accept-language", "en")]).await;
    assert!(page.body.contains("Overblik"), "{}", page.body);
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let css = app.browser().get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(css.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
    assert!(css.body.contains("--brand"));
    assert_eq!(app.browser().get("/static/../Cargo.toml").await.status, 404);
}
