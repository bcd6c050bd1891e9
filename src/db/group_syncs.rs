//! The Entra group whose members a tenant syncs, and the last run of that group sync.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;

use super::TenantScope;
use super::entities::{directory_user, group_sync};

pub async fn find(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Option<group_sync::Model>, DbErr> {
    group_sync::Entity::find_by_id(scope.tenant_id()).one(db).await
}

/// Chooses the group (its object id), or none. A new group starts without a last run, so the
/// next sync reads it at once; users the old group switched on keep their sync but are no
/// longer the group's to switch off.
pub async fn set(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    group: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let current = find(db, scope).await?;
    if current.as_ref().map(|c| c.group_id.as_str()) == group {
        return Ok(());
    }
    group_sync::Entity::delete_by_id(scope.tenant_id()).exec(db).await?;
    directory_user::Entity::update_many()
        .col_expr(directory_user::Column::GroupManaged, Expr::value(false))
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_user::Column::GroupManaged.eq(true))
        .exec(db)
        .await?;
    if let Some(group) = group {
        group_sync::ActiveModel {
            tenant_id: Set(scope.tenant_id()),
            group_id: Set(group.to_owned()),
            group_name: Set(None),
            configured_at: Set(now),
            last_run_at: Set(None),
            last_success_at: Set(None),
            members: Set(0),
            added: Set(0),
            switched_off: Set(0),
            not_enabled_count: Set(0),
            not_enabled_json: Set(None),
            error_code: Set(None),
            error_message: Set(None),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Stores how a run went, unless the admin chose another group meanwhile.
pub async fn record(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    run: group_sync::Model,
) -> Result<(), DbErr> {
    use group_sync::Column as C;
    group_sync::Entity::update_many()
        .col_expr(C::GroupName, Expr::value(run.group_name))
        .col_expr(C::LastRunAt, Expr::value(run.last_run_at))
        .col_expr(C::LastSuccessAt, Expr::value(run.last_success_at))
        .col_expr(C::Members, Expr::value(run.members))
        .col_expr(C::Added, Expr::value(run.added))
        .col_expr(C::SwitchedOff, Expr::value(run.switched_off))
        .col_expr(C::NotEnabledCount, Expr::value(run.not_enabled_count))
        .col_expr(C::NotEnabledJson, Expr::value(run.not_enabled_json))
        .col_expr(C::ErrorCode, Expr::value(run.error_code))
        .col_expr(C::ErrorMessage, Expr::value(run.error_message))
        .filter(C::TenantId.eq(scope.tenant_id()))
        .filter(C::GroupId.eq(run.group_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Marks a user as switched on by the group (or no longer).
pub async fn set_group_managed(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    user: Uuid,
    managed: bool,
) -> Result<(), DbErr> {
    directory_user::Entity::update_many()
        .col_expr(directory_user::Column::GroupManaged, Expr::value(managed))
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_user::Column::Id.eq(user))
        .exec(db)
        .await
        .map(|_| ())
}
