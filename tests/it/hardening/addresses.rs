//! Whose address a request comes from, and whose host it names: forwarded headers count only
//! from the proxies named in `CALBRIDGE_TRUSTED_PROXIES`.

use std::time::Duration;

use crate::support::{Browser, PASSWORD, TestApp};

/// Signs in with a wrong password for an address nobody has, with extra headers `via`.
async fn failed_sign_in(browser: &Browser, n: usize, via: &[(&str, &str)]) -> crate::support::Page {
    let token = browser.get("/login").await.csrf();
    let email = format!("nobody{n}@hansen.dk");
    let mut headers = vec![("sec-fetch-site", "same-origin")];
    headers.extend_from_slice(via);
    browser
        .post_raw(
            "/login",
            &[("email", &email), ("password", "not the password"), ("csrf_token", &token)],
            &headers,
        )
        .await
}

#[tokio::test]
async fn failed_sign_ins_from_one_address_are_limited_with_retry_after() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();
    let mut refused = 0;
    for n in 0..20 {
        let res = failed_sign_in(&browser, n, &[]).await;
        assert_eq!(res.status, 401, "attempt {n} is answered");
        refused += 1;
    }
    assert_eq!(refused, 20);
    let limited = failed_sign_in(&browser, 20, &[]).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    let wait: u64 = limited.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=15).contains(&wait), "Retry-After {wait}");
    assert!(limited.body.contains("Too many failed sign-ins"), "{}", limited.body);
    // Even the right password waits: the address, not the account, is limited.
    let right = browser.login("ops@calbridge.dk", PASSWORD).await;
    assert_eq!(right.status, 429);
    // An X-Forwarded-For from a proxy nobody trusts changes nothing.
    let spoofed = failed_sign_in(&browser, 21, &[("x-forwarded-for", "203.0.113.9")]).await;
    assert_eq!(spoofed.status, 429);
    // The bucket refills: one attempt per 15 seconds.
    app.clock.advance(chrono::Duration::seconds(15));
    assert_eq!(browser.login("ops@calbridge.dk", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_limit() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.create_operator("ops@calbridge.dk").await;
    let browser = app.browser();
    for n in 0..20 {
        let res = failed_sign_in(&browser, n, &[("x-forwarded-for", "203.0.113.7")]).await;
        assert_eq!(res.status, 401, "attempt {n}");
    }
    let limited = failed_sign_in(&browser, 20, &[("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(limited.status, 429);
    // Another client behind the same proxy is not affected...
    let other = failed_sign_in(&browser, 21, &[("x-forwarded-for", "198.51.100.4")]).await;
    assert_eq!(other.status, 401);
    // ...and the audit trail names the client, not the proxy.
    let audit =
        format!("{:?}", calbridge::services::audit::for_operator(&app.state).await.unwrap());
    assert!(!audit.is_empty());
    use sea_orm::EntityTrait;
    let events =
        calbridge::db::entities::audit_event::Entity::find().all(&app.state.db).await.unwrap();
    assert!(events.iter().any(|e| e.ip.as_deref() == Some("198.51.100.4")), "{events:?}");
}

/// An invitation link as the inviter is shown it, when the request names `host`.
async fn invite_link(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    let mut all = vec![("sec-fetch-site", "same-origin")];
    all.extend_from_slice(headers);
    let token = admin.get("/login").await.csrf();
    let login = [("email", "admin@hansen.dk"), ("password", PASSWORD), ("csrf_token", &token)];
    assert_eq!(admin.post_raw("/login", &login, &all).await.status, 303);
    let token = admin.get("/team").await.csrf();
    let page = admin
        .post_raw(
            "/team/invites",
            &[("email", "desk@hansen.dk"), ("role", "receptionist"), ("csrf_token", &token)],
            &all,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("<code>").unwrap() + "<code>".len();
    page.body[start..start + page.body[start..].find("</code>").unwrap()].to_owned()
}

#[tokio::test]
async fn invitation_links_ignore_forwarded_hosts_from_untrusted_peers() {
    let app = TestApp::spawn().await;
    let link = invite_link(
        &app,
        &[("x-forwarded-host", "evil.example"), ("forwarded", "host=evil.example;proto=https")],
    )
    .await;
    assert!(link.starts_with(&format!("http://{}/invite/", app.addr)), "{link}");
    assert!(!link.contains("evil.example"));
}

#[tokio::test]
async fn a_trusted_proxy_may_name_the_host() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let link = invite_link(
        &app,
        &[
            ("x-forwarded-host", "portal.hansen.dk"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://portal.hansen.dk"),
        ],
    )
    .await;
    assert!(link.starts_with("https://portal.hansen.dk/invite/"), "{link}");
}

#[tokio::test]
async fn the_public_url_wins_over_every_header() {
    let app = TestApp::spawn_with(|c| {
        // http, so that the test's cookie jar sends the session cookie back.
        c.public_url = Some("http://calbridge.hansen.dk".parse().unwrap());
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let link = invite_link(
        &app,
        &[("x-forwarded-host", "evil.example"), ("origin", "http://calbridge.hansen.dk")],
    )
    .await;
    assert!(link.starts_with("http://calbridge.hansen.dk/invite/"), "{link}");
}

#[tokio::test]
async fn a_form_from_a_forged_host_is_cross_site() {
    // The attacker's page posts with its own Origin and makes the request name its host:
    // without a trusted proxy that host is not ours, so the request is refused.
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf();
    let res = browser
        .post_raw(
            "/login",
            &[("email", "x@y.dk"), ("password", "whatever"), ("csrf_token", &token)],
            &[("origin", "http://evil.example"), ("x-forwarded-host", "evil.example")],
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
}

#[tokio::test]
async fn an_origin_that_is_not_ascii_is_a_foreign_origin() {
    let app = TestApp::spawn().await;
    let base = format!("http://{}", app.addr);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let token = &page[start..start + page[start..].find('"').unwrap()];
    let origin = reqwest::header::HeaderValue::from_bytes(b"http://\xc3\xa6vil.example").unwrap();
    let res = client
        .post(format!("{base}/login"))
        .header("origin", origin)
        .form(&[("email", "x@y.dk"), ("password", "whatever"), ("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn serve_needs_the_public_url_in_production_and_warns_without_it() {
    use tokio::io::AsyncBufReadExt;
    let app = TestApp::spawn().await;
    let env = [
        ("CALBRIDGE_MASTER_KEY", app.master_key.as_str()),
        ("CALBRIDGE_BIND", "127.0.0.1:0"),
        ("RUST_LOG", "warn"),
    ];
    let mut production = env.to_vec();
    production.push(("CALBRIDGE_ENV", "production"));
    let refused = crate::cli::calbridge_with(&app, &["serve"], None, &production).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("CALBRIDGE_PUBLIC_URL"), "{}", refused.stderr);

    // Elsewhere it starts, and says what is missing.
    let workdir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_calbridge"))
        .arg("serve")
        .current_dir(workdir.path())
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .envs(env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let warned = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("CALBRIDGE_PUBLIC_URL is not set") {
                return true;
            }
        }
        false
    })
    .await;
    let _ = child.start_kill();
    assert_eq!(warned.ok(), Some(true), "serve warned about the missing public URL");
}
