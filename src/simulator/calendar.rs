//! One mailbox's calendar: stored events, indexed so a time-window query touches only the
//! events near the window, and recurring series expanded on demand.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::calendar::ShowAs;
use crate::domain::timezone::local_to_utc;

/// `sensitivity` as Graph spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    #[default]
    Normal,
    Personal,
    Private,
    Confidential,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Normal => "normal",
            Sensitivity::Personal => "personal",
            Sensitivity::Private => "private",
            Sensitivity::Confidential => "confidential",
        }
    }

    /// Free/busy hides details of private items; confidential items are treated alike so a
    /// client cannot learn more from getSchedule than the owner marked shareable.
    pub fn hides_details(self) -> bool {
        matches!(self, Sensitivity::Private | Sensitivity::Confidential)
    }
}

/// `showAs` / `status` as Graph writes it (camelCase, unlike the domain's snake_case).
pub fn graph_show_as(show_as: ShowAs) -> &'static str {
    match show_as {
        ShowAs::Free => "free",
        ShowAs::Tentative => "tentative",
        ShowAs::Busy => "busy",
        ShowAs::Oof => "oof",
        ShowAs::WorkingElsewhere => "workingElsewhere",
        ShowAs::Unknown => "unknown",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    Daily,
    Weekly,
}

/// A daily or weekly recurrence, evaluated in the mailbox's time zone so that a 09:00 meeting
/// stays at 09:00 local time across DST changes, as in Outlook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub pattern: Pattern,
    pub interval: u32,
    pub days_of_week: Vec<Weekday>,
    pub first_day_of_week: Weekday,
    /// Last local date on which an occurrence may start (inclusive).
    pub until: Option<NaiveDate>,
    pub count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: String,
    pub subject: String,
    pub location: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub show_as: ShowAs,
    pub sensitivity: Sensitivity,
    pub is_all_day: bool,
    pub is_cancelled: bool,
    pub recurrence: Option<Recurrence>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub change_key: String,
    pub ical_uid: String,
}

/// One appearance of an event in a time window: a single event, or one occurrence of a series.
#[derive(Debug, Clone)]
pub struct Instance {
    pub event: Arc<StoredEvent>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Set for occurrences of a series; the series master's id is `event.id`.
    pub occurrence_id: Option<String>,
}

impl Instance {
    pub fn id(&self) -> &str {
        self.occurrence_id.as_deref().unwrap_or(&self.event.id)
    }

    pub fn is_occurrence(&self) -> bool {
        self.occurrence_id.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("an event with id {0:?} already exists in this mailbox")]
    DuplicateId(String),
    #[error("no event with id {0:?} in this mailbox")]
    NotFound(String),
}

#[derive(Debug)]
pub struct Calendar {
    tz: Tz,
    events: HashMap<String, Arc<StoredEvent>>,
    singles: BTreeSet<(DateTime<Utc>, String)>,
    series: BTreeSet<String>,
    /// Longest single event ever stored; bounds how far before a window a query must look.
    longest_single: Duration,
}

impl Calendar {
    pub fn new(tz: Tz) -> Self {
        Calendar {
            tz,
            events: HashMap::new(),
            singles: BTreeSet::new(),
            series: BTreeSet::new(),
            longest_single: Duration::zero(),
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<Arc<StoredEvent>> {
        self.events.get(id).cloned()
    }

    pub fn insert(&mut self, event: StoredEvent) -> Result<Arc<StoredEvent>, CalendarError> {
        if self.events.contains_key(&event.id) {
            return Err(CalendarError::DuplicateId(event.id));
        }
        if event.recurrence.is_some() {
            self.series.insert(event.id.clone());
        } else {
            self.longest_single = self.longest_single.max(event.end - event.start);
            self.singles.insert((event.start, event.id.clone()));
        }
        let event = Arc::new(event);
        self.events.insert(event.id.clone(), Arc::clone(&event));
        Ok(event)
    }

    pub fn remove(&mut self, id: &str) -> Result<Arc<StoredEvent>, CalendarError> {
        let event = self.events.remove(id).ok_or_else(|| CalendarError::NotFound(id.into()))?;
        if event.recurrence.is_some() {
            self.series.remove(id);
        } else {
            self.singles.remove(&(event.start, event.id.clone()));
        }
        Ok(event)
    }

    /// Replaces a stored event with a new version under the same id.
    pub fn replace(&mut self, event: StoredEvent) -> Result<Arc<StoredEvent>, CalendarError> {
        self.remove(&event.id)?;
        self.insert(event)
    }

    /// All stored events (series masters, not occurrences), ordered by start.
    pub fn list(&self) -> Vec<Arc<StoredEvent>> {
        let mut all: Vec<_> = self.events.values().cloned().collect();
        all.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        all
    }

    /// Everything that overlaps `[window_start, window_end)`, ordered by start then id.
    pub fn instances(
        &self,
        window_start: DateTime<Utc>,
        window_end: DateTime<Utc>,
    ) -> Vec<Instance> {
        let mut found = Vec::new();
        let earliest = (window_start - self.longest_single, String::new());
        for (start, id) in self.singles.range(earliest..) {
            if *start >= window_end {
                break;
            }
            let event = &self.events[id];
            if overlaps(event.start, event.end, window_start, window_end) {
                found.push(Instance {
                    event: Arc::clone(event),
                    start: event.start,
                    end: event.end,
                    occurrence_id: None,
                });
            }
        }
        for id in &self.series {
            let event = &self.events[id];
            if let Some(recurrence) = &event.recurrence {
                for (start, end) in
                    expand(event.start, event.end, recurrence, self.tz, window_start, window_end)
                {
                    found.push(Instance {
                        event: Arc::clone(event),
                        start,
                        end,
                        occurrence_id: Some(occurrence_id(&event.id, start)),
                    });
                }
            }
        }
        found.sort_by(|a, b| (a.start, a.id()).cmp(&(b.start, b.id())));
        found
    }
}

fn occurrence_id(master_id: &str, start: DateTime<Utc>) -> String {
    format!("{master_id}_{}", start.format("%Y%m%dT%H%M%SZ"))
}

/// Graph's calendarView includes an event when it overlaps the window; an instant event
/// counts when it lies inside the window.
fn overlaps(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> bool {
    if start == end {
        start >= window_start && start < window_end
    } else {
        start < window_end && end > window_start
    }
}

/// The occurrences of a series that overlap the window, as (start, end) instants.
///
/// Only the dates near the window are visited: the occurrence index of the first candidate
/// is computed arithmetically, so a series that started years ago costs no more than a new one.
pub fn expand(
    master_start: DateTime<Utc>,
    master_end: DateTime<Utc>,
    recurrence: &Recurrence,
    tz: Tz,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let duration = master_end - master_start;
    let local_start = master_start.with_timezone(&tz).naive_local();
    let first_date = local_start.date();
    let time = local_start.time();
    // A day of slack on both sides covers any UTC offset; overlap is checked exactly below.
    let from = (window_start - duration).with_timezone(&tz).date_naive() - Days::new(1);
    let to = window_end.with_timezone(&tz).date_naive() + Days::new(1);
    let interval = i64::from(recurrence.interval.max(1));
    let mut out = Vec::new();
    let mut emit = |date: NaiveDate| {
        let start = local_to_utc(NaiveDateTime::new(date, time), tz);
        let end = start + duration;
        if overlaps(start, end, window_start, window_end) {
            out.push((start, end));
        }
    };
    let within_range = |date: NaiveDate, index: i64| {
        recurrence.until.is_none_or(|until| date <= until)
            && recurrence.count.is_none_or(|count| index < i64::from(count))
    };
    match recurrence.pattern {
        Pattern::Daily => {
            let offset = (from - first_date).num_days().max(0);
            let mut index = offset / interval;
            loop {
                let date = first_date + Duration::days(index * interval);
                if date > to || !within_range(date, index) {
                    break;
                }
                emit(date);
                index += 1;
            }
        }
        Pattern::Weekly => {
            let mut days: Vec<u32> = if recurrence.days_of_week.is_empty() {
                vec![first_date.weekday().days_since(recurrence.first_day_of_week)]
            } else {
                recurrence
                    .days_of_week
                    .iter()
                    .map(|day| day.days_since(recurrence.first_day_of_week))
                    .collect()
            };
            days.sort_unstable();
            days.dedup();
            let per_week = days.len() as i64;
            let week0 = first_date
                - Duration::days(i64::from(
                    first_date.weekday().days_since(recurrence.first_day_of_week),
                ));
            let in_first_week = days
                .iter()
                .filter(|d| week0 + Duration::days(i64::from(**d)) >= first_date)
                .count() as i64;
            let period_days = 7 * interval;
            let mut period = ((from - week0).num_days() / period_days).max(0);
            'periods: loop {
                let week_start = week0 + Duration::days(period * period_days);
                if week_start > to {
                    break;
                }
                let mut index =
                    if period == 0 { 0 } else { in_first_week + (period - 1) * per_week };
                for day in &days {
                    let date = week_start + Duration::days(i64::from(*day));
                    if date < first_date {
                        continue;
                    }
                    if date > to || !within_range(date, index) {
                        break 'periods;
                    }
                    emit(date);
                    index += 1;
                }
                period += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn weekly(days: &[Weekday], interval: u32, count: Option<u32>) -> Recurrence {
        Recurrence {
            pattern: Pattern::Weekly,
            interval,
            days_of_week: days.to_vec(),
            first_day_of_week: Weekday::Sun,
            until: None,
            count,
        }
    }

    #[test]
    fn daily_keeps_local_time_across_dst() {
        let rec = Recurrence {
            pattern: Pattern::Daily,
            interval: 1,
            days_of_week: vec![],
            first_day_of_week: Weekday::Sun,
            until: None,
            count: None,
        };
        let tz = Tz::Europe__Copenhagen;
        // 09:00 CET on 2024-03-29 = 08:00Z; after the switch on 31 March it is 07:00Z.
        let occ = expand(
            utc("2024-03-29T08:00:00Z"),
            utc("2024-03-29T08:30:00Z"),
            &rec,
            tz,
            utc("2024-03-29T00:00:00Z"),
            utc("2024-04-02T00:00:00Z"),
        );
        let starts: Vec<_> = occ.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            starts,
            vec![
                utc("2024-03-29T08:00:00Z"),
                utc("2024-03-30T08:00:00Z"),
                utc("2024-03-31T07:00:00Z"),
                utc("2024-04-01T07:00:00Z"),
            ]
        );
    }

    #[test]
    fn weekly_count_spans_windows_consistently() {
        // Starts Wednesday 2024-01-03, Mon/Wed/Fri, 5 occurrences: Wed 3, Fri 5, Mon 8, Wed 10, Fri 12.
        let rec = weekly(&[Weekday::Mon, Weekday::Wed, Weekday::Fri], 1, Some(5));
        let all = expand(
            utc("2024-01-03T10:00:00Z"),
            utc("2024-01-03T11:00:00Z"),
            &rec,
            Tz::UTC,
            utc("2024-01-01T00:00:00Z"),
            utc("2024-02-01T00:00:00Z"),
        );
        let days: Vec<u32> = all.iter().map(|(s, _)| s.day()).collect();
        assert_eq!(days, vec![3, 5, 8, 10, 12]);
        // A window far after the start still respects the count.
        let late = expand(
            utc("2024-01-03T10:00:00Z"),
            utc("2024-01-03T11:00:00Z"),
            &rec,
            Tz::UTC,
            utc("2024-01-11T00:00:00Z"),
            utc("2024-03-01T00:00:00Z"),
        );
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].0, utc("2024-01-12T10:00:00Z"));
    }

    #[test]
    fn biweekly_with_until() {
        let mut rec = weekly(&[Weekday::Tue], 2, None);
        rec.until = NaiveDate::from_ymd_opt(2024, 2, 13);
        let occ = expand(
            utc("2024-01-02T09:00:00Z"),
            utc("2024-01-02T09:15:00Z"),
            &rec,
            Tz::UTC,
            utc("2023-12-01T00:00:00Z"),
            utc("2024-06-01T00:00:00Z"),
        );
        let days: Vec<(u32, u32)> = occ.iter().map(|(s, _)| (s.month(), s.day())).collect();
        assert_eq!(days, vec![(1, 2), (1, 16), (1, 30), (2, 13)]);
    }

    #[test]
    fn calendar_window_query_uses_index() {
        let mut cal = Calendar::new(Tz::UTC);
        for (i, (s, e)) in [
            ("2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z"),
            ("2024-01-01T09:30:00Z", "2024-01-01T12:00:00Z"),
            ("2024-01-02T09:00:00Z", "2024-01-02T10:00:00Z"),
        ]
        .iter()
        .enumerate()
        {
            cal.insert(StoredEvent {
                id: format!("e{i}"),
                subject: String::new(),
                location: String::new(),
                start: utc(s),
                end: utc(e),
                show_as: ShowAs::Busy,
                sensitivity: Sensitivity::Normal,
                is_all_day: false,
                is_cancelled: false,
                recurrence: None,
                created: utc(s),
                modified: utc(s),
                change_key: String::new(),
                ical_uid: String::new(),
            })
            .unwrap();
        }
        let hits = cal.instances(utc("2024-01-01T10:00:00Z"), utc("2024-01-01T11:00:00Z"));
        assert_eq!(hits.iter().map(Instance::id).collect::<Vec<_>>(), vec!["e1"]);
        assert_eq!(
            cal.instances(utc("2024-01-01T00:00:00Z"), utc("2024-01-03T00:00:00Z")).len(),
            3
        );
        cal.remove("e1").unwrap();
        assert!(cal.instances(utc("2024-01-01T10:00:00Z"), utc("2024-01-01T11:00:00Z")).is_empty());
        assert_eq!(cal.remove("e1"), Err(CalendarError::NotFound("e1".into())));
    }
}
