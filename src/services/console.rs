//! The operator's console: one tenant's page, and inviting its first people.

use super::error::or_refused;
use super::invites::CreatedInvite;
use super::tenants::TenantDetail;
use super::{Actor, AppState, Error, FormError, Result, TenantScope, accounts, invites};
use crate::db::entities::tenant;
use crate::db::tenants;

/// The operator's page of one tenant.
#[derive(Debug, Clone)]
pub struct TenantPage {
    pub tenant: TenantDetail,
    pub accounts: Vec<accounts::AccountRow>,
    pub invites: Vec<invites::InviteRow>,
}

async fn detail(state: &AppState, tenant: tenant::Model) -> Result<TenantDetail> {
    let (users, enabled_users) = tenants::user_counts(&state.db, Some(tenant.id))
        .await?
        .get(&tenant.id)
        .copied()
        .unwrap_or((0, 0));
    Ok(TenantDetail {
        milestones: super::tenants::Milestones::from_row(&tenant),
        id: tenant.id,
        name: tenant.name,
        state: tenant.state,
        cvr: tenant.cvr,
        contact_name: tenant.contact_name,
        contact_email: tenant.contact_email,
        contact_phone: tenant.contact_phone,
        licences: tenant.licences,
        users,
        enabled_users,
        timezone: tenant.timezone,
        locale: tenant.locale,
        created_at: tenant.created_at,
    })
}

/// The operator's page of one tenant: its details, accounts and open invitations.
pub async fn tenant_page(state: &AppState, scope: TenantScope) -> Result<TenantPage> {
    let tenant = tenants::find(&state.db, scope.tenant_id()).await?.ok_or(Error::NotFound)?;
    Ok(TenantPage {
        tenant: detail(state, tenant).await?,
        accounts: accounts::in_tenant(state, scope).await?,
        invites: invites::open(state, scope).await?,
    })
}

/// The operator invites someone into a tenant; refused input comes back with its page.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    email: &str,
    role: &str,
    link_base: &str,
) -> Result<CreatedInvite, FormError<TenantPage>> {
    let created = invites::create(state, actor, scope, email, role).await;
    let mut created = or_refused(created, tenant_page(state, scope)).await?;
    let link = format!("{link_base}{}", created.path);
    created.emailed = super::notices::invitation(state, scope, &created, &link).await?;
    Ok(created)
}
