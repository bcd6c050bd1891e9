//! Full detail through calendarView: paging, recurrences, privacy, shuffled batches.

use calbridge::domain::calendar::ShowAs;
use calbridge::providers::graph::{DetailLevel, Tunables};
use calbridge::providers::{CalendarProvider, ErrorCode};
use calbridge::simulator::{EndpointKind, SettingsPatch};
use chrono::{TimeZone, Utc};

use crate::support::provider::*;

#[tokio::test]
async fn forty_mailboxes_one_unknown_answered_in_shuffled_batches() {
    let sim = start(40).await;
    let provider = provider(&sim, DetailLevel::Full);
    let mut addresses = users(1..=39);
    addresses.insert(5, "nobody@contoso.dk".into());
    let outcome = provider.read_calendars(&emails(&addresses), window()).await;
    assert_eq!(outcome.stats.sub_requests, 40);
    assert_eq!(outcome.stats.http_requests, 3, "a token request and two batches of 20");
    let answers = answers(outcome);
    let unknown = answer(&answers, "nobody@contoso.dk").result.as_ref().unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::MailboxNotFound);
    assert!(unknown.to_string().contains("ErrorInvalidUser"), "{unknown}");
    // The simulator shuffles every batch's answers; matching them by position would give
    // mailboxes each other's meetings.
    for n in 1..=39 {
        let items = answer(&answers, &user(n)).result.as_ref().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].subject.as_deref(), Some(format!("Meeting {n:02}").as_str()));
        assert_eq!(items[0].location.as_deref(), Some(format!("Room {n:02}").as_str()));
        assert_eq!(items[0].start, meeting_start(n));
    }
    sim.stop().await;
}

#[tokio::test]
async fn batches_in_request_order_are_read_the_same() {
    let sim = start(20).await;
    sim.apply_settings(&SettingsPatch {
        batch_order: Some(calbridge::simulator::BatchOrder::InOrder),
        ..Default::default()
    });
    let provider = provider(&sim, DetailLevel::Full);
    let answers = answers(provider.read_calendars(&emails(&users(1..=20)), window()).await);
    for n in 1..=20 {
        let items = answer(&answers, &user(n)).result.as_ref().unwrap();
        assert_eq!(items[0].subject.as_deref(), Some(format!("Meeting {n:02}").as_str()));
    }
    sim.stop().await;
}

#[tokio::test]
async fn private_items_lose_subject_and_location_and_cancelled_ones_vanish() {
    let sim = start(0).await;
    let provider = provider(&sim, DetailLevel::Full);
    let answers =
        answers(provider.read_calendars(&emails(&["alex@contoso.dk".into()]), window()).await);
    let items = answers[0].result.as_ref().unwrap();
    assert_eq!(items.len(), 6, "{items:?}");
    let lunch = items.iter().find(|i| i.subject.as_deref() == Some("Lunch with Harry")).unwrap();
    assert_eq!(lunch.location.as_deref(), Some("Harry's Bar"));
    assert_eq!(lunch.show_as, ShowAs::Busy);
    assert!(!lunch.private);
    let private: Vec<_> = items.iter().filter(|i| i.private).collect();
    assert_eq!(private.len(), 2);
    assert!(private.iter().all(|i| i.subject.is_none() && i.location.is_none()));
    assert!(private.iter().any(|i| i.show_as == ShowAs::Tentative), "confidential keeps show-as");
    let debug = format!("{items:?}");
    for word in
        [PRIVATE_SUBJECT, PRIVATE_LOCATION, CONFIDENTIAL_SUBJECT, "Board room", "Called off"]
    {
        assert!(!debug.contains(word), "{word} leaked");
    }
    let holiday = items.iter().find(|i| i.show_as == ShowAs::Oof).unwrap();
    assert!(holiday.all_day);
    // Midnight in Copenhagen, where Alex lives, is 23:00 UTC the day before.
    assert_eq!(holiday.start, Utc.with_ymd_and_hms(2030, 3, 15, 23, 0, 0).unwrap());
    sim.stop().await;
}

#[tokio::test]
async fn recurring_events_are_expanded() {
    let sim = start(0).await;
    for detail in [DetailLevel::Full, DetailLevel::FreeBusy] {
        let provider = provider(&sim, detail);
        let answers =
            answers(provider.read_calendars(&emails(&["alex@contoso.dk".into()]), window()).await);
        let standups: Vec<_> = answers[0]
            .result
            .as_ref()
            .unwrap()
            .iter()
            .filter(|i| i.show_as == ShowAs::WorkingElsewhere)
            .map(|i| i.start)
            .collect();
        assert_eq!(
            standups,
            vec![
                Utc.with_ymd_and_hms(2030, 3, 15, 9, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2030, 3, 16, 9, 0, 0).unwrap()
            ],
            "{detail:?}"
        );
    }
    sim.stop().await;
}

#[tokio::test]
async fn pages_are_followed_to_the_end() {
    let sim = start(2).await;
    let tunables = Tunables { page_size: 10, ..quick() };
    let provider = provider_with(&sim, &CONTOSO, DetailLevel::Full, tunables);
    let mut addresses = users(1..=2);
    addresses.push("packed@contoso.dk".into());
    let outcome = provider.read_calendars(&emails(&addresses), window()).await;
    // 25 events in pages of 10: three pages, the later two in batches of their own.
    assert_eq!(outcome.stats.sub_requests, 5);
    let answers = answers(outcome);
    let packed = answer(&answers, "packed@contoso.dk").result.as_ref().unwrap();
    let subjects: Vec<String> = packed.iter().map(|i| i.subject.clone().unwrap()).collect();
    let expected: Vec<String> = (0..25).map(|n| format!("Slot {n}")).collect();
    assert_eq!(subjects, expected);
    assert_eq!(sim.counters().count(EndpointKind::CalendarView, "200"), 5);
    sim.stop().await;
}
