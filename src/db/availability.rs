//! Stored availability per directory user, and its history.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{ExprTrait, IntoActiveModel, QueryOrder, QuerySelect};

use super::TenantScope;
use super::entities::{availability, availability_history};

/// Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK: usize = 1000;

/// When a write may replace a stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// A sync's result: unless the stored items were read later (by another instance).
    NotOlder,
    /// A re-evaluation of the stored items: only while they are still the same items.
    SameItems,
}

fn excluded(column: availability::Column) -> Expr {
    Expr::col((Alias::new("excluded"), column))
}

fn stored(column: availability::Column) -> Expr {
    Expr::col((availability::Entity, column))
}

/// Inserts or replaces rows under `guard`; returns how many were written.
pub async fn upsert(
    db: &impl ConnectionTrait,
    rows: &[availability::Model],
    guard: Guard,
) -> Result<u64, DbErr> {
    use availability::Column as C;
    let condition = match guard {
        Guard::NotOlder => stored(C::SyncedAt)
            .is_null()
            .or(excluded(C::SyncedAt).is_null())
            .or(stored(C::SyncedAt).lte(excluded(C::SyncedAt))),
        Guard::SameItems => stored(C::ItemsHash)
            .eq(excluded(C::ItemsHash))
            .and(stored(C::SyncedAt).eq(excluded(C::SyncedAt)).or(stored(C::SyncedAt).is_null())),
    };
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        let models = chunk.iter().cloned().map(IntoActiveModel::into_active_model);
        written += availability::Entity::insert_many(models)
            .on_conflict(
                OnConflict::column(C::UserId)
                    .update_columns([
                        C::Available,
                        C::State,
                        C::Until,
                        C::NextChangeAt,
                        C::AppointmentJson,
                        C::ExplanationJson,
                        C::ItemsJson,
                        C::ItemsHash,
                        C::ObservedAt,
                        C::SyncedAt,
                        C::SyncErrorCode,
                        C::SyncErrorMessage,
                    ])
                    .action_and_where(condition.clone())
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(written)
}

pub async fn for_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<availability::Model>, DbErr> {
    availability::Entity::find()
        .filter(availability::Column::TenantId.eq(scope.tenant_id()))
        .all(db)
        .await
}

/// Rows whose state changes at or before `now`, earliest first. On PostgreSQL the rows are
/// locked (skipping rows another instance is handling) until the caller's transaction ends.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<availability::Model>, DbErr> {
    let mut query = availability::Entity::find()
        .filter(availability::Column::NextChangeAt.lte(now))
        .order_by_asc(availability::Column::NextChangeAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    query.all(db).await
}

/// The earliest pending change, to know how long the transition timer may sleep.
pub async fn next_change(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(availability::Entity::find()
        .filter(availability::Column::NextChangeAt.is_not_null())
        .order_by_asc(availability::Column::NextChangeAt)
        .one(db)
        .await?
        .and_then(|row| row.next_change_at))
}

pub async fn append_history(
    db: &impl ConnectionTrait,
    rows: Vec<availability_history::Model>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        let models = chunk.iter().cloned().map(IntoActiveModel::into_active_model);
        availability_history::Entity::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The newest history entries of one user, newest first.
pub async fn history_of(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    user_id: Uuid,
    limit: u64,
) -> Result<Vec<availability_history::Model>, DbErr> {
    availability_history::Entity::find()
        .filter(availability_history::Column::TenantId.eq(scope.tenant_id()))
        .filter(availability_history::Column::UserId.eq(user_id))
        .order_by_desc(availability_history::Column::At)
        .limit(limit)
        .all(db)
        .await
}

/// Drops history older than `before`; returns how many entries.
pub async fn prune_history(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(availability_history::Entity::delete_many()
        .filter(availability_history::Column::At.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
