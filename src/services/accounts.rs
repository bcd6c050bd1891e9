//! Accounts: creating operators, and a tenant admin disabling or re-enabling team members.

use sea_orm::prelude::Uuid;
use secrecy::{ExposeSecret, SecretString};

use super::{Actor, AppState, FieldErrors, Invalid, audit};
use crate::db::entities::account;
use crate::db::{TenantScope, accounts};
use crate::domain::password::check_new_password;
use crate::domain::{Email, Role};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AccountError {
    fn from(e: sea_orm::DbErr) -> AccountError {
        AccountError::Other(e.into())
    }
}

/// Creates an operator account (from the command line).
pub async fn create_operator(
    state: &AppState,
    email: &str,
    password: &SecretString,
) -> Result<account::Model, AccountError> {
    let email = Email::parse(email)
        .map_err(|_| AccountError::Invalid(FieldErrors::single("email", Invalid::Email)))?;
    check_new_password(password.expose_secret(), email.as_str())
        .map_err(|p| AccountError::Invalid(FieldErrors::single("password", p.into())))?;
    if accounts::find_by_email(&state.db, &email).await?.is_some() {
        return Err(AccountError::Invalid(FieldErrors::single("email", Invalid::AccountExists)));
    }
    let hash = state.passwords.hash(password).await.map_err(anyhow::Error::from)?;
    let now = state.clock.now();
    let new = accounts::NewAccount {
        email: &email,
        display_name: None,
        role: Role::Operator,
        tenant_id: None,
        password_hash: hash,
        locale: None,
    };
    let created = accounts::create(&state.db, new, now).await?;
    audit::record(
        &state.db,
        state,
        &Actor::command_line(),
        None,
        "account.created",
        Some(created.email.clone()),
    )
    .await?;
    Ok(created)
}

/// Disables (ending every session at once) or re-enables an account of the tenant.
pub async fn set_disabled(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    account_id: Uuid,
    disabled: bool,
) -> Result<account::Model, AccountError> {
    if disabled && actor.account_id == Some(account_id) {
        return Err(AccountError::Invalid(FieldErrors::single(
            "account",
            Invalid::CannotDisableSelf,
        )));
    }
    let target = accounts::find_in_tenant(&state.db, scope, account_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let now = state.clock.now();
    accounts::set_disabled_in_tenant(&state.db, scope, account_id, disabled, now).await?;
    let action = if disabled { "account.disabled" } else { "account.enabled" };
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        action,
        Some(target.email.clone()),
    )
    .await?;
    Ok(target)
}
