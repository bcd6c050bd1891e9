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

stored_enum! {
    /// The pages of the onboarding wizard, in order.
    pub enum WizardStep {
        Company = "company",
        Calendar = "calendar",
        Entra = "entra",
        Restrict = "restrict",
        Credentials = "credentials",
        Users = "users",
        Done = "done",
    }
}

impl WizardStep {
    /// Its place in the wizard, from 1.
    pub fn number(self) -> usize {
        WizardStep::ALL.iter().position(|s| *s == self).map_or(1, |i| i + 1)
    }

    pub fn next(self) -> Option<WizardStep> {
        WizardStep::ALL.get(self.number()).copied()
    }

    pub fn previous(self) -> Option<WizardStep> {
        self.number().checked_sub(2).and_then(|i| WizardStep::ALL.get(i).copied())
    }
}

/// How far a tenant got, as the operator follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OnboardingStage {
    /// Created; nobody of the company has signed in yet.
    Created,
    Invited,
    Company,
    Connection,
    Users,
    Live,
}

impl OnboardingStage {
    pub fn key(self) -> &'static str {
        match self {
            OnboardingStage::Created => "created",
            OnboardingStage::Invited => "invited",
            OnboardingStage::Company => "company",
            OnboardingStage::Connection => "connection",
            OnboardingStage::Users => "users",
            OnboardingStage::Live => "live",
        }
    }

    pub const ALL: [OnboardingStage; 6] = [
        OnboardingStage::Created,
        OnboardingStage::Invited,
        OnboardingStage::Company,
        OnboardingStage::Connection,
        OnboardingStage::Users,
        OnboardingStage::Live,
    ];
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
    fn wizard_steps_go_in_order() {
        assert_eq!(WizardStep::Company.number(), 1);
        assert_eq!(WizardStep::Company.previous(), None);
        assert_eq!(WizardStep::Company.next(), Some(WizardStep::Calendar));
        assert_eq!(WizardStep::Done.next(), None);
        assert_eq!(WizardStep::Done.previous(), Some(WizardStep::Users));
    }

    #[test]
    fn timezones_are_iana_names() {
        assert!(parse_timezone("Europe/Copenhagen").is_some());
        assert!(parse_timezone("Mars/Olympus").is_none());
    }
}
