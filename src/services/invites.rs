//! Invitations: a one-time link, valid for 7 days, where the invitee sets a password.

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use sea_orm::prelude::Uuid;
use secrecy::{ExposeSecret, SecretString};

use super::error::or_refused;
use super::sessions::{self, SignedIn};
use super::validation::optional_text;
use super::{Actor, AppState, Error, FieldErrors, FormError, Invalid, Result, TenantScope, audit};
use crate::auth::token;
use crate::db::entities::invite;
use crate::db::{accounts as account_rows, invites, tenants as tenant_rows};
use crate::domain::password::check_new_password;
use crate::domain::{Email, Role};

pub const VALIDITY: Duration = Duration::days(7);

/// An invitation not yet accepted or revoked.
#[derive(Debug, Clone)]
pub struct InviteRow {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
}

/// A created invitation and the secret link path (`/invite/<token>`) to hand over, this once.
#[derive(Debug, Clone)]
pub struct CreatedInvite {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub path: String,
    pub expires_at: DateTime<Utc>,
    /// The link was also e-mailed to the invitee.
    pub emailed: bool,
}

/// What the invitee sees before setting a password.
#[derive(Debug, Clone)]
pub struct AcceptPage {
    pub email: String,
    pub role: Role,
    pub tenant_name: String,
    /// The address has an account already (here or in another company): the link cannot
    /// make a second one.
    pub address_taken: bool,
}

pub struct Acceptance {
    pub display_name: Option<String>,
    pub password: SecretString,
    pub password_repeat: SecretString,
}

/// Invites someone into the tenant; the portal's forms wrap this (`team`, `console`).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    email: &str,
    role: &str,
) -> Result<CreatedInvite> {
    tenant_rows::find(&state.db, scope.tenant_id()).await?.ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::default();
    let email = Email::parse(email).map_err(|_| errors.add("email", Invalid::Email)).ok();
    let role = match role.parse() {
        Ok(r @ (Role::TenantAdmin | Role::Receptionist)) => Some(r),
        _ => {
            errors.add("role", Invalid::Role);
            None
        }
    };
    // Only this tenant's accounts are named: whether an address has an account elsewhere
    // is not the inviter's to learn. Such an invite is made as any other, and its link tells
    // the address's owner that they already have an account.
    if let Some(e) = &email
        && let Some(existing) = account_rows::find_by_email(&state.db, e).await?
        && existing.tenant_id == Some(scope.tenant_id())
    {
        errors.add("email", Invalid::AccountExists);
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let now = state.clock.now();
    let new = invites::NewInvite {
        scope,
        email: &email,
        role,
        invited_by: actor.account_id,
        expires_at: now + VALIDITY,
    };
    let secret = token::random_token();
    // A second invitation to the same person replaces the first: one link works, not two.
    use sea_orm::TransactionTrait;
    let txn = state.db.begin().await?;
    invites::revoke_open_to(&txn, scope, &email, now).await?;
    let invite = invites::create(&txn, new, token::hash(&secret), now).await?;
    txn.commit().await?;
    tenant_rows::reach(&state.db, scope.tenant_id(), tenant_rows::Milestone::Invited, now).await?;
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "invite.created",
        Some(format!("{} ({})", invite.email, role)),
    )
    .await?;
    Ok(CreatedInvite {
        id: invite.id,
        email: invite.email,
        role,
        path: format!("/invite/{secret}"),
        expires_at: invite.expires_at,
        emailed: false,
    })
}

async fn usable(state: &AppState, secret: &str) -> Result<(invite::Model, String)> {
    let invite = invites::find_usable(&state.db, &token::hash(secret), state.clock.now())
        .await?
        .ok_or(Error::Unusable)?;
    let tenant = tenant_rows::find(&state.db, invite.tenant_id).await?.ok_or(Error::Unusable)?;
    Ok((invite, tenant.name))
}

/// The acceptance page behind a link.
pub async fn page(state: &AppState, secret: &str) -> Result<AcceptPage> {
    let (invite, tenant_name) = usable(state, secret).await?;
    let address_taken = match Email::parse(&invite.email) {
        Ok(email) => account_rows::find_by_email(&state.db, &email).await?.is_some(),
        Err(_) => false,
    };
    Ok(AcceptPage { email: invite.email, role: invite.role, tenant_name, address_taken })
}

/// Turns the invite into an account and signs the new person in. The invite is consumed in
/// the same transaction that creates the account, so a link works exactly once.
pub async fn accept(
    state: &AppState,
    secret: &str,
    input: Acceptance,
    ip: Option<String>,
) -> Result<SignedIn, FormError<AcceptPage>> {
    or_refused(create_account(state, secret, input, ip).await, page(state, secret)).await
}

async fn create_account(
    state: &AppState,
    secret: &str,
    input: Acceptance,
    ip: Option<String>,
) -> Result<SignedIn> {
    let (invite, _) = usable(state, secret).await?;
    let mut errors = FieldErrors::default();
    let display_name =
        optional_text(&mut errors, "display_name", input.display_name.as_deref(), 200);
    if let Err(p) = check_new_password(input.password.expose_secret(), &invite.email) {
        errors.add("password", p.into());
    } else if input.password.expose_secret() != input.password_repeat.expose_secret() {
        errors.add("password_repeat", Invalid::PasswordMismatch);
    }
    errors.into_result().map_err(Error::Invalid)?;
    let email = Email::parse(&invite.email).map_err(|_| Error::Unusable)?;
    let hash = state.passwords.hash(&input.password).await?;
    let now: DateTime<Utc> = state.clock.now();

    let txn = state.db.begin().await?;
    if !invites::consume(&txn, invite.id, now).await? {
        return Err(Error::Unusable);
    }
    if account_rows::find_by_email(&txn, &email).await?.is_some() {
        return Err(Error::Invalid(FieldErrors::single("email", Invalid::AccountExists)));
    }
    let new = account_rows::NewAccount {
        email: &email,
        display_name,
        role: invite.role,
        tenant_id: Some(invite.tenant_id),
        password_hash: hash,
        locale: None,
    };
    let created = account_rows::create(&txn, new, now).await?;
    let actor = Actor { account_id: Some(created.id), email: Some(created.email.clone()), ip };
    audit::record(
        &txn,
        state,
        &actor,
        Some(invite.tenant_id),
        "invite.accepted",
        Some(format!("{} ({})", created.email, invite.role)),
    )
    .await?;
    let signed_in = sessions::start(&txn, state, created.id, created.role).await?;
    txn.commit().await?;
    Ok(signed_in)
}

/// The tenant's open invitations, newest first (expired ones included, marked so).
pub async fn open(state: &AppState, scope: TenantScope) -> Result<Vec<InviteRow>> {
    let now = state.clock.now();
    Ok(invites::list_open(&state.db, scope)
        .await?
        .into_iter()
        .map(|i| InviteRow {
            id: i.id,
            email: i.email,
            role: i.role,
            expires_at: i.expires_at,
            expired: i.expires_at <= now,
        })
        .collect())
}

pub async fn revoke(state: &AppState, actor: &Actor, scope: TenantScope, id: Uuid) -> Result<()> {
    let revoked =
        invites::revoke(&state.db, scope, id, state.clock.now()).await?.ok_or(Error::NotFound)?;
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
