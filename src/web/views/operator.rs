use askama::Template;

use super::Page;
use crate::db::entities::{account, invite, tenant};
use crate::db::tenants::TenantSummary;
use crate::services::FieldErrors;

/// A tenant in the console list, with its sync status in words.
pub struct TenantRow {
    pub summary: TenantSummary,
    pub sync: &'static str,
    pub sync_label: &'static str,
}

#[derive(Template)]
#[template(path = "operator/tenants.html")]
pub struct TenantsView {
    pub page: Page,
    pub tenants: Vec<TenantRow>,
}

/// What the new-tenant form holds, also when it comes back with problems.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TenantForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cvr: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub licences: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub locale: String,
}

#[derive(Template)]
#[template(path = "operator/tenant_new.html")]
pub struct NewTenantView {
    pub page: Page,
    pub form: TenantForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "operator/tenant.html")]
pub struct TenantView {
    pub page: Page,
    pub tenant: tenant::Model,
    pub users: i64,
    pub enabled_users: i64,
    pub accounts: Vec<account::Model>,
    pub invites: Vec<invite::Model>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub invite_email: String,
    pub invite_role: String,
    /// Where the invite form posts, and the prefix of each invite's revoke action.
    pub invite_action: String,
    pub revoke_base: String,
    pub errors: FieldErrors,
}
