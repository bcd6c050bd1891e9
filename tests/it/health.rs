use crate::support::TestApp;

#[tokio::test]
async fn health_and_readiness_on_a_freshly_migrated_database() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let health = browser.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert!(health.body.contains("\"ok\""));
    let ready = browser.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("\"ready\""));
    assert_eq!(calbridge::db::pending_migrations(&app.state.db).await.unwrap(), 0);
}

#[tokio::test]
async fn readiness_fails_when_migrations_are_missing() {
    let app = TestApp::spawn().await;
    use migration::MigratorTrait;
    migration::Migrator::down(&app.state.db, Some(1)).await.unwrap();
    let ready = app.browser().get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(ready.body.contains("migrations pending"));
    // And migrating again brings it back.
    calbridge::db::migrate(&app.state.db).await.unwrap();
    assert_eq!(app.browser().get("/readyz").await.status, 200);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    for path in ["/login", "/static/app.css", "/no/such/page", "/healthz", "/users"] {
        let res = browser.get(path).await;
        let h = |name: &str| {
            res.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
        };
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert!(!h("referrer-policy").is_empty(), "{path}");
        if path == "/static/app.css" {
            assert!(h("cache-control").contains("max-age"), "static assets may be cached");
        } else {
            assert_eq!(h("cache-control"), "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn unknown_pages_get_a_branded_404_in_the_visitors_language() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let en = browser.get_with("/nope", &[("accept-language", "en-GB,en;q=0.9")]).await;
    assert_eq!(en.status, 404);
    assert!(en.body.contains("Page not found") && en.body.contains("/static/app.css"));
    let da = browser.get_with("/nope", &[("accept-language", "da-DK,da;q=0.9,en;q=0.5")]).await;
    assert_eq!(da.status, 404);
    assert!(da.body.contains("Siden findes ikke"));
    assert!(da.body.contains("<html lang=\"da\">"));
}
