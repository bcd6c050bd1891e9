//! Tenant attributes and their validation.

use super::stored::stored_enum;

stored_enum! {
    pub enum TenantState {
        /// Created; the customer has not finished setting up the calendar connection.
        Onboarding = "onboarding",
        Active = "active",
        Suspended = "suspended",
    }
}

pub const MAX_LICENCES: i32 = 100_000;
pub const DEFAULT_TIMEZONE: &str = "Europe/Copenhagen";

/// A Danish CVR number: 8 digits, spaces allowed on input.
pub fn parse_cvr(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

pub fn parse_timezone(raw: &str) -> Option<chrono_tz::Tz> {
    raw.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvr_is_eight_digits() {
        assert_eq!(parse_cvr("1234 5678").as_deref(), Some("12345678"));
        assert_eq!(parse_cvr("1234567"), None);
        assert_eq!(parse_cvr("1234567a"), None);
    }

    #[test]
    fn timezones_are_iana_names() {
        assert!(parse_timezone("Europe/Copenhagen").is_some());
        assert!(parse_timezone("Mars/Olympus").is_none());
    }
}
