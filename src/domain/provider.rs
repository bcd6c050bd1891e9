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

/// An application (client) id: always a GUID.
pub fn parse_client_id(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim()).ok().map(|g| g.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
