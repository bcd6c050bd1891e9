//! Recording and reading the audit trail.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::prelude::Uuid;

use super::{Actor, AppState, Result, TenantScope};
use crate::db::audit::{self, AuditEntry};
use crate::db::entities::audit_event;
use crate::db::tenants;

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

/// One event as the audit log page shows it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    /// Who did it; `None` for the service itself.
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// The tenant's name, on the operator's log.
    pub tenant: Option<String>,
}

fn row(e: audit_event::Model, tenant: Option<String>) -> AuditRow {
    AuditRow { at: e.created_at, actor: e.actor_email, action: e.action, target: e.target, tenant }
}

/// The tenant's newest events.
pub async fn for_tenant(state: &AppState, scope: TenantScope) -> Result<Vec<AuditRow>> {
    let events = audit::list_for_tenant(&state.db, scope, LIST_LIMIT).await?;
    Ok(events.into_iter().map(|e| row(e, None)).collect())
}

/// Every tenant's newest events, each with its tenant's name (operators only).
pub async fn for_operator(state: &AppState) -> Result<Vec<AuditRow>> {
    let events = audit::list_all(&state.db, LIST_LIMIT).await?;
    let names = tenants::names(&state.db).await?;
    Ok(events
        .into_iter()
        .map(|e| {
            let name = e.tenant_id.and_then(|id| names.get(&id).cloned());
            row(e, name)
        })
        .collect())
}
