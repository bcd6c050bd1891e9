//! What an administrator reads about a failed sync: the problem, and what to do about it.

use super::Messages;
use crate::domain::FailureReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    pub problem: &'static str,
    pub fix: &'static str,
}

impl Messages {
    /// The explanation of a stored failure reason, in this language.
    pub fn explain(&self, reason: FailureReason) -> Explanation {
        use FailureReason as R;
        let (problem, fix) = match reason {
            R::NotConfigured => (self.connection_missing, self.connection_missing_fix),
            R::SecretUnreadable => (self.connection_unreadable, self.connection_unreadable_fix),
            R::ConnectionInvalid => (self.connection_invalid, self.connection_invalid_fix),
            R::StorageUnavailable => (self.storage_unavailable, self.storage_unavailable_fix),
            R::TenantNotFound => {
                (self.provider_auth_tenant_not_found, self.provider_auth_tenant_not_found_fix)
            }
            R::AppNotFound => {
                (self.provider_auth_app_not_found, self.provider_auth_app_not_found_fix)
            }
            R::WrongSecret => {
                (self.provider_auth_wrong_secret, self.provider_auth_wrong_secret_fix)
            }
            R::SecretExpired => {
                (self.provider_auth_secret_expired, self.provider_auth_secret_expired_fix)
            }
            R::InvalidScope => {
                (self.provider_auth_invalid_scope, self.provider_auth_invalid_scope_fix)
            }
            R::TokenRejected => {
                (self.provider_auth_token_rejected, self.provider_auth_token_rejected_fix)
            }
            R::AuthFailed => (self.provider_auth_failed, self.provider_auth_failed_fix),
            R::WrongPassword => (self.provider_wrong_password, self.provider_wrong_password_fix),
            R::AuthSchemeUnsupported => {
                (self.provider_scheme_unsupported, self.provider_scheme_unsupported_fix)
            }
            R::ReviewerMissing => {
                (self.provider_reviewer_missing, self.provider_reviewer_missing_fix)
            }
            R::HostNotFound => (self.provider_host_not_found, self.provider_host_not_found_fix),
            R::ConnectFailed => (self.provider_connect_failed, self.provider_connect_failed_fix),
            R::TlsUntrusted => (self.provider_tls_untrusted, self.provider_tls_untrusted_fix),
            R::NotEws => (self.provider_not_ews, self.provider_not_ews_fix),
            R::PrivateAddress => (self.provider_private_address, self.provider_private_address_fix),
            R::ConsentMissing => {
                (self.provider_access_denied_tenant, self.provider_access_denied_tenant_fix)
            }
            R::MailboxDenied => {
                (self.provider_access_denied_mailbox, self.provider_access_denied_mailbox_fix)
            }
            R::MailboxNotFound => {
                (self.provider_mailbox_not_found, self.provider_mailbox_not_found_fix)
            }
            R::Throttled => (self.provider_throttled, self.provider_throttled_fix),
            R::UpstreamUnavailable | R::Timeout => {
                (self.provider_upstream_unavailable, self.provider_upstream_unavailable_fix)
            }
            R::MalformedResponse => {
                (self.provider_malformed_response, self.provider_malformed_response_fix)
            }
        };
        Explanation { problem, fix }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{FailureReason, Locale};
    use crate::i18n::messages;

    #[test]
    fn every_reason_is_explained_in_both_languages() {
        for reason in FailureReason::ALL {
            let da = messages(Locale::Da).explain(*reason);
            let en = messages(Locale::En).explain(*reason);
            for text in [da.problem, da.fix, en.problem, en.fix] {
                assert!(!text.is_empty(), "{reason}");
            }
            assert_ne!(da.problem, en.problem, "{reason}");
        }
    }
}
