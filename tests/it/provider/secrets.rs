//! The client secret stays secret: not in errors, not in Debug output, not in logs.

use calbridge::providers::graph::{DetailLevel, GraphProvider, GraphSettings};
use calbridge::providers::{CalendarProvider, ReadOutcome};
use calbridge::simulator::{FaultEndpoint, FaultKind};
use secrecy::SecretString;

use crate::support::provider::*;

fn all_text(outcome: &ReadOutcome) -> String {
    let mut text = format!("{outcome:?}");
    let errors: Vec<&calbridge::providers::ProviderError> = match &outcome.result {
        Err(error) => vec![error],
        Ok(answers) => answers.iter().filter_map(|a| a.result.as_ref().err()).collect(),
    };
    for error in errors {
        text.push_str(&format!("{error} {error:?}"));
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&format!("{cause} {cause:?}"));
            source = cause.source();
        }
    }
    text
}

#[test]
fn the_secret_never_appears_in_errors_debug_output_or_logs() {
    // One subscriber for the whole test process, so no other test's thread can hide the
    // provider's log lines from it; every test's logs are searched for the secret.
    let logs = crate::support::captured_logs();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut seen = String::new();
    {
        runtime.block_on(async {
            let sim = start(3).await;
            let wrong = "Zq8~a-wrong-Secret-Value-0000";
            for (secret, detail) in [
                (SECRET, DetailLevel::Full),
                (wrong, DetailLevel::FreeBusy),
                (SECRET, DetailLevel::FreeBusy),
            ] {
                let settings =
                    GraphSettings::new(TENANT, CLIENT, SecretString::from(secret), detail)
                        .with_base_url(sim.base_url())
                        .with_tunables(quick());
                seen.push_str(&format!("{settings:?}"));
                let provider = GraphProvider::new(settings).unwrap();
                seen.push_str(&format!("{provider:?}"));
                let mut mailboxes = users(1..=3);
                mailboxes.push("alex@contoso.dk".into());
                mailboxes.push("nobody@contoso.dk".into());
                let outcome = provider.read_calendars(&emails(&mailboxes), window()).await;
                seen.push_str(&all_text(&outcome));
                // Failures of every kind, so every error path writes its message.
                sim.add_fault(fault(
                    FaultEndpoint::Token,
                    None,
                    FaultKind::NonJson { status: Some(400) },
                    Some(1),
                ));
                let fresh =
                    provider_with(&sim, &Credentials { secret, ..CONTOSO }, detail, quick());
                seen.push_str(&all_text(
                    &fresh.read_calendars(&emails(&users(1..=1)), window()).await,
                ));
                sim.add_fault(fault(FaultEndpoint::Any, None, FaultKind::TruncatedJson, Some(2)));
                seen.push_str(&all_text(
                    &provider.read_calendars(&emails(&users(1..=2)), window()).await,
                ));
            }
            sim.stop().await;
        });
    }
    let logs = logs.text();
    assert!(logs.contains("calendars read"), "the provider logged: {logs}");
    assert!(seen.contains("sign-in failed"), "a sign-in failure was exercised");
    for secret in [SECRET, "Zq8~a-wrong-Secret-Value-0000"] {
        assert!(!seen.contains(secret), "secret in errors or Debug output: {seen}");
        assert!(!logs.contains(secret), "secret in the logs");
    }
    for subject in ["Lunch with Harry", PRIVATE_SUBJECT, "Meeting 01"] {
        assert!(!logs.contains(subject), "a subject was logged");
    }
}
