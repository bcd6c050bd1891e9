//! How a sync went, in stored codes: per mailbox, per tenant, per run.

use super::stored::stored_enum;

stored_enum! {
    /// Why one mailbox (or a whole tenant) could not be read: the stable codes of the presence
    /// API and the CLI's JSON.
    pub enum ErrorCode {
        AuthFailed = "auth_failed",
        AccessDenied = "access_denied",
        MailboxNotFound = "mailbox_not_found",
        Throttled = "throttled",
        UpstreamUnavailable = "upstream_unavailable",
        MalformedResponse = "malformed_response",
        /// calbridge itself could not do its part (its database was unreachable).
        Internal = "internal",
    }
}

stored_enum! {
    /// What exactly went wrong with a tenant's sync, finer than [`ErrorCode`]: stored with the
    /// tenant's sync state so the portal can explain it later, in the reader's language.
    pub enum FailureReason {
        /// No calendar connection is stored.
        NotConfigured = "not_configured",
        /// The stored secret does not decrypt with the configured master keys.
        SecretUnreadable = "secret_unreadable",
        /// The stored connection cannot be used (e.g. an unusable URL).
        ConnectionInvalid = "connection_invalid",
        /// calbridge could not read or write its own database; retried by itself.
        StorageUnavailable = "storage_unavailable",
        /// AADSTS90002.
        TenantNotFound = "auth_failed.tenant_not_found",
        /// AADSTS700016.
        AppNotFound = "auth_failed.app_not_found",
        /// AADSTS7000215.
        WrongSecret = "auth_failed.wrong_secret",
        /// AADSTS7000222.
        SecretExpired = "auth_failed.secret_expired",
        /// AADSTS70011.
        InvalidScope = "auth_failed.invalid_scope",
        /// Graph refused a freshly issued token.
        TokenRejected = "auth_failed.token_rejected",
        /// Exchange on-premises refused the service account's password (HTTP 401).
        WrongPassword = "auth_failed.wrong_password",
        /// Exchange offers neither Basic nor NTLM authentication.
        AuthSchemeUnsupported = "auth_failed.scheme",
        /// Any other sign-in failure.
        AuthFailed = "auth_failed",
        /// Every mailbox refused: the permission was not granted.
        ConsentMissing = "access_denied.tenant",
        /// This mailbox refused, typically excluded by an application access policy.
        MailboxDenied = "access_denied.mailbox",
        /// The Exchange service account lacks Reviewer on this mailbox's calendar.
        ReviewerMissing = "access_denied.calendar",
        MailboxNotFound = "mailbox_not_found",
        Throttled = "throttled",
        UpstreamUnavailable = "upstream_unavailable",
        MalformedResponse = "malformed_response",
        /// The server's host name does not resolve.
        HostNotFound = "upstream_unavailable.host_not_found",
        /// Nothing answers at the server's address.
        ConnectFailed = "upstream_unavailable.connect_failed",
        /// The server's TLS certificate is not trusted.
        TlsUntrusted = "connection_invalid.tls_untrusted",
        /// The server resolves to a private address and this installation refuses those.
        PrivateAddress = "connection_invalid.private_address",
        /// The address answers, but not as Exchange Web Services.
        NotEws = "connection_invalid.not_ews",
        /// The sync did not finish within its deadline.
        Timeout = "timeout",
    }
}

impl FailureReason {
    /// The public code this reason is reported under.
    pub fn code(self) -> ErrorCode {
        use FailureReason as R;
        match self {
            R::NotConfigured
            | R::SecretUnreadable
            | R::ConnectionInvalid
            | R::TenantNotFound
            | R::AppNotFound
            | R::WrongSecret
            | R::SecretExpired
            | R::InvalidScope
            | R::TokenRejected
            | R::WrongPassword
            | R::AuthSchemeUnsupported
            | R::TlsUntrusted
            | R::PrivateAddress
            | R::NotEws
            | R::AuthFailed => ErrorCode::AuthFailed,
            R::ConsentMissing | R::MailboxDenied | R::ReviewerMissing => ErrorCode::AccessDenied,
            R::MailboxNotFound => ErrorCode::MailboxNotFound,
            R::Throttled => ErrorCode::Throttled,
            R::UpstreamUnavailable | R::Timeout | R::HostNotFound | R::ConnectFailed => {
                ErrorCode::UpstreamUnavailable
            }
            R::MalformedResponse => ErrorCode::MalformedResponse,
            R::StorageUnavailable => ErrorCode::Internal,
        }
    }

    /// Only an administrator can fix it: retrying on a schedule will not.
    pub fn needs_admin(self) -> bool {
        matches!(self.code(), ErrorCode::AuthFailed | ErrorCode::AccessDenied)
    }

    /// The reason behind a mailbox's stored code, for explaining it on the board.
    pub fn of_mailbox(code: ErrorCode) -> FailureReason {
        match code {
            ErrorCode::AuthFailed => FailureReason::AuthFailed,
            ErrorCode::AccessDenied => FailureReason::MailboxDenied,
            ErrorCode::MailboxNotFound => FailureReason::MailboxNotFound,
            ErrorCode::Throttled => FailureReason::Throttled,
            ErrorCode::UpstreamUnavailable => FailureReason::UpstreamUnavailable,
            ErrorCode::MalformedResponse => FailureReason::MalformedResponse,
            ErrorCode::Internal => FailureReason::StorageUnavailable,
        }
    }
}

stored_enum! {
    /// How one tenant sync ended.
    pub enum SyncOutcome {
        Ok = "ok",
        /// Some mailboxes could not be read.
        Partial = "partial",
        Failed = "failed",
    }
}
