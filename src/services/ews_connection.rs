//! A tenant's Exchange on-premises connection: the EWS address, the service account and its
//! password (encrypted, write-only), the authentication scheme, an optional CA certificate
//! for an internal certificate authority, and the detail level. Tested before it is stored.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::connection_test::{self, Report};
use super::provider_registry::EwsTarget;
use super::{Actor, AppState, Error, FieldErrors, Invalid, Result, TenantScope, audit};
use crate::db::provider_configs::{self, EwsConnection};
use crate::db::tenants::{self, Milestone};
use crate::db::{leases, provider_configs as configs};
use crate::domain::provider::{DetailLevel, EwsAuth, ProviderKind};
use crate::domain::{Email, FailureReason};
use crate::secrets::SecretField;

const MAX_URL: usize = 2_000;
const MAX_USERNAME: usize = 256;
const MAX_PASSWORD: usize = 1_024;
/// A CA bundle of a few certificates; far beyond any single one.
const MAX_CA_PEM: usize = 64 * 1024;

/// The form's fields as typed (the password is never among them).
#[derive(Debug, Clone, Default)]
pub struct EwsTyped {
    pub url: String,
    pub username: String,
    pub auth: String,
    pub detail: String,
    pub ca_pem: String,
    pub test_mailbox: String,
}

/// What anyone may see of the stored connection: everything but the password.
#[derive(Debug, Clone)]
pub struct EwsSummary {
    pub url: String,
    pub username: String,
    pub auth: EwsAuth,
    pub detail: DetailLevel,
    pub has_ca: bool,
}

#[derive(Debug, Clone)]
pub struct EwsConnected {
    pub summary: EwsSummary,
    pub last_used: Option<DateTime<Utc>>,
    pub last_test: Option<(DateTime<Utc>, bool)>,
    /// The scheme the last successful test signed in with.
    pub method: Option<String>,
}

pub struct EwsInput {
    pub typed: EwsTyped,
    /// Empty keeps the stored password.
    pub password: SecretString,
    /// The admin's own password, when asked for.
    pub admin_password: Option<SecretString>,
}

/// Checks the connection as typed, before anything is sent anywhere.
pub fn validate(
    typed: &EwsTyped,
    password: SecretString,
    allow_private: bool,
) -> std::result::Result<EwsTarget, FieldErrors> {
    let mut errors = FieldErrors::default();
    let url = typed.url.trim();
    if url.is_empty() {
        errors.add("ews_url", Invalid::Required);
    } else if url.len() > MAX_URL {
        errors.add("ews_url", Invalid::TooLong(MAX_URL));
    } else {
        match url::Url::parse(url) {
            Ok(parsed)
                if (parsed.scheme() == "https" || (allow_private && parsed.scheme() == "http"))
                    && parsed.host().is_some()
                    && parsed.username().is_empty()
                    && parsed.password().is_none()
                    && parsed.fragment().is_none() =>
            {
                if !parsed.path().to_ascii_lowercase().ends_with("/ews/exchange.asmx") {
                    errors.add("ews_url", Invalid::EwsUrlPath);
                }
            }
            _ => errors.add("ews_url", Invalid::EwsUrl),
        }
    }
    let username = typed.username.trim();
    if username.is_empty() {
        errors.add("ews_username", Invalid::Required);
    } else if username.len() > MAX_USERNAME {
        errors.add("ews_username", Invalid::TooLong(MAX_USERNAME));
    } else if !username_ok(username) {
        errors.add("ews_username", Invalid::EwsUsername);
    }
    let secret = password.expose_secret();
    if secret.is_empty() {
        errors.add("ews_password", Invalid::Required);
    } else if secret.len() > MAX_PASSWORD {
        errors.add("ews_password", Invalid::TooLong(MAX_PASSWORD));
    }
    let auth = EwsAuth::parse_input(&typed.auth).unwrap_or_else(|| {
        errors.add("ews_auth", Invalid::EwsAuth);
        EwsAuth::default()
    });
    let detail = match typed.detail.trim() {
        "" => DetailLevel::default(),
        raw => DetailLevel::parse_input(raw).unwrap_or_else(|| {
            errors.add("detail", Invalid::DetailLevel);
            DetailLevel::default()
        }),
    };
    let ca_pem = typed.ca_pem.trim();
    if ca_pem.len() > MAX_CA_PEM {
        errors.add("ews_ca_pem", Invalid::TooLong(MAX_CA_PEM));
    } else if !ca_pem.is_empty() && !ca_ok(ca_pem) {
        errors.add("ews_ca_pem", Invalid::CaCertificate);
    }
    errors.into_result()?;
    Ok(EwsTarget {
        url: url.to_owned(),
        username: username.to_owned(),
        password,
        auth,
        ca_pem: (!ca_pem.is_empty()).then(|| ca_pem.to_owned()),
        detail,
    })
}

/// `DOMAIN\user` or `user@domain`: what Windows sign-in takes.
fn username_ok(raw: &str) -> bool {
    let printable = raw.chars().all(|c| !c.is_control() && c != '"' && c != ':');
    let down_level = raw.split_once('\\').is_some_and(|(domain, user)| {
        !domain.is_empty() && !user.is_empty() && !user.contains('\\')
    });
    printable && (down_level || Email::parse(raw).is_ok())
}

/// One or more PEM certificates, each a parseable X.509 certificate.
fn ca_ok(pem: &str) -> bool {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut store = rustls::RootCertStore::empty();
    let mut count = 0;
    for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let Ok(der) = certificate else { return false };
        if store.add(der).is_err() {
            return false;
        }
        count += 1;
    }
    count > 0
}

fn summary_of(target: &EwsTarget) -> EwsSummary {
    EwsSummary {
        url: target.url.clone(),
        username: target.username.clone(),
        auth: target.auth,
        detail: target.detail,
        has_ca: target.ca_pem.is_some(),
    }
}

/// The stored Exchange connection, if the tenant has one.
pub async fn connected(state: &AppState, scope: TenantScope) -> Result<Option<EwsConnected>> {
    let Some(row) = configs::find(&state.db, scope).await? else { return Ok(None) };
    if row.kind != ProviderKind::Ews {
        return Ok(None);
    }
    let last_used =
        leases::find(&state.db, scope.tenant_id()).await?.and_then(|s| s.last_success_at);
    Ok(Some(EwsConnected {
        summary: EwsSummary {
            url: row.ews_url.unwrap_or_default(),
            username: row.ews_username.unwrap_or_default(),
            auth: row.ews_auth_scheme.as_deref().and_then(EwsAuth::parse_input).unwrap_or_default(),
            detail: row.detail_level,
            has_ca: row.ews_ca_pem.is_some(),
        },
        last_used,
        last_test: row.last_test_at.zip(row.last_test_ok),
        method: row.granted_permissions,
    }))
}

/// The form prefilled from the stored connection (the CA certificate included: it is public).
pub async fn typed(state: &AppState, scope: TenantScope, mailbox: String) -> Result<EwsTyped> {
    let row = configs::find(&state.db, scope).await?.filter(|r| r.kind == ProviderKind::Ews);
    Ok(match row {
        Some(row) => EwsTyped {
            url: row.ews_url.unwrap_or_default(),
            username: row.ews_username.unwrap_or_default(),
            auth: row.ews_auth_scheme.unwrap_or_else(|| EwsAuth::default().as_str().to_owned()),
            detail: row.detail_level.as_str().to_owned(),
            ca_pem: row.ews_ca_pem.unwrap_or_default(),
            test_mailbox: mailbox,
        },
        None => EwsTyped {
            auth: EwsAuth::default().as_str().to_owned(),
            detail: DetailLevel::default().as_str().to_owned(),
            test_mailbox: mailbox,
            ..EwsTyped::default()
        },
    })
}

/// The stored connection with its password, to test or to keep the password.
pub async fn stored(state: &AppState, scope: TenantScope) -> Result<Option<EwsTarget>> {
    let Some(row) = configs::find(&state.db, scope).await? else { return Ok(None) };
    if row.kind != ProviderKind::Ews {
        return Ok(None);
    }
    Ok(EwsTarget::stored(&row, &state.keyring).ok())
}

/// Runs the checklist against `target`, audited; stores nothing.
pub async fn test(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    target: EwsTarget,
    mailbox: Option<Email>,
) -> Result<Report> {
    let now = state.clock.now();
    let (detail, url) = (target.detail, target.url.clone());
    let report = match state.providers.ews(target) {
        Ok(provider) => connection_test::run_ews(&provider, detail, mailbox, now).await,
        Err(problem) => Report::unusable(detail, problem.reason(), problem.to_string()),
    };
    let outcome = match report.failure() {
        None => "passed".to_owned(),
        Some((_, reason, _)) => format!("failed: {reason}"),
    };
    let target = format!("Exchange · {url} · {outcome}");
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "connection.tested",
        Some(target),
    )
    .await?;
    Ok(report)
}

/// Stores the connection (the password encrypted), makes the tenant live and syncs at once.
pub async fn store(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    target: &EwsTarget,
    report: Option<&Report>,
) -> Result<EwsSummary> {
    use sea_orm::TransactionTrait;
    let now = state.clock.now();
    let ciphertext =
        state.keyring.encrypt(&scope.tenant_id(), SecretField::EwsPassword, &target.password);
    let connection = EwsConnection {
        url: target.url.clone(),
        username: target.username.clone(),
        password_ciphertext: ciphertext,
        auth: target.auth,
        ca_pem: target.ca_pem.clone(),
        detail: target.detail,
    };
    let txn = state.db.begin().await?;
    provider_configs::save_ews(&txn, scope, connection, now).await?;
    if let Some(report) = report {
        provider_configs::record_test(&txn, scope, now, true, report.method.clone()).await?;
    }
    tenants::set_calendar_system(&txn, scope, ProviderKind::Ews, now).await?;
    tenants::activate(&txn, scope, now).await?;
    tenants::reach(&txn, scope.tenant_id(), Milestone::Connection, now).await?;
    leases::make_due(&txn, scope.tenant_id(), now).await?;
    let audited = format!("Exchange · {} · {} · {}", target.url, target.username, target.detail);
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "credentials.updated",
        Some(audited),
    )
    .await?;
    txn.commit().await?;
    Ok(summary_of(target))
}

/// The command line's `tenant set-ews`: validated, stored, not tested (`test-connection`).
pub async fn set_ews(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    typed: &EwsTyped,
    password: SecretString,
) -> Result<EwsSummary> {
    let target =
        validate(typed, password, state.config.ews_allow_private).map_err(Error::Invalid)?;
    store(state, actor, scope, &target, None).await
}

/// Tests the stored connection and records what it found.
pub async fn check_stored(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    mailbox: Option<Email>,
) -> Result<Report> {
    let Some(target) = stored(state, scope).await? else {
        let why = "the stored Exchange password cannot be decrypted; enter it again".to_owned();
        return Ok(Report::unusable(DetailLevel::default(), FailureReason::SecretUnreadable, why));
    };
    let report = test(state, actor, scope, target, mailbox).await?;
    let method = report.method.clone().filter(|_| report.passed());
    provider_configs::record_test(&state.db, scope, state.clock.now(), report.passed(), method)
        .await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(url: &str, username: &str) -> EwsTyped {
        EwsTyped { url: url.into(), username: username.into(), ..EwsTyped::default() }
    }

    #[test]
    fn addresses_and_accounts_are_checked_before_anything_is_sent() {
        let ok = |t: &EwsTyped| validate(t, SecretString::from("pw"), false);
        assert!(ok(&typed("https://mail.firma.dk/EWS/Exchange.asmx", "FIRMA\\monitor")).is_ok());
        assert!(ok(&typed("https://mail.firma.dk/ews/exchange.asmx", "monitor@firma.dk")).is_ok());
        let problem = |t: &EwsTyped, field: &str| ok(t).unwrap_err().get(field);
        let url = |u: &str| problem(&typed(u, "monitor@firma.dk"), "ews_url");
        assert_eq!(url("http://mail.firma.dk/EWS/Exchange.asmx"), Some(Invalid::EwsUrl));
        assert_eq!(url("https://mail.firma.dk/owa"), Some(Invalid::EwsUrlPath));
        assert_eq!(url("https://u:p@mail.firma.dk/EWS/Exchange.asmx"), Some(Invalid::EwsUrl));
        assert_eq!(url(""), Some(Invalid::Required));
        let user = |u: &str| problem(&typed("https://m.dk/EWS/Exchange.asmx", u), "ews_username");
        assert_eq!(user("monitor"), Some(Invalid::EwsUsername));
        assert_eq!(user("\\monitor"), Some(Invalid::EwsUsername));
        assert_eq!(user("A\\b\\c"), Some(Invalid::EwsUsername));
        let with_ca = EwsTyped {
            ca_pem: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----".into(),
            ..typed("https://m.dk/EWS/Exchange.asmx", "m@m.dk")
        };
        assert_eq!(problem(&with_ca, "ews_ca_pem"), Some(Invalid::CaCertificate));
        assert!(
            validate(
                &typed("http://127.0.0.1/EWS/Exchange.asmx", "m@m.dk"),
                "x".to_owned().into(),
                true
            )
            .is_ok()
        );
    }
}
