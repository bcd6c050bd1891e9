//! The SOAP requests calbridge sends, built from fixed templates. Every value that comes from
//! outside (mailbox addresses) is escaped; times are written in UTC, which the header asks
//! the server to use as well.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::xml::escape;
use crate::domain::Email;

/// GetUserAvailability accepts at most 100 mailboxes per request.
pub const AVAILABILITY_LIMIT: usize = 100;
/// … and a window of at most 42 days.
pub const AVAILABILITY_DAYS: i64 = 42;

/// Exchange 2013 is the oldest schema the supported servers (2016, 2019, Subscription
/// Edition) speak, and every operation used here exists in it.
const SERVER_VERSION: &str = "Exchange2013";

fn envelope(body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" "#,
            r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" "#,
            r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">"#,
            r#"<soap:Header><t:RequestServerVersion Version="{version}"/>"#,
            r#"<t:TimeZoneContext><t:TimeZoneDefinition Id="UTC"/></t:TimeZoneContext>"#,
            r#"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
        ),
        version = SERVER_VERSION,
        body = body
    )
}

/// Local time without offset, as GetUserAvailability's `TimeWindow` is written; with the
/// legacy `TimeZone` element below it means UTC.
fn naive(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// UTC in the legacy time-zone shape: no bias, and daylight time that changes nothing.
const LEGACY_UTC: &str = concat!(
    "<t:TimeZone><t:Bias>0</t:Bias>",
    "<t:StandardTime><t:Bias>0</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>5</t:DayOrder>",
    "<t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>",
    "<t:DaylightTime><t:Bias>0</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>5</t:DayOrder>",
    "<t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>"
);

/// Free/busy for up to [`AVAILABILITY_LIMIT`] mailboxes over `[start, end)`: the `FreeBusy`
/// view, times and show-as only, since free/busy detail must never collect subjects.
pub fn availability(mailboxes: &[&Email], start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let mut body = String::with_capacity(512 + mailboxes.len() * 200);
    body.push_str("<m:GetUserAvailabilityRequest>");
    body.push_str(LEGACY_UTC);
    body.push_str("<m:MailboxDataArray>");
    for mailbox in mailboxes {
        let _ = write!(
            body,
            "<t:MailboxData><t:Email><t:Address>{}</t:Address></t:Email>\
             <t:AttendeeType>Required</t:AttendeeType>\
             <t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData>",
            escape(mailbox.as_str())
        );
    }
    let _ = write!(
        body,
        "</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>\
         <t:StartTime>{}</t:StartTime><t:EndTime>{}</t:EndTime></t:TimeWindow>\
         <t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>\
         <t:RequestedView>FreeBusy</t:RequestedView></t:FreeBusyViewOptions>\
         </m:GetUserAvailabilityRequest>",
        naive(start),
        naive(end),
    );
    envelope(&body)
}

/// The properties a full-detail read needs of each appointment, and nothing more.
const CALENDAR_FIELDS: [&str; 8] = [
    "item:Subject",
    "item:Sensitivity",
    "calendar:Start",
    "calendar:End",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:IsCancelled",
];

/// One page of a mailbox's calendar over `[start, end)`, read as a delegate.
pub fn calendar_view(
    mailbox: &Email,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max_entries: u32,
) -> String {
    let mut body = String::with_capacity(1024);
    body.push_str(
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"#,
    );
    for field in CALENDAR_FIELDS {
        let _ = write!(body, r#"<t:FieldURI FieldURI="{field}"/>"#);
    }
    let _ = write!(
        body,
        r#"</t:AdditionalProperties></m:ItemShape><m:CalendarView MaxEntriesReturned="{}" StartDate="{}" EndDate="{}"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>{}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:ParentFolderIds></m:FindItem>"#,
        max_entries,
        utc(start),
        utc(end),
        escape(mailbox.as_str())
    );
    envelope(&body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ews::xml;
    use chrono::TimeZone;

    #[test]
    fn requests_are_well_formed_and_escape_addresses() {
        let start = Utc.with_ymd_and_hms(2030, 1, 7, 6, 0, 0).unwrap();
        let end = start + chrono::Duration::hours(36);
        let odd = Email::parse("o'neil&co@example.com").unwrap();
        let plain = Email::parse("anna@example.com").unwrap();
        let request = availability(&[&odd, &plain], start, end);
        let root = xml::parse(request.as_bytes()).unwrap();
        let addresses: Vec<&str> = root
            .find("MailboxDataArray")
            .unwrap()
            .children("MailboxData")
            .filter_map(|m| m.child("Email").and_then(|e| e.text_of("Address")))
            .collect();
        assert_eq!(addresses, ["o'neil&co@example.com", "anna@example.com"]);
        assert_eq!(root.find("StartTime").unwrap().text, "2030-01-07T06:00:00");
        assert_eq!(root.find("RequestedView").unwrap().text, "FreeBusy");
        assert_eq!(root.find("TimeZoneDefinition").unwrap().attribute("Id"), Some("UTC"));

        let page = calendar_view(&odd, start, end, 250);
        let root = xml::parse(page.as_bytes()).unwrap();
        let view = root.find("CalendarView").unwrap();
        assert_eq!(view.attribute("StartDate"), Some("2030-01-07T06:00:00Z"));
        assert_eq!(view.attribute("MaxEntriesReturned"), Some("250"));
        assert_eq!(root.find("EmailAddress").unwrap().text, "o'neil&co@example.com");
        assert_eq!(root.find("DistinguishedFolderId").unwrap().attribute("Id"), Some("calendar"));
    }
}
