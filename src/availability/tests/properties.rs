//! Properties of `evaluate` and `day_timeline` over generated calendars.
//!
//! Items live on a small grid of minutes around a base instant so that overlaps, touching
//! items, duplicates and empty or inverted items are all common.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Europe::Copenhagen;
use proptest::prelude::*;

use super::fixtures::{ALL_SHOW_AS, t};
use crate::availability::{
    Availability, AvailabilityRules, AvailabilityState, ShowAsRule, day_timeline, evaluate,
    local_day_bounds,
};
use crate::domain::calendar::{CalendarItem, ShowAs};

/// Marks the strings of private items; no output may ever contain it.
const PRIVATE_MARKER: &str = "PRIVATE-";

/// Bases: an ordinary day, and instants just before both of Copenhagen's 2026 DST changes.
const BASES: [&str; 3] = ["2026-05-04T09:00:00Z", "2026-03-29T00:30:00Z", "2026-10-25T00:15:00Z"];

fn base(index: usize) -> DateTime<Utc> {
    t(BASES[index % BASES.len()])
}

fn at_minute(base: DateTime<Utc>, minute: i64) -> DateTime<Utc> {
    base + TimeDelta::minutes(minute)
}

fn show_as() -> impl Strategy<Value = ShowAs> {
    proptest::sample::select(ALL_SHOW_AS.to_vec())
}

fn show_as_rule() -> impl Strategy<Value = ShowAsRule> {
    (any::<bool>(), any::<bool>())
        .prop_map(|(shown, makes_unavailable)| ShowAsRule { shown, makes_unavailable })
}

fn rules() -> impl Strategy<Value = AvailabilityRules> {
    (
        [show_as_rule(), show_as_rule(), show_as_rule(), show_as_rule(), show_as_rule()],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |([free, tentative, busy, oof, working_elsewhere], show_subject, show_location)| {
                AvailabilityRules {
                    free,
                    tentative,
                    busy,
                    oof,
                    working_elsewhere,
                    show_subject,
                    show_location,
                }
            },
        )
}

/// An item as minutes from the base; durations may be zero or negative.
fn item(base: DateTime<Utc>) -> impl Strategy<Value = CalendarItem> {
    (0i64..40, -3i64..15, show_as(), any::<bool>(), 0u8..3, proptest::bool::weighted(0.1)).prop_map(
        move |(start, duration, show_as, private, label, all_day)| {
            // Private items carry their subject and location anyway, to prove they never leak.
            let prefix = if private { PRIVATE_MARKER } else { "public-" };
            CalendarItem {
                start: at_minute(base, start),
                end: at_minute(base, start + duration),
                show_as,
                subject: Some(format!("{prefix}subject-{label}")),
                location: Some(format!("{prefix}location-{label}")),
                private,
                all_day,
            }
        },
    )
}

/// A calendar: base index, rules, items and an instant to evaluate at, on or off the grid.
fn calendar() -> impl Strategy<Value = (usize, AvailabilityRules, Vec<CalendarItem>, DateTime<Utc>)>
{
    (0..BASES.len()).prop_flat_map(|index| {
        let base = base(index);
        (
            Just(index),
            rules(),
            proptest::collection::vec(item(base), 0..12),
            (-5i64..55, proptest::sample::select(vec![0i64, 1, 30, 59])),
        )
            .prop_map(move |(index, rules, items, (minute, second))| {
                (index, rules, items, at_minute(base, minute) + TimeDelta::seconds(second))
            })
    })
}

/// Every instant at which some item starts or ends, sorted, without duplicates.
fn boundaries(items: &[CalendarItem]) -> Vec<DateTime<Utc>> {
    let mut all: Vec<_> = items.iter().flat_map(|item| [item.start, item.end]).collect();
    all.sort();
    all.dedup();
    all
}

// A deliberately naive reading of the product rules, to check the engine against.

fn configured_rule(rules: &AvailabilityRules, show_as: ShowAs) -> Option<ShowAsRule> {
    match show_as {
        ShowAs::Free => Some(rules.free),
        ShowAs::Tentative => Some(rules.tentative),
        ShowAs::Busy => Some(rules.busy),
        ShowAs::Oof => Some(rules.oof),
        ShowAs::WorkingElsewhere => Some(rules.working_elsewhere),
        ShowAs::Unknown => None,
    }
}

fn shown_covering<'a>(
    rules: &'a AvailabilityRules,
    items: &'a [CalendarItem],
    at: DateTime<Utc>,
) -> impl Iterator<Item = (&'a CalendarItem, ShowAsRule)> + 'a {
    items.iter().filter_map(move |item| {
        let rule = configured_rule(rules, item.show_as)?;
        (rule.shown && item.start <= at && at < item.end).then_some((item, rule))
    })
}

fn reference_available(
    rules: &AvailabilityRules,
    items: &[CalendarItem],
    at: DateTime<Utc>,
) -> bool {
    !shown_covering(rules, items, at).any(|(_, rule)| rule.makes_unavailable)
}

fn reference_state(
    rules: &AvailabilityRules,
    items: &[CalendarItem],
    at: DateTime<Utc>,
) -> AvailabilityState {
    let strongest_first = [
        (ShowAs::Oof, AvailabilityState::OutOfOffice),
        (ShowAs::Busy, AvailabilityState::Busy),
        (ShowAs::Tentative, AvailabilityState::Tentative),
        (ShowAs::WorkingElsewhere, AvailabilityState::WorkingElsewhere),
        (ShowAs::Free, AvailabilityState::Free),
    ];
    strongest_first
        .into_iter()
        .find(|(show_as, _)| shown_covering(rules, items, at).any(|(i, _)| i.show_as == *show_as))
        .map_or(AvailabilityState::Free, |(_, state)| state)
}

/// `until` by definition: the first instant after `now` at which availability flips.
fn reference_until(
    rules: &AvailabilityRules,
    items: &[CalendarItem],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let available_now = reference_available(rules, items, now);
    boundaries(items)
        .into_iter()
        .filter(|b| *b > now)
        .find(|b| reference_available(rules, items, *b) != available_now)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_a_naive_reading_of_the_rules((_, rules, items, now) in calendar()) {
        let got = evaluate(&rules, &items, now);
        prop_assert_eq!(got.available, reference_available(&rules, &items, now));
        prop_assert_eq!(got.state, reference_state(&rules, &items, now));
        prop_assert_eq!(got.until, reference_until(&rules, &items, now));
        // An appointment is shown exactly when some shown item covers now.
        let any_shown = shown_covering(&rules, &items, now).next().is_some();
        prop_assert_eq!(got.appointment.is_some(), any_shown);
    }

    #[test]
    fn order_of_items_does_not_matter(
        ((_, rules, items, now), shuffled) in calendar().prop_flat_map(|calendar| {
            let items = calendar.2.clone();
            (Just(calendar), Just(items).prop_shuffle())
        })
    ) {
        prop_assert_eq!(evaluate(&rules, &items, now), evaluate(&rules, &shuffled, now));
    }

    #[test]
    fn a_duplicate_item_changes_nothing(
        (_, rules, items, now) in calendar(),
        pick in any::<proptest::sample::Index>(),
    ) {
        prop_assume!(!items.is_empty());
        let mut with_duplicate = items.clone();
        with_duplicate.push(items[pick.index(items.len())].clone());
        prop_assert_eq!(evaluate(&rules, &items, now), evaluate(&rules, &with_duplicate, now));
    }

    #[test]
    fn splitting_an_item_in_two_touching_halves_keeps_available_and_until(
        (_, rules, items, now) in calendar(),
        pick in any::<proptest::sample::Index>(),
        cut in any::<proptest::sample::Index>(),
    ) {
        prop_assume!(!items.is_empty());
        let index = pick.index(items.len());
        let whole = &items[index];
        let seconds = (whole.end - whole.start).num_seconds();
        prop_assume!(seconds >= 2);
        let at = whole.start + TimeDelta::seconds(1 + cut.index(seconds as usize - 1) as i64);
        let (mut first, mut second) = (whole.clone(), whole.clone());
        first.end = at;
        second.start = at;
        let mut split = items.clone();
        split[index] = first;
        split.push(second);

        let before = evaluate(&rules, &items, now);
        let after = evaluate(&rules, &split, now);
        prop_assert_eq!(before.available, after.available);
        prop_assert_eq!(before.until, after.until);
    }

    #[test]
    fn until_and_next_change_are_strictly_after_now((_, rules, items, now) in calendar()) {
        let got = evaluate(&rules, &items, now);
        if let Some(until) = got.until {
            prop_assert!(until > now);
            prop_assert!(got.next_change_at.is_some_and(|change| change <= until));
        }
        if let Some(change) = got.next_change_at {
            prop_assert!(change > now);
        }
    }

    #[test]
    fn next_change_is_the_first_boundary_that_changes_the_outcome(
        (_, rules, items, now) in calendar()
    ) {
        let got = evaluate(&rules, &items, now);
        let later = boundaries(&items).into_iter().filter(|b| *b > now);
        match got.next_change_at {
            Some(change) => {
                prop_assert!(boundaries(&items).contains(&change));
                for b in later.filter(|b| *b < change) {
                    prop_assert!(evaluate(&rules, &items, b).same_outcome(&got), "changed at {}", b);
                }
                prop_assert!(!evaluate(&rules, &items, change).same_outcome(&got));
            }
            None => {
                for b in later {
                    prop_assert!(evaluate(&rules, &items, b).same_outcome(&got), "changed at {}", b);
                }
            }
        }
    }

    #[test]
    fn output_between_boundaries_equals_output_at_the_earlier_one(
        (_, rules, items, now) in calendar()
    ) {
        let earlier = boundaries(&items).into_iter().rfind(|b| *b <= now);
        let reference_instant = earlier.unwrap_or(now - TimeDelta::days(1));
        prop_assert_eq!(evaluate(&rules, &items, now), evaluate(&rules, &items, reference_instant));
    }

    #[test]
    fn private_subjects_and_locations_never_leak((index, rules, items, now) in calendar()) {
        let json = serde_json::to_string(&evaluate(&rules, &items, now)).expect("serialises");
        prop_assert!(!json.contains(PRIVATE_MARKER), "{}", json);
        let day = base(index).with_timezone(&Copenhagen).date_naive();
        let timeline = day_timeline(&rules, &items, day, Copenhagen);
        let json = serde_json::to_string(&timeline).expect("serialises");
        prop_assert!(!json.contains(PRIVATE_MARKER), "{}", json);
    }

    #[test]
    fn day_timeline_covers_the_day_with_segments_that_each_hold_one_outcome(
        (index, rules, items, probe) in calendar()
    ) {
        let day: NaiveDate = base(index).with_timezone(&Copenhagen).date_naive();
        let (day_start, day_end) = local_day_bounds(day, Copenhagen).expect("bounds");
        let segments = day_timeline(&rules, &items, day, Copenhagen);

        prop_assert_eq!(segments.first().map(|s| s.from), Some(day_start));
        prop_assert_eq!(segments.last().map(|s| s.to), Some(day_end));
        for pair in segments.windows(2) {
            prop_assert_eq!(pair[0].to, pair[1].from);
            prop_assert!(!pair[0].availability.same_outcome(&pair[1].availability));
        }
        for segment in &segments {
            prop_assert!(segment.from < segment.to);
            prop_assert_eq!(&segment.availability, &evaluate(&rules, &items, segment.from));
            // Every item boundary inside the segment, and the probe if it falls inside, says
            // the same as the segment's start.
            let inside = boundaries(&items)
                .into_iter()
                .chain([probe])
                .filter(|b| segment.from < *b && *b < segment.to);
            for instant in inside {
                let here: Availability = evaluate(&rules, &items, instant);
                prop_assert!(here.same_outcome(&segment.availability), "changed at {}", instant);
            }
        }
    }
}
