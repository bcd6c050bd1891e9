//! `GetUserAvailability`: free/busy (and details, where the account is Reviewer) for up to
//! 100 mailboxes, answered in request order.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};

use crate::domain::calendar::ShowAs;

use super::super::calendar::Instance;
use super::super::scenario::EwsAccess;
use super::super::state::{DirectoryTenant, Mailbox, Sim};
use super::envelope::Request;
use super::reply::{self, ERRORS_NS, EwsResponse, MESSAGES_NS, TYPES_NS, element, escape};
use super::timezone::{LegacyZone, RequestZone, day_name, legacy_xml};

pub const MAX_MAILBOXES: usize = 100;
const MAX_WINDOW_DAYS: i64 = 42;
const DEFAULT_INTERVAL: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    MergedOnly,
    FreeBusy,
    FreeBusyMerged,
    Detailed,
    DetailedMerged,
}

impl View {
    fn parse(text: &str) -> Option<View> {
        Some(match text {
            "MergedOnly" => View::MergedOnly,
            "FreeBusy" => View::FreeBusy,
            "FreeBusyMerged" => View::FreeBusyMerged,
            "Detailed" => View::Detailed,
            "DetailedMerged" => View::DetailedMerged,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            View::MergedOnly => "MergedOnly",
            View::FreeBusy => "FreeBusy",
            View::FreeBusyMerged => "FreeBusyMerged",
            View::Detailed => "Detailed",
            View::DetailedMerged => "DetailedMerged",
        }
    }

    fn merged(self) -> bool {
        matches!(self, View::MergedOnly | View::FreeBusyMerged | View::DetailedMerged)
    }

    fn detailed(self) -> bool {
        matches!(self, View::Detailed | View::DetailedMerged)
    }

    /// What a caller with free/busy rights only gets instead.
    fn without_details(self) -> View {
        match self {
            View::Detailed => View::FreeBusy,
            View::DetailedMerged => View::FreeBusyMerged,
            other => other,
        }
    }
}

/// Everything the request asks for, validated.
struct Query {
    addresses: Vec<String>,
    zone: RequestZone,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interval: i64,
    view: View,
}

/// The addresses a request names, for fault matching before it is validated.
pub fn addresses(request: &Request) -> Vec<String> {
    request
        .operation
        .child("MailboxDataArray")
        .map(|array| {
            array
                .children_named("MailboxData")
                .filter_map(|data| data.path(&["Email", "Address"]))
                .map(|address| address.trimmed_text().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn read_query(request: &Request) -> Result<Query, EwsResponse> {
    let operation = &request.operation;
    let zone = match operation.child("TimeZone") {
        Some(element) => RequestZone::Legacy(
            LegacyZone::from_element(element).map_err(|e| reply::schema_validation(&e))?,
        ),
        None => RequestZone::from_header(request.header.as_ref())
            .map_err(|e| reply::schema_validation(&e))?,
    };
    let addresses = addresses(request);
    if addresses.is_empty() {
        return Err(reply::fault(
            "ErrorMailboxDataArrayEmpty",
            "MailboxDataArray is empty. At least one mailbox must be specified.",
            None,
        ));
    }
    if addresses.len() > MAX_MAILBOXES {
        return Err(reply::fault(
            "ErrorMailboxDataArrayTooBig",
            &format!(
                "There are too many target users in the EmailAddress array. The allowed size = {MAX_MAILBOXES}; the actual size = {}.",
                addresses.len()
            ),
            None,
        ));
    }
    let options = operation
        .child("FreeBusyViewOptions")
        .ok_or_else(|| reply::schema_validation("FreeBusyViewOptions is required."))?;
    let invalid_window = || {
        reply::fault(
            "ErrorInvalidTimeInterval",
            "The time duration specified for FreeBusyViewOptions.TimeWindow is invalid.",
            None,
        )
    };
    let time =
        |name: &str| options.path(&["TimeWindow", name]).and_then(|e| zone.parse(e.trimmed_text()));
    let (Some(start), Some(end)) = (time("StartTime"), time("EndTime")) else {
        return Err(invalid_window());
    };
    if end <= start {
        return Err(invalid_window());
    }
    let window = end - start;
    if window > Duration::days(MAX_WINDOW_DAYS) {
        let days = (window.num_seconds() + 86_399) / 86_400;
        return Err(reply::fault(
            "ErrorTimeIntervalTooBig",
            &format!(
                "The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. The allowed limit = {MAX_WINDOW_DAYS} days; the actual limit = {days} days."
            ),
            None,
        ));
    }
    let interval = match options.child_text("MergedFreeBusyIntervalInMinutes") {
        Some(text) => text.parse::<i64>().map_err(|_| {
            reply::schema_validation("MergedFreeBusyIntervalInMinutes is not an integer.")
        })?,
        None => DEFAULT_INTERVAL,
    };
    if !(5..=1440).contains(&interval) || Duration::minutes(interval) > window {
        return Err(reply::fault(
            "ErrorInvalidMergedFreeBusyInterval",
            "The specified merged free/busy interval is not valid. Specify an interval that is less than the free/busy time window and between 5 and 1440 minutes.",
            None,
        ));
    }
    let view_text = options.child_text("RequestedView").unwrap_or("Detailed");
    let view = View::parse(view_text).ok_or_else(|| {
        reply::schema_validation(&format!(
            "The value '{view_text}' is invalid according to its datatype 'FreeBusyViewType'."
        ))
    })?;
    Ok(Query { addresses, zone, start, end, interval, view })
}

pub fn busy_type(show_as: ShowAs) -> &'static str {
    match show_as {
        ShowAs::Free => "Free",
        ShowAs::Tentative => "Tentative",
        ShowAs::Busy => "Busy",
        ShowAs::Oof => "OOF",
        ShowAs::WorkingElsewhere => "WorkingElsewhere",
        ShowAs::Unknown => "NoData",
    }
}

/// Higher wins when items overlap in one interval; the digit is Exchange's merged code.
fn strength(show_as: ShowAs) -> (u8, char) {
    match show_as {
        ShowAs::Oof => (4, '3'),
        ShowAs::Busy => (3, '2'),
        ShowAs::Tentative => (2, '1'),
        ShowAs::WorkingElsewhere => (1, '4'),
        ShowAs::Free | ShowAs::Unknown => (0, '0'),
    }
}

fn merged(
    instances: &[Instance],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    interval: i64,
) -> String {
    let slot = interval * 60;
    let slots = ((end - start).num_seconds() + slot - 1) / slot;
    let mut cells = vec![(0u8, '0'); usize::try_from(slots).unwrap_or(0)];
    for instance in instances {
        let rank = strength(instance.event.show_as);
        if rank.0 == 0 {
            continue;
        }
        let first = ((instance.start - start).num_seconds().max(0)) / slot;
        let last = ((instance.end - start).num_seconds() + slot - 1) / slot;
        let last = last.clamp(first + 1, slots);
        for cell in cells.iter_mut().take(last as usize).skip(first as usize) {
            if rank.0 > cell.0 {
                *cell = rank;
            }
        }
    }
    cells.iter().map(|(_, digit)| *digit).collect()
}

fn error_response(out: &mut String, code: &str, text: &str, exception: Option<(&str, u32)>) {
    let _ = write!(
        out,
        "<m:FreeBusyResponse><m:ResponseMessage ResponseClass=\"Error\">\
         <m:MessageText>{}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode>\
         <m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>",
        escape(text)
    );
    if let Some((exception_type, exception_code)) = exception {
        let _ = write!(
            out,
            "<m:MessageXml><ExceptionType xmlns=\"{ERRORS_NS}\">{exception_type}</ExceptionType>\
             <ExceptionCode xmlns=\"{ERRORS_NS}\">{exception_code}</ExceptionCode></m:MessageXml>"
        );
    }
    out.push_str(
        "</m:ResponseMessage><m:FreeBusyView><t:FreeBusyViewType>None</t:FreeBusyViewType>\
         </m:FreeBusyView></m:FreeBusyResponse>",
    );
}

fn event_xml(out: &mut String, instance: &Instance, query: &Query, details: bool, offset: bool) {
    let event = &instance.event;
    let _ = write!(
        out,
        "<t:CalendarEvent><t:StartTime>{}</t:StartTime><t:EndTime>{}</t:EndTime>\
         <t:BusyType>{}</t:BusyType>",
        query.zone.format(instance.start, offset),
        query.zone.format(instance.end, offset),
        busy_type(event.show_as),
    );
    if details {
        out.push_str("<t:CalendarEventDetails>");
        element(out, "t:ID", instance.id());
        // Private items keep subject and location here; only IsPrivate says so, and
        // clients must drop them.
        element(out, "t:Subject", &event.subject);
        element(out, "t:Location", &event.location);
        let _ = write!(
            out,
            "<t:IsMeeting>false</t:IsMeeting><t:IsRecurring>{}</t:IsRecurring>\
             <t:IsException>false</t:IsException><t:IsReminderSet>{}</t:IsReminderSet>\
             <t:IsPrivate>{}</t:IsPrivate></t:CalendarEventDetails>",
            instance.is_occurrence(),
            !event.is_all_day,
            event.sensitivity.hides_details(),
        );
    }
    out.push_str("</t:CalendarEvent>");
}

fn working_hours(out: &mut String, mailbox: &Mailbox, year: i32) {
    let hours = &mailbox.working_hours;
    let days: Vec<&str> = hours.days.iter().map(|d| day_name(*d)).collect();
    let minutes = |t: chrono::NaiveTime| {
        use chrono::Timelike;
        t.hour() * 60 + t.minute()
    };
    let _ = write!(
        out,
        "<t:WorkingHours>{}<t:WorkingPeriodArray><t:WorkingPeriod>\
         <t:DayOfWeek>{}</t:DayOfWeek><t:StartTimeInMinutes>{}</t:StartTimeInMinutes>\
         <t:EndTimeInMinutes>{}</t:EndTimeInMinutes></t:WorkingPeriod></t:WorkingPeriodArray>\
         </t:WorkingHours>",
        legacy_xml(mailbox.tz, year),
        days.join(" "),
        minutes(hours.start),
        minutes(hours.end),
    );
}

fn mailbox_response(out: &mut String, mailbox: &Mailbox, query: &Query, offset: bool) {
    let view = match mailbox.ews_access() {
        EwsAccess::Reviewer => query.view,
        _ => query.view.without_details(),
    };
    let instances: Vec<Instance> = mailbox
        .calendar
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .instances(query.start, query.end)
        .into_iter()
        .filter(|i| !i.event.is_cancelled)
        .collect();
    let _ = write!(
        out,
        "<m:FreeBusyResponse><m:ResponseMessage ResponseClass=\"Success\">\
         <m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage><m:FreeBusyView>\
         <t:FreeBusyViewType>{}</t:FreeBusyViewType>",
        view.name()
    );
    if view.merged() {
        let _ = write!(
            out,
            "<t:MergedFreeBusy>{}</t:MergedFreeBusy>",
            merged(&instances, query.start, query.end, query.interval)
        );
    }
    if view != View::MergedOnly && !instances.is_empty() {
        out.push_str("<t:CalendarEventArray>");
        for instance in &instances {
            event_xml(out, instance, query, view.detailed(), offset);
        }
        out.push_str("</t:CalendarEventArray>");
    }
    working_hours(out, mailbox, query.start.year());
    out.push_str("</m:FreeBusyView></m:FreeBusyResponse>");
}

pub fn handle(
    sim: &Sim,
    organisation: &DirectoryTenant,
    request: &Request,
) -> Result<EwsResponse, EwsResponse> {
    let query = read_query(request)?;
    let mailboxes: Vec<Option<Arc<Mailbox>>> =
        query.addresses.iter().map(|a| super::reachable_mailbox(sim, organisation, a)).collect();
    let offset = !sim.ews_times_without_offset();
    let mut body = format!(
        "<m:GetUserAvailabilityResponse xmlns:m=\"{MESSAGES_NS}\" xmlns:t=\"{TYPES_NS}\">\
         <m:FreeBusyResponseArray>"
    );
    for (address, mailbox) in query.addresses.iter().zip(mailboxes) {
        match mailbox {
            None => error_response(
                &mut body,
                "ErrorMailRecipientNotFound",
                &format!(
                    "Unable to resolve e-mail address <>;SMTP:{address} to an Active Directory object."
                ),
                Some((
                    "Microsoft.Exchange.InfoWorker.Common.Availability.MailRecipientNotFoundException",
                    5009,
                )),
            ),
            Some(mailbox) if mailbox.ews_access() == EwsAccess::None => error_response(
                &mut body,
                "ErrorNoFreeBusyAccess",
                &format!(
                    "The caller does not have free/busy viewing rights on the Calendar folder of {address}."
                ),
                None,
            ),
            Some(mailbox) => mailbox_response(&mut body, &mailbox, &query, offset),
        }
    }
    body.push_str("</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>");
    Ok(EwsResponse::xml(200, reply::envelope(&body)))
}
