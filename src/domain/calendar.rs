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

/// Subjects and locations are shown on one line; Outlook caps a subject at 255 characters.
const MAX_TEXT: usize = 255;

/// Calendar text as whoever wrote the appointment typed it, made safe to store and show:
/// line breaks and tabs become spaces; other control characters (NUL, which PostgreSQL
/// cannot store, and terminal escape sequences) and bidirectional overrides are dropped;
/// at most [`MAX_TEXT`] characters are kept. Blank text is no text.
pub fn clean_text(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .take(MAX_TEXT)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

impl CalendarItem {
    /// Builds an item, withholding subject and location when it is private, and cleaning
    /// them ([`clean_text`]) when not.
    pub fn new(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        show_as: ShowAs,
        subject: Option<String>,
        location: Option<String>,
        private: bool,
        all_day: bool,
    ) -> CalendarItem {
        let (subject, location) = if private {
            (None, None)
        } else {
            (subject.as_deref().and_then(clean_text), location.as_deref().and_then(clean_text))
        };
        CalendarItem { start, end, show_as, subject, location, private, all_day }
    }
}

#[cfg(test)]
mod tests {
    use super::clean_text;

    #[test]
    fn calendar_text_is_one_clean_line() {
        assert_eq!(clean_text("Kundemøde\r\nlokale 2").as_deref(), Some("Kundemøde  lokale 2"));
        assert_eq!(
            clean_text("\u{1b}]0;owned\u{7}\u{1b}[2JStatus").as_deref(),
            Some("]0;owned[2JStatus")
        );
        assert_eq!(clean_text("a\0b\u{202e}c").as_deref(), Some("abc"));
        assert_eq!(clean_text(" \u{0} \t "), None);
        assert_eq!(clean_text(&"x".repeat(300)).map(|s| s.len()), Some(255));
    }
}
