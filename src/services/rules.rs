//! Each tenant's availability rules.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, IntoActiveModel};

use super::{Actor, AppState, audit};
use crate::availability::{AvailabilityRules, TimelineSegment, day_timeline};
use crate::db::{TenantScope, leases, tenants};
use crate::domain::calendar::CalendarItem;

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

/// A person's day as the reception would see it under `rules`, from the items stored at the
/// last sync; `None` when there are no usable items for that person yet.
pub async fn preview(
    state: &AppState,
    scope: TenantScope,
    rules: &AvailabilityRules,
    user: uuid::Uuid,
    tomorrow: bool,
) -> Result<Option<Vec<TimelineSegment>>, sea_orm::DbErr> {
    let tenant = tenants::get(&state.db, scope).await?;
    let tz: chrono_tz::Tz = tenant.timezone.parse().unwrap_or(chrono_tz::Europe::Copenhagen);
    let row = crate::db::availability::for_tenant(&state.db, scope)
        .await?
        .into_iter()
        .find(|r| r.user_id == user)
        .filter(|r| r.synced_at.is_some() && r.sync_error_code.is_none());
    let Some(row) = row else { return Ok(None) };
    let items: Vec<CalendarItem> = serde_json::from_str(&row.items_json).unwrap_or_default();
    let mut date = state.clock.now().with_timezone(&tz).date_naive();
    if tomorrow {
        date += chrono::Duration::days(1);
    }
    Ok(Some(day_timeline(rules, &items, date, tz)))
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
