//! The Integrations page as a tenant admin uses it, and the board's live parts as the
//! receptionist's page fetches them.

use super::ApiClient;
use crate::support::{PASSWORD, TestApp};

fn token_in(body: &str) -> String {
    let start = body.find("cbk_").expect("the token is shown");
    body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c)).collect()
}

#[tokio::test]
async fn an_admin_creates_a_token_sees_it_once_and_revokes_it() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant_in("Alfa A/S", 5, "da").await;
    app.create_member(alfa, "admin@alfa.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@alfa.dk", PASSWORD).await;

    let page = admin.get("/integrations").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("API-nøgler") && page.body.contains("Webhooks"), "in Danish");
    let empty = admin.submit("/integrations", "/integrations/tokens", &[("name", "  ")]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("aria-invalid"), "the name is required");

    let shown =
        admin.submit("/integrations", "/integrations/tokens", &[("name", "Omstilling")]).await;
    assert_eq!(shown.status, 200);
    let token = token_in(&shown.body);
    assert!(shown.body.contains("vises ikke igen"), "said to be shown once");
    let api = ApiClient::new(&app, &token);
    assert_eq!(api.get("/api/v1/presence").await.status(), 200);

    let listed = admin.get("/integrations").await.body;
    assert!(listed.contains("Omstilling") && listed.contains(&token[..12]), "listed by its prefix");
    assert!(!listed.contains(&token), "never shown again");
    let rows =
        calbridge::services::api_tokens::list(&app.state, crate::support::tenant_scope(alfa))
            .await
            .unwrap();
    let revoke = format!("/integrations/tokens/{}/revoke", rows[0].id);
    let done = admin.submit("/integrations", &revoke, &[]).await;
    assert_eq!(done.location(), Some("/integrations?done=token_revoked"));
    assert_eq!(api.get("/api/v1/presence").await.status(), 401);
    assert!(admin.get("/integrations").await.body.contains("Tilbagekaldt"));
}

#[tokio::test]
async fn a_webhook_must_be_https_to_a_public_address_and_its_secret_is_shown_once() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    app.create_member(alfa, "admin@alfa.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@alfa.dk", PASSWORD).await;

    for (url, says) in [
        ("http://switchboard.example.com/hook", "must start with https://"),
        ("https://127.0.0.1/hook", "internal network or this machine"),
        ("https://10.1.2.3/hook", "internal network or this machine"),
        ("https://[::1]/hook", "internal network or this machine"),
        ("https://localhost:8443/hook", "internal network or this machine"),
        ("not a url", "Enter a full address"),
    ] {
        let fields = [("url", url), ("events", "presence.changed"), ("enabled", "on")];
        let refused = admin.submit("/integrations", "/integrations/webhooks", &fields).await;
        assert_eq!(refused.status, 422, "{url}");
        assert!(refused.body.contains(says), "{url}: {}", refused.body);
        assert!(refused.body.contains(&url.replace('&', "&amp;")), "the form keeps what was typed");
    }
    let no_events = [("url", "https://127.0.0.1/x")];
    let refused = admin.submit("/integrations", "/integrations/webhooks", &no_events).await;
    assert!(refused.body.contains("Choose at least one event"));
}

#[tokio::test]
async fn an_admin_manages_a_webhook_on_its_page() {
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    app.create_member(alfa, "admin@alfa.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@alfa.dk", PASSWORD).await;
    let fields =
        [("url", "http://127.0.0.1:9/hook"), ("events", "presence.changed"), ("enabled", "on")];
    let shown = admin.submit("/integrations", "/integrations/webhooks", &fields).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("whsec_"), "the signing secret, once");
    let id =
        calbridge::services::webhooks::endpoints(&app.state, crate::support::tenant_scope(alfa))
            .await
            .unwrap()[0]
            .id;
    let page = format!("/integrations/webhooks/{id}");
    assert!(!admin.get(&page).await.body.contains("whsec_"), "not shown again");

    let rotated = admin.submit(&page, &format!("{page}/rotate"), &[]).await;
    let secret = |body: &str| body[body.find("whsec_").unwrap()..][..38].to_owned();
    assert_ne!(secret(&rotated.body), secret(&shown.body), "a new secret");

    let test = admin.submit(&page, &format!("{page}/test"), &[]).await;
    assert_eq!(test.location(), Some(format!("{page}?done=test").as_str()));
    let listed = admin.get(&page).await.body;
    assert!(listed.contains("Test event") && listed.contains("Waiting"), "{listed}");

    let off = [("url", "http://127.0.0.1:9/hook"), ("events", "presence.changed")];
    let saved = admin.submit(&page, &page, &off).await;
    assert_eq!(saved.status, 303);
    let listed = admin.get(&page).await.body;
    assert!(listed.contains("Given up"), "switching off gives up what waits: {listed}");
    let deleted = admin.submit(&page, &format!("{page}/delete"), &[]).await;
    assert_eq!(deleted.location(), Some("/integrations?done=webhook_deleted"));
    assert_eq!(admin.get(&page).await.status, 404);
    let audit =
        calbridge::services::audit::for_tenant(&app.state, crate::support::tenant_scope(alfa))
            .await
            .unwrap();
    for action in [
        "webhook.created",
        "webhook.secret_rotated",
        "webhook.test_sent",
        "webhook.updated",
        "webhook.deleted",
    ] {
        assert!(audit.iter().any(|a| a.action == action), "{action} audited");
    }
}

#[tokio::test]
async fn the_receptionists_board_has_a_live_part_and_a_stream() {
    let app = TestApp::spawn().await;
    let alfa = app.create_tenant("Alfa A/S", 5).await;
    app.create_member(alfa, "reception@alfa.dk", "receptionist").await;
    app.add_user(alfa, "anna@alfa.dk").await;
    let desk = app.browser();
    desk.login("reception@alfa.dk", PASSWORD).await;

    let board = desk.get("/presence").await.body;
    assert!(
        board.contains("/static/board.js") && board.contains("data-stream=\"/presence/stream\"")
    );
    assert!(
        board.contains("<noscript><meta http-equiv=\"refresh\""),
        "refreshes without JavaScript"
    );
    let live = desk.get("/presence?part=live&q=anna").await;
    assert_eq!(live.status, 200);
    assert!(live.body.contains("anna@alfa.dk") && live.body.contains("Updated"));
    assert!(!live.body.contains("<html"), "only the live part");
    let stream = desk.get("/presence/stream").await;
    assert_eq!(stream.status, 200);
    assert!(stream.body.contains("event: snapshot") && stream.body.contains("anna@alfa.dk"));
}
