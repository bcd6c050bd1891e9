//! E-mail addresses: the key that links a person to a calendar and to an account.

use std::fmt;

/// A syntactically valid address. Comparisons use [`Email::key`], the lower-cased form,
/// because Exchange treats addresses case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InvalidEmail> {
        let s = raw.trim();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(InvalidEmail)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"']);
        if !local_ok || !is_domain(domain) {
            return Err(InvalidEmail);
        }
        Ok(Email(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased address used for uniqueness and lookups.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS name with at least two labels, as used in e-mail addresses and Entra verified
/// domains.
pub fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_danish_addresses() {
        for ok in ["anna@firma.dk", "Søren.Ærø@kommune.dk", "a+b@x.co.uk", " bo@x.dk "] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Email::parse("Anna@Firma.DK").unwrap().key(), "anna@firma.dk");
    }

    #[test]
    fn rejects_what_cannot_be_a_mailbox() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@firma.dk",
            "anna@firma",
            "a b@x.dk",
            "a..b@x.dk",
            "anna@-x.dk",
            "anna@x.d1",
            "<a>@x.dk",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
