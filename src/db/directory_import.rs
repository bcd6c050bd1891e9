//! Bulk changes to a tenant's directory from an imported file, and the uploaded files
//! waiting for the admin's confirmation.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;

use super::TenantScope;
use super::entities::{availability, directory_import, directory_user};

/// Rows per statement: well under SQLite's and PostgreSQL's limits on bound values.
const CHUNK: usize = 500;

/// A person to add, as the file says.
pub struct ImportedUser {
    pub email: String,
    pub email_key: String,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub sync_enabled: bool,
}

pub async fn insert_users(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    users: Vec<ImportedUser>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut rows = users.into_iter().map(|u| directory_user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(scope.tenant_id()),
        email: Set(u.email),
        email_key: Set(u.email_key),
        display_name: Set(u.display_name),
        extension: Set(u.extension),
        department: Set(u.department),
        sync_enabled: Set(u.sync_enabled),
        // Switched on by the admin's file, not by a group: a group never switches it off.
        group_managed: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        directory_user::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
}

/// New name, extension and department of one user of the tenant.
pub async fn update_fields(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    fields: (Option<String>, Option<String>, Option<String>),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (display_name, extension, department) = fields;
    directory_user::Entity::update_many()
        .col_expr(directory_user::Column::DisplayName, Expr::value(display_name))
        .col_expr(directory_user::Column::Extension, Expr::value(extension))
        .col_expr(directory_user::Column::Department, Expr::value(department))
        .col_expr(directory_user::Column::UpdatedAt, Expr::value(now))
        .filter(directory_user::Column::Id.eq(id))
        .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}

/// Switches sync for these users of the tenant. The caller checks the licences; switching
/// off forgets their stored calendar, as a single switch does.
pub async fn set_sync(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(CHUNK) {
        directory_user::Entity::update_many()
            .col_expr(directory_user::Column::SyncEnabled, Expr::value(enabled))
            .col_expr(directory_user::Column::UpdatedAt, Expr::value(now))
            .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
            .filter(directory_user::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        if !enabled {
            availability::Entity::delete_many()
                .filter(availability::Column::TenantId.eq(scope.tenant_id()))
                .filter(availability::Column::UserId.is_in(chunk.iter().copied()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

pub async fn remove_users(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ids: &[Uuid],
) -> Result<(), DbErr> {
    for chunk in ids.chunks(CHUNK) {
        directory_user::Entity::delete_many()
            .filter(directory_user::Column::TenantId.eq(scope.tenant_id()))
            .filter(directory_user::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Keeps an uploaded file until `expires_at`; the tenant's expired uploads go now.
pub async fn store(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    file_name: &str,
    content: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    directory_import::Entity::delete_many()
        .filter(directory_import::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_import::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let id = Uuid::now_v7();
    directory_import::ActiveModel {
        id: Set(id),
        tenant_id: Set(scope.tenant_id()),
        file_name: Set(file_name.to_owned()),
        content: Set(content),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// An upload of the tenant that has not expired.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<directory_import::Model>, DbErr> {
    directory_import::Entity::find_by_id(id)
        .filter(directory_import::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_import::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

pub async fn forget(db: &impl ConnectionTrait, scope: TenantScope, id: Uuid) -> Result<(), DbErr> {
    directory_import::Entity::delete_many()
        .filter(directory_import::Column::TenantId.eq(scope.tenant_id()))
        .filter(directory_import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
