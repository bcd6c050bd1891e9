use chrono::Duration;

use crate::support::{PASSWORD, TestApp};

async fn signed_in(app: &TestApp) -> crate::support::Browser {
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let browser = app.browser();
    assert_eq!(browser.login("admin@hansen.dk", PASSWORD).await.status, 303);
    browser
}

#[tokio::test]
async fn idle_session_ends_after_thirty_minutes() {
    let app = TestApp::spawn().await;
    let browser = signed_in(&app).await;
    let token = browser.cookie("calbridge_session").expect("a session cookie");
    // Activity keeps it alive.
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(25));
        assert_eq!(browser.get("/dashboard").await.status, 200);
    }
    app.clock.advance(Duration::minutes(31));
    let res = browser.get("/dashboard").await;
    assert_eq!(res.status, 303);
    assert!(res.location().unwrap().starts_with("/login"));
    // The stale cookie is cleared and the session is gone from the database.
    assert!(res.set_cookies().iter().any(|c| c.starts_with("calbridge_session=;")));
    use sea_orm::EntityTrait;
    let hash = calbridge::auth::token::hash(&token);
    let row = calbridge::db::entities::session::Entity::find_by_id(hash)
        .one(&app.state.db)
        .await
        .unwrap();
    assert!(row.is_none(), "the expired session is deleted");
}

#[tokio::test]
async fn session_ends_twelve_hours_after_sign_in_however_active() {
    let app = TestApp::spawn().await;
    let browser = signed_in(&app).await;
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(browser.get("/dashboard").await.status, 200, "active within 12 h");
    }
    // 35 × 20 min = 11 h 40 min; 21 more crosses 12 h without ever idling 30 min.
    app.clock.advance(Duration::minutes(21));
    assert_eq!(browser.get("/dashboard").await.status, 303);
}

#[tokio::test]
async fn logout_deletes_the_session_so_a_replayed_cookie_is_refused() {
    let app = TestApp::spawn().await;
    let browser = signed_in(&app).await;
    let stolen = browser.cookie("calbridge_session").unwrap();
    let res = browser.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), Some("/login?out=1"));

    let attacker = app.browser();
    attacker.set_cookie("calbridge_session", &stolen);
    let replay = attacker.get("/dashboard").await;
    assert_eq!(replay.status, 303);
    assert!(replay.location().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn signing_in_issues_a_new_session_id_every_time() {
    let app = TestApp::spawn().await;
    let browser = signed_in(&app).await;
    let first = browser.cookie("calbridge_session").unwrap();
    // Signing in again from the same browser gets a fresh id.
    browser.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(browser.login("admin@hansen.dk", PASSWORD).await.status, 303);
    assert_ne!(browser.cookie("calbridge_session").unwrap(), first);
    // A planted id is never adopted.
    let fixated = app.browser();
    fixated.set_cookie("calbridge_session", "attacker-chosen-session-id-0000000000000000");
    assert_eq!(fixated.login("admin@hansen.dk", PASSWORD).await.status, 303);
    let issued = fixated.cookie("calbridge_session").unwrap();
    assert_ne!(issued, "attacker-chosen-session-id-0000000000000000");
    assert_ne!(issued, first);
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let reception = app.create_member(tenant, "reception@hansen.dk", "receptionist").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let receptionist = app.browser();
    receptionist.login("reception@hansen.dk", PASSWORD).await;
    assert_eq!(receptionist.get("/presence").await.status, 200);

    let res = admin.submit("/team", &format!("/team/accounts/{reception}/disable"), &[]).await;
    assert_eq!(res.status, 303);
    let res = receptionist.get("/presence").await;
    assert_eq!(res.status, 303, "session ended");
    assert!(res.location().unwrap_or_default().starts_with("/login"));
    assert_eq!(receptionist.login("reception@hansen.dk", PASSWORD).await.status, 401);

    admin.submit("/team", &format!("/team/accounts/{reception}/enable"), &[]).await;
    assert_eq!(receptionist.login("reception@hansen.dk", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    let me = app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let browser = app.browser();
    browser.login("admin@hansen.dk", PASSWORD).await;
    let res = browser.submit("/team", &format!("/team/accounts/{me}/disable"), &[]).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("cannot disable your own account"), "{}", res.body);
    assert_eq!(browser.get("/dashboard").await.status, 200);
}
