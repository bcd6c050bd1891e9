//! The tenant's directory: the people whose calendars are read.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::prelude::*;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, QueryOrder};

use super::TenantScope;
use super::entities::{directory_user, tenant};
use crate::domain::Email;

pub struct NewDirectoryUser<'a> {
    pub email: &'a Email,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
}

pub async fn add(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    new: NewDirectoryUser<'_>,
    now: DateTime<Utc>,
) -> Result<directory_user::Model, DbErr> {
    directory_user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(scope.tenant_id()),
        email: Set(new.email.as_str().to_owned()),
        email_key: Set(new.email.key()),
        display_name: Set(new.display_name),
        extension: Set(new.extension),
        department: Set(new.department),
        sync_enabled: Set(false),
        group_managed: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    email: &Email,
) -> Result<Option<directory_user::Model>, DbErr> {
    directory_user::Entity::find()
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_user::Column::EmailKey.eq(email.key()))
        .one(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> Result<Option<directory_user::Model>, DbErr> {
    directory_user::Entity::find_by_id(id)
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<directory_user::Model>, DbErr> {
    directory_user::Entity::find()
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .order_by_asc(directory_user::Column::DisplayName)
        .order_by_asc(directory_user::Column::EmailKey)
        .all(db)
        .await
}

pub async fn count_enabled(db: &impl ConnectionTrait, scope: TenantScope) -> Result<u64, DbErr> {
    directory_user::Entity::find()
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_user::Column::SyncEnabled.eq(true))
        .count(db)
        .await
}

/// Outcome of switching calendar sync on or off for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncToggle {
    Done,
    NotFound,
    NoLicenceLeft,
}

/// Switches sync. Enabling checks the licence count in the same statement, so two admins
/// enabling the last licence at once cannot both succeed.
pub async fn set_sync_enabled(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<SyncToggle, DbErr> {
    let Some(user) = find(db, scope, id).await? else {
        return Ok(SyncToggle::NotFound);
    };
    if user.sync_enabled == enabled {
        return Ok(SyncToggle::Done);
    }
    let mut update = directory_user::Entity::update_many()
        .col_expr(directory_user::Column::SyncEnabled, Expr::value(enabled))
        .col_expr(directory_user::Column::UpdatedAt, Expr::value(now))
        .filter(directory_user::Column::Id.eq(id))
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()));
    if enabled {
        let enabled_count = Query::select()
            .expr(Expr::col(directory_user::Column::Id).count())
            .from(directory_user::Entity)
            .and_where(Expr::col(directory_user::Column::TenantId).eq(scope.tenant_id()))
            .and_where(Expr::col(directory_user::Column::SyncEnabled).eq(true))
            .take();
        let licences = Query::select()
            .column(tenant::Column::Licences)
            .from(tenant::Entity)
            .and_where(Expr::col(tenant::Column::Id).eq(scope.tenant_id()))
            .take();
        update = update.filter(
            Expr::expr(Expr::SubQuery(None, Box::new(enabled_count.into())))
                .lt(Expr::SubQuery(None, Box::new(licences.into()))),
        );
    }
    let result = update.exec(db).await?;
    if result.rows_affected != 1 {
        return Ok(SyncToggle::NoLicenceLeft);
    }
    if !enabled {
        // Nothing is known about someone no longer synced; their stored calendar goes too.
        super::entities::availability::Entity::delete_by_id(id).exec(db).await?;
    }
    Ok(SyncToggle::Done)
}

/// These users of the tenant (ids of other tenants are simply not found).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<directory_user::Model>, DbErr> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut users = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        users.extend(
            directory_user::Entity::find()
                .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
                .filter(directory_user::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(users)
}
