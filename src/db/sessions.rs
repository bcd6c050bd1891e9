//! Server-side sessions. The cookie carries a random token; the table only its hash.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::ExprTrait;
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;

use super::entities::{account, session};

/// Starts a session known by the hash of the cookie's token.
pub async fn create(
    db: &impl ConnectionTrait,
    id_hash: String,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::ActiveModel {
        id_hash: Set(id_hash),
        account_id: Set(account_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        reauthenticated_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The session with this hash, with its account.
pub async fn find(
    db: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<Option<(session::Model, account::Model)>, DbErr> {
    let Some(session) = session::Entity::find_by_id(id_hash.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let account = account::Entity::find_by_id(session.account_id).one(db).await?;
    Ok(account.map(|a| (session, a)))
}

pub async fn touch(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_reauthenticated(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::ReauthenticatedAt, Expr::value(now))
        .filter(session::Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id_hash.to_owned()).exec(db).await?;
    Ok(())
}

/// Removes sessions past their idle or absolute limit; returns how many.
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(
            session::Column::LastSeenAt
                .lt(idle_before)
                .or(session::Column::CreatedAt.lt(created_before)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
