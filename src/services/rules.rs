//! Each tenant's availability rules.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, IntoActiveModel};

use super::{Actor, AppState, audit};
use crate::availability::AvailabilityRules;
use crate::db::{TenantScope, leases, tenants};

/// Parses stored rules; unreadable JSON falls back to the defaults (and is logged), so a bad
/// row never stops a sync.
pub fn parse(tenant_id: uuid::Uuid, stored: Option<&str>) -> AvailabilityRules {
    match stored {
        None => AvailabilityRules::default(),
        Some(json) => serde_json::from_str(json).unwrap_or_else(|e| {
            tracing::error!(%tenant_id, error = %e, "stored availability rules are unreadable; using defaults");
            AvailabilityRules::default()
        }),
    }
}

pub async fn get(
    state: &AppState,
    scope: TenantScope,
) -> Result<AvailabilityRules, sea_orm::DbErr> {
    let tenant = tenants::get(&state.db, scope).await?;
    Ok(parse(tenant.id, tenant.rules_json.as_deref()))
}

/// Saves new rules and makes the tenant due, so stored items are read again under them.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    rules: AvailabilityRules,
) -> anyhow::Result<()> {
    let tenant = tenants::get(&state.db, scope).await?;
    let mut model = tenant.into_active_model();
    model.rules_json = Set(Some(serde_json::to_string(&rules)?));
    model.updated_at = Set(state.clock.now());
    model.update(&state.db).await?;
    leases::make_due(&state.db, scope.tenant_id(), state.clock.now()).await?;
    audit::record(&state.db, state, actor, Some(scope.tenant_id()), "rules.updated", None).await?;
    Ok(())
}
