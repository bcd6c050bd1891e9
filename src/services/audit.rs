//! Recording and reading the audit trail.

use sea_orm::ConnectionTrait;
use sea_orm::prelude::Uuid;

use super::{Actor, AppState};
use crate::db::audit::{self, AuditEntry};
use crate::db::entities::audit_event;
use crate::db::{TenantScope, tenants};

/// Writes one event. `target` names the object in words (an e-mail, a tenant name); secrets
/// never go here.
pub async fn record(
    db: &impl ConnectionTrait,
    state: &AppState,
    actor: &Actor,
    tenant_id: Option<Uuid>,
    action: &'static str,
    target: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    let entry = AuditEntry {
        tenant_id,
        actor_account_id: actor.account_id,
        actor_email: actor.email.clone(),
        action,
        target,
        detail: None,
        ip: actor.ip.clone(),
    };
    audit::record(db, entry, state.clock.now()).await
}

pub const LIST_LIMIT: u64 = 200;

pub async fn for_tenant(
    state: &AppState,
    scope: TenantScope,
) -> Result<Vec<audit_event::Model>, sea_orm::DbErr> {
    audit::list_for_tenant(&state.db, scope, LIST_LIMIT).await
}

/// Every tenant's events, each with its tenant's name (operators only).
pub async fn for_operator(
    state: &AppState,
) -> Result<Vec<(audit_event::Model, Option<String>)>, sea_orm::DbErr> {
    let events = audit::list_all(&state.db, LIST_LIMIT).await?;
    let names = tenants::names(&state.db).await?;
    Ok(events
        .into_iter()
        .map(|e| {
            let name = e.tenant_id.and_then(|id| names.get(&id).cloned());
            (e, name)
        })
        .collect())
}
