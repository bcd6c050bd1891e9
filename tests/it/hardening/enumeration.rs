//! An admin learns nothing about other companies' accounts by inviting their addresses.

use crate::support::{PASSWORD, TestApp};

/// Invites `email` as the signed-in admin of Hansen; returns the status and the link shown.
async fn invite(admin: &crate::support::Browser, email: &str) -> (u16, Option<String>) {
    let page =
        admin.submit("/team", "/team/invites", &[("email", email), ("role", "receptionist")]).await;
    let link = page.body.find("<code>").map(|start| {
        let rest = &page.body[start + "<code>".len()..];
        rest[..rest.find("</code>").unwrap()].to_owned()
    });
    (page.status, link)
}

#[tokio::test]
async fn inviting_another_companys_account_looks_like_any_invite() {
    let app = TestApp::spawn().await;
    let hansen = app.create_tenant("Hansen", 5).await;
    let jensen = app.create_tenant("Jensen", 5).await;
    app.create_member(hansen, "admin@hansen.dk", "tenant_admin").await;
    app.create_member(jensen, "desk@jensen.dk", "receptionist").await;
    app.create_operator("ops@calbridge.dk").await;
    let admin = app.browser();
    assert_eq!(admin.login("admin@hansen.dk", PASSWORD).await.status, 303);

    let (fresh_status, fresh_link) = invite(&admin, "new@hansen.dk").await;
    assert_eq!(fresh_status, 200);
    assert!(fresh_link.is_some());
    for elsewhere in ["desk@jensen.dk", "OPS@calbridge.dk"] {
        let (status, link) = invite(&admin, elsewhere).await;
        assert_eq!(status, fresh_status, "{elsewhere}: answered as any new address");
        let link = link.expect("an invitation link is shown");

        // The address's owner learns it from the link, and no second account is made.
        let owner = app.browser();
        let path = link.split_once("/invite/").map(|(_, t)| format!("/invite/{t}")).unwrap();
        let page = owner.get(&path).await;
        assert!(page.body.contains("already has a calbridge account"), "{}", page.body);
        assert!(!page.body.contains("name=\"password\""), "no form to set a password");
        // Posting anyway, with a valid token of this browser's, changes nothing.
        let token = owner.get("/login").await.csrf();
        let fields = [("password", PASSWORD), ("password_repeat", PASSWORD)];
        let tried = owner.post_with_token(&path, &token, &fields).await;
        assert_ne!(tried.status, 303, "no account, no session");
        assert!(owner.cookie("calbridge_session").is_none());
    }
    // Only the admin's own company is named.
    let (own_status, _) = invite(&admin, "ADMIN@hansen.dk").await;
    assert_eq!(own_status, 422);
    // The other company's receptionist still signs in as before.
    assert_eq!(app.browser().login("desk@jensen.dk", PASSWORD).await.status, 303);
}
