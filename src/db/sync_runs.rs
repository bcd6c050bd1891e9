//! The record of every tenant sync: when, by whom, what it cost and how it ended.

use sea_orm::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};

use super::TenantScope;
use super::entities::sync_run;

/// Records a run; recording the same run (same id) again changes nothing.
pub async fn record(db: &impl ConnectionTrait, run: sync_run::Model) -> Result<(), DbErr> {
    let row = sync_run::ActiveModel {
        id: Set(run.id),
        tenant_id: Set(run.tenant_id),
        instance: Set(run.instance),
        fencing_token: Set(run.fencing_token),
        started_at: Set(run.started_at),
        finished_at: Set(run.finished_at),
        users: Set(run.users),
        changed: Set(run.changed),
        http_requests: Set(run.http_requests),
        throttled: Set(run.throttled),
        errors: Set(run.errors),
        outcome: Set(run.outcome),
        error_code: Set(run.error_code),
        error_message: Set(run.error_message),
    };
    sync_run::Entity::insert(row)
        .on_conflict(OnConflict::column(sync_run::Column::Id).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The tenant's latest runs, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    limit: u64,
) -> Result<Vec<sync_run::Model>, DbErr> {
    sync_run::Entity::find()
        .filter(sync_run::Column::TenantId.eq(scope.tenant_id()))
        .order_by_desc(sync_run::Column::StartedAt)
        .limit(limit)
        .all(db)
        .await
}
