//! Free/busy through getSchedule: 20 mailboxes per request, 20 requests per batch.

use calbridge::domain::calendar::ShowAs;
use calbridge::providers::graph::DetailLevel;
use calbridge::providers::{AccessScope, CalendarProvider, ErrorCode, ProviderError};
use calbridge::simulator::EndpointKind;

use crate::support::provider::*;

#[tokio::test]
async fn forty_mailboxes_one_unknown_in_one_request() {
    let sim = start(40).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let mut addresses = users(1..=39);
    addresses.insert(17, "nobody@contoso.dk".into());
    let outcome = provider.read_calendars(&emails(&addresses), window()).await;
    assert_eq!(outcome.stats.http_requests, 2, "one token request and one batch");
    assert_eq!(outcome.stats.sub_requests, 2, "two getSchedule requests of 20");
    let answers = answers(outcome);
    assert_eq!(answers.len(), 40);
    let unknown = answer(&answers, "nobody@contoso.dk").result.as_ref().unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::MailboxNotFound);
    assert!(unknown.to_string().contains("5009"), "{unknown}");
    for n in 1..=39 {
        let items = answer(&answers, &user(n)).result.as_ref().unwrap();
        assert_eq!(items.len(), 1, "{}", user(n));
        assert_eq!(items[0].start, meeting_start(n));
        assert_eq!(items[0].end, meeting_start(n) + chrono::Duration::hours(1));
        assert_eq!(items[0].show_as, ShowAs::Busy);
        assert!(!items[0].private);
        assert_eq!(items[0].subject, None, "free/busy drops subjects");
        assert_eq!(items[0].location, None, "free/busy drops locations");
    }
    assert_eq!(sim.counters().total(EndpointKind::Batch), 1);
    sim.stop().await;
}

#[tokio::test]
async fn an_unknown_mailbox_in_the_path_does_not_sink_its_group() {
    let sim = start(25).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let mut addresses = users(1..=25);
    // The first of each group of 20 goes in the request path.
    addresses.insert(0, "ghost@contoso.dk".into());
    addresses.insert(20, "phantom@contoso.dk".into());
    let answers = answers(provider.read_calendars(&emails(&addresses), window()).await);
    for ghost in ["ghost@contoso.dk", "phantom@contoso.dk"] {
        let error = answer(&answers, ghost).result.as_ref().unwrap_err();
        assert_eq!(error.code(), ErrorCode::MailboxNotFound, "{ghost}: {error}");
    }
    for n in 1..=25 {
        let items = answer(&answers, &user(n)).result.as_ref().unwrap();
        assert_eq!(items[0].start, meeting_start(n));
    }
    sim.stop().await;
}

#[tokio::test]
async fn statuses_privacy_and_cancellations() {
    let sim = start(0).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let answers =
        answers(provider.read_calendars(&emails(&["alex@contoso.dk".into()]), window()).await);
    let items = answers[0].result.as_ref().unwrap();
    let shows: Vec<ShowAs> = items.iter().map(|i| i.show_as).collect();
    // Lunch, the private appointment, two standups, the confidential one, the holiday.
    assert_eq!(items.len(), 6, "{shows:?}");
    assert!(shows.contains(&ShowAs::WorkingElsewhere) && shows.contains(&ShowAs::Oof));
    assert!(shows.contains(&ShowAs::Tentative));
    let private: Vec<_> = items.iter().filter(|i| i.private).collect();
    assert_eq!(private.len(), 2, "the private and the confidential appointment");
    assert!(items.iter().all(|i| i.subject.is_none() && i.location.is_none()));
    let debug = format!("{items:?}");
    for word in [PRIVATE_SUBJECT, PRIVATE_LOCATION, CONFIDENTIAL_SUBJECT, "Lunch", "Called off"] {
        assert!(!debug.contains(word), "{word} leaked: {debug}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn missing_consent_fails_the_whole_tenant() {
    let sim = start(0).await;
    for detail in [DetailLevel::FreeBusy, DetailLevel::Full] {
        let provider = provider_with(&sim, &FABRIKAM, detail, quick());
        let mailboxes = emails(&["megan@fabrikam.dk".into(), "lynne@fabrikam.dk".into()]);
        let outcome = provider.read_calendars(&mailboxes, window()).await;
        let error = outcome.result.expect_err("no permission at all");
        assert_eq!(error.code(), ErrorCode::AccessDenied, "{detail:?}: {error}");
        assert!(
            matches!(error, ProviderError::AccessDenied { scope: AccessScope::Tenant, .. }),
            "{error:?}"
        );
        let fix =
            calbridge::i18n::messages(calbridge::domain::Locale::En).explain(error.reason()).fix;
        assert!(fix.contains("Grant admin consent"), "{fix}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_mailbox_excluded_by_policy_is_denied_alone() {
    let sim = start(3).await;
    for detail in [DetailLevel::FreeBusy, DetailLevel::Full] {
        let provider = provider(&sim, detail);
        // First, so that in free/busy it is the mailbox in the request path.
        let mut addresses = vec!["blocked@contoso.dk".to_string()];
        addresses.extend(users(1..=3));
        let answers = answers(provider.read_calendars(&emails(&addresses), window()).await);
        let error = answer(&answers, "blocked@contoso.dk").result.as_ref().unwrap_err();
        assert!(
            matches!(error, ProviderError::AccessDenied { scope: AccessScope::Mailbox, .. }),
            "{detail:?}: {error:?}"
        );
        assert_eq!(error.code().as_str(), "access_denied");
        for n in 1..=3 {
            assert!(answer(&answers, &user(n)).result.is_ok(), "{detail:?} {}", user(n));
        }
    }
    sim.stop().await;
}

#[tokio::test]
async fn duplicates_are_read_once_and_answered_for_each() {
    let sim = start(2).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let addresses = vec![user(1), user(2), user(1).to_uppercase()];
    let outcome = provider.read_calendars(&emails(&addresses), window()).await;
    assert_eq!(outcome.stats.sub_requests, 1);
    let answers = answers(outcome);
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[2].mailbox.as_str(), user(1).to_uppercase());
    assert_eq!(answers[0].result.as_ref().unwrap(), answers[2].result.as_ref().unwrap());
    let nothing = provider.read_calendars(&[], window()).await;
    assert_eq!(nothing.stats.http_requests, 0);
    assert!(nothing.result.unwrap().is_empty());
    sim.stop().await;
}
