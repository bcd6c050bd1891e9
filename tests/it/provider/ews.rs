//! The EWS provider against the simulator's Exchange on-premises organisations: both detail
//! levels, both authentication schemes, TLS with an internal CA, and every error the
//! provider types.

use std::time::Duration;

use calbridge::domain::calendar::ShowAs;
use calbridge::domain::provider::{DetailLevel, EwsAuth};
use calbridge::domain::{Email, FailureReason};
use calbridge::providers::ews::{EwsProvider, Scheme};
use calbridge::providers::{CalendarProvider, MailboxCalendar, ProviderError};
use calbridge::simulator::{FaultEndpoint, FaultKind, FaultSpec};
use chrono::{DateTime, Utc};

use crate::support::ews::*;

fn emails(addresses: &[&str]) -> Vec<Email> {
    addresses.iter().map(|a| Email::parse(a).unwrap()).collect()
}

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

async fn read(provider: &EwsProvider, addresses: &[&str]) -> Vec<MailboxCalendar> {
    match provider.read_calendars(&emails(addresses), window()).await.result {
        Ok(answers) => answers,
        Err(error) => panic!("whole read failed: {error}"),
    }
}

fn reason(answer: &MailboxCalendar) -> FailureReason {
    answer.result.as_ref().expect_err("an error").reason()
}

fn fault(kind: FaultKind, endpoint: FaultEndpoint, count: Option<u32>) -> FaultSpec {
    FaultSpec { endpoint, tenant: None, mailbox: None, kind, count }
}

#[tokio::test]
async fn free_busy_over_ntlm_reads_times_and_never_subjects() {
    let sim = start().await;
    let provider = provider(&sim, &FJORDBY, DetailLevel::FreeBusy);
    let outcome = provider
        .read_calendars(
            &emails(&["anna@fjordby.dk", "bo@fjordby.dk", "carl@fjordby.dk", "nobody@fjordby.dk"]),
            window(),
        )
        .await;
    // Sign-in discovery (one unauthenticated probe, then NTLM's two legs) and one request
    // for all four mailboxes.
    assert_eq!(outcome.stats.http_requests, 3, "{:?}", outcome.stats);
    let answers = outcome.result.unwrap();
    assert_eq!(provider.scheme(), Some(Scheme::Ntlm));
    let anna = answers[0].result.as_ref().unwrap();
    let starts: Vec<_> = anna.iter().map(|i| (i.start, i.show_as)).collect();
    assert_eq!(
        starts,
        [
            // The daily stand-up at 08:00 Copenhagen time, expanded: 07:00 UTC on both days.
            (at("2030-03-15T07:00:00Z"), ShowAs::Busy),
            (at("2030-03-15T09:00:00Z"), ShowAs::Busy),
            (at("2030-03-15T12:00:00Z"), ShowAs::Busy),
            (at("2030-03-15T14:00:00Z"), ShowAs::Busy),
            (at("2030-03-16T07:00:00Z"), ShowAs::Busy),
            (at("2030-03-16T11:00:00Z"), ShowAs::Tentative),
        ],
        "the cancelled meeting is left out"
    );
    assert!(anna.iter().all(|i| i.subject.is_none() && i.location.is_none()));
    assert_eq!(answers[1].result.as_ref().unwrap().len(), 1, "free/busy access suffices");
    assert_eq!(reason(&answers[2]), FailureReason::ReviewerMissing);
    assert_eq!(reason(&answers[3]), FailureReason::MailboxNotFound);
    // Signed in once: the next read goes straight through on the same connection.
    let again = provider.read_calendars(&emails(&["anna@fjordby.dk"]), window()).await;
    assert_eq!(again.stats.http_requests, 1);
    sim.stop().await;
}

#[tokio::test]
async fn full_detail_reads_subjects_but_drops_private_ones() {
    let sim = start().await;
    let provider = provider(&sim, &FJORDBY, DetailLevel::Full);
    let answers = read(
        &provider,
        &["anna@fjordby.dk", "bo@fjordby.dk", "carl@fjordby.dk", "nobody@fjordby.dk"],
    )
    .await;
    let anna = answers[0].result.as_ref().unwrap();
    let subjects: Vec<_> = anna.iter().map(|i| i.subject.as_deref()).collect();
    assert_eq!(anna.len(), 6, "{anna:?}");
    assert_eq!(subjects.iter().filter(|s| **s == Some("Morgenmøde")).count(), 2);
    let meeting = anna.iter().find(|i| i.subject.as_deref() == Some("Borgermøde")).unwrap();
    assert_eq!(meeting.location.as_deref(), Some("Byrådssalen"));
    assert_eq!(
        (meeting.start, meeting.end),
        (at("2030-03-15T09:00:00Z"), at("2030-03-15T10:00:00Z"))
    );
    let private: Vec<_> = anna.iter().filter(|i| i.private).collect();
    assert_eq!(private.len(), 2, "private and confidential");
    assert!(private.iter().all(|i| i.subject.is_none() && i.location.is_none()));
    let debug = format!("{answers:?}");
    for secret in ["Oncology", "Rigshospitalet", "Merger", "Board room"] {
        assert!(!debug.contains(secret), "{secret} left the provider");
    }
    assert!(anna.iter().any(|i| i.show_as == ShowAs::Tentative));
    assert!(!subjects.contains(&Some("Aflyst møde")), "cancelled meetings are left out");
    assert_eq!(reason(&answers[1]), FailureReason::ReviewerMissing, "free/busy is not Reviewer");
    assert_eq!(reason(&answers[2]), FailureReason::ReviewerMissing);
    assert_eq!(reason(&answers[3]), FailureReason::MailboxNotFound);
    sim.stop().await;
}

#[tokio::test]
async fn calendars_longer_than_a_page_are_read_to_the_end() {
    let sim = start().await;
    for n in 0..23 {
        let spec = calbridge::simulator::EventSpec {
            subject: format!("Slot {n}"),
            start: Some(
                (at("2030-03-15T06:00:00Z") + chrono::Duration::minutes(30 * n))
                    .to_rfc3339()
                    .as_str()
                    .into(),
            ),
            duration: Some("20m".into()),
            ..Default::default()
        };
        sim.add_event("anna@fjordby.dk", &spec).unwrap();
    }
    let mut settings = settings(&sim, &FJORDBY, DetailLevel::Full);
    settings.tunables.page_size = 5;
    let provider = EwsProvider::new(settings).unwrap();
    let outcome = provider.read_calendars(&emails(&["anna@fjordby.dk"]), window()).await;
    let items = outcome.result.unwrap().remove(0).result.unwrap();
    let mut slots: Vec<_> =
        items.iter().filter_map(|i| i.subject.clone()).filter(|s| s.starts_with("Slot")).collect();
    slots.sort();
    slots.dedup();
    assert_eq!(slots.len(), 23);
    assert_eq!(items.len(), 29, "23 slots and the 6 other appointments, none twice");
    assert!(outcome.stats.http_requests >= 6, "{:?}", outcome.stats);
    sim.stop().await;
}

#[tokio::test]
async fn basic_authentication_and_the_scheme_choice() {
    let havnen = start_basic_only().await;
    let basic = provider(&havnen, &HAVNEN, DetailLevel::Full);
    let answers = read(&basic, &["dorte@havnen.dk"]).await;
    assert_eq!(answers[0].result.as_ref().unwrap()[0].subject.as_deref(), Some("Revision"));
    assert_eq!(basic.scheme(), Some(Scheme::Basic), "discovered: the server offers Basic only");
    // NTLM chosen where the server only offers Basic.
    let ntlm = Login { auth: EwsAuth::Ntlm, ..HAVNEN };
    let error = provider_error(&havnen, &ntlm).await;
    assert_eq!(error.reason(), FailureReason::AuthSchemeUnsupported, "{error}");
    havnen.stop().await;
    // Basic chosen where the server offers both.
    let sim = start().await;
    let chosen = Login { auth: EwsAuth::Basic, ..FJORDBY };
    let provider = provider(&sim, &chosen, DetailLevel::FreeBusy);
    read(&provider, &["anna@fjordby.dk"]).await;
    assert_eq!(provider.scheme(), Some(Scheme::Basic));
    sim.stop().await;
}

async fn provider_error(
    sim: &calbridge::simulator::SimulatorHandle,
    login: &Login<'_>,
) -> ProviderError {
    let provider = provider(sim, login, DetailLevel::FreeBusy);
    match provider.read_calendars(&emails(&["anna@fjordby.dk"]), window()).await.result {
        Ok(answers) => panic!("read went through: {answers:?}"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn a_wrong_password_is_named_for_both_schemes() {
    let sim = start().await;
    for auth in [EwsAuth::Ntlm, EwsAuth::Basic, EwsAuth::Auto] {
        let login = Login { password: "Kalender-2025!", auth, ..FJORDBY };
        let error = provider_error(&sim, &login).await;
        assert_eq!(error.reason(), FailureReason::WrongPassword, "{auth}: {error}");
        assert!(!format!("{error:?}").contains("Kalender-2025"), "the password is never shown");
    }
    let unknown = Login { username: "FJORDBY\\nobody", ..FJORDBY };
    assert_eq!(provider_error(&sim, &unknown).await.reason(), FailureReason::WrongPassword);
    sim.stop().await;
}

#[tokio::test]
async fn certificates_are_verified_against_the_tenants_own_ca() {
    let sim = start().await;
    let mut untrusted = settings(&sim, &FJORDBY, DetailLevel::FreeBusy);
    untrusted.ca_pem = None;
    let provider = EwsProvider::new(untrusted).unwrap();
    let error = provider.sign_in().await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::TlsUntrusted, "{error}");
    // Another CA is no better than none.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let mut wrong = settings(&sim, &FJORDBY, DetailLevel::FreeBusy);
    wrong.ca_pem = Some(other.cert.pem());
    let error = EwsProvider::new(wrong).unwrap().sign_in().await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::TlsUntrusted, "{error}");
    let grant = provider_with_ca(&sim).sign_in().await.unwrap();
    assert_eq!(grant.method.as_deref(), Some("NTLM"));
    sim.stop().await;
}

fn provider_with_ca(sim: &calbridge::simulator::SimulatorHandle) -> EwsProvider {
    provider(sim, &FJORDBY, DetailLevel::FreeBusy)
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let sim = start().await;
    let mut settings = settings(&sim, &FJORDBY, DetailLevel::FreeBusy);
    settings.allow_private = false;
    let error = EwsProvider::new(settings).unwrap_err();
    assert_eq!(error.reason(), FailureReason::PrivateAddress);
    sim.stop().await;
}

#[tokio::test]
async fn server_busy_is_waited_out_and_then_reported_as_throttling() {
    let sim = start().await;
    let provider = provider(&sim, &FJORDBY, DetailLevel::FreeBusy);
    read(&provider, &["anna@fjordby.dk"]).await;
    sim.add_fault(fault(
        FaultKind::EwsServerBusy { back_off_ms: Some(50) },
        FaultEndpoint::EwsAvailability,
        Some(1),
    ));
    let outcome = provider.read_calendars(&emails(&["anna@fjordby.dk"]), window()).await;
    assert_eq!(outcome.stats.retries, 1);
    assert!(outcome.result.unwrap()[0].result.is_ok());
    sim.add_fault(fault(
        FaultKind::EwsServerBusy { back_off_ms: Some(10) },
        FaultEndpoint::EwsAvailability,
        None,
    ));
    let outcome = provider.read_calendars(&emails(&["anna@fjordby.dk"]), window()).await;
    let answers = outcome.result.unwrap();
    assert_eq!(reason(&answers[0]), FailureReason::Throttled);
    assert_eq!(outcome.stats.retries, 3);
    sim.stop().await;
}

#[tokio::test]
async fn faults_hangs_and_garbage_become_typed_errors() {
    let sim = start().await;
    let mut quick_settings = settings(&sim, &FJORDBY, DetailLevel::Full);
    quick_settings.tunables.request_timeout = Duration::from_secs(1);
    let provider = EwsProvider::new(quick_settings).unwrap();
    read(&provider, &["anna@fjordby.dk"]).await;
    let cases = [
        (
            FaultKind::SoapFault { code: Some("ErrorInternalServerError".into()), message: None },
            FailureReason::UpstreamUnavailable,
        ),
        (FaultKind::TruncatedXml, FailureReason::MalformedResponse),
        (FaultKind::Hang { secs: Some(30) }, FailureReason::UpstreamUnavailable),
    ];
    for (kind, expected) in cases {
        sim.clear_faults();
        sim.add_fault(fault(kind.clone(), FaultEndpoint::EwsFindItem, None));
        let answers = read(&provider, &["anna@fjordby.dk"]).await;
        assert_eq!(reason(&answers[0]), expected, "{kind:?}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_hundred_mailboxes_per_free_busy_request() {
    let sim = start_basic_only().await;
    let addresses: Vec<String> = (0..150).map(|n| format!("nobody{n}@havnen.dk")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let provider = provider(&sim, &HAVNEN, DetailLevel::FreeBusy);
    let outcome = provider.read_calendars(&emails(&refs), window()).await;
    // Basic: one probe to learn the scheme, then two requests of 100 and 50.
    assert_eq!(outcome.stats.http_requests, 3, "{:?}", outcome.stats);
    let answers = outcome.result.unwrap();
    assert_eq!(answers.len(), 150);
    assert!(answers.iter().all(|a| reason(a) == FailureReason::MailboxNotFound));
    sim.stop().await;
}

#[tokio::test]
async fn unknown_hosts_and_closed_ports_are_named() {
    let sim = start().await;
    let mut unknown = settings(&sim, &FJORDBY, DetailLevel::FreeBusy);
    unknown.url = "https://exchange.no-such-host.invalid/EWS/Exchange.asmx".into();
    let error = EwsProvider::new(unknown).unwrap().sign_in().await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::HostNotFound, "{error}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut refused = settings(&sim, &FJORDBY, DetailLevel::FreeBusy);
    refused.url = format!("https://127.0.0.1:{closed}/EWS/Exchange.asmx");
    let error = EwsProvider::new(refused).unwrap().sign_in().await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::ConnectFailed, "{error}");
    // An address that answers, but not as EWS.
    let mut wrong_path = settings(&sim, &FJORDBY, DetailLevel::FreeBusy);
    wrong_path.url = sim.ews_url().replace("/EWS/Exchange.asmx", "/owa/");
    let error = EwsProvider::new(wrong_path).unwrap().sign_in().await.unwrap_err();
    assert_eq!(error.reason(), FailureReason::NotEws, "{error}");
    sim.stop().await;
}
