use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn logins_invites_and_changes_are_audited_and_scoped() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let a = app.create_tenant("Alfa", 5).await;
    let b = app.create_tenant("Beta", 5).await;
    app.create_member(a, "admin@alfa.dk", "tenant_admin").await;
    app.create_member(b, "admin@beta.dk", "tenant_admin").await;

    let alfa = app.browser();
    alfa.login("admin@alfa.dk", "wrong password here").await;
    alfa.login("admin@alfa.dk", PASSWORD).await;
    alfa.submit("/users", "/users", &[("email", "anna@alfa.dk"), ("sync", "on")]).await;
    let beta = app.browser();
    beta.login("admin@beta.dk", PASSWORD).await;

    let page = alfa.get("/audit").await;
    assert_eq!(page.status, 200);
    for expected in
        ["Failed sign-in", "Signed in", "User added", "Invitation accepted", "anna@alfa.dk"]
    {
        assert!(page.body.contains(expected), "tenant audit lacks {expected}");
    }
    assert!(!page.body.contains("beta.dk"), "another tenant's events leak");

    let ops = app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;
    let all = ops.get("/operator/audit").await;
    for expected in ["admin@alfa.dk", "admin@beta.dk", "Tenant created", "Alfa", "Beta"] {
        assert!(all.body.contains(expected), "operator audit lacks {expected}");
    }
}

#[tokio::test]
async fn audit_never_holds_passwords() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    app.browser().login("ops@calbridge.dk", "my secret attempt 123").await;
    let events = calbridge::db::audit::list_all(&app.state.db, 100).await.unwrap();
    let dump = format!("{events:?}");
    assert!(!dump.contains("my secret attempt 123"));
    assert!(!dump.contains(PASSWORD));
}

/// The log in words: actors, actions, roles, detail levels and test outcomes as people say
/// them, never the codes stored.
#[tokio::test]
async fn the_audit_log_speaks_in_words_not_codes() {
    use crate::support::world::World;
    let world = World::new().await;
    // Connected from the command line with full detail; invitations from the command line.
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.app.create_member(hansen.id, "admin@hansen.dk", "tenant_admin").await;
    world.app.create_member(hansen.id, "desk@hansen.dk", "receptionist").await;
    let admin = world.app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let res =
        admin.submit("/integrations", "/integrations/tokens", &[("name", "Omstilling")]).await;
    assert!(res.status < 400, "{}", res.status);

    let page = admin.get("/audit").await;
    let body = &page.body;
    for words in [
        "command line",
        "Invitation accepted",
        "admin@hansen.dk (Administrator)",
        "desk@hansen.dk (Receptionist)",
        "With subject and location (Calendars.Read)",
        "API token created",
    ] {
        assert!(body.contains(words), "the log lacks {words:?}: {body}");
    }
    for code in [">cli<", "tenant_admin", "(receptionist)", "· full", "api_token.created"] {
        assert!(!body.contains(code), "the log shows the code {code:?}");
    }
}
