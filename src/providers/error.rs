//! What can go wrong reading a calendar, in terms an administrator can act on.
//!
//! Every variant maps to one stable [`ErrorCode`] (the public presence API reports these) and
//! to a plain explanation with a fix from the message catalogue. Details are for logs: they
//! carry Microsoft's error codes, trace and correlation ids, never a secret or a subject.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::i18n::Messages;

/// The cause of an error, shared so that one failure can be reported for several mailboxes.
pub type Cause = Arc<dyn StdError + Send + Sync>;

/// The stable error codes of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    AuthFailed,
    AccessDenied,
    MailboxNotFound,
    Throttled,
    UpstreamUnavailable,
    MalformedResponse,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::MailboxNotFound => "mailbox_not_found",
            ErrorCode::Throttled => "throttled",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::MalformedResponse => "malformed_response",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why signing in to Microsoft Entra failed, from the AADSTS code where there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProblem {
    /// AADSTS90002: the directory (tenant) id or domain does not exist.
    TenantNotFound,
    /// AADSTS700016: the application id is unknown in this tenant, or consent was never given.
    AppNotFound,
    /// AADSTS7000215: the secret is wrong, typically the Secret ID pasted instead of the Value.
    WrongSecret,
    /// AADSTS7000222: the secret has expired.
    SecretExpired,
    /// AADSTS70011: the requested scope is not valid.
    InvalidScope,
    /// Graph refused a freshly issued token.
    TokenRejected,
    /// Any other sign-in failure (the AADSTS code, if any, is kept next to it).
    Other,
}

impl AuthProblem {
    /// The problem an AADSTS error number stands for.
    pub fn from_aadsts(code: u32) -> AuthProblem {
        match code {
            90002 => AuthProblem::TenantNotFound,
            700016 => AuthProblem::AppNotFound,
            7000215 => AuthProblem::WrongSecret,
            7000222 => AuthProblem::SecretExpired,
            70011 => AuthProblem::InvalidScope,
            _ => AuthProblem::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            AuthProblem::TenantNotFound => "directory (tenant) not found",
            AuthProblem::AppNotFound => "application not found in the tenant or not consented",
            AuthProblem::WrongSecret => "invalid client secret",
            AuthProblem::SecretExpired => "client secret expired",
            AuthProblem::InvalidScope => "invalid scope",
            AuthProblem::TokenRejected => "Microsoft Graph rejected a fresh access token",
            AuthProblem::Other => "sign-in failed",
        }
    }
}

/// Whether access was refused for the whole tenant or for one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessScope {
    /// Every mailbox: the permission was not granted (admin consent missing).
    Tenant,
    /// This mailbox only, typically excluded by an application access policy.
    Mailbox,
}

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    #[error("{}", auth_summary(*.problem, *.aadsts, .detail))]
    Auth { problem: AuthProblem, aadsts: Option<u32>, detail: String },

    #[error("access denied ({}): {detail}", match .scope { AccessScope::Tenant => "tenant", AccessScope::Mailbox => "mailbox" })]
    AccessDenied { scope: AccessScope, detail: String },

    #[error("mailbox not found: {detail}")]
    MailboxNotFound { detail: String },

    #[error("throttled by Microsoft Graph after {retries} retries")]
    Throttled {
        retries: u32,
        /// What Graph last asked for, when it said; the scheduler can wait that long.
        retry_after: Option<Duration>,
    },

    #[error("Microsoft service unavailable: {detail}")]
    UpstreamUnavailable {
        detail: String,
        #[source]
        source: Option<Cause>,
    },

    #[error("malformed response from Microsoft: {detail}")]
    MalformedResponse { detail: String },
}

fn auth_summary(problem: AuthProblem, aadsts: Option<u32>, detail: &str) -> String {
    match aadsts {
        Some(code) => format!("sign-in failed: {} (AADSTS{code}): {detail}", problem.describe()),
        None => format!("sign-in failed: {}: {detail}", problem.describe()),
    }
}

/// What an administrator reads: what is wrong, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    pub problem: &'static str,
    pub fix: &'static str,
}

impl ProviderError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ProviderError::Auth { .. } => ErrorCode::AuthFailed,
            ProviderError::AccessDenied { .. } => ErrorCode::AccessDenied,
            ProviderError::MailboxNotFound { .. } => ErrorCode::MailboxNotFound,
            ProviderError::Throttled { .. } => ErrorCode::Throttled,
            ProviderError::UpstreamUnavailable { .. } => ErrorCode::UpstreamUnavailable,
            ProviderError::MalformedResponse { .. } => ErrorCode::MalformedResponse,
        }
    }

    /// The AADSTS number of a sign-in failure, if Microsoft gave one.
    pub fn aadsts(&self) -> Option<u32> {
        match self {
            ProviderError::Auth { aadsts, .. } => *aadsts,
            _ => None,
        }
    }

    /// True for failures that may go away by themselves (the scheduler retries later).
    pub fn is_transient(&self) -> bool {
        matches!(self, ProviderError::Throttled { .. } | ProviderError::UpstreamUnavailable { .. })
    }

    /// A stable key for what went wrong, finer than [`ErrorCode`]: stored with a failed sync so
    /// the portal can explain it later in the reader's language.
    pub fn reason(&self) -> &'static str {
        match self {
            ProviderError::Auth { problem, .. } => match problem {
                AuthProblem::TenantNotFound => "auth_failed.tenant_not_found",
                AuthProblem::AppNotFound => "auth_failed.app_not_found",
                AuthProblem::WrongSecret => "auth_failed.wrong_secret",
                AuthProblem::SecretExpired => "auth_failed.secret_expired",
                AuthProblem::InvalidScope => "auth_failed.invalid_scope",
                AuthProblem::TokenRejected => "auth_failed.token_rejected",
                AuthProblem::Other => "auth_failed",
            },
            ProviderError::AccessDenied { scope: AccessScope::Tenant, .. } => {
                "access_denied.tenant"
            }
            ProviderError::AccessDenied { scope: AccessScope::Mailbox, .. } => {
                "access_denied.mailbox"
            }
            ProviderError::MailboxNotFound { .. } => "mailbox_not_found",
            ProviderError::Throttled { .. } => "throttled",
            ProviderError::UpstreamUnavailable { .. } => "upstream_unavailable",
            ProviderError::MalformedResponse { .. } => "malformed_response",
        }
    }

    /// The explanation and fix in the language of `messages`.
    pub fn explain(&self, messages: &Messages) -> Explanation {
        explain_reason(self.reason(), messages).expect("every reason is explained")
    }
}

/// The explanation for a stored [`ProviderError::reason`].
pub fn explain_reason(reason: &str, m: &Messages) -> Option<Explanation> {
    let (problem, fix) = match reason {
        "auth_failed.tenant_not_found" => {
            (m.provider_auth_tenant_not_found, m.provider_auth_tenant_not_found_fix)
        }
        "auth_failed.app_not_found" => {
            (m.provider_auth_app_not_found, m.provider_auth_app_not_found_fix)
        }
        "auth_failed.wrong_secret" => {
            (m.provider_auth_wrong_secret, m.provider_auth_wrong_secret_fix)
        }
        "auth_failed.secret_expired" => {
            (m.provider_auth_secret_expired, m.provider_auth_secret_expired_fix)
        }
        "auth_failed.invalid_scope" => {
            (m.provider_auth_invalid_scope, m.provider_auth_invalid_scope_fix)
        }
        "auth_failed.token_rejected" => {
            (m.provider_auth_token_rejected, m.provider_auth_token_rejected_fix)
        }
        "auth_failed" => (m.provider_auth_failed, m.provider_auth_failed_fix),
        "access_denied.tenant" => {
            (m.provider_access_denied_tenant, m.provider_access_denied_tenant_fix)
        }
        "access_denied.mailbox" => {
            (m.provider_access_denied_mailbox, m.provider_access_denied_mailbox_fix)
        }
        "mailbox_not_found" => (m.provider_mailbox_not_found, m.provider_mailbox_not_found_fix),
        "throttled" => (m.provider_throttled, m.provider_throttled_fix),
        "upstream_unavailable" | "timeout" => {
            (m.provider_upstream_unavailable, m.provider_upstream_unavailable_fix)
        }
        "malformed_response" => (m.provider_malformed_response, m.provider_malformed_response_fix),
        _ => return None,
    };
    Some(Explanation { problem, fix })
}

/// The explanation for a public [`ErrorCode`] of one mailbox (as stored per user).
pub fn explain_code(code: &str, m: &Messages) -> Option<Explanation> {
    let reason = match code {
        "access_denied" => "access_denied.mailbox",
        other => other,
    };
    explain_reason(reason, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::messages;

    #[test]
    fn codes_are_the_public_names() {
        let auth = ProviderError::Auth {
            problem: AuthProblem::WrongSecret,
            aadsts: Some(7000215),
            detail: "x".into(),
        };
        assert_eq!(auth.code().as_str(), "auth_failed");
        assert_eq!(auth.aadsts(), Some(7000215));
        let throttled = ProviderError::Throttled { retries: 3, retry_after: None };
        assert_eq!(throttled.code().as_str(), "throttled");
        assert!(throttled.is_transient());
    }

    #[test]
    fn every_error_is_explained_in_both_languages() {
        let errors = [
            ProviderError::Auth {
                problem: AuthProblem::TenantNotFound,
                aadsts: None,
                detail: "".into(),
            },
            ProviderError::Auth { problem: AuthProblem::Other, aadsts: None, detail: "".into() },
            ProviderError::AccessDenied { scope: AccessScope::Tenant, detail: "".into() },
            ProviderError::AccessDenied { scope: AccessScope::Mailbox, detail: "".into() },
            ProviderError::MailboxNotFound { detail: "".into() },
            ProviderError::Throttled { retries: 3, retry_after: None },
            ProviderError::UpstreamUnavailable { detail: "".into(), source: None },
            ProviderError::MalformedResponse { detail: "".into() },
        ];
        for locale in [crate::domain::Locale::Da, crate::domain::Locale::En] {
            for error in &errors {
                let text = error.explain(messages(locale));
                assert!(!text.problem.is_empty() && !text.fix.is_empty(), "{error:?}");
            }
        }
        let en = errors[0].explain(messages(crate::domain::Locale::En));
        let da = errors[0].explain(messages(crate::domain::Locale::Da));
        assert_ne!(en.problem, da.problem);
    }
}
