//! Reading Graph's answers: item bodies, error envelopes, and whose failure it is.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::exchange::MailboxResult;
use super::wire::{BatchResponseItem, GraphError, GraphErrorEnvelope};
use crate::providers::error::{AccessScope, ErrorCode, ProviderError};

/// When nothing could be read, decide whether that is the tenant's problem.
///
/// A missing mailbox or one excluded by policy is a fact about that mailbox, so then the
/// answer stays per mailbox. Otherwise unmarked refusals mean consent is missing, and
/// throttling, outages and garbage mean Graph is not usable for this tenant right now.
pub(super) fn whole_tenant_failure(
    results: &[MailboxResult],
    suspect: &[bool],
) -> Option<ProviderError> {
    let mailbox_facts = results.iter().zip(suspect).any(|(result, &suspect)| match result {
        Err(ProviderError::MailboxNotFound { .. }) => true,
        Err(ProviderError::AccessDenied { .. }) => !suspect,
        _ => false,
    });
    if mailbox_facts || results.is_empty() {
        return None;
    }
    if let Some(detail) = results.iter().zip(suspect).find_map(|(result, &suspect)| match result {
        Err(ProviderError::AccessDenied { detail, .. }) if suspect => Some(detail.clone()),
        _ => None,
    }) {
        return Some(ProviderError::AccessDenied { scope: AccessScope::Tenant, detail });
    }
    let errors: Vec<&ProviderError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let count = |code: ErrorCode| errors.iter().filter(|e| e.code() == code).count();
    let code = [ErrorCode::Throttled, ErrorCode::UpstreamUnavailable, ErrorCode::MalformedResponse]
        .into_iter()
        .max_by_key(|&code| (count(code), std::cmp::Reverse(code as u8)))?;
    errors.into_iter().find(|e| e.code() == code).cloned()
}

/// A batch item's body; Graph base64-encodes bodies that are not JSON.
pub(super) fn item_body<'b>(item: &BatchResponseItem<'b>) -> Cow<'b, [u8]> {
    let Some(raw) = item.body else { return Cow::Borrowed(b"") };
    let text = raw.get();
    if !text.starts_with('"') {
        return Cow::Borrowed(text.as_bytes());
    }
    match serde_json::from_str::<String>(text).ok().and_then(|s| STANDARD.decode(s.trim()).ok()) {
        Some(bytes) => Cow::Owned(bytes),
        None => Cow::Borrowed(text.as_bytes()),
    }
}

pub(super) fn graph_error(body: &[u8]) -> GraphError {
    serde_json::from_slice::<GraphErrorEnvelope>(body)
        .map(|envelope| envelope.error)
        .unwrap_or(GraphError { code: String::new(), message: String::new() })
}

/// "403 ErrorAccessDenied: Access is denied…", for logs and the admin's details.
pub(super) fn graph_status_detail(status: u16, body: &[u8]) -> String {
    let error = graph_error(body);
    match (error.code.is_empty(), error.message.is_empty()) {
        (true, true) => format!("Microsoft Graph answered {status}"),
        (true, false) => format!("{status}: {}", error.message),
        (false, true) => format!("{status} {}", error.code),
        (false, false) => format!("{status} {}: {}", error.code, error.message),
    }
}

/// Exchange's application access policies (RBAC for applications) say so in the message.
pub(super) fn names_access_policy(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("accesspolicy") || lower.contains("[raop]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied() -> MailboxResult {
        Err(ProviderError::AccessDenied { scope: AccessScope::Mailbox, detail: "403".into() })
    }

    fn down() -> MailboxResult {
        Err(ProviderError::UpstreamUnavailable { detail: "503".into(), source: None })
    }

    fn throttled() -> MailboxResult {
        Err(ProviderError::Throttled { retries: 3, retry_after: None })
    }

    #[test]
    fn unmarked_refusals_everywhere_mean_missing_consent() {
        let verdict = whole_tenant_failure(&[denied(), down()], &[true, false]).unwrap();
        assert!(matches!(verdict, ProviderError::AccessDenied { scope: AccessScope::Tenant, .. }));
    }

    #[test]
    fn facts_about_mailboxes_stay_per_mailbox() {
        let missing = Err(ProviderError::MailboxNotFound { detail: "5009".into() });
        assert!(whole_tenant_failure(&[missing, down()], &[false, false]).is_none());
        assert!(whole_tenant_failure(&[denied(), down()], &[false, false]).is_none());
        assert!(whole_tenant_failure(&[], &[]).is_none());
    }

    #[test]
    fn the_most_common_service_failure_speaks_for_the_tenant() {
        let verdict = whole_tenant_failure(&[down(), throttled(), down()], &[false; 3]).unwrap();
        assert_eq!(verdict.code(), ErrorCode::UpstreamUnavailable);
        let verdict = whole_tenant_failure(&[down(), throttled()], &[false; 2]).unwrap();
        assert_eq!(verdict.code(), ErrorCode::Throttled, "ties go to throttling");
    }

    #[test]
    fn base64_item_bodies_are_decoded() {
        let json = r#"{"id":"1","status":503,"body":"PGh0bWw+"}"#;
        let item: BatchResponseItem<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(item_body(&item).as_ref(), b"<html>");
        let json = r#"{"id":"1","status":200,"body":{"value":[]}}"#;
        let item: BatchResponseItem<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(item_body(&item).as_ref(), br#"{"value":[]}"#);
    }

    #[test]
    fn details_name_code_and_message() {
        let body = br#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#;
        assert_eq!(graph_status_detail(403, body), "403 ErrorAccessDenied: Access is denied.");
        assert_eq!(graph_status_detail(502, b"<html>"), "Microsoft Graph answered 502");
        assert!(names_access_policy(
            "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
        ));
        assert!(!names_access_policy("Access is denied. Check credentials and try again."));
    }
}
