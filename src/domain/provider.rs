//! How a tenant's calendars are reached.

use super::stored::stored_enum;

stored_enum! {
    /// How much of each appointment calbridge reads.
    #[derive(Default)]
    pub enum DetailLevel {
        /// Busy/free and times only (`Calendars.ReadBasic` is enough): least privilege.
        #[default]
        FreeBusy = "free_busy",
        /// Also subject and location for the receptionist (`Calendars.Read`).
        Full = "full",
    }
}

impl DetailLevel {
    /// Reads what people type: the stored form (`free_busy`) or the command line's
    /// (`free-busy`), in any case.
    pub fn parse_input(raw: &str) -> Option<DetailLevel> {
        match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "free_busy" | "freebusy" => Some(DetailLevel::FreeBusy),
            "full" => Some(DetailLevel::Full),
            _ => None,
        }
    }
}

stored_enum! {
    /// Where a tenant's calendars live.
    pub enum ProviderKind {
        /// Microsoft 365 through Microsoft Graph.
        Graph = "graph",
        /// Exchange Server on-premises through Exchange Web Services.
        Ews = "ews",
    }
}

stored_enum! {
    /// How calbridge signs in to Exchange on-premises.
    #[derive(Default)]
    pub enum EwsAuth {
        /// Whatever the server offers, NTLM before Basic (NTLM never sends the password).
        #[default]
        Auto = "auto",
        Basic = "basic",
        Ntlm = "ntlm",
    }
}

impl EwsAuth {
    pub fn parse_input(raw: &str) -> Option<EwsAuth> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Some(EwsAuth::Auto),
            "basic" => Some(EwsAuth::Basic),
            "ntlm" | "windows" => Some(EwsAuth::Ntlm),
            _ => None,
        }
    }
}

/// A Microsoft Entra directory (tenant) id: a GUID or one of the tenant's verified domains.
///
/// A domain must be what DNS and the sign-in endpoint take: ASCII letters, digits and
/// hyphens, with any `xn--` label valid punycode (IDNA's strict rules, as Microsoft applies
/// them). A name typed with its own letters (`ÆØÅ.dk`) is refused rather than converted, so
/// the admin enters the GUID or the domain exactly as Microsoft Entra lists it.
pub fn parse_directory_id(raw: &str) -> Option<String> {
    let value = raw.trim();
    if let Ok(guid) = uuid::Uuid::parse_str(value) {
        return Some(guid.hyphenated().to_string());
    }
    let lower = value.to_ascii_lowercase();
    let idna_ok = idna::domain_to_ascii_strict(value).is_ok_and(|ascii| ascii == lower);
    (value.is_ascii() && idna_ok && crate::domain::email::is_domain(value)).then_some(lower)
}

/// How the Graph application permissions a token carries fit the chosen detail level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionFit {
    /// Exactly what the detail level needs.
    Fits,
    /// Works, but grants more than the detail level uses (`Calendars.Read` for free/busy).
    MoreThanNeeded,
    /// Too little for the detail level (`Calendars.ReadBasic` for subject and location).
    NotEnough,
    /// No calendar permission at all: admin consent is missing.
    NoneGranted,
    /// The token did not say (it is opaque); the mailbox read tells instead.
    Unknown,
}

/// Judges the `roles` of an app-only Graph token against the detail level.
pub fn permission_fit(detail: DetailLevel, granted: Option<&[String]>) -> PermissionFit {
    let Some(granted) = granted else { return PermissionFit::Unknown };
    let has = |name: &str| granted.iter().any(|g| g.eq_ignore_ascii_case(name));
    let full = has("Calendars.Read") || has("Calendars.ReadWrite");
    let basic = has("Calendars.ReadBasic");
    match detail {
        _ if !full && !basic => PermissionFit::NoneGranted,
        DetailLevel::FreeBusy if full => PermissionFit::MoreThanNeeded,
        DetailLevel::FreeBusy => PermissionFit::Fits,
        DetailLevel::Full if has("Calendars.ReadWrite") => PermissionFit::MoreThanNeeded,
        DetailLevel::Full if full => PermissionFit::Fits,
        DetailLevel::Full => PermissionFit::NotEnough,
    }
}

/// How soon a client secret expires, when that deserves a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretExpiry {
    /// Within 30, 14 or 3 days (the threshold crossed), with the days left.
    Soon {
        threshold: i64,
        days_left: i64,
    },
    Expired,
}

/// The warning thresholds, in days before the secret expires.
pub const EXPIRY_THRESHOLDS: [i64; 3] = [30, 14, 3];

/// The warning due for a secret expiring on `expires_on`, seen on `today`.
pub fn secret_expiry(
    expires_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Option<SecretExpiry> {
    let days_left = (expires_on - today).num_days();
    if days_left < 0 {
        return Some(SecretExpiry::Expired);
    }
    EXPIRY_THRESHOLDS
        .iter()
        .rev()
        .find(|threshold| days_left <= **threshold)
        .map(|threshold| SecretExpiry::Soon { threshold: *threshold, days_left })
}

/// An application (client) id: always a GUID.
pub fn parse_client_id(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim()).ok().map(|g| g.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_judged_against_the_detail_level() {
        let granted = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let fit = |detail, names: &[&str]| permission_fit(detail, Some(&granted(names)));
        assert_eq!(fit(DetailLevel::FreeBusy, &["Calendars.ReadBasic"]), PermissionFit::Fits);
        assert_eq!(fit(DetailLevel::FreeBusy, &["Calendars.Read"]), PermissionFit::MoreThanNeeded);
        assert_eq!(fit(DetailLevel::Full, &["Calendars.Read"]), PermissionFit::Fits);
        assert_eq!(fit(DetailLevel::Full, &["Calendars.ReadBasic"]), PermissionFit::NotEnough);
        assert_eq!(fit(DetailLevel::Full, &["Calendars.ReadWrite"]), PermissionFit::MoreThanNeeded);
        assert_eq!(fit(DetailLevel::Full, &["User.Read.All"]), PermissionFit::NoneGranted);
        assert_eq!(fit(DetailLevel::FreeBusy, &[]), PermissionFit::NoneGranted);
        assert_eq!(permission_fit(DetailLevel::Full, None), PermissionFit::Unknown);
    }

    #[test]
    fn expiry_warnings_come_at_30_14_and_3_days() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2027, 5, d).unwrap();
        let expires = day(31);
        let april_30 = chrono::NaiveDate::from_ymd_opt(2027, 4, 30).unwrap();
        assert_eq!(secret_expiry(expires, april_30), None);
        assert_eq!(
            secret_expiry(expires, day(1)),
            Some(SecretExpiry::Soon { threshold: 30, days_left: 30 })
        );
        assert_eq!(
            secret_expiry(expires, day(2)),
            Some(SecretExpiry::Soon { threshold: 30, days_left: 29 })
        );
        assert_eq!(
            secret_expiry(expires, day(17)),
            Some(SecretExpiry::Soon { threshold: 14, days_left: 14 })
        );
        assert_eq!(
            secret_expiry(expires, day(31)),
            Some(SecretExpiry::Soon { threshold: 3, days_left: 0 })
        );
        assert_eq!(secret_expiry(day(30), day(31)), Some(SecretExpiry::Expired));
    }

    #[test]
    fn ids_are_guids_or_domains() {
        assert_eq!(
            parse_directory_id(" 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ").as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(
            parse_directory_id("Hansen.onmicrosoft.com").as_deref(),
            Some("hansen.onmicrosoft.com")
        );
        assert_eq!(parse_directory_id("not a tenant"), None);
        assert_eq!(parse_directory_id("xn--bcher-kva.dk").as_deref(), Some("xn--bcher-kva.dk"));
        for refused in
            ["ÆØÅ.dk", "bücher.dk", "xn--invalid-.dk", "xn--zz.dk", "a_b.dk", "hansen.dk.", "-a.dk"]
        {
            assert_eq!(parse_directory_id(refused), None, "{refused}");
        }
        assert!(parse_client_id("hansen.dk").is_none());
        assert_eq!(DetailLevel::parse_input("free-busy"), Some(DetailLevel::FreeBusy));
        assert_eq!(DetailLevel::parse_input("FULL"), Some(DetailLevel::Full));
        assert_eq!(DetailLevel::parse_input("everything"), None);
    }
}
