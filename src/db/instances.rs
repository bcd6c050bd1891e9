//! Which schedulers are alive: each one says so every heartbeat, so that an instance can
//! claim its share of the due tenants instead of all of them.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, PaginatorTrait};

use super::entities::scheduler_instance;

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
