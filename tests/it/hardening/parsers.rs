//! Cookies and CSRF tokens are read from whatever a client sends: 2,000 generated headers and
//! forms against the running app, and not one of them may fail it.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::header::HeaderValue;

use crate::support::TestApp;

/// Bytes a header may carry: printable ASCII and the high bytes HTTP calls obs-text.
fn header_text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff, Just(b'\t')], 0..120)
}

fn cookie_header() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(vec![
        &b"calbridge_session"[..],
        b"calbridge_pre",
        b"calbridge_lang",
        b"__Host-calbridge_session",
    ]);
    prop_oneof![
        header_text(),
        prop::collection::vec((name, header_text()), 1..4).prop_map(|pairs| {
            let mut out = Vec::new();
            for (name, value) in pairs {
                out.extend_from_slice(name);
                out.push(b'=');
                out.extend(value.into_iter().filter(|b| *b != b';'));
                out.extend_from_slice(b"; ");
            }
            out
        }),
    ]
}

#[test]
fn no_cookie_or_token_makes_the_app_fail() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let base = format!("http://{}", app.addr);
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut runner =
        TestRunner::new(Config { cases: 2_000, failure_persistence: None, ..Config::default() });
    let strategy = (cookie_header(), header_text(), "\\PC{0,80}", any::<bool>());
    let result = runner.run(&strategy, |(cookie, header_token, form_token, post)| {
        let status = runtime.block_on(async {
            let request = if post {
                let mut request = client.post(format!("{base}/login")).form(&[
                    ("email", "x@y.dk"),
                    ("password", "p"),
                    ("csrf_token", &form_token),
                ]);
                if let Ok(value) = HeaderValue::from_bytes(&header_token) {
                    request = request.header("x-csrf-token", value);
                }
                request
            } else {
                client.get(format!("{base}/dashboard"))
            };
            let request = match HeaderValue::from_bytes(&cookie) {
                Ok(value) => request.header("cookie", value),
                Err(_) => request,
            };
            request.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        });
        // Signed out: the dashboard sends to sign-in; a sign-in without its token is refused.
        let expected = if post { 403 } else { 303 };
        prop_assert_eq!(status, expected);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The server stops inside the runtime that runs it.
    runtime.block_on(async move { drop(app) });
}
