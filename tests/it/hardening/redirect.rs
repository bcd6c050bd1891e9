//! After sign-in, `next` only ever leads back into the portal.

use crate::support::{PASSWORD, TestApp};

async fn operator_app() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    app
}

/// Opens the sign-in page with `next` (already URL-encoded) and signs in from it.
async fn sign_in_with_next(app: &TestApp, encoded_next: &str) -> crate::support::Page {
    let browser = app.browser();
    let page = browser.get(&format!("/login?next={encoded_next}")).await;
    assert_eq!(page.status, 200);
    let marker = "name=\"next\" value=\"";
    let start = page.body.find(marker).unwrap() + marker.len();
    let next = &page.body[start..start + page.body[start..].find('"').unwrap()];
    let next = next.replace("&amp;", "&").replace("&#x2f;", "/").replace("&#x5c;", "\\");
    let token = page.csrf();
    browser
        .post_with_token(
            "/login",
            &token,
            &[("email", "ops@calbridge.dk"), ("password", PASSWORD), ("next", &next)],
        )
        .await
}

#[tokio::test]
async fn a_next_that_a_browser_reads_as_another_host_goes_home_instead() {
    let app = operator_app().await;
    for encoded in [
        "/%09/evil.example/phish",
        "/%0A/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "https://evil.example/",
    ] {
        let res = sign_in_with_next(&app, encoded).await;
        assert_eq!(res.status, 303, "{encoded}");
        assert_eq!(res.location(), Some("/operator"), "{encoded}");
    }
    // A local path is kept.
    let res = sign_in_with_next(&app, "/operator/audit%3Fx%3D1").await;
    assert_eq!(res.location(), Some("/operator/audit?x=1"));
}

#[tokio::test]
async fn a_next_with_line_breaks_signs_in_normally() {
    let app = operator_app().await;
    let browser = app.browser();
    let token = browser.get("/login").await.csrf();
    // Posted directly: the form itself would never carry it, an attacker's page would.
    let res = browser
        .post_with_token(
            "/login",
            &token,
            &[
                ("email", "ops@calbridge.dk"),
                ("password", PASSWORD),
                ("next", "/operator\r\nSet-Cookie: stolen=1"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.location().unwrap();
    assert!(!location.contains('\r') && !location.contains('\n'), "{location:?}");
    assert!(location.starts_with("/operator"), "{location}");
    assert!(res.set_cookies().iter().any(|c| c.starts_with("calbridge_session=")));
    assert!(!res.set_cookies().iter().any(|c| c.starts_with("stolen")));
    assert_eq!(browser.get("/operator").await.status, 200, "signed in");
}
