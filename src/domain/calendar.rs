//! Calendar items as every provider delivers them, whatever the source.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How an appointment marks its owner's time ("Vis som" in Outlook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowAs {
    Free,
    Tentative,
    Busy,
    Oof,
    WorkingElsewhere,
    Unknown,
}

impl ShowAs {
    /// Parses the names Graph (`showAs`, `status`) and EWS (`BusyType`) use, case-insensitively.
    pub fn parse(raw: &str) -> ShowAs {
        match raw.to_ascii_lowercase().as_str() {
            "free" => ShowAs::Free,
            "tentative" => ShowAs::Tentative,
            "busy" => ShowAs::Busy,
            "oof" | "outofoffice" | "out_of_office" => ShowAs::Oof,
            "workingelsewhere" | "working_elsewhere" => ShowAs::WorkingElsewhere,
            _ => ShowAs::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ShowAs::Free => "free",
            ShowAs::Tentative => "tentative",
            ShowAs::Busy => "busy",
            ShowAs::Oof => "oof",
            ShowAs::WorkingElsewhere => "working_elsewhere",
            ShowAs::Unknown => "unknown",
        }
    }
}

/// One appointment in a mailbox, times in UTC.
///
/// For a private item the provider has already dropped subject and location: they never
/// leave the provider, so nothing downstream can store or show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarItem {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub show_as: ShowAs,
    pub subject: Option<String>,
    pub location: Option<String>,
    pub private: bool,
    pub all_day: bool,
}

impl CalendarItem {
    /// Builds an item, withholding subject and location when it is private.
    pub fn new(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        show_as: ShowAs,
        subject: Option<String>,
        location: Option<String>,
        private: bool,
        all_day: bool,
    ) -> CalendarItem {
        let (subject, location) = if private { (None, None) } else { (subject, location) };
        CalendarItem { start, end, show_as, subject, location, private, all_day }
    }
}
