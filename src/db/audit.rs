//! The audit trail: who did what, to which object of which tenant. Never holds secrets.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};

use super::TenantScope;
use super::entities::audit_event;

/// What the audit trail records about one action.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub tenant_id: Option<Uuid>,
    pub actor_account_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: &'static str,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

pub async fn record(
    db: &impl ConnectionTrait,
    entry: AuditEntry,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(entry.tenant_id),
        actor_account_id: Set(entry.actor_account_id),
        actor_email: Set(entry.actor_email),
        action: Set(entry.action.to_owned()),
        target: Set(entry.target),
        detail: Set(entry.detail),
        ip: Set(entry.ip),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The newest events of one tenant, newest first.
pub async fn list_for_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(scope.tenant_id()))
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The newest events across the service, newest first (operators only).
pub async fn list_all(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
