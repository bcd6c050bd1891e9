//! One-time invitation links.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, QueryOrder};

use super::TenantScope;
use super::entities::invite;
use crate::domain::{Email, Role};

pub struct NewInvite<'a> {
    pub scope: TenantScope,
    pub email: &'a Email,
    pub role: Role,
    pub invited_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// Stores the invite; the link's token is known to the caller only, by its hash here.
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewInvite<'_>,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<invite::Model, DbErr> {
    let model = invite::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(token_hash),
        tenant_id: Set(new.scope.tenant_id()),
        email: Set(new.email.key()),
        role: Set(new.role),
        invited_by: Set(new.invited_by),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(model)
}

/// The invite behind a link token's hash, if it can still be used.
pub async fn find_usable(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<invite::Model>, DbErr> {
    invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(token_hash))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Marks the invite used. Only one caller can win, so a link works exactly once even when
/// submitted twice at the same moment.
pub async fn consume(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = invite::Entity::update_many()
        .col_expr(invite::Column::AcceptedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(id))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Invites of the tenant not yet accepted or revoked (expired ones included, marked so).
pub async fn list_open(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<invite::Model>, DbErr> {
    invite::Entity::find()
        .filter(invite::Column::TenantId.eq(scope.tenant_id()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .order_by_desc(invite::Column::CreatedAt)
        .all(db)
        .await
}

/// Revokes an open invite of the tenant; false when there is none with this id.
pub async fn revoke(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<invite::Model>, DbErr> {
    let Some(found) = invite::Entity::find_by_id(id)
        .filter(invite::Column::TenantId.eq(scope.tenant_id()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    invite::Entity::update_many()
        .col_expr(invite::Column::RevokedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(id))
        .filter(invite::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(Some(found))
}

/// Revokes the tenant's open invites to this address (a new one replaces them); how many.
pub async fn revoke_open_to(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    email: &crate::domain::Email,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = invite::Entity::update_many()
        .col_expr(invite::Column::RevokedAt, Expr::value(now))
        .filter(invite::Column::TenantId.eq(scope.tenant_id()))
        .filter(invite::Column::Email.eq(email.key()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
