use chrono::Duration;

use crate::support::{PASSWORD, TestApp};

/// The operator invites someone to a tenant through the console; returns the link's path.
async fn operator_invites(
    app: &TestApp,
    tenant: sea_orm::prelude::Uuid,
    email: &str,
    role: &str,
) -> String {
    let ops = app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;
    let page = ops
        .submit(
            &format!("/operator/tenants/{tenant}"),
            &format!("/operator/tenants/{tenant}/invites"),
            &[("email", email), ("role", role)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("/invite/").expect("link shown");
    let end = page.body[start..].find('<').unwrap() + start;
    let link = &page.body[start..end];
    assert!(page.body.contains(&format!("http://{}/invite/", app.addr)), "absolute link shown");
    link.to_owned()
}

#[tokio::test]
async fn an_invite_sets_a_password_once_and_signs_the_person_in() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let tenant = app.create_tenant("Hansen & Co", 5).await;
    let link = operator_invites(&app, tenant, "Karen@Hansen.dk", "tenant_admin").await;

    let invitee = app.browser();
    let page = invitee.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Hansen &#38; Co"), "tenant name, escaped");
    assert!(page.body.contains("karen@hansen.dk"));
    let res = invitee
        .submit(
            &link,
            &link,
            &[("display_name", "Karen"), ("password", PASSWORD), ("password_repeat", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location(), Some("/dashboard"));
    let dashboard = invitee.get("/dashboard").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("karen@hansen.dk"));

    // The link is spent.
    let again = app.browser();
    let page = again.get(&link).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("does not work"));
    let res = again
        .submit(
            "/login",
            &link,
            &[
                ("password", "another good passphrase"),
                ("password_repeat", "another good passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(app.browser().login("karen@hansen.dk", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn an_invite_expires_after_seven_days() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let tenant = app.create_tenant("Hansen", 5).await;
    let link = operator_invites(&app, tenant, "late@hansen.dk", "receptionist").await;
    app.clock.advance(Duration::days(6) + Duration::hours(23));
    assert_eq!(app.browser().get(&link).await.status, 200, "still valid on day 7");
    app.clock.advance(Duration::hours(1) + Duration::seconds(1));
    let invitee = app.browser();
    assert_eq!(invitee.get(&link).await.status, 404);
    let res = invitee
        .submit("/login", &link, &[("password", PASSWORD), ("password_repeat", PASSWORD)])
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(app.browser().login("late@hansen.dk", PASSWORD).await.status, 401);
}

#[tokio::test]
async fn two_simultaneous_acceptances_make_one_account() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let tenant = app.create_tenant("Hansen", 5).await;
    let link = operator_invites(&app, tenant, "twice@hansen.dk", "receptionist").await;
    let a = app.browser();
    let b = app.browser();
    let ta = a.get(&link).await.csrf();
    let tb = b.get(&link).await.csrf();
    let fields = [("password", PASSWORD), ("password_repeat", PASSWORD)];
    let (ra, rb) = tokio::join!(
        a.post_with_token(&link, &ta, &fields),
        b.post_with_token(&link, &tb, &fields)
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 404]);
}

#[tokio::test]
async fn password_rules_are_explained() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let tenant = app.create_tenant("Hansen", 5).await;
    let link = operator_invites(&app, tenant, "rules@hansen.dk", "receptionist").await;
    let invitee = app.browser();
    let long = "x".repeat(129);
    for (password, repeat, message) in [
        ("kort", "kort", "at least 12 characters"),
        (long.as_str(), long.as_str(), "at most 128 characters"),
        ("123456789012", "123456789012", "too common"),
        ("passwordpassword", "passwordpassword", "too common"),
        ("rules-rules-2026!", "rules-rules-2026!", "must not contain your e-mail"),
        (PASSWORD, "something else entirely", "do not match"),
    ] {
        let res = invitee
            .submit(&link, &link, &[("password", password), ("password_repeat", repeat)])
            .await;
        assert_eq!(res.status, 422, "{password}");
        assert!(res.body.contains(message), "{password}: expected '{message}'");
        assert!(!res.body.contains(password) || password.len() < 5, "passwords are never echoed");
    }
    // Exactly 12 and exactly 128 characters are fine.
    let ok128 = "æ".repeat(128);
    let res =
        invitee.submit(&link, &link, &[("password", &ok128), ("password_repeat", &ok128)]).await;
    assert_eq!(res.status, 303);
}

#[tokio::test]
async fn tenant_admins_invite_and_revoke_in_their_own_tenant() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let page = admin
        .submit("/team", "/team/invites", &[("email", "desk@hansen.dk"), ("role", "receptionist")])
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/invite/"));
    // An existing account cannot be invited again; a bad role is refused.
    let dup = admin
        .submit("/team", "/team/invites", &[("email", "ADMIN@hansen.dk"), ("role", "receptionist")])
        .await;
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("already exists"));
    let bad = admin
        .submit("/team", "/team/invites", &[("email", "x@hansen.dk"), ("role", "operator")])
        .await;
    assert_eq!(bad.status, 422);

    let team = admin.get("/team").await;
    assert!(team.body.contains("desk@hansen.dk"));
    let invite =
        calbridge::services::invites::open(&app.state, crate::support::tenant_scope(tenant))
            .await
            .unwrap()
            .remove(0);
    let res = admin.submit("/team", &format!("/team/invites/{}/revoke", invite.id), &[]).await;
    assert_eq!(res.status, 303);
    assert!(!admin.get("/team").await.body.contains("desk@hansen.dk"));
}
