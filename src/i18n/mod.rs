//! One message catalogue for Danish and English.
//!
//! Every message is declared once with both languages side by side, so a missing
//! translation is a compile error and templates can only use keys that exist.

mod catalogue;
mod explain;

pub use catalogue::Messages;
pub use explain::Explanation;

use crate::domain::Locale;

pub fn messages(locale: Locale) -> &'static Messages {
    match locale {
        Locale::Da => &catalogue::DA,
        Locale::En => &catalogue::EN,
    }
}

impl Messages {
    /// Puts `value` where the message has `{}`.
    pub fn fill(&self, message: &str, value: impl std::fmt::Display) -> String {
        message.replacen("{}", &value.to_string(), 1)
    }
}
