//! Tenants. Listing every tenant is an operator power; everything else takes a scope.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::{ActiveValue::Set, FromQueryResult, QueryOrder, QuerySelect, TransactionTrait};

use super::TenantScope;
use super::entities::{directory_user, sync_state, tenant};
use crate::domain::provider::ProviderKind;
use crate::domain::tenant::TenantState;

#[derive(Debug)]
pub struct NewTenant {
    pub name: String,
    pub cvr: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub licences: i32,
    pub timezone: String,
    pub locale: String,
}

/// Creates the tenant together with its sync bookkeeping row.
pub async fn create(
    db: &DatabaseConnection,
    new: NewTenant,
    now: DateTime<Utc>,
) -> Result<tenant::Model, DbErr> {
    let txn = db.begin().await?;
    let model = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        cvr: Set(new.cvr),
        contact_name: Set(new.contact_name),
        contact_email: Set(new.contact_email),
        contact_phone: Set(new.contact_phone),
        licences: Set(new.licences),
        timezone: Set(new.timezone),
        locale: Set(new.locale),
        state: Set(TenantState::Onboarding),
        rules_json: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        wizard_step: Set(None),
        calendar_system: Set(ProviderKind::Graph),
        invited_at: Set(None),
        company_done_at: Set(None),
        connection_done_at: Set(None),
        users_done_at: Set(None),
        live_at: Set(None),
    }
    .insert(&txn)
    .await?;
    sync_state::ActiveModel {
        tenant_id: Set(model.id),
        next_run_at: Set(now),
        lease_owner: Set(None),
        lease_until: Set(None),
        fencing_token: Set(0),
        consecutive_failures: Set(0),
        breaker_open_until: Set(None),
        needs_admin_action: Set(false),
        last_error_code: Set(None),
        last_error_message: Set(None),
        last_run_at: Set(None),
        last_success_at: Set(None),
        running_since: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Marks an onboarding tenant active (its calendar connection is in place).
pub async fn activate(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::State, Expr::value(TenantState::Active))
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
        .filter(tenant::Column::Id.eq(scope.tenant_id()))
        .filter(tenant::Column::State.eq(TenantState::Onboarding))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<tenant::Model>, DbErr> {
    tenant::Entity::find_by_id(id).one(db).await
}

/// These tenants, in one query.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<tenant::Model>, DbErr> {
    tenant::Entity::find().filter(tenant::Column::Id.is_in(ids)).all(db).await
}

/// The tenant the scope belongs to; it exists as long as the scope's account does.
pub async fn get(db: &impl ConnectionTrait, scope: TenantScope) -> Result<tenant::Model, DbErr> {
    tenant::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("tenant".into()))
}

#[derive(Debug, Clone)]
pub struct TenantSummary {
    pub tenant: tenant::Model,
    pub enabled_users: i64,
    pub users: i64,
}

#[derive(FromQueryResult)]
struct UserCounts {
    tenant_id: Uuid,
    users: i64,
    enabled: i64,
}

/// Directory users and how many have sync on, per tenant (one tenant, or all).
pub async fn user_counts(
    db: &impl ConnectionTrait,
    only: Option<Uuid>,
) -> Result<std::collections::HashMap<Uuid, (i64, i64)>, DbErr> {
    let mut query = directory_user::Entity::find()
        .select_only()
        .column(directory_user::Column::TenantId)
        .column_as(directory_user::Column::Id.count(), "users")
        .column_as(Expr::cust("SUM(CASE WHEN sync_enabled THEN 1 ELSE 0 END)"), "enabled")
        .group_by(directory_user::Column::TenantId);
    if let Some(id) = only {
        query = query.filter(directory_user::Column::TenantId.eq(id));
    }
    let counts: Vec<UserCounts> = query.into_model::<UserCounts>().all(db).await?;
    Ok(counts.into_iter().map(|c| (c.tenant_id, (c.users, c.enabled))).collect())
}

/// Every tenant's name, for labelling events.
pub async fn names(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    Ok(tenant::Entity::find().all(db).await?.into_iter().map(|t| (t.id, t.name)).collect())
}

/// Every tenant with its user counts, for the operator console.
pub async fn list_all(db: &impl ConnectionTrait) -> Result<Vec<TenantSummary>, DbErr> {
    let tenants = tenant::Entity::find().order_by_asc(tenant::Column::Name).all(db).await?;
    let counts = user_counts(db, None).await?;
    Ok(tenants
        .into_iter()
        .map(|tenant| {
            let (users, enabled_users) = counts.get(&tenant.id).copied().unwrap_or((0, 0));
            TenantSummary { enabled_users, users, tenant }
        })
        .collect())
}

/// What a tenant's admin may change about their company; the licence count is the
/// operator's.
#[derive(Debug, Clone)]
pub struct CompanyDetails {
    pub name: String,
    pub cvr: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub timezone: String,
    pub locale: String,
}

pub async fn update_company(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    details: CompanyDetails,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    use tenant::Column as C;
    tenant::Entity::update_many()
        .col_expr(C::Name, Expr::value(details.name))
        .col_expr(C::Cvr, Expr::value(details.cvr))
        .col_expr(C::ContactName, Expr::value(details.contact_name))
        .col_expr(C::ContactEmail, Expr::value(details.contact_email))
        .col_expr(C::ContactPhone, Expr::value(details.contact_phone))
        .col_expr(C::Timezone, Expr::value(details.timezone))
        .col_expr(C::Locale, Expr::value(details.locale))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}

/// A step of onboarding the operator follows, each dated when first reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    Invited,
    Company,
    Connection,
    Users,
    Live,
}

impl Milestone {
    fn column(self) -> tenant::Column {
        match self {
            Milestone::Invited => tenant::Column::InvitedAt,
            Milestone::Company => tenant::Column::CompanyDoneAt,
            Milestone::Connection => tenant::Column::ConnectionDoneAt,
            Milestone::Users => tenant::Column::UsersDoneAt,
            Milestone::Live => tenant::Column::LiveAt,
        }
    }
}

/// Dates the milestone, the first time only.
pub async fn reach(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    milestone: Milestone,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    let column = milestone.column();
    tenant::Entity::update_many()
        .col_expr(column, Expr::value(now))
        .filter(tenant::Column::Id.eq(tenant_id))
        .filter(column.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Remembers the wizard page the admin is on.
/// Remembers the calendar system chosen in the wizard.
pub async fn set_calendar_system(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    kind: ProviderKind,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::CalendarSystem, Expr::value(kind))
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
        .filter(tenant::Column::Id.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_wizard_step(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    step: crate::domain::tenant::WizardStep,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::WizardStep, Expr::value(step))
        .filter(tenant::Column::Id.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}

/// Back to onboarding after the calendar connection was removed: nothing syncs any more.
pub async fn deactivate(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    use tenant::Column as C;
    tenant::Entity::update_many()
        .col_expr(C::State, Expr::value(TenantState::Onboarding))
        .col_expr(C::ConnectionDoneAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::LiveAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(scope.tenant_id()))
        .filter(C::State.eq(TenantState::Active))
        .exec(db)
        .await?;
    Ok(())
}
