//! What can go wrong reading a calendar, as typed errors.
//!
//! Every variant maps to one stable [`ErrorCode`] (the public presence API reports these) and
//! one [`FailureReason`], which the portal explains in the reader's language. Details are for
//! logs: they carry Microsoft's error codes, trace and correlation ids, never a secret or a
//! subject.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

pub use crate::domain::ErrorCode;
use crate::domain::FailureReason;

/// The cause of an error, shared so that one failure can be reported for several mailboxes.
pub type Cause = Arc<dyn StdError + Send + Sync>;

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
    /// Exchange refused the service account's name or password (HTTP 401).
    WrongPassword,
    /// Exchange offers neither Basic nor NTLM (or not the scheme that was chosen).
    SchemeUnsupported,
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
            AuthProblem::WrongPassword => "Exchange refused the user name or password",
            AuthProblem::SchemeUnsupported => {
                "Exchange offers no authentication scheme calbridge can use"
            }
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
    /// This mailbox's calendar folder: the Exchange service account lacks Reviewer on it.
    Calendar,
}

/// Why a server could not be talked to at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkProblem {
    /// The host name does not resolve.
    HostNotFound,
    /// Nothing answers at the address, or the connection broke.
    ConnectFailed,
    /// The server's certificate is not trusted (or not for this name).
    TlsUntrusted,
    /// The name resolves to a private or local address, which this installation refuses.
    PrivateAddress,
    /// Something answers, but not Exchange Web Services (a wrong path, say).
    NotEws,
}

impl NetworkProblem {
    fn describe(self) -> &'static str {
        match self {
            NetworkProblem::HostNotFound => "host name not found",
            NetworkProblem::ConnectFailed => "could not connect",
            NetworkProblem::TlsUntrusted => "the server's certificate is not trusted",
            NetworkProblem::PrivateAddress => "the server is on a private address",
            NetworkProblem::NotEws => "no Exchange Web Services at this address",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    #[error("{}", auth_summary(*.problem, *.aadsts, .detail))]
    Auth { problem: AuthProblem, aadsts: Option<u32>, detail: String },

    #[error("access denied ({}): {detail}", match .scope { AccessScope::Tenant => "tenant", AccessScope::Mailbox => "mailbox", AccessScope::Calendar => "calendar folder" })]
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

    #[error("{}: {detail}", .problem.describe())]
    Unreachable {
        problem: NetworkProblem,
        detail: String,
        #[source]
        source: Option<Cause>,
    },
}

fn auth_summary(problem: AuthProblem, aadsts: Option<u32>, detail: &str) -> String {
    match aadsts {
        Some(code) => format!("sign-in failed: {} (AADSTS{code}): {detail}", problem.describe()),
        None => format!("sign-in failed: {}: {detail}", problem.describe()),
    }
}

impl ProviderError {
    pub fn code(&self) -> ErrorCode {
        self.reason().code()
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
        matches!(
            self,
            ProviderError::Throttled { .. }
                | ProviderError::UpstreamUnavailable { .. }
                | ProviderError::Unreachable {
                    problem: NetworkProblem::HostNotFound | NetworkProblem::ConnectFailed,
                    ..
                }
        )
    }

    /// What exactly went wrong, finer than [`ErrorCode`]: stored with a failed sync so the
    /// portal can explain it later in the reader's language.
    pub fn reason(&self) -> FailureReason {
        match self {
            ProviderError::Auth { problem, .. } => match problem {
                AuthProblem::TenantNotFound => FailureReason::TenantNotFound,
                AuthProblem::AppNotFound => FailureReason::AppNotFound,
                AuthProblem::WrongSecret => FailureReason::WrongSecret,
                AuthProblem::SecretExpired => FailureReason::SecretExpired,
                AuthProblem::InvalidScope => FailureReason::InvalidScope,
                AuthProblem::TokenRejected => FailureReason::TokenRejected,
                AuthProblem::WrongPassword => FailureReason::WrongPassword,
                AuthProblem::SchemeUnsupported => FailureReason::AuthSchemeUnsupported,
                AuthProblem::Other => FailureReason::AuthFailed,
            },
            ProviderError::AccessDenied { scope: AccessScope::Tenant, .. } => {
                FailureReason::ConsentMissing
            }
            ProviderError::AccessDenied { scope: AccessScope::Mailbox, .. } => {
                FailureReason::MailboxDenied
            }
            ProviderError::AccessDenied { scope: AccessScope::Calendar, .. } => {
                FailureReason::ReviewerMissing
            }
            ProviderError::MailboxNotFound { .. } => FailureReason::MailboxNotFound,
            ProviderError::Throttled { .. } => FailureReason::Throttled,
            ProviderError::UpstreamUnavailable { .. } => FailureReason::UpstreamUnavailable,
            ProviderError::MalformedResponse { .. } => FailureReason::MalformedResponse,
            ProviderError::Unreachable { problem, .. } => match problem {
                NetworkProblem::HostNotFound => FailureReason::HostNotFound,
                NetworkProblem::ConnectFailed => FailureReason::ConnectFailed,
                NetworkProblem::TlsUntrusted => FailureReason::TlsUntrusted,
                NetworkProblem::PrivateAddress => FailureReason::PrivateAddress,
                NetworkProblem::NotEws => FailureReason::NotEws,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_public_names() {
        let auth = ProviderError::Auth {
            problem: AuthProblem::WrongSecret,
            aadsts: Some(7000215),
            detail: "x".into(),
        };
        assert_eq!(auth.code().as_str(), "auth_failed");
        assert_eq!(auth.aadsts(), Some(7000215));
        assert_eq!(auth.reason(), FailureReason::WrongSecret);
        let throttled = ProviderError::Throttled { retries: 3, retry_after: None };
        assert_eq!(throttled.code().as_str(), "throttled");
        assert!(throttled.is_transient());
    }

    #[test]
    fn every_error_has_its_public_code() {
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
        let codes: Vec<&str> = errors.iter().map(|e| e.code().as_str()).collect();
        assert_eq!(
            codes,
            [
                "auth_failed",
                "auth_failed",
                "access_denied",
                "access_denied",
                "mailbox_not_found",
                "throttled",
                "upstream_unavailable",
                "malformed_response"
            ]
        );
    }
}
