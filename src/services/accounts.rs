//! Accounts: creating operators, and a tenant admin's team of admins and receptionists.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use secrecy::{ExposeSecret, SecretString};

use super::{Actor, AppState, Error, FieldErrors, Invalid, Result, TenantScope, audit};
use crate::db::accounts;
use crate::db::entities::account;
use crate::domain::password::check_new_password;
use crate::domain::{Email, Role};

/// An account as its tenant's admins and the operator see it.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<account::Model> for AccountRow {
    fn from(a: account::Model) -> AccountRow {
        AccountRow {
            id: a.id,
            email: a.email,
            role: a.role,
            disabled: a.disabled,
            last_login_at: a.last_login_at,
        }
    }
}

/// Creates an operator account (from the command line); returns its address.
pub async fn create_operator(
    state: &AppState,
    email: &str,
    password: &SecretString,
) -> Result<String> {
    let email = Email::parse(email)
        .map_err(|_| Error::Invalid(FieldErrors::single("email", Invalid::Email)))?;
    check_new_password(password.expose_secret(), email.as_str())
        .map_err(|p| Error::Invalid(FieldErrors::single("password", p.into())))?;
    if accounts::find_by_email(&state.db, &email).await?.is_some() {
        return Err(Error::Invalid(FieldErrors::single("email", Invalid::AccountExists)));
    }
    let hash = state.passwords.hash(password).await?;
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
    Ok(created.email)
}

/// The tenant's accounts, by address.
pub async fn in_tenant(state: &AppState, scope: TenantScope) -> Result<Vec<AccountRow>> {
    Ok(accounts::list_in_tenant(&state.db, scope).await?.into_iter().map(Into::into).collect())
}

/// Disables (ending every session at once) or re-enables an account of the tenant; an admin
/// cannot disable themselves.
pub async fn set_disabled(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    account_id: Uuid,
    disabled: bool,
) -> Result<()> {
    if disabled && actor.account_id == Some(account_id) {
        return Err(Error::Conflict(FieldErrors::single("account", Invalid::CannotDisableSelf)));
    }
    let target =
        accounts::find_in_tenant(&state.db, scope, account_id).await?.ok_or(Error::NotFound)?;
    let now = state.clock.now();
    accounts::set_disabled_in_tenant(&state.db, scope, account_id, disabled, now).await?;
    let action = if disabled { "account.disabled" } else { "account.enabled" };
    audit::record(&state.db, state, actor, Some(scope.tenant_id()), action, Some(target.email))
        .await?;
    Ok(())
}

/// The signed-in person's choice of language, saved on their account so every page and
/// every device shows it from now on.
pub async fn set_locale(state: &AppState, actor: &Actor, code: &str) -> Result<()> {
    let account_id = actor.account_id.ok_or(Error::NotFound)?;
    let locale = crate::domain::Locale::parse(code)
        .ok_or_else(|| Error::Invalid(FieldErrors::single("lang", Invalid::Locale)))?;
    accounts::set_locale(&state.db, account_id, Some(locale.code().to_owned()), state.clock.now())
        .await?;
    Ok(())
}
