//! `POST /users/{id}/calendar/getSchedule`: free/busy for up to 20 mailboxes.

use chrono::{DateTime, Duration, Utc, Weekday};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::calendar::ShowAs;
use crate::domain::timezone::DateTimeTimeZone;

use super::super::calendar::{Instance, graph_show_as};
use super::super::state::{Mailbox, Sim};
use super::prefer::OutputZone;
use super::response::{self, GraphResponse, RequestCtx};

pub const MAX_SCHEDULES: usize = 20;
const MAX_WINDOW_DAYS: i64 = 62;
const DEFAULT_INTERVAL: i64 = 30;

#[derive(Debug, Deserialize)]
struct ScheduleRequest {
    #[serde(alias = "Schedules")]
    schedules: Vec<String>,
    #[serde(rename = "startTime", alias = "StartTime")]
    start_time: DateTimeTimeZone,
    #[serde(rename = "endTime", alias = "EndTime")]
    end_time: DateTimeTimeZone,
    #[serde(rename = "availabilityViewInterval", alias = "AvailabilityViewInterval", default)]
    availability_view_interval: Option<i64>,
}

pub fn handle(
    sim: &Sim,
    tenant: Uuid,
    body: &[u8],
    base: &str,
    ctx: &RequestCtx,
    zone: &OutputZone,
) -> GraphResponse {
    let bad = |code: &str, message: &str| response::error(ctx, 400, code, message);
    if body.iter().all(u8::is_ascii_whitespace) {
        return bad("BadRequest", "Empty Payload. JSON content expected.");
    }
    let request: ScheduleRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(_) => {
            return bad(
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            );
        }
    };
    if request.schedules.len() > MAX_SCHEDULES {
        return bad(
            "ErrorMailboxDataArrayTooBig",
            &format!(
                "There are too many target users in the EmailAddress array. The allowed size = {MAX_SCHEDULES}; the actual size = {}.",
                request.schedules.len()
            ),
        );
    }
    let (Ok(start), Ok(end)) = (request.start_time.to_utc(), request.end_time.to_utc()) else {
        return bad(
            "ErrorInvalidTimeInterval",
            "The time duration specified for FreeBusyViewOptions.TimeWindow is invalid.",
        );
    };
    if end <= start {
        return bad(
            "ErrorInvalidTimeInterval",
            "The time duration specified for FreeBusyViewOptions.TimeWindow is invalid.",
        );
    }
    let window = end - start;
    if window >= Duration::days(MAX_WINDOW_DAYS) {
        let days = (window.num_seconds() + 86_399) / 86_400;
        return bad(
            "ErrorTimeIntervalTooBig",
            &format!(
                "The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. The allowed limit = {MAX_WINDOW_DAYS} days; the actual limit = {days} days."
            ),
        );
    }
    let interval = request.availability_view_interval.unwrap_or(DEFAULT_INTERVAL);
    if !(5..=1440).contains(&interval) || Duration::minutes(interval) > window {
        return bad(
            "ErrorInvalidMergedFreeBusyInterval",
            "The specified merged free/busy interval is not valid. Specify an interval that is less than the free/busy time window and  between 5 and 1440 minutes.",
        );
    }
    let directory = sim.directory.read().unwrap_or_else(|e| e.into_inner());
    let mailboxes: Vec<Option<std::sync::Arc<Mailbox>>> = request
        .schedules
        .iter()
        .map(|address| directory.mailbox(address).filter(|m| m_is_upn(m, address, tenant)))
        .collect();
    drop(directory);
    let value: Vec<Value> = request
        .schedules
        .iter()
        .zip(mailboxes)
        .map(|(address, mailbox)| match mailbox {
            Some(mailbox) => schedule(address, &mailbox, start, end, interval, zone),
            None => json!({
                "scheduleId": address,
                "error": {
                    "message": format!("Unable to resolve e-mail address {address} to an Active Directory object."),
                    "responseCode": "5009"
                }
            }),
        })
        .collect();
    response::ok(
        ctx,
        json!({
            "@odata.context": format!("{base}/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)"),
            "value": value,
        }),
    )
}

/// Schedules are SMTP addresses, so only a UPN match of the caller's tenant counts.
fn m_is_upn(mailbox: &Mailbox, address: &str, tenant: Uuid) -> bool {
    mailbox.tenant == tenant && mailbox.upn.eq_ignore_ascii_case(address.trim())
}

/// Higher wins when items overlap in one interval: oof, busy, tentative, working elsewhere.
fn strength(show_as: ShowAs) -> (u8, char) {
    match show_as {
        ShowAs::Oof => (4, '3'),
        ShowAs::Busy => (3, '2'),
        ShowAs::Tentative => (2, '1'),
        ShowAs::WorkingElsewhere => (1, '4'),
        ShowAs::Free | ShowAs::Unknown => (0, '0'),
    }
}

fn schedule(
    address: &str,
    mailbox: &Mailbox,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interval: i64,
    zone: &OutputZone,
) -> Value {
    let instances: Vec<Instance> = {
        let calendar = mailbox.calendar.read().unwrap_or_else(|e| e.into_inner());
        calendar.instances(start, end)
    };
    let instances: Vec<&Instance> = instances.iter().filter(|i| !i.event.is_cancelled).collect();
    let slot = Duration::minutes(interval);
    let slots = ((end - start).num_seconds() + slot.num_seconds() - 1) / slot.num_seconds();
    let mut view = vec![(0u8, '0'); slots as usize];
    for instance in &instances {
        let rank = strength(instance.event.show_as);
        if rank.0 == 0 {
            continue;
        }
        let first = ((instance.start - start).num_seconds().max(0)) / slot.num_seconds();
        let last_exclusive =
            ((instance.end - start).num_seconds() + slot.num_seconds() - 1) / slot.num_seconds();
        let last_exclusive = last_exclusive.clamp(first + 1, slots);
        for cell in &mut view[first as usize..last_exclusive as usize] {
            if rank.0 > cell.0 {
                *cell = rank;
            }
        }
    }
    let items: Vec<Value> =
        instances.iter().map(|instance| schedule_item(instance, zone)).collect();
    json!({
        "scheduleId": address,
        "availabilityView": view.iter().map(|(_, digit)| *digit).collect::<String>(),
        "scheduleItems": items,
        "workingHours": working_hours(mailbox),
    })
}

/// Private and confidential items say so in `isPrivate` ("True if the event is marked
/// private", per Graph's scheduleItem) and carry no subject or location.
fn schedule_item(instance: &Instance, zone: &OutputZone) -> Value {
    let event = &instance.event;
    let hidden = event.sensitivity.hides_details();
    let mut item = Map::new();
    item.insert("isPrivate".into(), Value::Bool(hidden));
    item.insert("status".into(), json!(graph_show_as(event.show_as)));
    if !hidden {
        item.insert("subject".into(), json!(event.subject));
        item.insert("location".into(), json!(event.location));
    }
    item.insert(
        "start".into(),
        json!(DateTimeTimeZone::in_zone(instance.start, zone.tz, &zone.name)),
    );
    item.insert("end".into(), json!(DateTimeTimeZone::in_zone(instance.end, zone.tz, &zone.name)));
    Value::Object(item)
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

fn working_hours(mailbox: &Mailbox) -> Value {
    let hours = &mailbox.working_hours;
    json!({
        "daysOfWeek": hours.days.iter().map(|d| weekday_name(*d)).collect::<Vec<_>>(),
        "startTime": format!("{}.0000000", hours.start.format("%H:%M:%S")),
        "endTime": format!("{}.0000000", hours.end.format("%H:%M:%S")),
        "timeZone": { "name": mailbox.tz_windows_name },
    })
}
