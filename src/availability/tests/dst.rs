//! Local days around DST changes, with exact UTC instants.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use chrono_tz::{America::Havana, America::Santiago, Europe::Copenhagen, Pacific::Apia};

use super::fixtures::{busy, t};
use crate::availability::{
    AvailabilityRules, AvailabilityState, TimelineSegment, day_timeline, evaluate, local_day_bounds,
};
use crate::domain::calendar::CalendarItem;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// A local wall-clock time; `second_occurrence` picks the later of two repeated times.
fn local(tz: Tz, text: &str, second_occurrence: bool) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test time");
    let resolved = tz.from_local_datetime(&naive);
    let instant = if second_occurrence { resolved.latest() } else { resolved.earliest() };
    instant.expect("local time exists").with_timezone(&Utc)
}

fn meeting(from: DateTime<Utc>, to: DateTime<Utc>) -> CalendarItem {
    let mut item = busy("09:00", "10:00");
    (item.start, item.end) = (from, to);
    item
}

/// A segment as `(from, to, available, until)`.
type SegmentSummary = (DateTime<Utc>, DateTime<Utc>, bool, Option<DateTime<Utc>>);

fn summary(segments: &[TimelineSegment]) -> Vec<SegmentSummary> {
    segments
        .iter()
        .map(|s| (s.from, s.to, s.availability.available, s.availability.until))
        .collect()
}

fn assert_covers_exactly(segments: &[TimelineSegment], start: DateTime<Utc>, end: DateTime<Utc>) {
    assert_eq!(segments.first().map(|s| s.from), Some(start));
    assert_eq!(segments.last().map(|s| s.to), Some(end));
    for pair in segments.windows(2) {
        assert_eq!(pair[0].to, pair[1].from, "segments must touch");
    }
    for segment in segments {
        assert!(segment.from < segment.to, "segments must not be empty");
    }
}

#[test]
fn spring_forward_day_is_23_hours() {
    let (start, end) = local_day_bounds(date("2026-03-29"), Copenhagen).expect("bounds");
    assert_eq!(start, t("2026-03-28T23:00:00Z"));
    assert_eq!(end, t("2026-03-29T22:00:00Z"));
    assert_eq!(end - start, TimeDelta::hours(23));
    let segments = day_timeline(&AvailabilityRules::default(), &[], date("2026-03-29"), Copenhagen);
    assert_eq!(segments.len(), 1);
    assert_covers_exactly(&segments, start, end);
    assert_eq!(segments[0].availability.state, AvailabilityState::Free);
}

#[test]
fn fall_back_day_is_25_hours() {
    let (start, end) = local_day_bounds(date("2026-10-25"), Copenhagen).expect("bounds");
    assert_eq!(start, t("2026-10-24T22:00:00Z"));
    assert_eq!(end, t("2026-10-25T23:00:00Z"));
    assert_eq!(end - start, TimeDelta::hours(25));
    let segments = day_timeline(&AvailabilityRules::default(), &[], date("2026-10-25"), Copenhagen);
    assert_covers_exactly(&segments, start, end);
}

#[test]
fn ordinary_day_is_24_hours() {
    let (start, end) = local_day_bounds(date("2026-06-15"), Copenhagen).expect("bounds");
    assert_eq!((start, end), (t("2026-06-14T22:00:00Z"), t("2026-06-15T22:00:00Z")));
}

#[test]
fn meeting_in_the_repeated_hour_from_first_0230_to_0330() {
    // 02:30 CEST (00:30Z) to 03:30 CET (02:30Z): two real hours.
    let from = local(Copenhagen, "2026-10-25 02:30", false);
    let to = local(Copenhagen, "2026-10-25 03:30", false);
    assert_eq!((from, to), (t("2026-10-25T00:30:00Z"), t("2026-10-25T02:30:00Z")));
    let items = [meeting(from, to)];
    let rules = AvailabilityRules::default();

    // 02:45 the second time round (CET) is still inside the meeting.
    let second_0245 = local(Copenhagen, "2026-10-25 02:45", true);
    assert_eq!(second_0245, t("2026-10-25T01:45:00Z"));
    let got = evaluate(&rules, &items, second_0245);
    assert!(!got.available);
    assert_eq!(got.until, Some(t("2026-10-25T02:30:00Z")));

    let segments = day_timeline(&rules, &items, date("2026-10-25"), Copenhagen);
    assert_covers_exactly(&segments, t("2026-10-24T22:00:00Z"), t("2026-10-25T23:00:00Z"));
    assert_eq!(
        summary(&segments),
        vec![
            (t("2026-10-24T22:00:00Z"), t("2026-10-25T00:30:00Z"), true, Some(from)),
            (from, to, false, Some(to)),
            (to, t("2026-10-25T23:00:00Z"), true, None),
        ]
    );
}

#[test]
fn meeting_in_the_second_0230_to_0330() {
    // 02:30 CET (01:30Z) to 03:30 CET (02:30Z): one hour, starting after the first 02:45.
    let from = local(Copenhagen, "2026-10-25 02:30", true);
    let to = local(Copenhagen, "2026-10-25 03:30", true);
    assert_eq!((from, to), (t("2026-10-25T01:30:00Z"), t("2026-10-25T02:30:00Z")));
    let items = [meeting(from, to)];
    let rules = AvailabilityRules::default();

    let first_0245 = local(Copenhagen, "2026-10-25 02:45", false);
    let got = evaluate(&rules, &items, first_0245);
    assert!(got.available);
    assert_eq!(got.until, Some(from));
    let got = evaluate(&rules, &items, from);
    assert_eq!(got.until, Some(t("2026-10-25T02:30:00Z")));
}

#[test]
fn meeting_across_the_spring_gap() {
    // 01:30 CET (00:30Z) to 03:30 CEST (01:30Z): one real hour; 02:00-03:00 never happens.
    let from = local(Copenhagen, "2026-03-29 01:30", false);
    let to = local(Copenhagen, "2026-03-29 03:30", false);
    assert_eq!((from, to), (t("2026-03-29T00:30:00Z"), t("2026-03-29T01:30:00Z")));
    assert!(
        Copenhagen
            .from_local_datetime(&date("2026-03-29").and_hms_opt(2, 30, 0).expect("time"))
            .earliest()
            .is_none()
    );
    let items = [meeting(from, to)];
    let rules = AvailabilityRules::default();

    let just_after_gap = local(Copenhagen, "2026-03-29 03:00", false);
    let got = evaluate(&rules, &items, just_after_gap);
    assert!(!got.available);
    assert_eq!(got.until, Some(t("2026-03-29T01:30:00Z")));

    let segments = day_timeline(&rules, &items, date("2026-03-29"), Copenhagen);
    assert_eq!(
        summary(&segments),
        vec![
            (t("2026-03-28T23:00:00Z"), from, true, Some(from)),
            (from, to, false, Some(to)),
            (to, t("2026-03-29T22:00:00Z"), true, None),
        ]
    );
}

#[test]
fn items_beyond_the_day_are_clipped_but_keep_their_until() {
    // A meeting from 23:00 local to 01:00 local the next day.
    let from = local(Copenhagen, "2026-06-15 23:00", false);
    let to = local(Copenhagen, "2026-06-16 01:00", false);
    let items = [meeting(from, to)];
    let segments =
        day_timeline(&AvailabilityRules::default(), &items, date("2026-06-15"), Copenhagen);
    let last = segments.last().expect("segments");
    assert_eq!((last.from, last.to), (from, t("2026-06-15T22:00:00Z")));
    assert_eq!(last.availability.until, Some(to));
}

#[test]
fn back_to_back_meetings_are_one_segment_only_if_the_appointment_stays() {
    let items = [busy("09:00", "10:00"), busy("10:00", "11:00")];
    let segments =
        day_timeline(&AvailabilityRules::default(), &items, date("2026-05-04"), Copenhagen);
    // Free, first meeting, second meeting, free: the appointment changes at 10:00.
    assert_eq!(segments.len(), 4);
    assert_eq!(segments[1].availability.until, Some(t("11:00")));
    assert_eq!(segments[2].availability.until, Some(t("11:00")));
}

#[test]
fn midnight_in_a_gap_starts_the_day_when_the_gap_ends() {
    // Chile springs forward from 24:00 to 01:00: local midnight does not exist on that day.
    let day = date("2026-09-06");
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    assert!(Santiago.from_local_datetime(&midnight).earliest().is_none(), "tz data changed?");
    let (start, _) = local_day_bounds(day, Santiago).expect("bounds");
    let one_am = Santiago.from_local_datetime(&day.and_hms_opt(1, 0, 0).expect("1am"));
    assert_eq!(Some(start), one_am.earliest().map(|t| t.with_timezone(&Utc)));
    let (_, previous_end) = local_day_bounds(date("2026-09-05"), Santiago).expect("bounds");
    assert_eq!(previous_end, start);
}

#[test]
fn a_skipped_day_has_no_segments() {
    // Samoa skipped 30 December 2011 when it moved across the date line.
    assert_eq!(local_day_bounds(date("2011-12-30"), Apia), None);
    assert!(day_timeline(&AvailabilityRules::default(), &[], date("2011-12-30"), Apia).is_empty());
    let (start, end) = local_day_bounds(date("2011-12-29"), Apia).expect("bounds");
    assert_eq!(end - start, TimeDelta::hours(24));
}

#[test]
fn unrepresentable_days_do_not_panic() {
    for day in [NaiveDate::MIN, NaiveDate::MAX] {
        for tz in [Copenhagen, Santiago, Apia, chrono_tz::UTC] {
            let _ = day_timeline(&AvailabilityRules::default(), &[busy("09:00", "10:00")], day, tz);
        }
    }
}

#[test]
fn repeated_midnight_starts_the_day_at_the_first_one() {
    // Cuba falls back from 01:00 to 00:00, so midnight happens twice on that day.
    let day = date("2026-11-01");
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    let resolved = Havana.from_local_datetime(&midnight);
    assert_ne!(resolved.earliest(), resolved.latest(), "tz data changed?");
    let (start, end) = local_day_bounds(day, Havana).expect("bounds");
    assert_eq!(start, t("2026-11-01T04:00:00Z"));
    assert_eq!(end - start, TimeDelta::hours(25));
}
