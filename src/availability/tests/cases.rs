//! Table-driven unit cases for `evaluate`, plus the cases that need a closer look at one field.

use super::fixtures::*;
use crate::availability::{
    AvailabilityRules, AvailabilityState, Explanation, ShowAsRule, evaluate,
};
use crate::domain::calendar::{CalendarItem, ShowAs};

/// What a case expects; times as accepted by [`t`].
struct Expect {
    available: bool,
    state: AvailabilityState,
    until: Option<&'static str>,
    next_change_at: Option<&'static str>,
    /// Start and end of the visible appointment.
    appointment: Option<(&'static str, &'static str)>,
    /// The explanation's `reason` tag.
    reason: &'static str,
}

struct Case {
    name: &'static str,
    rules: AvailabilityRules,
    items: Vec<CalendarItem>,
    now: &'static str,
    expect: Expect,
}

fn available(
    state: AvailabilityState,
    until: Option<&'static str>,
    next_change_at: Option<&'static str>,
    appointment: Option<(&'static str, &'static str)>,
    reason: &'static str,
) -> Expect {
    Expect { available: true, state, until, next_change_at, appointment, reason }
}

fn unavailable(
    state: AvailabilityState,
    until: &'static str,
    next_change_at: &'static str,
    appointment: (&'static str, &'static str),
    reason: &'static str,
) -> Expect {
    Expect {
        available: false,
        state,
        until: Some(until),
        next_change_at: Some(next_change_at),
        appointment: Some(appointment),
        reason,
    }
}

const NOTHING: &str = "no_shown_item_covers_now";
const MAKES_UNAVAILABLE: &str = "shown_item_makes_unavailable";
const KEEPS_AVAILABLE: &str = "shown_item_keeps_available";
const OVERLAP_UNAVAILABLE: &str = "overlapping_item_makes_unavailable";

fn cases() -> Vec<Case> {
    use AvailabilityState::*;
    let defaults = AvailabilityRules::default();
    let tentative_unavailable = rules_with(ShowAs::Tentative, ShowAsRule::UNAVAILABLE);
    let oof_shown = rules_with(ShowAs::Oof, ShowAsRule::SHOWN);
    let oof_unavailable = rules_with(ShowAs::Oof, ShowAsRule::UNAVAILABLE);
    let hidden_but_unavailable =
        rules_with(ShowAs::Tentative, ShowAsRule { shown: false, makes_unavailable: true });
    let busy_shown_only = rules_with(ShowAs::Busy, ShowAsRule::SHOWN);

    vec![
        Case {
            name: "empty list",
            rules: defaults,
            items: vec![],
            now: "09:00",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "defaults: busy is shown and makes unavailable",
            rules: defaults,
            items: vec![busy("09:00", "10:00")],
            now: "09:30",
            expect: unavailable(Busy, "10:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "defaults: tentative is ignored",
            rules: defaults,
            items: vec![item(ShowAs::Tentative, "09:00", "10:00")],
            now: "09:30",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "defaults: oof is ignored",
            rules: defaults,
            items: vec![item(ShowAs::Oof, "09:00", "10:00")],
            now: "09:30",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "defaults: free and working elsewhere are ignored",
            rules: defaults,
            items: vec![
                item(ShowAs::Free, "09:00", "10:00"),
                item(ShowAs::WorkingElsewhere, "08:00", "12:00"),
            ],
            now: "09:30",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "defaults: ignored items do not hide the next busy block",
            rules: defaults,
            items: vec![item(ShowAs::Tentative, "09:00", "10:00"), busy("11:00", "12:00")],
            now: "09:30",
            expect: available(Free, Some("11:00"), Some("11:00"), None, NOTHING),
        },
        Case {
            name: "custom: tentative makes unavailable",
            rules: tentative_unavailable,
            items: vec![item(ShowAs::Tentative, "09:00", "10:00")],
            now: "09:30",
            expect: unavailable(Tentative, "10:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "custom: oof shown but not unavailable",
            rules: oof_shown,
            items: vec![item(ShowAs::Oof, "09:00", "17:00")],
            now: "09:30",
            expect: available(
                OutOfOffice,
                None,
                Some("17:00"),
                Some(("09:00", "17:00")),
                KEEPS_AVAILABLE,
            ),
        },
        Case {
            name: "custom: oof shown but not unavailable, busy meeting during it",
            rules: oof_shown,
            items: vec![item(ShowAs::Oof, "08:00", "17:00"), busy("09:00", "10:00")],
            now: "09:30",
            expect: unavailable(
                OutOfOffice,
                "10:00",
                "10:00",
                ("08:00", "17:00"),
                OVERLAP_UNAVAILABLE,
            ),
        },
        Case {
            name: "custom: oof shown, available until the busy meeting inside it",
            rules: oof_shown,
            items: vec![item(ShowAs::Oof, "08:00", "17:00"), busy("09:00", "10:00")],
            now: "08:30",
            expect: available(
                OutOfOffice,
                Some("09:00"),
                Some("09:00"),
                Some(("08:00", "17:00")),
                KEEPS_AVAILABLE,
            ),
        },
        Case {
            name: "custom: busy shown but not unavailable",
            rules: busy_shown_only,
            items: vec![busy("09:00", "10:00")],
            now: "09:30",
            expect: available(Busy, None, Some("10:00"), Some(("09:00", "10:00")), KEEPS_AVAILABLE),
        },
        Case {
            name: "makes unavailable but not shown is normalised to ignored",
            rules: hidden_but_unavailable,
            items: vec![item(ShowAs::Tentative, "09:00", "10:00"), busy("11:00", "12:00")],
            now: "09:30",
            expect: available(Free, Some("11:00"), Some("11:00"), None, NOTHING),
        },
        Case {
            name: "strongest wins: busy over tentative",
            rules: tentative_unavailable,
            items: vec![item(ShowAs::Tentative, "09:00", "11:00"), busy("09:30", "10:00")],
            now: "09:45",
            expect: unavailable(Busy, "11:00", "10:00", ("09:30", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "strongest wins: oof over busy",
            rules: oof_unavailable,
            items: vec![busy("09:00", "10:00"), item(ShowAs::Oof, "09:30", "12:00")],
            now: "09:45",
            expect: unavailable(
                OutOfOffice,
                "12:00",
                "12:00",
                ("09:30", "12:00"),
                MAKES_UNAVAILABLE,
            ),
        },
        Case {
            name: "strongest wins: working elsewhere over free",
            rules: all_shown(),
            items: vec![
                item(ShowAs::Free, "09:00", "10:00"),
                item(ShowAs::WorkingElsewhere, "09:15", "09:45"),
            ],
            now: "09:30",
            expect: available(
                WorkingElsewhere,
                None,
                Some("09:45"),
                Some(("09:15", "09:45")),
                KEEPS_AVAILABLE,
            ),
        },
        Case {
            name: "strongest wins: tentative over working elsewhere",
            rules: all_shown(),
            items: vec![
                item(ShowAs::WorkingElsewhere, "08:00", "16:00"),
                item(ShowAs::Tentative, "09:00", "10:00"),
            ],
            now: "09:30",
            expect: available(
                Tentative,
                None,
                Some("10:00"),
                Some(("09:00", "10:00")),
                KEEPS_AVAILABLE,
            ),
        },
        Case {
            name: "a stronger item starting later is the next change",
            rules: all_shown(),
            items: vec![
                item(ShowAs::Free, "09:00", "12:00"),
                item(ShowAs::Tentative, "10:00", "11:00"),
            ],
            now: "09:30",
            expect: available(Free, None, Some("10:00"), Some(("09:00", "12:00")), KEEPS_AVAILABLE),
        },
        Case {
            name: "a weaker item starting later is not a change",
            rules: all_shown(),
            items: vec![
                item(ShowAs::Tentative, "09:00", "12:00"),
                item(ShowAs::Free, "10:00", "11:00"),
            ],
            now: "09:30",
            expect: available(
                Tentative,
                None,
                Some("12:00"),
                Some(("09:00", "12:00")),
                KEEPS_AVAILABLE,
            ),
        },
        Case {
            name: "same strength: earliest start wins",
            rules: defaults,
            items: vec![busy("09:30", "10:30"), busy("09:00", "10:00")],
            now: "09:45",
            expect: unavailable(Busy, "10:30", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "same strength and start: latest end wins",
            rules: defaults,
            items: vec![busy("09:00", "09:30"), busy("09:00", "10:00")],
            now: "09:15",
            expect: unavailable(Busy, "10:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "back-to-back meetings merge into one until",
            rules: defaults,
            items: vec![busy("10:00", "10:30"), busy("09:00", "10:00")],
            now: "09:15",
            expect: unavailable(Busy, "10:30", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "overlapping meetings merge into one until",
            rules: defaults,
            items: vec![busy("09:00", "10:00"), busy("09:30", "11:00")],
            now: "09:15",
            expect: unavailable(Busy, "11:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "a chain of three, one of them tentative, merges",
            rules: tentative_unavailable,
            items: vec![
                busy("09:00", "10:00"),
                item(ShowAs::Tentative, "10:00", "11:00"),
                busy("10:30", "12:00"),
                busy("12:00", "12:15"),
                busy("13:00", "14:00"),
            ],
            now: "09:15",
            expect: unavailable(Busy, "12:15", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "a meeting inside a longer one does not shorten the block",
            rules: defaults,
            items: vec![busy("09:00", "12:00"), busy("10:00", "10:30")],
            now: "10:15",
            expect: unavailable(Busy, "12:00", "12:00", ("09:00", "12:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "earlier meetings that already ended belong to the block but do not matter",
            rules: defaults,
            items: vec![busy("08:00", "09:00"), busy("09:00", "10:00"), busy("10:00", "11:00")],
            now: "09:30",
            expect: unavailable(Busy, "11:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "a gap of one second does not merge",
            rules: defaults,
            items: vec![busy("09:00", "10:00"), busy("10:00:01", "11:00")],
            now: "09:15",
            expect: unavailable(Busy, "10:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "inside a one-second gap: available until the next meeting",
            rules: defaults,
            items: vec![busy("09:00", "10:00"), busy("10:00:01", "11:00")],
            now: "10:00",
            expect: available(Free, Some("10:00:01"), Some("10:00:01"), None, NOTHING),
        },
        Case {
            name: "an item ending exactly now no longer counts",
            rules: defaults,
            items: vec![busy("08:00", "09:00")],
            now: "09:00",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "an item starting exactly now counts",
            rules: defaults,
            items: vec![busy("09:00", "10:00")],
            now: "09:00",
            expect: unavailable(Busy, "10:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "one second before an item starts: available until it",
            rules: defaults,
            items: vec![busy("09:00", "10:00")],
            now: "08:59:59",
            expect: available(Free, Some("09:00"), Some("09:00"), None, NOTHING),
        },
        Case {
            name: "zero-length item is ignored",
            rules: defaults,
            items: vec![busy("09:00", "09:00"), busy("11:00", "11:00")],
            now: "09:00",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "negative-length item is ignored",
            rules: defaults,
            items: vec![busy("10:00", "09:00"), busy("12:00", "11:00")],
            now: "09:30",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "zero-length item does not bridge a gap",
            rules: defaults,
            items: vec![busy("09:00", "10:00"), busy("10:00", "10:00"), busy("10:01", "11:00")],
            now: "09:30",
            expect: unavailable(Busy, "10:00", "10:00", ("09:00", "10:00"), MAKES_UNAVAILABLE),
        },
        Case {
            name: "all-day oof counts like any oof item",
            rules: oof_unavailable,
            items: vec![
                all_day(item(ShowAs::Oof, "2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z")),
                busy("09:00", "10:00"),
            ],
            now: "09:30",
            expect: unavailable(
                OutOfOffice,
                "2026-05-05T00:00:00Z",
                "2026-05-05T00:00:00Z",
                ("2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z"),
                MAKES_UNAVAILABLE,
            ),
        },
        Case {
            name: "all-day oof is ignored by default",
            rules: defaults,
            items: vec![all_day(item(ShowAs::Oof, "2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z"))],
            now: "09:30",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "all-day busy counts by default",
            rules: defaults,
            items: vec![all_day(busy("2026-05-04T00:00:00Z", "2026-05-06T00:00:00Z"))],
            now: "23:59",
            expect: unavailable(
                Busy,
                "2026-05-06T00:00:00Z",
                "2026-05-06T00:00:00Z",
                ("2026-05-04T00:00:00Z", "2026-05-06T00:00:00Z"),
                MAKES_UNAVAILABLE,
            ),
        },
        Case {
            name: "unknown show-as is never shown",
            rules: all_unavailable(),
            items: vec![
                item(ShowAs::Unknown, "09:00", "10:00"),
                item(ShowAs::Unknown, "11:00", "12:00"),
            ],
            now: "09:30",
            expect: available(Free, None, None, None, NOTHING),
        },
        Case {
            name: "available: until is the start of the next unavailable block",
            rules: defaults,
            items: vec![busy("13:00", "14:00"), busy("12:00", "13:00"), busy("08:00", "09:00")],
            now: "10:00",
            expect: available(Free, Some("12:00"), Some("12:00"), None, NOTHING),
        },
        Case {
            name: "available inside a shown item: until is the next unavailable block",
            rules: all_shown(),
            items: vec![item(ShowAs::Tentative, "09:00", "12:00"), busy("11:00", "13:00")],
            now: "10:00",
            expect: available(
                Tentative,
                Some("11:00"),
                Some("11:00"),
                Some(("09:00", "12:00")),
                KEEPS_AVAILABLE,
            ),
        },
    ]
}

fn reason(explanation: &Explanation) -> String {
    let json = serde_json::to_value(explanation).expect("explanation serialises");
    json["reason"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn table() {
    let mut failures = Vec::new();
    for case in cases() {
        let got = evaluate(&case.rules, &case.items, t(case.now));
        let want = &case.expect;
        let mut check = |what: &str, ok: bool, detail: String| {
            if !ok {
                failures.push(format!("{}: {what}: {detail}", case.name));
            }
        };
        check("available", got.available == want.available, format!("{}", got.available));
        check("state", got.state == want.state, format!("{:?}", got.state));
        check("until", got.until == want.until.map(t), format!("{:?}", got.until));
        check(
            "next_change_at",
            got.next_change_at == want.next_change_at.map(t),
            format!("{:?}", got.next_change_at),
        );
        let span = got.appointment.as_ref().map(|a| (a.start, a.end));
        check(
            "appointment",
            span == want.appointment.map(|(from, to)| (t(from), t(to))),
            format!("{span:?}"),
        );
        let got_reason = reason(&got.explanation);
        check("reason", got_reason == want.reason, got_reason.clone());
    }
    assert!(failures.is_empty(), "failing cases:\n{}", failures.join("\n"));
}

#[test]
fn every_case_gives_the_same_result_in_reverse_order() {
    for case in cases() {
        let mut reversed = case.items.clone();
        reversed.reverse();
        assert_eq!(
            evaluate(&case.rules, &case.items, t(case.now)),
            evaluate(&case.rules, &reversed, t(case.now)),
            "{}",
            case.name
        );
    }
}

#[test]
fn visible_appointment_carries_subject_location_and_show_as() {
    let items = [busy("09:00", "10:00")];
    let got = evaluate(&AvailabilityRules::default(), &items, t("09:30"));
    let appointment = got.appointment.expect("appointment");
    assert_eq!(appointment.subject.as_deref(), Some("busy 09:00-10:00"));
    assert_eq!(appointment.location.as_deref(), Some("Room 09:00"));
    assert_eq!(appointment.show_as, ShowAs::Busy);
    assert!(!appointment.private);
    assert!(!appointment.all_day);
}

#[test]
fn private_item_shows_only_private_appointment_even_if_input_carries_subject() {
    let items = [private(with_subject(busy("09:00", "10:00"), "Divorce lawyer"))];
    let got = evaluate(&AvailabilityRules::default(), &items, t("09:30"));
    assert!(!got.available);
    let appointment = got.appointment.clone().expect("appointment");
    assert!(appointment.private);
    assert_eq!(appointment.subject, None);
    assert_eq!(appointment.location, None);
    let json = serde_json::to_string(&got).expect("serialises");
    assert!(!json.contains("Divorce"), "{json}");
    assert!(!json.contains("Room"), "{json}");
}

#[test]
fn private_item_built_by_the_domain_constructor_has_nothing_to_leak() {
    let item = CalendarItem::new(
        t("09:00"),
        t("10:00"),
        ShowAs::Busy,
        Some("Secret".into()),
        Some("Secret place".into()),
        true,
        false,
    );
    let got = evaluate(&AvailabilityRules::default(), &[item], t("09:30"));
    let appointment = got.appointment.expect("appointment");
    assert!(appointment.private && appointment.subject.is_none() && appointment.location.is_none());
}

#[test]
fn private_subject_does_not_decide_ties() {
    // Same times, both private: whatever the hidden subjects, the receptionist sees the same.
    let a = private(with_subject(busy("09:00", "10:00"), "Alpha"));
    let b = private(with_subject(busy("09:00", "10:00"), "Beta"));
    let rules = AvailabilityRules::default();
    let ab = evaluate(&rules, &[a.clone(), b.clone()], t("09:30"));
    let ba = evaluate(&rules, &[b, a], t("09:30"));
    assert_eq!(ab, ba);
    assert_eq!(ab.appointment.and_then(|a| a.subject), None);
}

#[test]
fn same_times_different_subjects_pick_the_same_one_in_any_order() {
    let a = with_subject(busy("09:00", "10:00"), "Alpha");
    let b = with_subject(busy("09:00", "10:00"), "Beta");
    let rules = AvailabilityRules::default();
    let ab = evaluate(&rules, &[a.clone(), b.clone()], t("09:30"));
    let ba = evaluate(&rules, &[b, a], t("09:30"));
    assert_eq!(ab, ba);
    assert_eq!(ab.appointment.and_then(|a| a.subject).as_deref(), Some("Alpha"));
}

#[test]
fn non_private_wins_a_tie_with_an_identical_private_item() {
    let public = busy("09:00", "10:00");
    let hidden = private(busy("09:00", "10:00"));
    let got = evaluate(&AvailabilityRules::default(), &[hidden, public], t("09:30"));
    assert!(!got.appointment.expect("appointment").private);
}

#[test]
fn subject_switch_hides_subject_only() {
    let rules = AvailabilityRules { show_subject: false, ..AvailabilityRules::default() };
    let got = evaluate(&rules, &[busy("09:00", "10:00")], t("09:30"));
    let appointment = got.appointment.expect("appointment");
    assert_eq!(appointment.subject, None);
    assert_eq!(appointment.location.as_deref(), Some("Room 09:00"));
    assert!(!appointment.private);
}

#[test]
fn location_switch_hides_location_only() {
    let rules = AvailabilityRules { show_location: false, ..AvailabilityRules::default() };
    let got = evaluate(&rules, &[busy("09:00", "10:00")], t("09:30"));
    let appointment = got.appointment.expect("appointment");
    assert_eq!(appointment.subject.as_deref(), Some("busy 09:00-10:00"));
    assert_eq!(appointment.location, None);
}

#[test]
fn explanation_names_item_and_rule_as_data() {
    let items = [private(busy("09:00", "10:00"))];
    let got = evaluate(&AvailabilityRules::default(), &items, t("09:30"));
    let json = serde_json::to_value(&got.explanation).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({
            "reason": "shown_item_makes_unavailable",
            "item": {
                "start": "2026-05-04T09:00:00Z",
                "end": "2026-05-04T10:00:00Z",
                "show_as": "busy",
                "private": true,
                "all_day": false,
            },
            "rule": { "show_as": "busy", "shown": true, "makes_unavailable": true },
        })
    );
}

#[test]
fn states_serialise_as_the_switchboard_expects() {
    use AvailabilityState::*;
    let names: Vec<String> = [Free, Busy, Tentative, OutOfOffice, WorkingElsewhere, Unknown]
        .iter()
        .map(|state| serde_json::to_string(state).expect("serialises"))
        .collect();
    assert_eq!(
        names,
        [
            "\"free\"",
            "\"busy\"",
            "\"tentative\"",
            "\"out_of_office\"",
            "\"working_elsewhere\"",
            "\"unknown\""
        ]
    );
}

#[test]
fn unknown_is_for_callers_without_data() {
    let unknown = crate::availability::Availability::unknown();
    assert_eq!(unknown.state, AvailabilityState::Unknown);
    assert_eq!(unknown.explanation, Explanation::NoCalendarData);
    // The engine itself never says unknown, whatever it is given.
    for show_as in ALL_SHOW_AS {
        let got = evaluate(&all_unavailable(), &[item(show_as, "09:00", "10:00")], t("09:30"));
        assert_ne!(got.state, AvailabilityState::Unknown, "{show_as:?}");
    }
}

#[test]
fn availability_round_trips_through_json() {
    let items = [busy("09:00", "10:00"), busy("10:00", "11:00")];
    let got = evaluate(&AvailabilityRules::default(), &items, t("09:30"));
    let json = serde_json::to_string(&got).expect("serialises");
    let back: crate::availability::Availability = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, got);
}

#[test]
fn extreme_instants_do_not_panic() {
    use chrono::{DateTime, Utc};
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let mut first = busy("09:00", "10:00");
    first.start = min;
    let mut last = busy("09:00", "10:00");
    last.end = max;
    let mut inverted = busy("09:00", "10:00");
    (inverted.start, inverted.end) = (max, min);
    let items = [first, last, inverted];
    for now in [min, max, t("09:30")] {
        let got = evaluate(&all_unavailable(), &items, now);
        if let Some(until) = got.until {
            assert!(until > now);
        }
    }
}

#[test]
fn a_huge_list_is_evaluated_without_trouble() {
    // 200,000 overlapping and touching items in scrambled order: one long block.
    let base = t("00:00");
    let count: i64 = 200_000;
    let items: Vec<CalendarItem> = (0..count)
        .map(|i| {
            let slot = (i * 7_919) % count; // a permutation, since 7,919 is prime
            let mut item = busy("09:00", "10:00");
            item.start = base + chrono::TimeDelta::minutes(slot);
            item.end = item.start + chrono::TimeDelta::minutes(1 + slot % 3);
            item
        })
        .collect();
    let got = evaluate(&AvailabilityRules::default(), &items, base);
    assert!(!got.available);
    let last = base + chrono::TimeDelta::minutes(count - 1);
    let expected_until = last + chrono::TimeDelta::minutes(1 + (count - 1) % 3);
    assert_eq!(got.until, Some(expected_until));
}
