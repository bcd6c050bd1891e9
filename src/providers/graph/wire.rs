//! Microsoft's payloads as this provider reads and writes them.
//!
//! Only the fields the provider uses are declared; unknown fields are ignored, so Graph may
//! add properties without breaking anything. Subject and location are not even declared on
//! getSchedule items: at the free/busy level they are dropped before they exist. Public so
//! the contract tests can hold Microsoft's documented payloads against these types.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::timezone::DateTimeTimeZone;

/// `POST /$batch` body.
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchRequest {
    pub requests: Vec<BatchRequestItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BatchRequestItem {
    pub id: String,
    pub method: String,
    /// Relative to `/v1.0`, e.g. `/users/a@b.dk/calendarView?…`.
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
}

/// `POST /$batch` answer; item bodies stay raw until the item's own status says what they are.
#[derive(Debug, Deserialize)]
pub struct BatchResponse<'a> {
    #[serde(borrow)]
    pub responses: Vec<BatchResponseItem<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct BatchResponseItem<'a> {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    #[serde(default, borrow)]
    pub body: Option<&'a RawValue>,
}

impl BatchResponseItem<'_> {
    /// A header of the sub-response, whatever its case (and even if Graph sent a number).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    }
}

/// Graph's error envelope, for a whole response or a batch item.
#[derive(Debug, Deserialize)]
pub struct GraphErrorEnvelope {
    pub error: GraphError,
}

#[derive(Debug, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// One page of `GET /groups/{id}/transitiveMembers`: directory objects of any kind (users,
/// groups, devices, service principals, contacts), told apart by `@odata.type`.
#[derive(Debug, Deserialize)]
pub struct MemberPage {
    #[serde(default)]
    pub value: Vec<DirectoryObject>,
    #[serde(default, rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryObject {
    #[serde(default, rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// The primary SMTP address; absent or null for users without a mailbox.
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

impl DirectoryObject {
    pub const USER_TYPE: &'static str = "#microsoft.graph.user";

    pub fn is_user(&self) -> bool {
        self.odata_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(Self::USER_TYPE))
    }
}

/// `GET /groups/{id}?$select=id,displayName`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupObject {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `POST /users/{id}/calendar/getSchedule` body.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRequest {
    pub schedules: Vec<String>,
    pub start_time: DateTimeTimeZone,
    pub end_time: DateTimeTimeZone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_view_interval: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct ScheduleResponse {
    #[serde(default)]
    pub value: Vec<ScheduleInformation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInformation {
    #[serde(default)]
    pub schedule_id: Option<String>,
    #[serde(default)]
    pub schedule_items: Option<Vec<ScheduleItem>>,
    #[serde(default)]
    pub error: Option<FreeBusyError>,
}

/// One getSchedule item. Deliberately without `subject` and `location`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleItem {
    #[serde(default)]
    pub is_private: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
    pub start: DateTimeTimeZone,
    pub end: DateTimeTimeZone,
}

impl fmt::Debug for ScheduleItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScheduleItem")
            .field("is_private", &self.is_private)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FreeBusyError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub response_code: Option<String>,
}

/// One page of `GET /users/{id}/calendarView`.
#[derive(Debug, Deserialize)]
pub struct EventPage {
    #[serde(default)]
    pub value: Vec<Event>,
    #[serde(default, rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(default)]
    pub subject: Option<String>,
    pub start: DateTimeTimeZone,
    pub end: DateTimeTimeZone,
    #[serde(default)]
    pub show_as: Option<String>,
    #[serde(default)]
    pub sensitivity: Option<String>,
    #[serde(default)]
    pub is_all_day: Option<bool>,
    #[serde(default)]
    pub is_cancelled: Option<bool>,
    #[serde(default)]
    pub location: Option<Location>,
}

/// Subjects and locations are untrusted and personal: never in Debug output, so never in logs.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("show_as", &self.show_as)
            .field("sensitivity", &self.sensitivity)
            .field("is_all_day", &self.is_all_day)
            .field("is_cancelled", &self.is_cancelled)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default)]
    pub display_name: Option<String>,
}

/// The identity platform's token error body (`error_codes` carries the AADSTS numbers).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u32>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

impl TokenErrorResponse {
    /// The AADSTS number: from `error_codes`, else from the `AADSTSnnnn:` description prefix.
    pub fn aadsts(&self) -> Option<u32> {
        self.error_codes.first().copied().or_else(|| {
            let description = self.error_description.as_deref()?;
            let start = description.find("AADSTS")? + "AADSTS".len();
            let digits: String =
                description[start..].chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    }

    /// The first line of the description: Microsoft's sentence without trace ids and timestamp.
    pub fn summary(&self) -> &str {
        self.error_description
            .as_deref()
            .and_then(|d| d.lines().next())
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .unwrap_or(&self.error)
    }
}

impl fmt::Display for TokenErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.summary())?;
        if let Some(trace) = &self.trace_id {
            write!(f, " (trace id {trace}")?;
            if let Some(correlation) = &self.correlation_id {
                write!(f, ", correlation id {correlation}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl oauth2::ErrorResponse for TokenErrorResponse {}

/// The token success body: `oauth2`'s standard response reads `token_type`, `expires_in` and
/// `access_token` and ignores Microsoft's extras such as `ext_expires_in`.
pub type TokenResponse = oauth2::basic::BasicTokenResponse;

/// Where and how a body failed to parse, without quoting the body: serde's own message can
/// echo a value, and values here can be subjects or tokens.
pub fn describe_json_error(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON content",
        serde_json::error::Category::Eof => "JSON cut off",
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_from_codes_or_description() {
        let from_codes: TokenErrorResponse = serde_json::from_str(
            r#"{"error":"invalid_client","error_description":"AADSTS1: x","error_codes":[7000215]}"#,
        )
        .unwrap();
        assert_eq!(from_codes.aadsts(), Some(7000215));
        let from_text: TokenErrorResponse = serde_json::from_str(
            r#"{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'x' not found.\r\nTrace ID: t"}"#,
        )
        .unwrap();
        assert_eq!(from_text.aadsts(), Some(90002));
        assert_eq!(from_text.summary(), "AADSTS90002: Tenant 'x' not found.");
        let bare: TokenErrorResponse = serde_json::from_str(r#"{"error":"x"}"#).unwrap();
        assert_eq!(bare.aadsts(), None);
        assert_eq!(bare.summary(), "x");
    }

    #[test]
    fn event_debug_hides_subject_and_location() {
        let event: Event = serde_json::from_str(
            r#"{"subject":"Board: layoffs","location":{"displayName":"Room 1"},
                "start":{"dateTime":"2030-01-01T00:00:00","timeZone":"UTC"},
                "end":{"dateTime":"2030-01-01T01:00:00","timeZone":"UTC"}}"#,
        )
        .unwrap();
        let debug = format!("{event:?}");
        assert!(!debug.contains("layoffs") && !debug.contains("Room 1"), "{debug}");
    }
}
