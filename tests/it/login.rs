use std::time::Instant;

use chrono::Duration;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn operator_signs_in_and_lands_on_the_console() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();

    let res = browser.login("OPS@calbridge.dk", PASSWORD).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), Some("/operator"));
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("calbridge_session="))
        .expect("session cookie set");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");
    // 256 random bits, base64url.
    let value = browser.cookie("calbridge_session").unwrap();
    assert!(value.len() >= 43, "{value}");

    let console = browser.get("/operator").await;
    assert_eq!(console.status, 200);
    assert!(console.body.contains("ops@calbridge.dk"));
}

#[tokio::test]
async fn secure_cookies_with_https_public_url() {
    let app = TestApp::spawn_with(|c| {
        c.public_url = Some("https://portal.example.dk".parse().unwrap());
    })
    .await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();
    // The browser would talk https through a proxy; here we only read the cookie flags.
    let page = browser.get("/login").await;
    let pre = page.set_cookies().join("\n");
    assert!(pre.contains("__Host-calbridge_pre="), "{pre}");
    assert!(pre.contains("Secure"), "{pre}");
    let token = page.csrf();
    let res = browser
        .post_raw(
            "/login",
            &[("email", "ops@calbridge.dk"), ("password", PASSWORD), ("csrf_token", &token)],
            &[("origin", "https://portal.example.dk")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let session = res.set_cookies().into_iter().find(|c| c.contains("calbridge_session")).unwrap();
    assert!(session.starts_with("__Host-calbridge_session="), "{session}");
    assert!(session.contains("Secure") && session.contains("HttpOnly"), "{session}");
    assert!(res.headers.get("strict-transport-security").is_some());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();

    let mut timings = Vec::new();
    let mut bodies = Vec::new();
    for email in ["ops@calbridge.dk", "nobody@calbridge.dk", "ops@calbridge.dk", "ghost@x.dk"] {
        let token = browser.get("/login").await.csrf();
        let started = Instant::now();
        let res = browser
            .post_with_token(
                "/login",
                &token,
                &[("email", email), ("password", "wrong password!!")],
            )
            .await;
        timings.push(started.elapsed());
        assert_eq!(res.status, 401);
        assert!(browser.cookie("calbridge_session").is_none());
        // The page repeats the typed e-mail; everything else must be identical.
        bodies.push(res.body.replace(email, "EMAIL").replace(&token, "TOKEN"));
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]), "responses differ");
    assert!(bodies[0].contains("Wrong e-mail or password."));
    // One wrong password is just that: the message does not sound like a lockout.
    for alarming in ["paused", "locked", "try again later", "attempts"] {
        assert!(!bodies[0].contains(alarming), "{alarming}");
    }
    // Both paths verify one argon2 hash, so neither is an order of magnitude faster.
    let known = timings[0] + timings[2];
    let unknown = timings[1] + timings[3];
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!((0.33..3.0).contains(&ratio), "known {known:?} vs unknown {unknown:?}");
}

#[tokio::test]
async fn ten_failures_lock_the_account_for_a_growing_delay() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();
    for _ in 0..10 {
        assert_eq!(browser.login("ops@calbridge.dk", "not the password").await.status, 401);
    }
    // Locked: even the right password is refused, with the same words as any failure.
    let locked = browser.login("ops@calbridge.dk", PASSWORD).await;
    assert_eq!(locked.status, 401);
    let unknown = browser.login("nobody@calbridge.dk", PASSWORD).await;
    assert_eq!(
        locked.body.replace("ops@calbridge.dk", "E").replace(&locked.csrf(), ""),
        unknown.body.replace("nobody@calbridge.dk", "E").replace(&unknown.csrf(), "")
    );

    // The first lock lasts a minute.
    app.clock.advance(Duration::seconds(61));
    // One more failure after it ends locks for two minutes.
    assert_eq!(browser.login("ops@calbridge.dk", "still wrong pw").await.status, 401);
    app.clock.advance(Duration::seconds(90));
    assert_eq!(browser.login("ops@calbridge.dk", PASSWORD).await.status, 401, "still locked");
    app.clock.advance(Duration::seconds(31));
    assert_eq!(browser.login("ops@calbridge.dk", PASSWORD).await.status, 303, "lock over");

    // Success resets the count: nine new failures do not lock.
    let other = app.browser();
    for _ in 0..9 {
        other.login("ops@calbridge.dk", "wrong again!!").await;
    }
    assert_eq!(other.login("ops@calbridge.dk", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn next_parameter_returns_to_the_requested_page_but_never_off_site() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let browser = app.browser();
    let bounce = browser.get("/users?x=1").await;
    assert_eq!(bounce.status, 303);
    assert_eq!(bounce.location(), Some("/login?next=%2Fusers%3Fx%3D1"));
    let page = browser.get("/login?next=%2Fusers%3Fx%3D1").await;
    let res = browser
        .post_with_token(
            "/login",
            &page.csrf(),
            &[("email", "admin@hansen.dk"), ("password", PASSWORD), ("next", "/users?x=1")],
        )
        .await;
    assert_eq!(res.location(), Some("/users?x=1"));

    let evil = app.browser();
    let res = evil
        .submit(
            "/login",
            "/login",
            &[("email", "admin@hansen.dk"), ("password", PASSWORD), ("next", "//evil.example/")],
        )
        .await;
    assert_eq!(res.location(), Some("/dashboard"));
}
