//! Which schedulers are alive: each one says so every heartbeat, so that an instance can
//! claim its share of the due tenants instead of all of them.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, PaginatorTrait, QuerySelect};

use super::entities::{scheduler_instance, sync_state};

/// Records that `name` is alive at `now`.
pub async fn beat(db: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    scheduler_instance::Entity::insert(scheduler_instance::ActiveModel {
        name: Set(name.to_owned()),
        started_at: Set(now),
        seen_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(scheduler_instance::Column::Name)
            .update_column(scheduler_instance::Column::SeenAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// How many instances were seen since `since`.
pub async fn alive(db: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<u64, DbErr> {
    scheduler_instance::Entity::find()
        .filter(scheduler_instance::Column::SeenAt.gte(since))
        .count(db)
        .await
}

/// Forgets `name` (it stopped) and every instance not seen since `before` (it crashed).
pub async fn forget(
    db: &impl ConnectionTrait,
    name: &str,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(scheduler_instance::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(scheduler_instance::Column::Name.eq(name))
                .add(scheduler_instance::Column::SeenAt.lt(before)),
        )
        .exec(db)
        .await?
        .rows_affected)
}

/// Instances not seen since `dead_before` crashed: their leases end `now`, so that others take
/// their tenants over at once instead of when the leases run out, and they are forgotten.
/// Returns how many leases ended. Should one of them only have stalled, its next write is
/// refused by the fencing token as after any takeover.
pub async fn reap(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    dead_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let dead: Vec<String> = scheduler_instance::Entity::find()
        .select_only()
        .column(scheduler_instance::Column::Name)
        .filter(scheduler_instance::Column::SeenAt.lt(dead_before))
        .into_tuple()
        .all(db)
        .await?;
    if dead.is_empty() {
        return Ok(0);
    }
    let ended = sync_state::Entity::update_many()
        .col_expr(sync_state::Column::LeaseUntil, Expr::value(now))
        .filter(sync_state::Column::LeaseOwner.is_in(dead.clone()))
        .filter(sync_state::Column::LeaseUntil.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    scheduler_instance::Entity::delete_many()
        .filter(scheduler_instance::Column::Name.is_in(dead))
        .filter(scheduler_instance::Column::SeenAt.lt(dead_before))
        .exec(db)
        .await?;
    Ok(ended)
}
