//! `GET /users/{id}/calendarView`: events and expanded occurrences in a window, paged.

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::domain::timezone::{DateTimeTimeZone, format_utc_z, local_to_utc, parse_local};

use super::super::calendar::{Instance, graph_show_as};
use super::super::state::Mailbox;
use super::prefer::OutputZone;
use super::response::{self, GraphResponse, RequestCtx};

const DEFAULT_PAGE: usize = 10;
const MAX_PAGE: usize = 1000;

/// Every property this simulator writes for an event, in the fixture's order.
pub const EVENT_PROPERTIES: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "categories",
    "originalStartTimeZone",
    "originalEndTimeZone",
    "iCalUId",
    "reminderMinutesBeforeStart",
    "isReminderOn",
    "hasAttachments",
    "subject",
    "bodyPreview",
    "importance",
    "sensitivity",
    "isAllDay",
    "isCancelled",
    "isOrganizer",
    "responseRequested",
    "seriesMasterId",
    "showAs",
    "type",
    "webLink",
    "onlineMeetingUrl",
    "responseStatus",
    "body",
    "start",
    "end",
    "location",
    "recurrence",
    "attendees",
    "organizer",
];

/// Query values keep `$` and `,` readable, as Graph's own links do.
pub(super) const QUERY_VALUE: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'$').remove(b',');
const PATH_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

pub(super) struct Query {
    pub(super) pairs: Vec<(String, String)>,
}

impl Query {
    pub(super) fn parse(raw: &str) -> Self {
        Query { pairs: url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect() }
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The client's own query with `name` set to `value` (already encoded), as the next
    /// page's link carries it.
    pub(super) fn moved_on(&self, name: &str, value: &str) -> String {
        let mut parts: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, QUERY_VALUE),
                    utf8_percent_encode(v, QUERY_VALUE)
                )
            })
            .collect();
        parts.push(format!("{name}={value}"));
        parts.join("&")
    }
}

/// `startDateTime`/`endDateTime` carry an offset or are read as UTC (Prefer does not apply).
fn parse_window_time(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(value.trim()) {
        return Some(instant.with_timezone(&Utc));
    }
    parse_local(value).ok().map(|local| local_to_utc(local, chrono_tz::Tz::UTC))
}

pub(super) fn parse_count(
    ctx: &RequestCtx,
    name: &str,
    value: Option<&str>,
) -> Result<Option<usize>, GraphResponse> {
    match value {
        None => Ok(None),
        Some(raw) => raw.trim().parse::<usize>().map(Some).map_err(|_| {
            response::error(
                ctx,
                400,
                "BadRequest",
                &format!(
                    "Invalid value '{raw}' for {name} query option found. The {name} query option requires a non-negative integer value."
                ),
            )
        }),
    }
}

pub struct ViewRequest<'a> {
    /// The `{id}` segment exactly as the client wrote it (decoded).
    pub user: &'a str,
    pub query: &'a str,
    pub base: &'a str,
}

pub fn handle(
    mailbox: &Mailbox,
    request: &ViewRequest<'_>,
    ctx: &RequestCtx,
    zone: &OutputZone,
) -> GraphResponse {
    let query = Query::parse(request.query);
    let (Some(start_raw), Some(end_raw)) = (query.get("startDateTime"), query.get("endDateTime"))
    else {
        return response::error(
            ctx,
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
        );
    };
    let (Some(start), Some(end)) = (parse_window_time(start_raw), parse_window_time(end_raw))
    else {
        return response::error(
            ctx,
            400,
            "ErrorInvalidParameter",
            "The time window specified by the query string parameters StartDateTime and EndDateTime is not a valid date and time.",
        );
    };
    let top = match parse_count(ctx, "$top", query.get("$top")) {
        Ok(top) => top.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE),
        Err(error) => return error,
    };
    let skip = match parse_count(ctx, "$skip", query.get("$skip")) {
        Ok(skip) => skip.unwrap_or(0),
        Err(error) => return error,
    };
    let select = match query.get("$select").map(parse_select).transpose() {
        Ok(select) => select,
        Err(unknown) => {
            return response::error(
                ctx,
                400,
                "RequestBroker--ParseUri",
                &format!(
                    "Could not find a property named '{unknown}' on type 'microsoft.graph.event'."
                ),
            );
        }
    };
    let instances = if end > start {
        mailbox.calendar.read().unwrap_or_else(|e| e.into_inner()).instances(start, end)
    } else {
        Vec::new()
    };
    let page_end = skip.saturating_add(top).min(instances.len());
    let page = instances.get(skip..page_end).unwrap_or_default();
    let value: Vec<Value> = page
        .iter()
        .map(|instance| event_json(instance, mailbox, zone, select.as_deref()))
        .collect();
    let user_path = utf8_percent_encode(request.user, PATH_SEGMENT).to_string();
    let mut context =
        format!("{}/v1.0/$metadata#users('{}')/calendarView", request.base, request.user);
    if let Some(select) = &select {
        context.push_str(&format!("({})", select.join(",")));
    }
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context));
    if top > 0 && page_end < instances.len() {
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(request.base, &user_path, &query, page_end)),
        );
    }
    body.insert("value".into(), Value::Array(value));
    response::ok(ctx, Value::Object(body))
}

/// The client's own query with `$skip` moved on, as an absolute link on the simulator.
fn next_link(base: &str, user_path: &str, query: &Query, skip: usize) -> String {
    let query = query.moved_on("$skip", &skip.to_string());
    format!("{base}/v1.0/users/{user_path}/calendarView?{query}")
}

/// The canonical names of the selected properties, or the first unknown one.
fn parse_select(raw: &str) -> Result<Vec<String>, String> {
    let mut selected = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let canonical = EVENT_PROPERTIES
            .iter()
            .find(|p| p.eq_ignore_ascii_case(name))
            .ok_or_else(|| name.to_string())?;
        if !selected.iter().any(|s: &String| s == canonical) {
            selected.push(canonical.to_string());
        }
    }
    Ok(selected)
}

fn event_json(
    instance: &Instance,
    mailbox: &Mailbox,
    zone: &OutputZone,
    select: Option<&[String]>,
) -> Value {
    let event = &instance.event;
    let wanted = |name: &str| name == "id" || select.is_none_or(|s| s.iter().any(|p| p == name));
    let mut out = Map::new();
    out.insert("@odata.etag".into(), json!(format!("W/\"{}\"", event.change_key)));
    let id = instance.id();
    let mut put = |name: &str, value: Value| {
        if wanted(name) {
            out.insert(name.to_string(), value);
        }
    };
    put("id", json!(id));
    put("createdDateTime", json!(format_utc_z(event.created)));
    put("lastModifiedDateTime", json!(format_utc_z(event.modified)));
    put("changeKey", json!(event.change_key));
    put("categories", json!([]));
    put("originalStartTimeZone", json!(mailbox.tz_windows_name));
    put("originalEndTimeZone", json!(mailbox.tz_windows_name));
    put("iCalUId", json!(event.ical_uid));
    put("reminderMinutesBeforeStart", json!(15));
    put("isReminderOn", json!(!event.is_all_day));
    put("hasAttachments", json!(false));
    put("subject", json!(event.subject));
    put("bodyPreview", json!(""));
    put("importance", json!("normal"));
    put("sensitivity", json!(event.sensitivity.as_str()));
    put("isAllDay", json!(event.is_all_day));
    put("isCancelled", json!(event.is_cancelled));
    put("isOrganizer", json!(true));
    put("responseRequested", json!(true));
    put("seriesMasterId", if instance.is_occurrence() { json!(event.id) } else { Value::Null });
    put("showAs", json!(graph_show_as(event.show_as)));
    put("type", json!(if instance.is_occurrence() { "occurrence" } else { "singleInstance" }));
    put(
        "webLink",
        json!(format!(
            "https://outlook.office365.com/owa/?itemid={}&exvsurl=1&path=/calendar/item",
            utf8_percent_encode(id, NON_ALPHANUMERIC)
        )),
    );
    put("onlineMeetingUrl", Value::Null);
    put("responseStatus", json!({"response": "organizer", "time": "0001-01-01T00:00:00Z"}));
    put("body", json!({"contentType": "html", "content": ""}));
    put("start", json!(DateTimeTimeZone::in_zone(instance.start, zone.tz, &zone.name)));
    put("end", json!(DateTimeTimeZone::in_zone(instance.end, zone.tz, &zone.name)));
    put("location", json!({"displayName": event.location}));
    put("recurrence", Value::Null);
    put("attendees", json!([]));
    put(
        "organizer",
        json!({"emailAddress": {"name": mailbox.display_name, "address": mailbox.upn.as_ref()}}),
    );
    Value::Object(out)
}
