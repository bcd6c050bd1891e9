//! Reading EWS answers: SOAP faults, GetUserAvailability and FindItem, by local names.
//!
//! What a mailbox's answer means is decided here, so the rest of the provider only sees
//! calendar items and typed errors.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::xml::{self, Element, XmlError};
use crate::domain::calendar::{CalendarItem, ShowAs};
use crate::providers::{AccessScope, ProviderError};

/// `BackOffMilliseconds` beyond this is treated as this: a server asking for an hour still
/// gets a retry at the next sync.
const MAX_BACK_OFF: Duration = Duration::from_secs(300);

/// A SOAP fault: the whole request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The EWS response code (`ErrorServerBusy`, …) or the SOAP fault code.
    pub code: String,
    pub message: String,
    /// How long the server asked to be left alone (`ErrorServerBusy`).
    pub back_off: Option<Duration>,
}

impl Fault {
    pub fn is_server_busy(&self) -> bool {
        self.code == "ErrorServerBusy"
    }
}

fn malformed(detail: impl Into<String>) -> ProviderError {
    ProviderError::MalformedResponse { detail: detail.into() }
}

fn xml_error(error: XmlError) -> ProviderError {
    malformed(format!("EWS: {error}"))
}

fn body(root: &Element) -> Result<&Element, ProviderError> {
    if root.name != "Envelope" {
        return Err(malformed("EWS: the response is not a SOAP envelope"));
    }
    root.child("Body").ok_or_else(|| malformed("EWS: the SOAP envelope has no Body"))
}

/// The fault in a response body, if it is one.
pub fn fault(bytes: &[u8]) -> Option<Fault> {
    let root = xml::parse(bytes).ok()?;
    let fault = body(&root).ok()?.child("Fault")?;
    let detail = fault.child("detail").or_else(|| fault.child("Detail"));
    let code = detail
        .and_then(|d| d.text_of("ResponseCode"))
        .or_else(|| fault.text_of("faultcode"))
        .map(|c| c.rsplit(':').next().unwrap_or(c).to_owned())
        .unwrap_or_default();
    let message = detail
        .and_then(|d| d.text_of("Message"))
        .or_else(|| fault.text_of("faultstring"))
        .unwrap_or_default()
        .to_owned();
    let back_off = detail
        .and_then(|d| d.find("MessageXml"))
        .into_iter()
        .flat_map(|m| m.children("Value"))
        .find(|v| v.attribute("Name") == Some("BackOffMilliseconds"))
        .and_then(|v| v.text.trim().parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms).min(MAX_BACK_OFF));
    Some(Fault { code, message, back_off })
}

/// An EWS time: with an offset or `Z`, or without (then in the zone the request asked for,
/// which is always UTC), with or without fractional seconds.
pub fn instant(raw: &str) -> Result<DateTime<Utc>, ProviderError> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .map_err(|_| malformed(format!("EWS: unreadable time {raw:?}")))
}

/// What a per-mailbox error code means.
pub fn mailbox_error(code: &str, message: &str) -> ProviderError {
    let detail = format!("EWS {code}: {message}");
    match code {
        "ErrorMailRecipientNotFound" | "ErrorNonExistentMailbox" | "ErrorInvalidSmtpAddress" => {
            ProviderError::MailboxNotFound { detail }
        }
        "ErrorNoFreeBusyAccess"
        | "ErrorAccessDenied"
        | "ErrorFolderNotFound"
        | "ErrorItemNotFound" => {
            ProviderError::AccessDenied { scope: AccessScope::Calendar, detail }
        }
        "ErrorServerBusy" => ProviderError::Throttled { retries: 0, retry_after: None },
        _ => ProviderError::UpstreamUnavailable { detail, source: None },
    }
}

fn response_error(message: &Element) -> Option<ProviderError> {
    let class = message.attribute("ResponseClass").unwrap_or("Success");
    let code = message.text_of("ResponseCode").unwrap_or("NoError");
    if class == "Error" || (class != "Success" && code != "NoError") {
        return Some(mailbox_error(code, message.text_of("MessageText").unwrap_or_default()));
    }
    None
}

/// One GetUserAvailability answer: per requested mailbox, in request order.
pub fn availability(
    bytes: &[u8],
    expected: usize,
) -> Result<Vec<Result<Vec<CalendarItem>, ProviderError>>, ProviderError> {
    let root = xml::parse(bytes).map_err(xml_error)?;
    let body = body(&root)?;
    let array = body.find("FreeBusyResponseArray").ok_or_else(|| {
        malformed("EWS: GetUserAvailability answer without FreeBusyResponseArray")
    })?;
    let answers: Vec<_> = array.children("FreeBusyResponse").map(free_busy).collect();
    if answers.len() != expected {
        return Err(malformed(format!(
            "EWS: {} free/busy answers for {expected} mailboxes",
            answers.len()
        )));
    }
    Ok(answers)
}

fn free_busy(response: &Element) -> Result<Vec<CalendarItem>, ProviderError> {
    if let Some(error) = response.child("ResponseMessage").and_then(response_error) {
        return Err(error);
    }
    let Some(events) = response.find("CalendarEventArray") else { return Ok(Vec::new()) };
    events
        .children("CalendarEvent")
        .map(|event| {
            let start = instant(event.text_of("StartTime").unwrap_or_default())?;
            let end = instant(event.text_of("EndTime").unwrap_or_default())?;
            if end < start {
                return Err(malformed("EWS: an appointment ends before it starts"));
            }
            let show_as = ShowAs::parse(event.text_of("BusyType").unwrap_or_default());
            // Free/busy never stores subjects, whatever the server sends along; without
            // details an appointment counts as private, as Graph's free/busy does.
            let private = event.child("CalendarEventDetails").is_none_or(|d| d.flag("IsPrivate"));
            Ok(CalendarItem::new(start, end, show_as, None, None, private, false))
        })
        .collect()
}

/// One FindItem page of one mailbox's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarPage {
    /// `(item id, item)`; cancelled appointments are left out.
    pub items: Vec<(String, CalendarItem)>,
    /// The start of the last item returned, cancelled or not: where the next page begins.
    pub last_start: Option<DateTime<Utc>>,
    /// The server returned everything in the range.
    pub complete: bool,
}

pub fn calendar_page(bytes: &[u8]) -> Result<Result<CalendarPage, ProviderError>, ProviderError> {
    let root = xml::parse(bytes).map_err(xml_error)?;
    let body = body(&root)?;
    let message = body
        .find("FindItemResponseMessage")
        .ok_or_else(|| malformed("EWS: FindItem answer without FindItemResponseMessage"))?;
    if let Some(error) = response_error(message) {
        return Ok(Err(error));
    }
    let folder =
        message.child("RootFolder").ok_or_else(|| malformed("EWS: FindItem without RootFolder"))?;
    let complete =
        folder.attribute("IncludesLastItemInRange").is_none_or(|v| v.eq_ignore_ascii_case("true"));
    let mut items = Vec::new();
    let mut last_start = None;
    for item in folder.child("Items").into_iter().flat_map(|i| i.children("CalendarItem")) {
        let start = instant(item.text_of("Start").unwrap_or_default())?;
        let end = instant(item.text_of("End").unwrap_or_default())?;
        if end < start {
            return Err(malformed("EWS: an appointment ends before it starts"));
        }
        last_start = Some(last_start.map_or(start, |s: DateTime<Utc>| s.max(start)));
        if item.flag("IsCancelled") {
            continue;
        }
        let id = item.child("ItemId").and_then(|i| i.attribute("Id")).unwrap_or_default();
        let private = item.text_of("Sensitivity").is_some_and(|s| {
            s.eq_ignore_ascii_case("private") || s.eq_ignore_ascii_case("confidential")
        });
        let show_as = ShowAs::parse(item.text_of("LegacyFreeBusyStatus").unwrap_or("Busy"));
        let calendar_item = CalendarItem::new(
            start,
            end,
            show_as,
            item.text_of("Subject").map(str::to_owned),
            item.text_of("Location").map(str::to_owned),
            private,
            item.flag("IsAllDayEvent"),
        );
        // An occurrence's id differs from its series', so id and start together name it.
        items.push((format!("{id}@{}", start.timestamp()), calendar_item));
    }
    Ok(Ok(CalendarPage { items, last_start, complete }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_and_without_offsets() {
        let expected = "2006-10-16T13:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(instant("2006-10-16T06:00:00-07:00").unwrap(), expected);
        assert_eq!(instant("2006-10-16T13:00:00Z").unwrap(), expected);
        assert_eq!(instant("2006-10-16T13:00:00").unwrap(), expected);
        assert_eq!(instant(" 2006-10-16T13:00:00.0000000 ").unwrap(), expected);
        assert!(instant("16/10/2006 13:00").is_err());
        assert!(instant("").is_err());
    }

    #[test]
    fn server_busy_fault_carries_its_back_off() {
        let body = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
            <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
            <faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
            <detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
            <e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
            <t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">2500</t:Value></t:MessageXml>
            </detail></s:Fault></s:Body></s:Envelope>"#;
        let fault = fault(body).unwrap();
        assert!(fault.is_server_busy());
        assert_eq!(fault.back_off, Some(Duration::from_millis(2500)));
        assert!(super::fault(b"<not a fault/>").is_none());
    }

    #[test]
    fn mailbox_codes_become_typed_errors() {
        use crate::domain::FailureReason as R;
        let reason = |code| mailbox_error(code, "m").reason();
        assert_eq!(reason("ErrorMailRecipientNotFound"), R::MailboxNotFound);
        assert_eq!(reason("ErrorNonExistentMailbox"), R::MailboxNotFound);
        assert_eq!(reason("ErrorNoFreeBusyAccess"), R::ReviewerMissing);
        assert_eq!(reason("ErrorAccessDenied"), R::ReviewerMissing);
        assert_eq!(reason("ErrorFolderNotFound"), R::ReviewerMissing);
        assert_eq!(reason("ErrorServerBusy"), R::Throttled);
        assert_eq!(reason("ErrorSomethingNew"), R::UpstreamUnavailable);
    }
}
