//! A tenant's Microsoft 365 connection: validated on input, the secret encrypted at rest and
//! never shown again.

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};

use super::{Actor, AppState, Error, FieldErrors, Invalid, Result, TenantScope, audit};
use crate::db::provider_configs::{self, GraphConnection};
use crate::db::tenants;
use crate::domain::provider::{DetailLevel, parse_client_id, parse_directory_id};
use crate::secrets::SecretField;

/// The connection as an admin types it.
pub struct GraphInput {
    pub directory_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub secret_expires: Option<String>,
    pub detail: Option<String>,
}

/// What the portal and CLI may know about the stored connection: everything but the secret.
#[derive(Debug, Clone)]
pub struct GraphSummary {
    pub directory_id: String,
    pub client_id: String,
    pub secret_expires_on: Option<NaiveDate>,
    pub detail: DetailLevel,
}

/// Checks the connection as typed, before anything is sent anywhere.
pub(super) fn validate(
    input: &GraphInput,
    today: NaiveDate,
) -> Result<(GraphSummary, SecretString), FieldErrors> {
    let mut errors = FieldErrors::default();
    let directory_id = parse_directory_id(&input.directory_id);
    if directory_id.is_none() {
        errors.add("directory_id", Invalid::DirectoryId);
    }
    let client_id = parse_client_id(&input.client_id);
    if client_id.is_none() {
        errors.add("client_id", Invalid::ClientId);
    }
    let secret = input.client_secret.expose_secret().trim();
    if secret.is_empty() {
        errors.add("client_secret", Invalid::SecretMissing);
    } else if uuid::Uuid::parse_str(secret).is_ok() {
        // Entra shows the secret's ID right next to its Value; the ID is a GUID, the Value
        // never is. Catching the mix-up here saves a round of AADSTS7000215.
        errors.add("client_secret", Invalid::SecretLooksLikeId);
    } else if secret.len() > 1024 {
        errors.add("client_secret", Invalid::TooLong(1024));
    }
    let secret_expires_on =
        match input.secret_expires.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(date) if date < today => {
                    errors.add("secret_expires", Invalid::SecretExpired);
                    None
                }
                Ok(date) => Some(date),
                Err(_) => {
                    errors.add("secret_expires", Invalid::ExpiryDate);
                    None
                }
            },
        };
    let detail = match input.detail.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => DetailLevel::default(),
        Some(raw) => DetailLevel::parse_input(raw).unwrap_or_else(|| {
            errors.add("detail", Invalid::DetailLevel);
            DetailLevel::default()
        }),
    };
    errors.into_result()?;
    let summary = GraphSummary {
        directory_id: directory_id.unwrap_or_default(),
        client_id: client_id.unwrap_or_default(),
        secret_expires_on,
        detail,
    };
    Ok((summary, SecretString::from(secret.to_owned())))
}

/// Validates and stores the Microsoft 365 connection of a tenant.
pub async fn set_graph(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &GraphInput,
) -> Result<GraphSummary> {
    let now = state.clock.now();
    let (summary, secret) = validate(input, now.date_naive()).map_err(Error::Invalid)?;
    let tenant = tenants::get(&state.db, scope).await?;
    let ciphertext = state.keyring.encrypt(&tenant.id, SecretField::GraphClientSecret, &secret);
    let connection = GraphConnection {
        directory_id: summary.directory_id.clone(),
        client_id: summary.client_id.clone(),
        client_secret_ciphertext: ciphertext,
        secret_expires_on: summary.secret_expires_on,
        detail: summary.detail,
    };
    provider_configs::save_graph(&state.db, scope, connection, now).await?;
    // A working connection is what onboarding waits for; the first sync runs at once.
    tenants::activate(&state.db, scope, now).await?;
    crate::db::leases::make_due(&state.db, scope.tenant_id(), now).await?;
    let target = format!("Microsoft 365 · {} · {}", summary.client_id, summary.detail);
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "credentials.updated",
        Some(target),
    )
    .await?;
    Ok(summary)
}

/// What a key rotation did.
#[derive(Debug, Default)]
pub struct Rotation {
    pub reencrypted: usize,
    pub already_current: usize,
    /// The key every secret is under now.
    pub key_id: String,
}

/// Re-encrypts every stored secret under the current key, in one transaction: either every
/// secret moves or none does. Fails without changing anything if any secret cannot be
/// decrypted with the configured keys. The audit trail records it in the same transaction.
pub async fn rotate(state: &AppState, actor: &Actor) -> Result<Rotation> {
    use sea_orm::TransactionTrait;
    let txn = state.db.begin().await?;
    let mut report = Rotation { key_id: state.keyring.current().key_id(), ..Rotation::default() };
    let mut secrets = provider_configs::all_secrets(&txn).await?;
    secrets.extend(crate::db::webhooks::all_secrets(&txn).await?);
    for stored in secrets {
        if !state.keyring.is_stale(&stored.ciphertext) {
            report.already_current += 1;
            continue;
        }
        let plain = state
            .keyring
            .decrypt(&stored.tenant_id, stored.field, &stored.ciphertext)
            .map_err(|e| {
                anyhow::anyhow!(
                    "the secret of tenant {} cannot be decrypted: {e}",
                    stored.tenant_id
                )
            })?;
        let fresh = state.keyring.encrypt(&stored.tenant_id, stored.field, &plain);
        let replaced = match stored.field {
            SecretField::WebhookSecret => {
                crate::db::webhooks::replace_secret(&txn, &stored, fresh).await?
            }
            _ => provider_configs::replace_secret(&txn, &stored, fresh).await?,
        };
        if !replaced {
            return Err(anyhow::anyhow!(
                "the secret of tenant {} changed during the rotation; run it again",
                stored.tenant_id
            )
            .into());
        }
        report.reencrypted += 1;
    }
    let what = format!("key {}: {} secrets re-encrypted", report.key_id, report.reencrypted);
    audit::record(&txn, state, actor, None, "keys.rotated", Some(what)).await?;
    txn.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(secret: &str) -> GraphInput {
        GraphInput {
            directory_id: "hansen.onmicrosoft.com".into(),
            client_id: "0b8f1a2c-3d4e-4f5a-8b9c-0d1e2f3a4b5c".into(),
            client_secret: SecretString::from(secret.to_owned()),
            secret_expires: Some("2027-05-01".into()),
            detail: Some("full".into()),
        }
    }

    #[test]
    fn a_secret_id_pasted_as_the_secret_is_caught() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let e = validate(&input("6e2d1b0a-1111-4222-8333-944455566677"), today).unwrap_err();
        assert_eq!(e.get("client_secret"), Some(Invalid::SecretLooksLikeId));
        let (summary, secret) = validate(&input("Abc8Q~x.y_z"), today).unwrap();
        assert_eq!(secret.expose_secret(), "Abc8Q~x.y_z");
        assert_eq!(summary.detail, DetailLevel::Full);
    }

    #[test]
    fn dates_and_ids_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let mut bad = input("");
        bad.directory_id = "not a tenant".into();
        bad.client_id = "hansen".into();
        bad.secret_expires = Some("2025-01-01".into());
        bad.detail = Some("most".into());
        let e = validate(&bad, today).unwrap_err();
        assert_eq!(e.get("directory_id"), Some(Invalid::DirectoryId));
        assert_eq!(e.get("client_id"), Some(Invalid::ClientId));
        assert_eq!(e.get("client_secret"), Some(Invalid::SecretMissing));
        assert_eq!(e.get("secret_expires"), Some(Invalid::SecretExpired));
        assert_eq!(e.get("detail"), Some(Invalid::DetailLevel));
        let mut bad_date = input("x~y");
        bad_date.secret_expires = Some("01-05-2027".into());
        assert_eq!(
            validate(&bad_date, today).unwrap_err().get("secret_expires"),
            Some(Invalid::ExpiryDate)
        );
    }
}
