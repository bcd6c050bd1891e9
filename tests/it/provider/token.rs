//! Signing in: each AADSTS error mapped, and one token shared until it nears expiry.

use std::time::Duration;

use calbridge::domain::Locale;
use calbridge::i18n::messages;
use calbridge::providers::graph::{DetailLevel, Tunables};
use calbridge::providers::{AuthProblem, CalendarProvider, ErrorCode, ProviderError};
use calbridge::simulator::{EndpointKind, SettingsPatch};
use futures_util::future::join_all;

use crate::support::provider::*;

#[tokio::test]
async fn every_sign_in_error_is_mapped_with_its_aadsts_code() {
    let sim = start(2).await;
    let unknown_tenant = "11111111-2222-4333-8444-555555555555";
    let unknown_client = "22222222-3333-4444-8555-666666666666";
    let bad_scope =
        Tunables { scope: "https://graph.microsoft.com/Calendars.Read".into(), ..quick() };
    let cases = [
        (
            Credentials { directory: unknown_tenant, ..CONTOSO },
            quick(),
            90002,
            AuthProblem::TenantNotFound,
            "tenant",
        ),
        (
            Credentials { client: unknown_client, ..CONTOSO },
            quick(),
            700016,
            AuthProblem::AppNotFound,
            "consent",
        ),
        (
            Credentials { secret: "7f3a-this-is-the-secret-id", ..CONTOSO },
            quick(),
            7000215,
            AuthProblem::WrongSecret,
            "not its Secret ID",
        ),
        (
            Credentials {
                directory: EXPIRED_TENANT,
                client: EXPIRED_CLIENT,
                secret: EXPIRED_SECRET,
            },
            quick(),
            7000222,
            AuthProblem::SecretExpired,
            "expired",
        ),
        (CONTOSO, bad_scope, 70011, AuthProblem::InvalidScope, "configuration"),
    ];
    for (credentials, tunables, code, problem, words) in cases {
        let provider = provider_with(&sim, &credentials, DetailLevel::FreeBusy, tunables);
        let outcome = provider.read_calendars(&emails(&users(1..=2)), window()).await;
        let error = outcome.result.expect_err("sign-in must fail");
        assert_eq!(error.code(), ErrorCode::AuthFailed, "{error}");
        assert_eq!(error.code().as_str(), "auth_failed");
        assert_eq!(error.aadsts(), Some(code), "{error}");
        assert!(
            matches!(error, ProviderError::Auth { problem: p, .. } if p == problem),
            "{error:?}"
        );
        let english = messages(Locale::En).explain(error.reason());
        let text = format!("{} {}", english.problem, english.fix);
        assert!(text.contains(words), "{code}: {text}");
        assert_ne!(messages(Locale::Da).explain(error.reason()).fix, english.fix);
        assert_eq!(outcome.stats.token_requests, 1, "sign-in errors are not retried");
        assert_eq!(outcome.stats.http_requests, 1, "no Graph request without a token");
    }
    assert_eq!(sim.counters().total(EndpointKind::Batch), 0);
    sim.stop().await;
}

#[tokio::test]
async fn the_directory_may_be_a_verified_domain() {
    let sim = start(1).await;
    let provider = provider_with(
        &sim,
        &Credentials { directory: DOMAIN, ..CONTOSO },
        DetailLevel::FreeBusy,
        quick(),
    );
    let answers = answers(provider.read_calendars(&emails(&users(1..=1)), window()).await);
    assert!(answers[0].result.is_ok());
    sim.stop().await;
}

#[tokio::test]
async fn one_token_serves_many_calls_until_it_nears_expiry() {
    let sim = start(3).await;
    // Tokens live 60 s; refreshing 59 s early leaves one second of reuse.
    let tunables = Tunables { token_refresh_margin: Duration::from_secs(59), ..quick() };
    let provider = provider_with(&sim, &CONTOSO, DetailLevel::FreeBusy, tunables);
    sim.apply_settings(&SettingsPatch { token_lifetime_secs: Some(60), ..Default::default() });
    let mailboxes = emails(&users(1..=3));

    let first = provider.read_calendars(&mailboxes, window()).await;
    assert_eq!(first.stats.token_requests, 1);
    let concurrent = join_all((0..8).map(|_| provider.read_calendars(&mailboxes, window()))).await;
    for outcome in &concurrent {
        assert!(outcome.result.is_ok());
        assert_eq!(outcome.stats.token_requests, 0, "the cached token is reused");
    }
    assert_eq!(sim.counters().tokens_issued, 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Several callers find the token stale at once; only one of them asks for a new one.
    let renewed = join_all((0..8).map(|_| provider.read_calendars(&mailboxes, window()))).await;
    assert!(renewed.iter().all(|o| o.result.is_ok()));
    assert_eq!(renewed.iter().map(|o| o.stats.token_requests).sum::<u32>(), 1);
    let counters = sim.counters();
    assert_eq!(counters.token_requests, 2);
    assert_eq!(counters.tokens_issued, 2);
    sim.stop().await;
}

#[tokio::test]
async fn token_endpoint_outage_is_retried_then_reported() {
    let sim = start(1).await;
    sim.add_fault(fault(
        calbridge::simulator::FaultEndpoint::Token,
        None,
        calbridge::simulator::FaultKind::TokenEndpointDown,
        Some(1),
    ));
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let outcome = provider.read_calendars(&emails(&users(1..=1)), window()).await;
    assert!(outcome.result.is_ok(), "one 503 from the token endpoint is retried");
    assert_eq!(outcome.stats.token_requests, 2);
    assert_eq!(outcome.stats.retries, 1);

    sim.add_fault(fault(
        calbridge::simulator::FaultEndpoint::Token,
        None,
        calbridge::simulator::FaultKind::TokenEndpointDown,
        None,
    ));
    let fresh = provider_with(&sim, &CONTOSO, DetailLevel::FreeBusy, quick());
    let outcome = fresh.read_calendars(&emails(&users(1..=1)), window()).await;
    let error = outcome.result.expect_err("token endpoint stays down");
    assert_eq!(error.code(), ErrorCode::UpstreamUnavailable, "{error}");
    assert_eq!(outcome.stats.token_requests, 4, "first try and three retries");
    sim.stop().await;
}

#[tokio::test]
async fn a_token_graph_refuses_is_replaced_once_then_reported() {
    let sim = start(3).await;
    let proxy = CountingProxy::start(sim.base_url()).await;
    let settings = calbridge::providers::graph::GraphSettings::new(
        TENANT,
        CLIENT,
        secrecy::SecretString::from(SECRET),
        DetailLevel::Full,
    )
    .with_base_url(&proxy.base_url)
    .with_tunables(quick());
    let provider = calbridge::providers::graph::GraphProvider::new(settings).unwrap();
    let mailboxes = emails(&users(1..=3));

    proxy.spoil_tokens(1);
    let outcome = provider.read_calendars(&mailboxes, window()).await;
    assert_eq!(outcome.stats.token_requests, 2, "a new token after the 401");
    assert!(answers(outcome).iter().all(|a| a.result.is_ok()));

    proxy.spoil_tokens(usize::MAX);
    let outcome = provider.read_calendars(&mailboxes, window()).await;
    assert_eq!(outcome.stats.token_requests, 1, "the cached token, then one replacement");
    let error = outcome.result.expect_err("Graph refuses every token");
    assert_eq!(error.code(), ErrorCode::AuthFailed, "{error}");
    assert!(
        matches!(error, ProviderError::Auth { problem: AuthProblem::TokenRejected, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("InvalidAuthenticationToken"), "{error}");
    tokio::time::timeout(Duration::from_secs(5), proxy.stop()).await.ok();
    sim.stop().await;
}
