//! Graph's schedule items and events turned into calendar items.

use crate::domain::calendar::{CalendarItem, ShowAs};
use crate::domain::timezone::DateTimeTimeZone;
use crate::providers::error::ProviderError;

use super::wire::{Event, ScheduleItem};

fn instant(value: &DateTimeTimeZone) -> Result<chrono::DateTime<chrono::Utc>, ProviderError> {
    value.to_utc().map_err(|error| ProviderError::MalformedResponse { detail: error.to_string() })
}

fn interval(
    start: &DateTimeTimeZone,
    end: &DateTimeTimeZone,
) -> Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>), ProviderError> {
    let (start, end) = (instant(start)?, instant(end)?);
    if end < start {
        return Err(ProviderError::MalformedResponse {
            detail: "an item ends before it starts".into(),
        });
    }
    Ok((start, end))
}

/// Free/busy items. Subject and location were never read: the tenant chose free/busy.
///
/// Graph writes `isPrivate: false` on every item it does not hide; an item without the flag
/// is treated as private, which is what the documented example's detail-less items are.
pub fn from_schedule(items: &[ScheduleItem]) -> Result<Vec<CalendarItem>, ProviderError> {
    items
        .iter()
        .map(|item| {
            let (start, end) = interval(&item.start, &item.end)?;
            let show_as = item.status.as_deref().map(ShowAs::parse).unwrap_or(ShowAs::Unknown);
            let private = item.is_private.unwrap_or(true);
            Ok(CalendarItem::new(start, end, show_as, None, None, private, false))
        })
        .collect()
}

/// Full-detail events: cancelled ones dropped, private and confidential ones stripped.
pub fn from_events(events: Vec<Event>) -> Result<Vec<CalendarItem>, ProviderError> {
    let mut items = Vec::with_capacity(events.len());
    for event in events {
        if event.is_cancelled == Some(true) {
            continue;
        }
        let (start, end) = interval(&event.start, &event.end)?;
        let show_as = event.show_as.as_deref().map(ShowAs::parse).unwrap_or(ShowAs::Unknown);
        let private = event.sensitivity.as_deref().is_some_and(|s| {
            s.eq_ignore_ascii_case("private") || s.eq_ignore_ascii_case("confidential")
        });
        let location = event.location.and_then(|l| l.display_name);
        let subject = event.subject;
        items.push(CalendarItem::new(
            start,
            end,
            show_as,
            subject,
            location,
            private,
            event.is_all_day.unwrap_or(false),
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule_item(json: &str) -> ScheduleItem {
        serde_json::from_str(json).unwrap()
    }

    const TIMES: &str = r#""start":{"dateTime":"2030-01-01T09:00:00.0000000","timeZone":"UTC"},
        "end":{"dateTime":"2030-01-01T10:00:00.0000000","timeZone":"UTC"}"#;

    #[test]
    fn schedule_status_is_case_insensitive_and_privacy_defaults_to_private() {
        let items = [
            schedule_item(&format!(r#"{{"isPrivate":false,"status":"WorkingElsewhere",{TIMES}}}"#)),
            schedule_item(&format!(r#"{{"isPrivate":true,"status":"BUSY",{TIMES}}}"#)),
            schedule_item(&format!(r#"{{"status":"oof",{TIMES}}}"#)),
        ];
        let items = from_schedule(&items).unwrap();
        assert_eq!(items[0].show_as, ShowAs::WorkingElsewhere);
        assert!(!items[0].private);
        assert_eq!(items[1].show_as, ShowAs::Busy);
        assert!(items[1].private && items[2].private);
        assert!(items.iter().all(|i| i.subject.is_none() && i.location.is_none()));
    }

    #[test]
    fn events_drop_cancelled_and_strip_private() {
        let events: Vec<Event> = serde_json::from_str(&format!(
            r#"[{{"subject":"a","showAs":"Busy","sensitivity":"Confidential","location":{{"displayName":"x"}},{TIMES}}},
                {{"subject":"b","isCancelled":true,{TIMES}}},
                {{"subject":"c","showAs":"tentative","sensitivity":"personal","isAllDay":true,"location":{{"displayName":""}},{TIMES}}}]"#
        ))
        .unwrap();
        let items = from_events(events).unwrap();
        assert_eq!(items.len(), 2);
        assert!(items[0].private && items[0].subject.is_none() && items[0].location.is_none());
        assert_eq!(items[0].show_as, ShowAs::Busy);
        assert_eq!(items[1].subject.as_deref(), Some("c"));
        assert_eq!(items[1].location, None);
        assert!(items[1].all_day && !items[1].private);
    }

    #[test]
    fn bad_times_are_malformed() {
        let reversed = schedule_item(
            r#"{"status":"busy","start":{"dateTime":"2030-01-01T10:00:00","timeZone":"UTC"},
                "end":{"dateTime":"2030-01-01T09:00:00","timeZone":"UTC"}}"#,
        );
        let unknown_zone = schedule_item(
            r#"{"status":"busy","start":{"dateTime":"2030-01-01T10:00:00","timeZone":"Mars"},
                "end":{"dateTime":"2030-01-01T11:00:00","timeZone":"Mars"}}"#,
        );
        for item in [reversed, unknown_zone] {
            let error = from_schedule(std::slice::from_ref(&item)).unwrap_err();
            assert_eq!(error.code().as_str(), "malformed_response");
        }
    }
}
