//! The Graph requests a call is made of, and how each is written as a batch item.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono_tz::Tz;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::value::RawValue;

use super::wire::{BatchRequestItem, ScheduleRequest};
use crate::domain::calendar::CalendarItem;
use crate::domain::timezone::{DateTimeTimeZone, format_utc_z};
use crate::providers::TimeWindow;

/// Graph's documented limits: requests per batch and schedules per getSchedule.
pub const BATCH_LIMIT: usize = 20;
pub const SCHEDULES_PER_REQUEST: usize = 20;

/// Longest free/busy interval Graph accepts, in minutes. The provider reads the items, not
/// the availability view, so the coarsest view keeps the responses small.
const MAX_VIEW_INTERVAL: i64 = 1440;

/// Times come back in UTC whatever the mailbox's zone; the parser copes with any zone anyway.
const PREFER_UTC: &str = "outlook.timezone=\"UTC\"";

const SELECT: &str = "subject,start,end,showAs,sensitivity,isAllDay,isCancelled,location";

const PATH_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

/// A mailbox that has yet to be answered, by its index in the call's list.
pub type MailboxIndex = usize;

pub enum Work {
    /// getSchedule for these mailboxes; the first one's address goes in the path.
    Schedule { members: Vec<MailboxIndex> },
    /// One calendarView page of a mailbox, with the items of its earlier pages.
    View { mailbox: MailboxIndex, url: String, items: Vec<CalendarItem>, pages: u32 },
}

pub struct Job {
    pub work: Work,
    /// Retries spent on this request so far.
    pub retries: u32,
    /// Whether it was already resent once with a new token after a 401.
    pub reauthenticated: bool,
    pub ready_at: Option<Instant>,
}

impl Job {
    pub fn new(work: Work) -> Job {
        Job { work, retries: 0, reauthenticated: false, ready_at: None }
    }

    /// Every mailbox this request answers for.
    pub fn mailboxes(&self) -> Vec<MailboxIndex> {
        match &self.work {
            Work::Schedule { members } => members.clone(),
            Work::View { mailbox, .. } => vec![*mailbox],
        }
    }
}

pub fn user_path(address: &str) -> String {
    utf8_percent_encode(address, PATH_SEGMENT).to_string()
}

/// The first calendarView page of `address`.
pub fn first_view_url(address: &str, window: TimeWindow, page_size: u32) -> String {
    format!(
        "/users/{}/calendarView?startDateTime={}&endDateTime={}&$select={SELECT}&$top={page_size}",
        user_path(address),
        format_utc_z(window.start()),
        format_utc_z(window.end()),
    )
}

/// `@odata.nextLink` is absolute; a batch item needs the part after `/v1.0`. Only the path
/// is taken, so a link naming another host still goes to the configured Graph.
pub fn relative_next_link(link: &str) -> Option<String> {
    let url = url::Url::parse(link).ok()?;
    let path = url.path().strip_prefix("/v1.0/")?;
    Some(match url.query() {
        Some(query) => format!("/{path}?{query}"),
        None => format!("/{path}"),
    })
}

fn schedule_body(addresses: &[&str], window: TimeWindow) -> Box<RawValue> {
    let minutes = window.length().num_minutes().clamp(5, MAX_VIEW_INTERVAL);
    let request = ScheduleRequest {
        schedules: addresses.iter().map(|a| a.to_string()).collect(),
        start_time: DateTimeTimeZone::in_zone(window.start(), Tz::UTC, "UTC"),
        end_time: DateTimeTimeZone::in_zone(window.end(), Tz::UTC, "UTC"),
        availability_view_interval: Some(minutes as u32),
    };
    let json = serde_json::to_string(&request).unwrap_or_default();
    RawValue::from_string(json).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// The batch item for `job`, identified by its position `id` in the batch.
pub fn batch_item(
    job: &Job,
    id: usize,
    addresses: &[String],
    window: TimeWindow,
) -> BatchRequestItem {
    let mut headers = BTreeMap::from([("Prefer".to_string(), PREFER_UTC.to_string())]);
    match &job.work {
        Work::Schedule { members } => {
            let group: Vec<&str> = members.iter().map(|&i| addresses[i].as_str()).collect();
            headers.insert("Content-Type".into(), "application/json".into());
            BatchRequestItem {
                id: id.to_string(),
                method: "POST".into(),
                url: format!("/users/{}/calendar/getSchedule", user_path(group[0])),
                headers,
                body: Some(schedule_body(&group, window)),
            }
        }
        Work::View { url, .. } => BatchRequestItem {
            id: id.to_string(),
            method: "GET".into(),
            url: url.clone(),
            headers,
            body: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn window() -> TimeWindow {
        TimeWindow::new(
            Utc.with_ymd_and_hms(2030, 3, 15, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2030, 3, 16, 13, 0, 0).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn paths_encode_what_is_not_an_address_character() {
        assert_eq!(user_path("adele.vance@contoso.dk"), "adele.vance@contoso.dk");
        assert_eq!(user_path("a+b/c?d#e@x.dk"), "a%2Bb%2Fc%3Fd%23e@x.dk");
    }

    #[test]
    fn view_url_has_window_select_and_page_size() {
        let url = first_view_url("a@x.dk", window(), 50);
        assert_eq!(
            url,
            "/users/a@x.dk/calendarView?startDateTime=2030-03-15T00:00:00.0000000Z&endDateTime=2030-03-16T13:00:00.0000000Z&$select=subject,start,end,showAs,sensitivity,isAllDay,isCancelled,location&$top=50"
        );
    }

    #[test]
    fn next_links_become_relative() {
        assert_eq!(
            relative_next_link(
                "https://graph.microsoft.com/v1.0/users/a@x.dk/calendarView?$skip=10"
            )
            .as_deref(),
            Some("/users/a@x.dk/calendarView?$skip=10")
        );
        assert_eq!(relative_next_link("https://graph.microsoft.com/beta/users/a"), None);
        assert_eq!(relative_next_link("not a link"), None);
    }

    #[test]
    fn schedule_item_uses_first_member_and_coarsest_interval() {
        let addresses = vec!["first@x.dk".to_string(), "second@x.dk".to_string()];
        let job = Job::new(Work::Schedule { members: vec![1, 0] });
        let item = batch_item(&job, 7, &addresses, window());
        assert_eq!(item.id, "7");
        assert_eq!(item.url, "/users/second@x.dk/calendar/getSchedule");
        let body: serde_json::Value = serde_json::from_str(item.body.unwrap().get()).unwrap();
        assert_eq!(body["schedules"], serde_json::json!(["second@x.dk", "first@x.dk"]));
        assert_eq!(body["availabilityViewInterval"], 1440);
        assert_eq!(body["startTime"]["timeZone"], "UTC");
        assert_eq!(item.headers["Prefer"], "outlook.timezone=\"UTC\"");
    }
}
