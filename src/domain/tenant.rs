//! Tenant attributes and their validation.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantState {
    /// Created; the customer has not finished setting up the calendar connection.
    Onboarding,
    Active,
    Suspended,
}

impl TenantState {
    pub fn parse(raw: &str) -> Option<TenantState> {
        match raw {
            "onboarding" => Some(TenantState::Onboarding),
            "active" => Some(TenantState::Active),
            "suspended" => Some(TenantState::Suspended),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::Onboarding => "onboarding",
            TenantState::Active => "active",
            TenantState::Suspended => "suspended",
        }
    }
}

impl fmt::Display for TenantState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
