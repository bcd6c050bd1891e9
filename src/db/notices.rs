//! Which notices were e-mailed, so that each goes out once however many instances run.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::prelude::*;
use sea_orm::sea_query::OnConflict;

use super::entities::notice;

/// Records the notice if nobody has yet; true when this caller is the one to send it.
pub async fn claim(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let model = notice::ActiveModel {
        tenant_id: Set(tenant_id),
        kind: Set(kind.to_owned()),
        key: Set(key.to_owned()),
        sent_at: Set(now),
    };
    let inserted = notice::Entity::insert(model)
        .on_conflict(
            OnConflict::columns([
                notice::Column::TenantId,
                notice::Column::Kind,
                notice::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Forgets a claimed notice that could not be sent, so that a later round tries again.
pub async fn release(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
    key: &str,
) -> Result<(), DbErr> {
    notice::Entity::delete_many()
        .filter(notice::Column::TenantId.eq(tenant_id))
        .filter(notice::Column::Kind.eq(kind))
        .filter(notice::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every notice of a kind (the problem is over; a new one will be told again).
pub async fn forget_kind(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    kind: &str,
) -> Result<(), DbErr> {
    notice::Entity::delete_many()
        .filter(notice::Column::TenantId.eq(tenant_id))
        .filter(notice::Column::Kind.eq(kind))
        .exec(db)
        .await?;
    Ok(())
}
