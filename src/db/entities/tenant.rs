use sea_orm::entity::prelude::*;

use crate::domain::provider::ProviderKind;
use crate::domain::tenant::{TenantState, WizardStep};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub cvr: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub licences: i32,
    pub timezone: String,
    pub locale: String,
    pub state: TenantState,
    /// Availability rules as JSON; absent means the product's defaults.
    pub rules_json: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The wizard page the company's admin reached last.
    pub wizard_step: Option<WizardStep>,
    /// The calendar system chosen in the wizard (the stored connection's kind wins once
    /// there is one).
    pub calendar_system: ProviderKind,
    /// When the first invitation into the tenant was made.
    pub invited_at: Option<DateTimeUtc>,
    pub company_done_at: Option<DateTimeUtc>,
    pub connection_done_at: Option<DateTimeUtc>,
    pub users_done_at: Option<DateTimeUtc>,
    pub live_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
