//! Calendar sources behind one trait, so the scheduler does not care where calendars live.
//!
//! A provider is built once per tenant and kept: it owns the tenant's token cache and its
//! in-flight limits, so every sync of that tenant shares them.

pub mod counters;
pub mod error;
pub mod ews;
pub mod graph;
pub mod retry;

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::domain::Email;
use crate::domain::calendar::CalendarItem;

pub use error::{AccessScope, AuthProblem, ErrorCode, NetworkProblem, ProviderError};

/// The shortest window every provider accepts: Graph's smallest free/busy interval.
pub const MIN_WINDOW: Duration = Duration::minutes(5);
/// Graph's getSchedule refuses windows of 62 days or more; keeping every provider to the same
/// limit means a window that works with one detail level works with the other.
pub const MAX_WINDOW: Duration = Duration::days(62);

/// A half-open UTC interval `[start, end)` to read calendars for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a calendar window must be at least 5 minutes and less than 62 days long")]
pub struct InvalidWindow;

impl TimeWindow {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<TimeWindow, InvalidWindow> {
        let length = end - start;
        if length < MIN_WINDOW || length >= MAX_WINDOW {
            return Err(InvalidWindow);
        }
        Ok(TimeWindow { start, end })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    pub fn length(&self) -> Duration {
        self.end - self.start
    }
}

/// What one call cost, for the sync-run record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// Every HTTP request sent, token requests included.
    pub http_requests: u32,
    /// Of those, requests to the token endpoint.
    pub token_requests: u32,
    /// Requests carried inside JSON batches (each getSchedule or calendarView page).
    pub sub_requests: u32,
    /// Responses (whole or inside a batch) that said 429 Too Many Requests.
    pub throttled_responses: u32,
    /// Requests or sub-requests sent again after a 429, 503, 504, network error or timeout.
    pub retries: u32,
}

/// One requested mailbox and what became of it.
#[derive(Debug)]
pub struct MailboxCalendar {
    pub mailbox: Email,
    pub result: Result<Vec<CalendarItem>, ProviderError>,
}

/// The answer to one [`CalendarProvider::read_calendars`] call.
///
/// `result` is an error only when the whole tenant failed (bad credentials, consent missing,
/// Graph down for every mailbox); otherwise it holds one entry per requested mailbox, in the
/// order asked for. `stats` is filled either way, because a failed sync still spent requests.
#[derive(Debug)]
pub struct ReadOutcome {
    pub result: Result<Vec<MailboxCalendar>, ProviderError>,
    pub stats: CallStats,
}

/// What signing in to a calendar source granted, as far as the source tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The application permissions the credentials carry (for Graph, the access token's
    /// `roles`), or `None` where the source does not say.
    pub permissions: Option<Vec<String>>,
    /// How the sign-in went through (for EWS, the authentication scheme), where it matters.
    pub method: Option<String>,
}

/// A source of calendars for one tenant.
///
/// The scheduler keeps an `Arc<dyn CalendarProvider>` per tenant, so the trait has to be
/// dyn-compatible, which `async fn` in traits is not yet. `async_trait` boxes the returned
/// future: one allocation per call of up to thousands of mailboxes and many HTTP requests is
/// noise, and the signatures stay readable where hand-written `Pin<Box<dyn Future>>` would not.
#[async_trait]
pub trait CalendarProvider: Send + Sync + fmt::Debug {
    /// Reads every mailbox's items overlapping `window`. Never panics on what the source
    /// sends; duplicates in `mailboxes` (ignoring case) are read once and answered for each.
    async fn read_calendars(&self, mailboxes: &[Email], window: TimeWindow) -> ReadOutcome;

    /// Signs in without reading a calendar, for a connection test: the same errors as a read
    /// whose sign-in fails.
    async fn sign_in(&self) -> Result<Grant, ProviderError>;

    /// The source's directory groups, where it can read them (Microsoft 365); Exchange
    /// on-premises offers none.
    fn groups(&self) -> Option<&dyn GroupDirectory> {
        None
    }
}

/// A member of a directory group who has a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub mail: Email,
    pub display_name: Option<String>,
}

/// Everyone in a group, nested groups flattened.
#[derive(Debug, Clone, Default)]
pub struct GroupMembers {
    pub group_name: Option<String>,
    /// Users with a mailbox, each once, in the order the directory listed them.
    pub members: Vec<GroupMember>,
    /// Members that are not users (nested groups, devices, service principals, contacts)
    /// or users without a mailbox.
    pub ignored: usize,
    pub stats: CallStats,
}

/// Why a group could not be read. Nothing is changed when one is.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GroupError {
    /// 403: the application permission `GroupMember.Read.All` was not granted.
    #[error("permission to read group members is missing: {detail}")]
    PermissionMissing { detail: String },
    #[error("group not found: {detail}")]
    NotFound { detail: String },
    /// More members than calbridge reads (its page and member bounds).
    #[error("the group has more than {limit} members")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Provider(ProviderError),
}

/// Reading directory groups, beside the calendars: same sign-in, same limits.
#[async_trait]
pub trait GroupDirectory: Send + Sync {
    /// Every member of the group `group` (its object id), transitively.
    async fn group_members(&self, group: uuid::Uuid) -> Result<GroupMembers, GroupError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_are_bounded_by_what_graph_accepts() {
        let start = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        assert!(TimeWindow::new(start, start + Duration::minutes(5)).is_ok());
        assert!(TimeWindow::new(start, start + Duration::days(62) - Duration::seconds(1)).is_ok());
        assert_eq!(TimeWindow::new(start, start + Duration::minutes(4)), Err(InvalidWindow));
        assert_eq!(TimeWindow::new(start, start + Duration::days(62)), Err(InvalidWindow));
        assert_eq!(TimeWindow::new(start, start - Duration::hours(1)), Err(InvalidWindow));
        let window = TimeWindow::new(start, start + Duration::hours(37)).unwrap();
        assert_eq!(window.length(), Duration::hours(37));
    }
}
