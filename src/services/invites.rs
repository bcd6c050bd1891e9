//! Invitations: a one-time link, valid for 7 days, where the invitee sets a password.

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use sea_orm::prelude::Uuid;
use secrecy::{ExposeSecret, SecretString};

use super::validation::optional_text;
use super::{Actor, AppState, FieldErrors, Invalid, audit};
use crate::db::entities::{account, invite, tenant};
use crate::db::{TenantScope, accounts, invites, tenants};
use crate::domain::password::check_new_password;
use crate::domain::{Email, Role};

pub const VALIDITY: Duration = Duration::days(7);

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Unknown, used, revoked or expired: the invitee cannot tell which, and need not.
    #[error("the invitation is invalid, used or expired")]
    Unusable,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for InviteError {
    fn from(e: sea_orm::DbErr) -> InviteError {
        InviteError::Other(e.into())
    }
}

/// A created invitation and the secret link path (`/invite/<token>`) to hand over.
pub struct CreatedInvite {
    pub invite: invite::Model,
    pub path: String,
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    email: &str,
    role: &str,
) -> Result<CreatedInvite, InviteError> {
    let mut errors = FieldErrors::default();
    let email = Email::parse(email).map_err(|_| errors.add("email", Invalid::Email)).ok();
    let role = match Role::parse(role) {
        Some(r @ (Role::TenantAdmin | Role::Receptionist)) => Some(r),
        _ => {
            errors.add("role", Invalid::Role);
            None
        }
    };
    if let Some(e) = &email
        && accounts::find_by_email(&state.db, e).await?.is_some()
    {
        errors.add("email", Invalid::AccountExists);
    }
    errors.clone().into_result().map_err(InviteError::Invalid)?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(InviteError::Invalid(errors));
    };
    let now = state.clock.now();
    let new = invites::NewInvite {
        scope,
        email: &email,
        role,
        invited_by: actor.account_id,
        expires_at: now + VALIDITY,
    };
    let (invite, secret) = invites::create(&state.db, new, now).await?;
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "invite.created",
        Some(format!("{} ({})", invite.email, role)),
    )
    .await?;
    Ok(CreatedInvite { invite, path: format!("/invite/{secret}") })
}

/// The invite and its tenant, for the acceptance page.
pub async fn open(
    state: &AppState,
    secret: &str,
) -> Result<(invite::Model, tenant::Model), InviteError> {
    let invite = invites::find_usable(&state.db, secret, state.clock.now())
        .await?
        .ok_or(InviteError::Unusable)?;
    let tenant = tenants::find(&state.db, invite.tenant_id).await?.ok_or(InviteError::Unusable)?;
    Ok((invite, tenant))
}

pub struct Acceptance {
    pub display_name: Option<String>,
    pub password: SecretString,
    pub password_repeat: SecretString,
}

/// Turns the invite into an account. The invite is consumed in the same transaction that
/// creates the account, so a link works exactly once.
pub async fn accept(
    state: &AppState,
    secret: &str,
    input: Acceptance,
    ip: Option<String>,
) -> Result<account::Model, InviteError> {
    let (invite, tenant) = open(state, secret).await?;
    let mut errors = FieldErrors::default();
    let display_name =
        optional_text(&mut errors, "display_name", input.display_name.as_deref(), 200);
    if let Err(p) = check_new_password(input.password.expose_secret(), &invite.email) {
        errors.add("password", p.into());
    } else if input.password.expose_secret() != input.password_repeat.expose_secret() {
        errors.add("password_repeat", Invalid::PasswordMismatch);
    }
    errors.into_result().map_err(InviteError::Invalid)?;
    let email = Email::parse(&invite.email).map_err(|_| InviteError::Unusable)?;
    let role = Role::parse(&invite.role).ok_or(InviteError::Unusable)?;
    let hash = state.passwords.hash(&input.password).await.map_err(anyhow::Error::from)?;
    let now: DateTime<Utc> = state.clock.now();

    let txn = state.db.begin().await?;
    if !invites::consume(&txn, invite.id, now).await? {
        return Err(InviteError::Unusable);
    }
    if accounts::find_by_email(&txn, &email).await?.is_some() {
        return Err(InviteError::Invalid(FieldErrors::single("email", Invalid::AccountExists)));
    }
    let new = accounts::NewAccount {
        email: &email,
        display_name,
        role,
        tenant_id: Some(tenant.id),
        password_hash: hash,
        locale: None,
    };
    let created = accounts::create(&txn, new, now).await?;
    let actor = Actor { account_id: Some(created.id), email: Some(created.email.clone()), ip };
    audit::record(
        &txn,
        state,
        &actor,
        Some(tenant.id),
        "invite.accepted",
        Some(format!("{} ({})", created.email, role)),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn list_open(
    state: &AppState,
    scope: TenantScope,
) -> Result<Vec<invite::Model>, sea_orm::DbErr> {
    invites::list_open(&state.db, scope).await
}

pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
) -> Result<(), InviteError> {
    let revoked = invites::revoke(&state.db, scope, id, state.clock.now())
        .await?
        .ok_or(InviteError::NotFound)?;
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "invite.revoked",
        Some(revoked.email),
    )
    .await?;
    Ok(())
}
