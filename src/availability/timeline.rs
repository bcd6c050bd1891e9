//! A local day as consecutive segments of constant availability, for the rules preview page.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::engine::evaluate;
use super::output::Availability;
use super::rules::AvailabilityRules;
use crate::domain::calendar::CalendarItem;

/// A stretch of time `[from, to)` over which the availability does not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineSegment {
    /// Start of the segment (inclusive).
    pub from: DateTime<Utc>,
    /// End of the segment (exclusive).
    pub to: DateTime<Utc>,
    /// The engine's result at `from`; it holds unchanged until `to`.
    pub availability: Availability,
}

/// The ordered segments covering the local calendar day `date` in `time_zone` exactly: from the
/// day's first instant to the next day's first instant (23 or 25 hours on DST change days).
/// Consecutive segments differ in what the receptionist sees ([`Availability::same_outcome`]).
///
/// Each segment is the engine's own result at its start, and ends where that result says the
/// outcome next changes, so the preview can never disagree with the switchboard.
///
/// Returns no segments for a day the time zone skips entirely or that lies outside what chrono
/// can represent.
pub fn day_timeline(
    rules: &AvailabilityRules,
    items: &[CalendarItem],
    date: NaiveDate,
    time_zone: Tz,
) -> Vec<TimelineSegment> {
    let Some((day_start, day_end)) = local_day_bounds(date, time_zone) else {
        return Vec::new();
    };

    let mut segments = Vec::new();
    let mut from = day_start;
    while from < day_end {
        let availability = evaluate(rules, items, from);
        let to = match availability.next_change_at {
            // `next_change_at` is strictly after `from`, so the loop always advances.
            Some(change) if change > from => change.min(day_end),
            _ => day_end,
        };
        segments.push(TimelineSegment { from, to, availability });
        from = to;
    }
    segments
}

/// The UTC instants at which the local day `date` starts and the next one starts, or `None` if
/// the day is skipped or out of range.
pub fn local_day_bounds(date: NaiveDate, time_zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = first_instant_of_local_day(date, time_zone)?;
    let end = first_instant_of_local_day(date.succ_opt()?, time_zone)?;
    (start < end).then_some((start, end))
}

/// The first instant whose local time is at or after midnight of `date`: midnight itself, the
/// earlier of two midnights when it repeats, or the end of a DST gap that swallows midnight.
fn first_instant_of_local_day(date: NaiveDate, time_zone: Tz) -> Option<DateTime<Utc>> {
    let midnight = date.and_time(NaiveTime::MIN);
    // Gaps are whole minutes long and at most a day (Samoa skipped 2011-12-30), so stepping
    // a minute at a time finds the end of any gap without needing the zone's transition data.
    const MINUTES_PER_DAY: i64 = 24 * 60;
    (0..=MINUTES_PER_DAY).find_map(|minute| {
        let local = midnight.checked_add_signed(TimeDelta::minutes(minute))?;
        time_zone.from_local_datetime(&local).earliest().map(|instant| instant.with_timezone(&Utc))
    })
}
