//! API tokens of machine clients, each belonging to one tenant.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{IntoActiveModel, QueryOrder};

use super::TenantScope;
use super::entities::api_token;

pub async fn insert(db: &impl ConnectionTrait, token: api_token::Model) -> Result<(), DbErr> {
    api_token::Entity::insert(token.into_active_model()).exec_without_returning(db).await?;
    Ok(())
}

/// The tenant's tokens, newest first, revoked ones included.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(scope.tenant_id()))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await
}

/// The token with this hash, revoked or not.
pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<api_token::Model>, DbErr> {
    api_token::Entity::find().filter(api_token::Column::TokenHash.eq(hash)).one(db).await
}

/// Revokes one of the tenant's tokens; returns it as it was, if it was the tenant's and live.
pub async fn revoke(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<api_token::Model>, DbErr> {
    let Some(token) = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::TenantId.eq(scope.tenant_id()))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(Some(token))
}

/// Notes that the token was used at `now`.
pub async fn touch(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<api_token::Model>, DbErr> {
    api_token::Entity::find_by_id(id).one(db).await
}
