//! Throttling, outages, hangs and garbage: what is retried, how long it waits, when it stops.

use std::time::{Duration, Instant};

use calbridge::providers::graph::{DetailLevel, Tunables};
use calbridge::providers::{CalendarProvider, ErrorCode, ProviderError};
use calbridge::simulator::{EndpointKind, FaultEndpoint, FaultKind, RetryAfter};

use crate::support::provider::*;

async fn timed_read(
    provider: &impl CalendarProvider,
    addresses: &[String],
) -> (calbridge::providers::ReadOutcome, Duration) {
    let mailboxes = emails(addresses);
    let started = Instant::now();
    let outcome = provider.read_calendars(&mailboxes, window()).await;
    (outcome, started.elapsed())
}

/// One throttled answer for `user01`, then success; returns how long the call took.
async fn throttled_once(retry_after: Option<RetryAfter>, detail: DetailLevel) -> Duration {
    let sim = start(3).await;
    let endpoint = match detail {
        DetailLevel::FreeBusy => FaultEndpoint::GetSchedule,
        DetailLevel::Full => FaultEndpoint::CalendarView,
    };
    sim.add_fault(fault(
        endpoint,
        Some(&user(1)),
        FaultKind::TooManyRequests { retry_after },
        Some(1),
    ));
    let provider = provider(&sim, detail);
    let (outcome, elapsed) = timed_read(&provider, &users(1..=3)).await;
    assert_eq!(outcome.stats.throttled_responses, 1);
    assert_eq!(outcome.stats.retries, 1);
    let answers = answers(outcome);
    assert!(answers.iter().all(|a| a.result.is_ok()), "{answers:?}");
    assert_eq!(sim.counters().count(endpoint_kind(detail), "429"), 1);
    sim.stop().await;
    elapsed
}

fn endpoint_kind(detail: DetailLevel) -> EndpointKind {
    match detail {
        DetailLevel::FreeBusy => EndpointKind::GetSchedule,
        DetailLevel::Full => EndpointKind::CalendarView,
    }
}

#[tokio::test]
async fn retry_after_in_whole_seconds_is_honoured() {
    let elapsed = throttled_once(Some(RetryAfter::Seconds(1)), DetailLevel::FreeBusy).await;
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
}

#[tokio::test]
async fn fractional_retry_after_is_honoured() {
    let elapsed =
        throttled_once(Some(RetryAfter::FractionalSeconds(1.25)), DetailLevel::Full).await;
    assert!(elapsed >= Duration::from_millis(1250), "{elapsed:?}");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    // HTTP dates have whole seconds: "two seconds from now" is between one and two away.
    let elapsed =
        throttled_once(Some(RetryAfter::HttpDate { http_date_in_secs: 2 }), DetailLevel::Full)
            .await;
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
}

#[tokio::test]
async fn without_retry_after_the_backoff_base_applies() {
    // The tests' base is 20 ms, production's 3 s.
    let elapsed = throttled_once(None, DetailLevel::FreeBusy).await;
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}

#[tokio::test]
async fn unavailable_and_gateway_timeouts_are_retried() {
    let sim = start(3).await;
    sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        Some(&user(1)),
        FaultKind::ServiceUnavailable { retry_after: None },
        Some(1),
    ));
    sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        Some(&user(2)),
        FaultKind::GatewayTimeout,
        Some(2),
    ));
    // A proxy's HTML page in a 503 arrives base64-encoded inside the batch.
    sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        Some(&user(3)),
        FaultKind::NonJson { status: Some(503) },
        Some(1),
    ));
    let provider = provider(&sim, DetailLevel::Full);
    let (outcome, _) = timed_read(&provider, &users(1..=3)).await;
    assert_eq!(outcome.stats.retries, 4);
    assert_eq!(outcome.stats.throttled_responses, 0);
    assert!(answers(outcome).iter().all(|a| a.result.is_ok()));
    sim.stop().await;
}

#[tokio::test]
async fn a_throttled_envelope_is_retried_whole() {
    let sim = start(3).await;
    sim.add_fault(fault(
        FaultEndpoint::Batch,
        None,
        FaultKind::TooManyRequests { retry_after: Some(RetryAfter::FractionalSeconds(0.2)) },
        Some(1),
    ));
    let provider = provider(&sim, DetailLevel::Full);
    let (outcome, elapsed) = timed_read(&provider, &users(1..=3)).await;
    assert!(elapsed >= Duration::from_millis(200));
    assert_eq!(outcome.stats.throttled_responses, 1);
    assert!(answers(outcome).iter().all(|a| a.result.is_ok()));
    assert_eq!(sim.counters().total(EndpointKind::Batch), 2);
    sim.stop().await;
}

#[tokio::test]
async fn gives_up_after_three_retries() {
    let sim = start(3).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let rule = sim.add_fault(fault(
        FaultEndpoint::GetSchedule,
        None,
        FaultKind::TooManyRequests { retry_after: None },
        None,
    ));
    let (outcome, _) = timed_read(&provider, &users(1..=3)).await;
    assert_eq!(outcome.stats.retries, 3);
    assert_eq!(outcome.stats.throttled_responses, 4);
    let error = outcome.result.expect_err("every mailbox throttled");
    assert_eq!(error.code(), ErrorCode::Throttled, "{error}");
    assert!(matches!(error, ProviderError::Throttled { retries: 3, .. }));
    assert_eq!(sim.counters().count(EndpointKind::GetSchedule, "429"), 4);
    sim.clear_fault(rule);

    sim.add_fault(fault(
        FaultEndpoint::GetSchedule,
        None,
        FaultKind::ServiceUnavailable { retry_after: None },
        None,
    ));
    let (outcome, _) = timed_read(&provider, &users(1..=3)).await;
    assert_eq!(outcome.stats.retries, 3);
    let error = outcome.result.expect_err("Graph is down");
    assert_eq!(error.code(), ErrorCode::UpstreamUnavailable, "{error}");
    sim.stop().await;
}

#[tokio::test]
async fn one_throttled_mailbox_does_not_fail_the_others() {
    let sim = start(3).await;
    sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        Some(&user(2)),
        FaultKind::TooManyRequests { retry_after: None },
        None,
    ));
    let provider = provider(&sim, DetailLevel::Full);
    let (outcome, _) = timed_read(&provider, &users(1..=3)).await;
    assert_eq!(outcome.stats.retries, 3);
    let answers = answers(outcome);
    assert_eq!(
        answer(&answers, &user(2)).result.as_ref().unwrap_err().code(),
        ErrorCode::Throttled
    );
    assert!(answer(&answers, &user(1)).result.is_ok() && answer(&answers, &user(3)).result.is_ok());
    sim.stop().await;
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_gives_up_at_once() {
    let sim = start(1).await;
    sim.add_fault(fault(
        FaultEndpoint::GetSchedule,
        None,
        FaultKind::TooManyRequests { retry_after: Some(RetryAfter::Seconds(600)) },
        None,
    ));
    let tunables = Tunables { retry_cap: Duration::from_secs(1), ..quick() };
    let provider = provider_with(&sim, &CONTOSO, DetailLevel::FreeBusy, tunables);
    let (outcome, elapsed) = timed_read(&provider, &users(1..=1)).await;
    assert!(elapsed < Duration::from_secs(1));
    assert_eq!(outcome.stats.retries, 0);
    match outcome.result.expect_err("throttled") {
        ProviderError::Throttled { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(600)))
        }
        other => panic!("{other:?}"),
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_hanging_request_times_out_and_is_retried() {
    let sim = start(2).await;
    let tunables = Tunables { request_timeout: Duration::from_millis(300), ..quick() };
    let provider = provider_with(&sim, &CONTOSO, DetailLevel::FreeBusy, tunables.clone());
    sim.add_fault(fault(FaultEndpoint::Batch, None, FaultKind::Hang { secs: Some(30) }, Some(1)));
    let (outcome, elapsed) = timed_read(&provider, &users(1..=2)).await;
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(outcome.stats.retries, 1, "the timed-out batch was sent again");
    assert!(answers(outcome).iter().all(|a| a.result.is_ok()));

    sim.add_fault(fault(FaultEndpoint::Batch, None, FaultKind::Hang { secs: Some(30) }, None));
    let impatient = Tunables { max_retries: 1, ..tunables };
    let provider = provider_with(&sim, &CONTOSO, DetailLevel::FreeBusy, impatient);
    let (outcome, elapsed) = timed_read(&provider, &users(1..=2)).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let error = outcome.result.expect_err("never answered");
    assert_eq!(error.code(), ErrorCode::UpstreamUnavailable);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(std::error::Error::source(&error).is_some(), "the cause is kept for logs");
    sim.stop().await;
}

#[tokio::test]
async fn garbage_and_truncated_bodies_are_malformed() {
    let sim = start(3).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    for kind in [FaultKind::TruncatedJson, FaultKind::NonJson { status: Some(200) }] {
        sim.add_fault(fault(FaultEndpoint::Batch, None, kind.clone(), Some(1)));
        let (outcome, _) = timed_read(&provider, &users(1..=3)).await;
        let error = outcome.result.expect_err("nothing readable");
        assert_eq!(error.code(), ErrorCode::MalformedResponse, "{kind:?}: {error}");
        assert_eq!(error.code().as_str(), "malformed_response");
    }

    let provider = provider_with(&sim, &CONTOSO, DetailLevel::Full, quick());
    sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        Some(&user(2)),
        FaultKind::TruncatedJson,
        Some(1),
    ));
    let (outcome, _) = timed_read(&provider, &users(1..=3)).await;
    let answers = answers(outcome);
    let error = answer(&answers, &user(2)).result.as_ref().unwrap_err();
    assert_eq!(error.code(), ErrorCode::MalformedResponse, "{error}");
    assert!(answer(&answers, &user(1)).result.is_ok() && answer(&answers, &user(3)).result.is_ok());
    sim.stop().await;
}

#[tokio::test]
async fn an_http_date_is_read_against_the_same_clock_as_microsofts() {
    // Time moved an hour (as tests move it, or as a host's clock is corrected): Microsoft's
    // dates and the provider's "now" both come from that clock, so two seconds stay two.
    let clock = calbridge::clock::Clock::system();
    clock.advance(chrono::Duration::hours(1));
    let sim = calbridge::simulator::Simulator::start_with_clock(
        crate::support::scenario::scenario(3),
        "127.0.0.1:0",
        clock.clone(),
    )
    .await
    .unwrap();
    sim.add_fault(fault(
        FaultEndpoint::CalendarView,
        Some(&user(1)),
        FaultKind::TooManyRequests {
            retry_after: Some(RetryAfter::HttpDate { http_date_in_secs: 2 }),
        },
        Some(1),
    ));
    let settings = calbridge::providers::graph::GraphSettings::new(
        CONTOSO.directory,
        CONTOSO.client,
        secrecy::SecretString::from(CONTOSO.secret),
        DetailLevel::Full,
    )
    .with_base_url(sim.base_url())
    .with_tunables(quick())
    .with_clock(clock);
    let provider = calbridge::providers::graph::GraphProvider::new(settings).unwrap();
    let (outcome, elapsed) = timed_read(&provider, &users(1..=3)).await;
    assert_eq!(outcome.stats.retries, 1);
    assert!(answers(outcome).iter().all(|a| a.result.is_ok()), "the retry succeeded");
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    sim.stop().await;
}
