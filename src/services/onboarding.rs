//! The onboarding wizard: a company's admin connects Microsoft 365 alone, one page per step,
//! with the place reached saved so they can leave and come back.
//!
//! The calendar connection itself is [`super::connection`]'s; this module keeps the steps
//! around it: company details, the choice of calendar system, the guides, the first users
//! and going live.

use sea_orm::prelude::Uuid;

use super::directory::{self, DirectoryUser, UserInput};
use super::{Actor, AppState, Error, FieldErrors, FormError, Invalid, Result, TenantScope, audit};
use crate::db::tenants::{self, CompanyDetails, Milestone};
use crate::db::{leases, provider_configs, tenants as tenant_rows};
use crate::domain::provider::ProviderKind;
use crate::domain::tenant::{TenantState, WizardStep};

/// What the company step shows and takes.
#[derive(Debug, Clone, Default)]
pub struct CompanyForm {
    pub name: String,
    pub cvr: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub timezone: String,
    pub locale: String,
}

/// Where a tenant stands in the wizard.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The page the admin reached last.
    pub reached: WizardStep,
    /// The calendar connection is stored (steps after the credentials may be taken).
    pub connected: bool,
    pub live: bool,
    /// The client id, once known, for the PowerShell snippets.
    pub client_id: Option<String>,
    /// The calendar system chosen (or connected).
    pub system: ProviderKind,
}

/// The users step: the first people to sync.
#[derive(Debug, Clone)]
pub struct UsersStep {
    pub progress: Progress,
    pub users: Vec<DirectoryUser>,
    pub licences: i32,
}

pub async fn progress(state: &AppState, scope: TenantScope) -> Result<Progress> {
    let tenant = tenant_rows::get(&state.db, scope).await?;
    let connection = provider_configs::find(&state.db, scope).await?;
    let connected = connection.as_ref().is_some_and(|c| {
        c.client_secret_ciphertext.is_some() || c.ews_password_ciphertext.is_some()
    });
    let system = connection.as_ref().map_or(tenant.calendar_system, |c| c.kind);
    let live = tenant.live_at.is_some() && tenant.state == TenantState::Active;
    let reached = match tenant.wizard_step {
        Some(step) => step,
        None if live => WizardStep::Done,
        None => WizardStep::Company,
    };
    let client_id = connection.and_then(|c| c.client_id);
    Ok(Progress { reached, connected, live, client_id, system })
}

/// The calendar step: remembers the system chosen and goes on to its guide.
pub async fn choose_system(state: &AppState, scope: TenantScope, raw: &str) -> Result<WizardStep> {
    let kind = match raw {
        "m365" | "graph" => ProviderKind::Graph,
        "ews" => ProviderKind::Ews,
        _ => return Err(Error::Invalid(FieldErrors::single("system", Invalid::CalendarSystem))),
    };
    tenants::set_calendar_system(&state.db, scope, kind, state.clock.now()).await?;
    advance(state, scope, WizardStep::Entra).await
}

/// The Exchange guide: the script for every mailbox, or for those with sync on.
pub async fn exchange_script(
    state: &AppState,
    scope: TenantScope,
    only_synced: bool,
) -> Result<super::exchange_script::Script> {
    use super::exchange_script::{Mailboxes, script};
    let mailboxes = if only_synced {
        let users = directory::list(state, scope).await?;
        Mailboxes::Only(users.into_iter().filter(|u| u.sync_enabled).map(|u| u.email).collect())
    } else {
        Mailboxes::All
    };
    Ok(script("calbridge-monitor", &mailboxes))
}

/// Whether `step` may be shown yet: the steps after the credentials need a connection.
pub fn open(progress: &Progress, step: WizardStep) -> bool {
    step.number() <= WizardStep::Credentials.number() || progress.connected
}

pub async fn company(state: &AppState, scope: TenantScope) -> Result<CompanyForm> {
    let t = tenant_rows::get(&state.db, scope).await?;
    Ok(CompanyForm {
        name: t.name,
        cvr: t.cvr.unwrap_or_default(),
        contact_name: t.contact_name.unwrap_or_default(),
        contact_email: t.contact_email.unwrap_or_default(),
        contact_phone: t.contact_phone.unwrap_or_default(),
        timezone: t.timezone,
        locale: t.locale,
    })
}

/// Saves the company details (the licence count stays the operator's) and moves on.
pub async fn save_company(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    form: CompanyForm,
) -> Result<(), FormError<CompanyForm>> {
    let tenant = tenant_rows::get(&state.db, scope).await?;
    let input = super::tenants::TenantInput {
        name: form.name.clone(),
        cvr: Some(form.cvr.clone()),
        contact_name: Some(form.contact_name.clone()),
        contact_email: Some(form.contact_email.clone()),
        contact_phone: Some(form.contact_phone.clone()),
        licences: tenant.licences.to_string(),
        timezone: Some(form.timezone.clone()),
        locale: Some(form.locale.clone()),
    };
    let valid = match super::tenants::validate(&input) {
        Ok(valid) => valid,
        Err(errors) => {
            return Err(FormError::Refused(super::Refused { page: form, errors, conflict: false }));
        }
    };
    let now = state.clock.now();
    let details = CompanyDetails {
        name: valid.name,
        cvr: valid.cvr,
        contact_name: valid.contact_name,
        contact_email: valid.contact_email,
        contact_phone: valid.contact_phone,
        timezone: valid.timezone,
        locale: valid.locale,
    };
    tenants::update_company(&state.db, scope, details, now).await?;
    tenants::reach(&state.db, scope.tenant_id(), Milestone::Company, now).await?;
    advance(state, scope, WizardStep::Calendar).await?;
    audit::record(&state.db, state, actor, Some(scope.tenant_id()), "company.updated", None)
        .await?;
    Ok(())
}

/// Records that the admin moved on to `to`, never back past a later step they reached.
pub async fn advance(state: &AppState, scope: TenantScope, to: WizardStep) -> Result<WizardStep> {
    let progress = progress(state, scope).await?;
    if !open(&progress, to) {
        return Err(Error::Conflict(FieldErrors::single("step", Invalid::ConnectionFirst)));
    }
    if to.number() > progress.reached.number() {
        tenants::set_wizard_step(&state.db, scope, to).await?;
    }
    Ok(to)
}

pub async fn users(state: &AppState, scope: TenantScope) -> Result<UsersStep> {
    let progress = progress(state, scope).await?;
    let tenant = tenant_rows::get(&state.db, scope).await?;
    let users = directory::list(state, scope).await?;
    Ok(UsersStep { progress, users, licences: tenant.licences })
}

/// Adds one of the first users, with calendar sync on.
pub async fn add_user(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &UserInput,
) -> Result<Uuid, FormError<UsersStep>> {
    let added = directory::insert(state, actor, scope, input, true).await;
    let user = super::error::or_refused(added, users(state, scope)).await?;
    tenants::reach(&state.db, scope.tenant_id(), Milestone::Users, state.clock.now()).await?;
    Ok(user.id)
}

/// Done: the tenant is live and its first sync runs at once.
pub async fn finish(state: &AppState, actor: &Actor, scope: TenantScope) -> Result<()> {
    let progress = progress(state, scope).await?;
    if !progress.connected {
        return Err(Error::Conflict(FieldErrors::single("step", Invalid::ConnectionFirst)));
    }
    let now = state.clock.now();
    tenants::activate(&state.db, scope, now).await?;
    tenants::reach(&state.db, scope.tenant_id(), Milestone::Live, now).await?;
    tenants::set_wizard_step(&state.db, scope, WizardStep::Done).await?;
    leases::make_due(&state.db, scope.tenant_id(), now).await?;
    audit::record(&state.db, state, actor, Some(scope.tenant_id()), "onboarding.finished", None)
        .await?;
    Ok(())
}

/// A wizard page: where the tenant stands, and what the page shows.
#[derive(Debug, Clone)]
pub struct StepPage<T> {
    pub progress: Progress,
    pub content: T,
}

/// Opening a wizard page.
#[derive(Debug, Clone)]
pub enum Entry {
    Show(Progress),
    /// The Exchange guide, with its script.
    Exchange(Progress, super::exchange_script::Script),
    /// That page needs an earlier step first, or does not apply to this calendar system.
    GoTo(WizardStep),
}

/// Opens a guide page; for Exchange on-premises the Entra guide is the Exchange script
/// (for every mailbox, or `only_synced`), and the access-policy step does not apply.
pub async fn enter(
    state: &AppState,
    scope: TenantScope,
    step: WizardStep,
    only_synced: bool,
) -> Result<Entry> {
    let progress = progress(state, scope).await?;
    let ews = progress.system == ProviderKind::Ews;
    Ok(match step {
        _ if !open(&progress, step) => Entry::GoTo(WizardStep::Credentials),
        WizardStep::Entra if ews => {
            let script = exchange_script(state, scope, only_synced).await?;
            Entry::Exchange(progress, script)
        }
        WizardStep::Restrict if ews => Entry::GoTo(WizardStep::Credentials),
        _ => Entry::Show(progress),
    })
}

pub async fn company_page(state: &AppState, scope: TenantScope) -> Result<StepPage<CompanyForm>> {
    Ok(StepPage { progress: progress(state, scope).await?, content: company(state, scope).await? })
}

pub async fn credentials_page(
    state: &AppState,
    scope: TenantScope,
    principal: &crate::auth::Principal,
) -> Result<StepPage<super::connection::ConnectionPage>> {
    let content = super::connection::page(state, scope, principal).await?;
    Ok(StepPage { progress: progress(state, scope).await?, content })
}

/// The credentials step's form: tested, and saved only if the test passed; then the wizard
/// continues with the users.
pub async fn submit_credentials(
    state: &AppState,
    actor: &Actor,
    principal: &crate::auth::Principal,
    scope: TenantScope,
    input: super::connection::Submission,
    action: super::connection::Action,
) -> Result<
    StepPage<super::connection::Submitted>,
    FormError<StepPage<super::connection::ConnectionPage>>,
> {
    let submitted = super::connection::submit(state, actor, principal, scope, input, action).await;
    let progress = progress(state, scope).await?;
    match submitted {
        Ok(content) => {
            if matches!(content, super::connection::Submitted::Saved(_)) {
                advance(state, scope, WizardStep::Users).await?;
            }
            Ok(StepPage { progress, content })
        }
        Err(FormError::Refused(refused)) => Err(FormError::Refused(super::Refused {
            page: StepPage { progress, content: refused.page },
            errors: refused.errors,
            conflict: refused.conflict,
        })),
        Err(FormError::Other(e)) => Err(FormError::Other(e)),
    }
}
