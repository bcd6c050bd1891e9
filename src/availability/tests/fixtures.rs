//! Small builders that keep the test tables readable.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::availability::{AvailabilityRules, ShowAsRule};
use crate::domain::calendar::{CalendarItem, ShowAs};

/// The day most unit cases happen on.
pub const DAY: &str = "2026-05-04";

/// `"09:30"` or `"09:30:01"` on [`DAY`] (UTC), or a full RFC 3339 instant.
pub fn t(text: &str) -> DateTime<Utc> {
    if text.contains('T') {
        return DateTime::parse_from_rfc3339(text).expect("test instant").with_timezone(&Utc);
    }
    let format = if text.len() > 5 { "%H:%M:%S" } else { "%H:%M" };
    let time = NaiveTime::parse_from_str(text, format).expect("test time");
    let day = NaiveDate::parse_from_str(DAY, "%Y-%m-%d").expect("test day");
    day.and_time(time).and_utc()
}

/// A non-private item whose subject and location name its show-as and times, so tests can tell
/// items apart by subject.
pub fn item(show_as: ShowAs, from: &str, to: &str) -> CalendarItem {
    CalendarItem {
        start: t(from),
        end: t(to),
        show_as,
        subject: Some(format!("{} {from}-{to}", show_as.as_str())),
        location: Some(format!("Room {from}")),
        private: false,
        all_day: false,
    }
}

pub fn busy(from: &str, to: &str) -> CalendarItem {
    item(ShowAs::Busy, from, to)
}

/// Marks an item private but keeps its subject and location, as a careless provider might.
pub fn private(mut item: CalendarItem) -> CalendarItem {
    item.private = true;
    item
}

pub fn all_day(mut item: CalendarItem) -> CalendarItem {
    item.all_day = true;
    item
}

pub fn with_subject(mut item: CalendarItem, subject: &str) -> CalendarItem {
    item.subject = Some(subject.to_owned());
    item
}

/// Every show-as value a calendar can carry.
pub const ALL_SHOW_AS: [ShowAs; 6] = [
    ShowAs::Free,
    ShowAs::Tentative,
    ShowAs::Busy,
    ShowAs::Oof,
    ShowAs::WorkingElsewhere,
    ShowAs::Unknown,
];

/// Default rules with one show-as rule replaced.
pub fn rules_with(show_as: ShowAs, rule: ShowAsRule) -> AvailabilityRules {
    let mut rules = AvailabilityRules::default();
    match show_as {
        ShowAs::Free => rules.free = rule,
        ShowAs::Tentative => rules.tentative = rule,
        ShowAs::Busy => rules.busy = rule,
        ShowAs::Oof => rules.oof = rule,
        ShowAs::WorkingElsewhere => rules.working_elsewhere = rule,
        ShowAs::Unknown => {}
    }
    rules
}

/// Every show-as value shown and making unavailable.
pub fn all_unavailable() -> AvailabilityRules {
    AvailabilityRules {
        free: ShowAsRule::UNAVAILABLE,
        tentative: ShowAsRule::UNAVAILABLE,
        busy: ShowAsRule::UNAVAILABLE,
        oof: ShowAsRule::UNAVAILABLE,
        working_elsewhere: ShowAsRule::UNAVAILABLE,
        ..AvailabilityRules::default()
    }
}

/// Every show-as value shown, none making unavailable except busy.
pub fn all_shown() -> AvailabilityRules {
    AvailabilityRules {
        free: ShowAsRule::SHOWN,
        tentative: ShowAsRule::SHOWN,
        busy: ShowAsRule::UNAVAILABLE,
        oof: ShowAsRule::SHOWN,
        working_elsewhere: ShowAsRule::SHOWN,
        ..AvailabilityRules::default()
    }
}
