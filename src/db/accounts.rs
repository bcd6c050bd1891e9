//! Accounts: operators, tenant admins and receptionists.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, QueryOrder};

use super::TenantScope;
use super::entities::{account, session};
use crate::domain::{Email, Role};

pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub display_name: Option<String>,
    pub role: Role,
    pub tenant_id: Option<Uuid>,
    pub password_hash: String,
    pub locale: Option<String>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewAccount<'_>,
    now: DateTime<Utc>,
) -> Result<account::Model, DbErr> {
    account::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.key()),
        display_name: Set(new.display_name),
        role: Set(new.role),
        tenant_id: Set(new.tenant_id),
        password_hash: Set(new.password_hash),
        locale: Set(new.locale),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find().filter(account::Column::Email.eq(email.key())).one(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(id).one(db).await
}

/// Counts a failed sign-in atomically (several instances may see attempts at once) and
/// returns the new count of consecutive failures.
pub async fn record_failure(db: &impl ConnectionTrait, id: Uuid) -> Result<i32, DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::FailedLogins, Expr::col(account::Column::FailedLogins).add(1))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(find(db, id).await?.map_or(0, |a| a.failed_logins))
}

pub async fn lock_until(
    db: &impl ConnectionTrait,
    id: Uuid,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::LockedUntil, Expr::value(until))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn record_success(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::FailedLogins, Expr::value(0))
        .col_expr(account::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(account::Column::LastLoginAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn list_in_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::TenantId.eq(scope.tenant_id()))
        .order_by_asc(account::Column::Email)
        .all(db)
        .await
}

pub async fn find_in_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(id)
        .filter(account::Column::TenantId.eq(scope.tenant_id()))
        .one(db)
        .await
}

/// Disables or re-enables an account of the tenant; disabling ends all its sessions.
/// Returns false when the account is not in this tenant.
pub async fn set_disabled_in_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = account::Entity::update_many()
        .col_expr(account::Column::Disabled, Expr::value(disabled))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    if disabled && updated.rows_affected > 0 {
        session::Entity::delete_many().filter(session::Column::AccountId.eq(id)).exec(db).await?;
    }
    Ok(updated.rows_affected > 0)
}

/// Saves the account's own language (`None`: its tenant's, or the browser's).
pub async fn set_locale(
    db: &impl ConnectionTrait,
    id: Uuid,
    locale: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::Locale, Expr::value(locale))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
