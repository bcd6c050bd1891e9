//! A tenant's objects do not exist for anyone else.

use calbridge::services;

use crate::support::{PASSWORD, TestApp, tenant_scope};

#[tokio::test]
async fn another_tenants_objects_answer_404_on_every_route() {
    let app = TestApp::spawn().await;
    let a = app.create_tenant("Alfa A/S", 5).await;
    let b = app.create_tenant("Beta ApS", 5).await;
    app.create_member(a, "admin@alfa.dk", "tenant_admin").await;
    let a_reception = app.create_member(a, "reception@alfa.dk", "receptionist").await;
    let a_user = app.add_user(a, "anna@alfa.dk").await;
    let a_invite = services::invites::create(
        &app.state,
        &services::Actor::command_line(),
        tenant_scope(a),
        "new@alfa.dk",
        "receptionist",
    )
    .await
    .unwrap()
    .id;
    app.create_member(b, "admin@beta.dk", "tenant_admin").await;

    let intruder = app.browser();
    assert_eq!(intruder.login("admin@beta.dk", PASSWORD).await.status, 303);
    let token = intruder.get("/users").await.csrf();

    let gets = [format!("/users/{a_user}")];
    for path in &gets {
        assert_eq!(intruder.get(path).await.status, 404, "GET {path}");
    }
    let posts: [(String, Vec<(&str, &str)>); 7] = [
        (format!("/users/{a_user}"), vec![("display_name", "Hacked")]),
        (format!("/users/{a_user}/sync"), vec![("enabled", "true")]),
        (format!("/users/{a_user}/delete"), vec![]),
        (format!("/team/accounts/{a_reception}/disable"), vec![]),
        (format!("/team/accounts/{a_reception}/enable"), vec![]),
        (format!("/team/invites/{a_invite}/revoke"), vec![]),
        (
            format!("/operator/tenants/{a}/invites"),
            vec![("email", "x@beta.dk"), ("role", "tenant_admin")],
        ),
    ];
    for (path, fields) in &posts {
        let res = intruder.post_with_token(path, &token, fields).await;
        let expected = if path.starts_with("/operator") { 403 } else { 404 };
        assert_eq!(res.status, expected, "POST {path}");
    }

    // Nothing of tenant A changed.
    let user = services::directory::get(&app.state, tenant_scope(a), a_user).await.unwrap();
    assert_eq!(user.display_name, None);
    assert!(!user.sync_enabled);
    let open = services::invites::open(&app.state, tenant_scope(a)).await.unwrap();
    assert_eq!(open.len(), 1);
    let reception = app.browser();
    assert_eq!(reception.login("reception@alfa.dk", PASSWORD).await.status, 303);

    // And B's own pages show none of A's data.
    let users = intruder.get("/users").await;
    assert!(!users.body.contains("anna@alfa.dk"));
    let team = intruder.get("/team").await;
    assert!(!team.body.contains("alfa.dk"));
    let audit = intruder.get("/audit").await;
    assert!(!audit.body.contains("alfa.dk"));
}

#[tokio::test]
async fn roles_are_enforced_per_page() {
    let app = TestApp::spawn().await;
    let t = app.create_tenant("Alfa A/S", 5).await;
    app.create_member(t, "reception@alfa.dk", "receptionist").await;
    app.create_member(t, "admin@alfa.dk", "tenant_admin").await;
    app.create_operator("ops@calbridge.dk").await;

    let reception = app.browser();
    reception.login("reception@alfa.dk", PASSWORD).await;
    assert_eq!(reception.get("/dashboard").await.status, 200);
    for path in ["/users", "/team", "/audit", "/operator", "/operator/audit"] {
        let res = reception.get(path).await;
        assert_eq!(res.status, 403, "{path}");
        assert!(res.body.contains("No access") || res.body.contains("Ingen adgang"));
    }
    let admin = app.browser();
    admin.login("admin@alfa.dk", PASSWORD).await;
    for path in ["/operator", "/operator/audit", &format!("/operator/tenants/{t}")] {
        assert_eq!(admin.get(path).await.status, 403, "{path}");
    }
    let ops = app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;
    for path in ["/users", "/team", "/dashboard"] {
        assert_eq!(ops.get(path).await.status, 403, "{path}");
    }
    // Signed out, every page sends you to sign in.
    for path in ["/users", "/operator", "/dashboard", "/team"] {
        let res = app.browser().get(path).await;
        assert_eq!(res.status, 303, "{path}");
    }
}
