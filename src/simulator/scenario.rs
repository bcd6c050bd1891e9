//! The scenario file (TOML) and the specs the control API shares with it.
//!
//! Times can be absolute or relative to an anchor (simulator start for the scenario file, the
//! moment of the call for the control API) so a demo scenario stays current. See SIMULATOR.md.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::calendar::ShowAs;
use crate::domain::timezone::{local_to_utc, parse_local};

use super::calendar::{Pattern, Recurrence, Sensitivity};
use super::faults::FaultSpec;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub simulator: SimulatorSettings,
    pub tenants: Vec<TenantSpec>,
    pub faults: Vec<FaultSpec>,
}

impl Scenario {
    pub fn from_toml_str(text: &str) -> anyhow::Result<Scenario> {
        toml::from_str(text).context("invalid simulator scenario")
    }

    pub fn from_toml_file(path: impl AsRef<Path>) -> anyhow::Result<Scenario> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read scenario file {}", path.display()))?;
        Self::from_toml_str(&text).with_context(|| format!("in {}", path.display()))
    }
}

/// How the batch endpoint orders its responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchOrder {
    /// Always differs from request order (when there are at least two), so clients that
    /// rely on order fail in tests instead of in production.
    #[default]
    Shuffled,
    InOrder,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorSettings {
    pub token_lifetime_secs: u64,
    pub latency_ms: u64,
    /// Requests per (app, mailbox) per budget window before 429 `TooManyRequests`.
    pub request_budget: u64,
    pub budget_window_secs: u64,
    /// Concurrent requests per (app, mailbox) before 429 `ApplicationThrottled`.
    pub max_concurrency: u32,
    pub batch_order: BatchOrder,
    /// Seeds the batch shuffle for reproducible orders; random when absent.
    pub batch_seed: Option<u64>,
    /// HTTP worker threads; actix's default (one per core) when absent.
    pub workers: Option<usize>,
    /// EWS availability times without a UTC offset (in the request's time zone), as some
    /// Exchange builds write them; with an offset like Microsoft's example when false.
    pub ews_times_without_offset: bool,
    /// Port of the HTTPS listener that serves EWS; any free port when absent.
    pub ews_tls_port: Option<u16>,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            token_lifetime_secs: 3599,
            latency_ms: 0,
            request_budget: 10_000,
            budget_window_secs: 600,
            max_concurrency: 4,
            batch_order: BatchOrder::Shuffled,
            batch_seed: None,
            workers: None,
            ews_times_without_offset: false,
            ews_tls_port: None,
        }
    }
}

/// Which Graph application permission the tenant's admin consented to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AppRole {
    #[default]
    #[serde(rename = "Calendars.Read")]
    CalendarsRead,
    #[serde(rename = "Calendars.ReadBasic")]
    CalendarsReadBasic,
    #[serde(rename = "none")]
    None,
}

impl AppRole {
    /// The application permissions a token of this app carries in its `roles` claim.
    pub fn granted(self) -> &'static [&'static str] {
        match self {
            AppRole::CalendarsRead => &["Calendars.Read"],
            AppRole::CalendarsReadBasic => &["Calendars.ReadBasic"],
            AppRole::None => &[],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    #[serde(default)]
    pub name: String,
    pub directory_id: Uuid,
    #[serde(default)]
    pub domains: Vec<String>,
    pub client_id: Uuid,
    pub client_secret: String,
    /// RFC 3339 instant or a date (midnight UTC); never expires when absent.
    #[serde(default)]
    pub secret_expires: Option<TimeInput>,
    #[serde(default)]
    pub role: AppRole,
    #[serde(default)]
    pub mailboxes: Vec<MailboxSpec>,
    /// Makes this an Exchange on-premises organisation, reachable through EWS.
    #[serde(default)]
    pub ews: Option<EwsSpec>,
    /// Whether the admin also consented to `GroupMember.Read.All`; group requests answer 403
    /// `Authorization_RequestDenied` without it.
    #[serde(default)]
    pub group_member_read: bool,
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
}

/// An Entra group: users (by address; one without a mailbox in the scenario is a user
/// without a mailbox), nested groups (by object id), and members that are not users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub id: Uuid,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub members: Vec<String>,
    /// Nested groups' object ids; their members are members too (transitively).
    #[serde(default)]
    pub groups: Vec<Uuid>,
    /// Devices (display names): members that are not users.
    #[serde(default)]
    pub devices: Vec<String>,
    /// Service principals (display names): members that are not users.
    #[serde(default)]
    pub service_principals: Vec<String>,
}

/// The account calbridge signs in to EWS with, and how the server lets it authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EwsSpec {
    /// `DOMAIN\user` or a UPN; unique across organisations, compared case-insensitively.
    pub username: String,
    pub password: String,
    /// Offered schemes in the order of the `WWW-Authenticate` headers.
    #[serde(default = "default_ews_auth")]
    pub auth: Vec<EwsAuthScheme>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EwsAuthScheme {
    Ntlm,
    Basic,
}

fn default_ews_auth() -> Vec<EwsAuthScheme> {
    vec![EwsAuthScheme::Ntlm, EwsAuthScheme::Basic]
}

/// What the organisation's monitoring account may see of a mailbox's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EwsAccess {
    /// Reviewer on the calendar folder: details and FindItem.
    #[default]
    Reviewer,
    /// Free/busy only: GetUserAvailability without details; FindItem is denied.
    FreeBusy,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxSpec {
    pub upn: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub object_id: Option<Uuid>,
    /// IANA or Windows name; also the zone of "today 09:00" times and of recurrences.
    #[serde(default = "default_zone")]
    pub time_zone: String,
    #[serde(default)]
    pub access_denied_by_policy: bool,
    #[serde(default)]
    pub working_hours: WorkingHoursSpec,
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Only meaningful in an organisation with `ews`.
    #[serde(default)]
    pub ews_access: EwsAccess,
}

fn default_zone() -> String {
    "UTC".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkingHoursSpec {
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
}

impl Default for WorkingHoursSpec {
    fn default() -> Self {
        WorkingHoursSpec {
            days: ["monday", "tuesday", "wednesday", "thursday", "friday"]
                .map(String::from)
                .to_vec(),
            start: "08:00".into(),
            end: "17:00".into(),
        }
    }
}

/// A time as written in a scenario: text, or a bare TOML date/date-time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeInput {
    Text(String),
    Toml(toml::value::Datetime),
}

impl TimeInput {
    fn text(&self) -> String {
        match self {
            TimeInput::Text(text) => text.clone(),
            TimeInput::Toml(datetime) => datetime.to_string(),
        }
    }
}

impl From<&str> for TimeInput {
    fn from(text: &str) -> Self {
        TimeInput::Text(text.to_string())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub location: String,
    pub start: Option<TimeInput>,
    #[serde(default)]
    pub end: Option<TimeInput>,
    /// "45m", "1h30m", "2d"; used when `end` is absent (default 30m, 1d for all-day).
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub show_as: Option<String>,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    #[serde(default)]
    pub all_day: bool,
    #[serde(default)]
    pub cancelled: bool,
    #[serde(default)]
    pub recurrence: Option<RecurrenceSpec>,
}

/// Fields to change on an existing event; absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub start: Option<TimeInput>,
    #[serde(default)]
    pub end: Option<TimeInput>,
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub show_as: Option<String>,
    #[serde(default)]
    pub sensitivity: Option<Sensitivity>,
    #[serde(default)]
    pub all_day: Option<bool>,
    #[serde(default)]
    pub cancelled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceSpec {
    pub pattern: Pattern,
    #[serde(default = "one")]
    pub interval: u32,
    #[serde(default)]
    pub days_of_week: Vec<String>,
    #[serde(default)]
    pub first_day_of_week: Option<String>,
    /// Last local date (inclusive) on which an occurrence may start.
    #[serde(default)]
    pub until: Option<TimeInput>,
    #[serde(default)]
    pub count: Option<u32>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

fn spec_err(message: impl Into<String>) -> SpecError {
    SpecError(message.into())
}

/// Parses "45m", "1h30m", "90s", "2d", "1w" (units may repeat: "1h 15m").
pub fn parse_duration(text: &str) -> Result<Duration, SpecError> {
    let bad =
        || spec_err(format!("invalid duration {text:?} (use e.g. \"45m\", \"1h30m\", \"2d\")"));
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for ch in text.trim().chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else if ch.is_whitespace() {
            continue;
        } else {
            let amount: i64 = digits.parse().map_err(|_| bad())?;
            digits.clear();
            let unit = match ch {
                's' => Duration::seconds(1),
                'm' => Duration::minutes(1),
                'h' => Duration::hours(1),
                'd' => Duration::days(1),
                'w' => Duration::weeks(1),
                _ => return Err(bad()),
            };
            total += unit * i32::try_from(amount).map_err(|_| bad())?;
            any = true;
        }
    }
    if !digits.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

/// Resolves a scenario time to an instant.
///
/// Accepted: RFC 3339 (`2026-03-02T09:00:00Z`), local date-time in `tz`
/// (`2026-03-02T09:00:00`), a date (local midnight), `now`, `+15m` / `-1h` relative to
/// `anchor`, and `today 09:00` / `tomorrow 13:30` / `yesterday 08:00` in `tz`.
pub fn resolve_time(
    input: &TimeInput,
    anchor: DateTime<Utc>,
    tz: Tz,
) -> Result<DateTime<Utc>, SpecError> {
    let text = input.text();
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(anchor);
    }
    if let Some(rest) = text.strip_prefix('+') {
        return Ok(anchor + parse_duration(rest)?);
    }
    if let Some(rest) = text.strip_prefix('-') {
        return Ok(anchor - parse_duration(rest)?);
    }
    let today = anchor.with_timezone(&tz).date_naive();
    let mut words = text.split_whitespace();
    if let (Some(day), Some(time), None) = (words.next(), words.next(), words.next()) {
        let date = match day.to_ascii_lowercase().as_str() {
            "today" => Some(today),
            "tomorrow" => today.checked_add_days(Days::new(1)),
            "yesterday" => today.checked_sub_days(Days::new(1)),
            _ => None,
        };
        if let Some(date) = date {
            let time = parse_clock(time)?;
            return Ok(local_to_utc(NaiveDateTime::new(date, time), tz));
        }
    }
    if ["today", "tomorrow", "yesterday"].iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return resolve_time(&TimeInput::Text(format!("{text} 00:00")), anchor, tz);
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(local_to_utc(date.and_time(NaiveTime::MIN), tz));
    }
    if let Some(local) = (!text.ends_with('Z')).then(|| parse_local(text).ok()).flatten() {
        return Ok(local_to_utc(local, tz));
    }
    Err(spec_err(format!(
        "invalid time {text:?} (use RFC 3339, a local date-time, \"+15m\", or \"today 09:00\")"
    )))
}

/// Parses "09:00" or "09:00:00" (also Graph's "08:00:00.0000000").
pub fn parse_clock(text: &str) -> Result<NaiveTime, SpecError> {
    let trimmed = text.split('.').next().unwrap_or(text);
    NaiveTime::parse_from_str(trimmed, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(trimmed, "%H:%M"))
        .map_err(|_| spec_err(format!("invalid clock time {text:?} (use \"09:00\")")))
}

pub fn parse_weekday(text: &str) -> Result<Weekday, SpecError> {
    text.parse::<Weekday>().map_err(|_| spec_err(format!("invalid day of week {text:?}")))
}

pub fn parse_show_as(text: Option<&str>) -> Result<ShowAs, SpecError> {
    match text {
        None => Ok(ShowAs::Busy),
        Some(raw) => match ShowAs::parse(raw) {
            ShowAs::Unknown if !raw.eq_ignore_ascii_case("unknown") => {
                Err(spec_err(format!("invalid show_as {raw:?}")))
            }
            parsed => Ok(parsed),
        },
    }
}

impl RecurrenceSpec {
    pub fn resolve(&self, anchor: DateTime<Utc>, tz: Tz) -> Result<Recurrence, SpecError> {
        if self.interval == 0 {
            return Err(spec_err("recurrence interval must be at least 1"));
        }
        let days_of_week =
            self.days_of_week.iter().map(|d| parse_weekday(d)).collect::<Result<Vec<_>, _>>()?;
        let first_day_of_week = match &self.first_day_of_week {
            Some(day) => parse_weekday(day)?,
            None => Weekday::Sun,
        };
        let until = match &self.until {
            Some(input) => Some(resolve_time(input, anchor, tz)?.with_timezone(&tz).date_naive()),
            None => None,
        };
        Ok(Recurrence {
            pattern: self.pattern,
            interval: self.interval,
            days_of_week,
            first_day_of_week,
            until,
            count: self.count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("45m").unwrap(), Duration::minutes(45));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("1h 15m").unwrap(), Duration::minutes(75));
        assert_eq!(parse_duration("2d").unwrap(), Duration::days(2));
        for bad in ["", "45", "m", "4x", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative_and_absolute_times() {
        let anchor = utc("2024-06-10T10:00:00Z");
        let cph = Tz::Europe__Copenhagen;
        let at = |s: &str| resolve_time(&TimeInput::from(s), anchor, cph).unwrap();
        assert_eq!(at("+15m"), utc("2024-06-10T10:15:00Z"));
        assert_eq!(at("-1h"), utc("2024-06-10T09:00:00Z"));
        assert_eq!(at("now"), anchor);
        assert_eq!(at("today 09:00"), utc("2024-06-10T07:00:00Z"));
        assert_eq!(at("tomorrow 13:30"), utc("2024-06-11T11:30:00Z"));
        assert_eq!(at("2024-06-12T09:00:00Z"), utc("2024-06-12T09:00:00Z"));
        assert_eq!(at("2024-06-12T09:00:00"), utc("2024-06-12T07:00:00Z"));
        assert_eq!(at("2024-06-12"), utc("2024-06-11T22:00:00Z"));
        assert!(resolve_time(&TimeInput::from("someday"), anchor, cph).is_err());
    }

    #[test]
    fn parses_scenario_with_toml_dates() {
        let scenario = Scenario::from_toml_str(
            r#"
            [simulator]
            latency_ms = 5
            [[tenants]]
            directory_id = "6e1e0e0e-0000-4000-8000-000000000001"
            client_id = "6e1e0e0e-0000-4000-8000-000000000002"
            client_secret = "s3cret"
            secret_expires = 2027-05-01
            role = "Calendars.ReadBasic"
            [[tenants.mailboxes]]
            upn = "a@x.dk"
            [[tenants.mailboxes.events]]
            start = 2024-06-12T09:00:00Z
            duration = "45m"
            "#,
        )
        .unwrap();
        assert_eq!(scenario.simulator.latency_ms, 5);
        assert_eq!(scenario.tenants[0].role, AppRole::CalendarsReadBasic);
        let expires = scenario.tenants[0].secret_expires.as_ref().unwrap();
        assert_eq!(
            resolve_time(expires, crate::clock::Clock::system().now(), Tz::UTC).unwrap(),
            utc("2027-05-01T00:00:00Z")
        );
        let start = scenario.tenants[0].mailboxes[0].events[0].start.as_ref().unwrap();
        assert_eq!(
            resolve_time(start, crate::clock::Clock::system().now(), Tz::UTC).unwrap(),
            utc("2024-06-12T09:00:00Z")
        );
        assert!(Scenario::from_toml_str("[simulator]\nbogus = 1").is_err());
    }
}
