use askama::Template;

use super::Page;
use crate::domain::provider::SecretExpiry;
use crate::domain::tenant::OnboardingStage;
use crate::services::FieldErrors;
use crate::services::console::TenantPage;
use crate::services::tenants::{Console, TenantRow};

#[derive(Template)]
#[template(path = "operator/tenants.html")]
pub struct TenantsView {
    pub page: Page,
    pub console: Console,
}

impl TenantsView {
    pub fn stage(&self, stage: &OnboardingStage) -> &'static str {
        stage_label(&self.page, *stage)
    }

    pub fn expiry(&self, row: &TenantRow) -> String {
        let t = self.page.t;
        match (&row.expiry, row.secret_expires_on) {
            (Some(SecretExpiry::Expired), _) => t.expiry_expired_short.to_owned(),
            (Some(SecretExpiry::Soon { days_left, .. }), _) => t.fill(t.conn_days_left, days_left),
            (None, Some(date)) => date.to_string(),
            (None, None) => t.none.to_owned(),
        }
    }
}

/// An onboarding step in words.
pub fn stage_label(page: &Page, stage: OnboardingStage) -> &'static str {
    let t = page.t;
    match stage {
        OnboardingStage::Created => t.stage_created,
        OnboardingStage::Invited => t.stage_invited,
        OnboardingStage::Company => t.stage_company,
        OnboardingStage::Connection => t.stage_connection,
        OnboardingStage::Users => t.stage_users,
        OnboardingStage::Live => t.stage_live,
    }
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

/// The invitation form as it stands (blank, or sent back with problems).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
}

#[derive(Template)]
#[template(path = "operator/tenant.html")]
pub struct TenantView {
    pub page: Page,
    pub detail: TenantPage,
    pub invite: InviteForm,
    /// Where the invite form posts, and the prefix of each invite's revoke action.
    pub invite_action: String,
    pub revoke_base: String,
    pub errors: FieldErrors,
}

impl TenantView {
    pub fn stage(&self, stage: &OnboardingStage) -> &'static str {
        stage_label(&self.page, *stage)
    }

    pub fn new(page: Page, detail: TenantPage, invite: InviteForm, errors: FieldErrors) -> Self {
        let base = format!("/operator/tenants/{}/invites", detail.tenant.id);
        TenantView { page, detail, invite, invite_action: base.clone(), revoke_base: base, errors }
    }
}
