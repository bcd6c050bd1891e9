//! A tenant admin's team: who has access, inviting colleagues, disabling accounts.

use sea_orm::prelude::Uuid;

use super::accounts::{self, AccountRow};
use super::error::or_refused;
use super::invites::{self, CreatedInvite, InviteRow};
use super::{Actor, AppState, FormError, Result, TenantScope};

/// The team page: who has access, and who is invited.
#[derive(Debug, Clone)]
pub struct TeamPage {
    pub accounts: Vec<AccountRow>,
    pub invites: Vec<InviteRow>,
}

pub async fn page(state: &AppState, scope: TenantScope) -> Result<TeamPage> {
    Ok(TeamPage {
        accounts: accounts::in_tenant(state, scope).await?,
        invites: invites::open(state, scope).await?,
    })
}

/// Invites a colleague; refused input comes back with the team page.
/// Invites a colleague; the link is e-mailed too when SMTP is configured. `link_base` is
/// where the portal is reached, for the link in the e-mail.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    email: &str,
    role: &str,
    link_base: &str,
) -> Result<CreatedInvite, FormError<TeamPage>> {
    let created = invites::create(state, actor, scope, email, role).await;
    let mut created = or_refused(created, page(state, scope)).await?;
    let link = format!("{link_base}{}", created.path);
    created.emailed = super::notices::invitation(state, scope, &created, &link).await?;
    Ok(created)
}

/// Disables or re-enables a colleague's account; a refusal comes back with the team page.
pub async fn set_disabled(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    account_id: Uuid,
    disabled: bool,
) -> Result<(), FormError<TeamPage>> {
    let done = accounts::set_disabled(state, actor, scope, account_id, disabled).await;
    or_refused(done, page(state, scope)).await
}
