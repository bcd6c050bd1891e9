//! How a tenant's syncing is going: for the sync health page of admins and operators.

use super::AppState;
use crate::db::entities::{availability, directory_user, sync_run, sync_state};
use crate::db::{
    TenantScope, availability as stored, directory, leases, provider_configs, sync_runs,
};

pub struct SyncHealth {
    pub configured: bool,
    pub state: Option<sync_state::Model>,
    pub runs: Vec<sync_run::Model>,
    /// Users whose last read failed, with their stored row.
    pub user_errors: Vec<(directory_user::Model, availability::Model)>,
}

pub async fn of(state: &AppState, scope: TenantScope) -> Result<SyncHealth, sea_orm::DbErr> {
    let configured = provider_configs::find(&state.db, scope).await?.is_some();
    let sync_state = leases::find(&state.db, scope.tenant_id()).await?;
    let runs = sync_runs::recent(&state.db, scope, 20).await?;
    let rows = stored::for_tenant(&state.db, scope).await?;
    let users = directory::list(&state.db, scope).await?;
    let user_errors = users
        .into_iter()
        .filter(|u| u.sync_enabled)
        .filter_map(|u| {
            let row =
                rows.iter().find(|r| r.user_id == u.id && r.sync_error_code.is_some())?.clone();
            Some((u, row))
        })
        .collect();
    Ok(SyncHealth { configured, state: sync_state, runs, user_errors })
}
