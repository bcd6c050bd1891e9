//! Views of availability: the receptionist's board, the rules page with its preview, and
//! sync health.

use askama::Template;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Page;
use crate::availability::{AvailabilityState, Explanation};
use crate::i18n::Messages;

pub fn state_label(t: &Messages, state: AvailabilityState) -> &'static str {
    match state {
        AvailabilityState::Free => t.avail_free,
        AvailabilityState::Busy => t.avail_busy,
        AvailabilityState::Tentative => t.avail_tentative,
        AvailabilityState::OutOfOffice => t.avail_out_of_office,
        AvailabilityState::WorkingElsewhere => t.avail_working_elsewhere,
        AvailabilityState::Unknown => t.avail_unknown,
    }
}

pub fn why(t: &Messages, explanation: &Explanation) -> &'static str {
    match explanation {
        Explanation::NoCalendarData => t.why_no_data,
        Explanation::NoShownItemCoversNow => t.why_nothing,
        Explanation::ShownItemMakesUnavailable { .. } => t.why_unavailable,
        Explanation::ShownItemKeepsAvailable { .. } => t.why_keeps_available,
        Explanation::OverlappingItemMakesUnavailable { .. } => t.why_overlap,
    }
}

/// One person on the board, already in words.
pub struct BoardRow {
    pub name: String,
    pub email: String,
    pub extension: String,
    pub department: String,
    /// CSS class: free, busy, tentative, out_of_office, working_elsewhere, unknown.
    pub state: &'static str,
    pub state_label: &'static str,
    pub until: String,
    pub appointment: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "tenant/presence.html")]
pub struct PresenceView {
    pub page: Page,
    pub q: String,
    pub rows: Vec<BoardRow>,
    pub available: usize,
    pub total: usize,
}

pub struct RuleRow {
    pub key: &'static str,
    pub label: &'static str,
    pub shown: bool,
    pub unavailable: bool,
}

pub struct PreviewRow {
    pub time: String,
    pub state: &'static str,
    pub sees: String,
    pub why: &'static str,
}

#[derive(Template)]
#[template(path = "tenant/rules.html")]
pub struct RulesView {
    pub page: Page,
    pub rows: Vec<RuleRow>,
    pub show_subject: bool,
    pub show_location: bool,
    pub users: Vec<(Uuid, String, bool)>,
    pub tomorrow: bool,
    pub preview: Vec<PreviewRow>,
    /// Why there is no preview, if there is none.
    pub preview_message: Option<&'static str>,
}

pub struct RunRow {
    pub started: String,
    pub outcome: &'static str,
    pub outcome_label: &'static str,
    pub users: i32,
    pub changed: i32,
    pub http_requests: i32,
    pub throttled: i32,
    pub errors: i32,
    pub duration: String,
}

pub struct UserErrorRow {
    pub who: String,
    pub problem: &'static str,
    pub fix: &'static str,
}

#[derive(Template)]
#[template(path = "shared/sync_health.html")]
pub struct SyncHealthView {
    pub page: Page,
    pub heading: String,
    pub status: &'static str,
    pub status_label: String,
    pub problem: Option<(&'static str, &'static str)>,
    pub failures: i32,
    pub running_on: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub runs: Vec<RunRow>,
    pub user_errors: Vec<UserErrorRow>,
}
