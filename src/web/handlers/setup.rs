//! The onboarding wizard: one page per step, Back and Next without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::domain::tenant::WizardStep;
use crate::services::connection::Submitted;
use crate::services::onboarding::{self, Entry, StepPage};
use crate::services::{AppState, FieldErrors, FormError};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::setup::{
    self, CompanyView, ConnectionFields, Steps, UsersStepView, credentials_view, path, wizard_page,
};
use crate::web::views::tenant::UserForm;
use crate::web::views::{ok, refused_status, render};

/// Where the admin left off.
pub async fn resume(state: web::Data<AppState>, admin: TenantAdmin) -> AppResult<HttpResponse> {
    let progress = onboarding::progress(&state, admin.scope).await?;
    Ok(see_other(path(progress.reached)))
}

pub async fn company(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let shown = onboarding::company_page(&state, admin.scope).await?;
    let page = wizard_page(&ctx, WizardStep::Company);
    let steps = Steps::new(&page, &shown.progress, WizardStep::Company);
    Ok(ok(&CompanyView { page, steps, form: shown.content, errors: FieldErrors::default() }))
}

pub async fn save_company(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<crate::web::views::operator::TenantForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner().into();
    match onboarding::save_company(&state, &ctx.actor(), admin.scope, form).await {
        Ok(()) => Ok(see_other(path(WizardStep::Calendar))),
        Err(FormError::Refused(r)) => {
            let progress = onboarding::progress(&state, admin.scope).await?;
            let page = wizard_page(&ctx, WizardStep::Company);
            let steps = Steps::new(&page, &progress, WizardStep::Company);
            let view = CompanyView { page, steps, form: r.page, errors: r.errors };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct GuideQuery {
    /// `synced`: the Exchange script for the people with sync on only.
    #[serde(default)]
    mailboxes: String,
}

/// The steps that only show text: the calendar system, the Entra or Exchange guide, the
/// restriction.
pub async fn guide(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    step: web::Path<String>,
    query: web::Query<GuideQuery>,
) -> AppResult<HttpResponse> {
    let step = step.parse::<WizardStep>().map_err(|_| crate::web::error::AppError::NotFound)?;
    let only_synced = query.mailboxes == "synced";
    let (progress, script) = match onboarding::enter(&state, admin.scope, step, only_synced).await?
    {
        Entry::Show(progress) => (progress, None),
        Entry::Exchange(progress, script) => (progress, Some(script)),
        Entry::GoTo(other) => return Ok(see_other(path(other))),
    };
    Ok(setup::guide_page(wizard_page(&ctx, step), &progress, step, script, only_synced))
}

#[derive(Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    system: String,
}

/// The calendar step: Microsoft 365 or Exchange on-premises.
pub async fn choose_calendar(
    state: web::Data<AppState>,
    admin: TenantAdmin,
    form: web::Form<CalendarForm>,
) -> AppResult<HttpResponse> {
    let step = onboarding::choose_system(&state, admin.scope, &form.system).await?;
    Ok(see_other(path(step)))
}

#[derive(Deserialize)]
pub struct NextForm {
    #[serde(default)]
    from: String,
}

/// Next: remembers the step reached and goes on.
pub async fn next(
    state: web::Data<AppState>,
    admin: TenantAdmin,
    form: web::Form<NextForm>,
) -> AppResult<HttpResponse> {
    let from = form.from.parse::<WizardStep>().unwrap_or(WizardStep::Company);
    let to = from.next().unwrap_or(WizardStep::Done);
    match onboarding::advance(&state, admin.scope, to).await {
        Ok(step) => Ok(see_other(path(step))),
        Err(crate::services::Error::Conflict(_)) => Ok(see_other(path(WizardStep::Credentials))),
        Err(e) => Err(e.into()),
    }
}

pub async fn credentials(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let shown = onboarding::credentials_page(&state, admin.scope, &admin.principal).await?;
    let page = wizard_page(&ctx, WizardStep::Credentials);
    let view = credentials_view(page, &shown.progress, shown.content, FieldErrors::default());
    Ok(ok(&view))
}

pub async fn submit_credentials(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<ConnectionFields>,
) -> AppResult<HttpResponse> {
    let (input, action) = form.into_inner().into_input();
    let actor = ctx.actor();
    let page = wizard_page(&ctx, WizardStep::Credentials);
    let principal = &admin.principal;
    match onboarding::submit_credentials(&state, &actor, principal, admin.scope, input, action)
        .await
    {
        Ok(StepPage { content: Submitted::Saved(_), .. }) => Ok(see_other(path(WizardStep::Users))),
        Ok(StepPage { progress, content: Submitted::Tested(conn) }) => {
            let status = setup::tested_status(&conn);
            Ok(render(status, &credentials_view(page, &progress, *conn, FieldErrors::default())))
        }
        Err(FormError::Refused(r)) => {
            let view = credentials_view(page, &r.page.progress, r.page.content, r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn users(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let step = onboarding::users(&state, admin.scope).await?;
    if !onboarding::open(&step.progress, WizardStep::Users) {
        return Ok(see_other(path(WizardStep::Credentials)));
    }
    let page = wizard_page(&ctx, WizardStep::Users);
    let steps = Steps::new(&page, &step.progress, WizardStep::Users);
    let (form, errors) = (UserForm::default(), FieldErrors::default());
    Ok(ok(&UsersStepView { page, steps, step, form, errors }))
}

pub async fn add_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<UserForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    match onboarding::add_user(&state, &ctx.actor(), admin.scope, &form.input()).await {
        Ok(_) => Ok(see_other(path(WizardStep::Users))),
        Err(FormError::Refused(r)) => {
            let page = wizard_page(&ctx, WizardStep::Users);
            let steps = Steps::new(&page, &r.page.progress, WizardStep::Users);
            let view = UsersStepView { page, steps, step: r.page, form, errors: r.errors };
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

/// Start: the tenant goes live and the admin sees the board.
pub async fn finish(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    match onboarding::finish(&state, &ctx.actor(), admin.scope).await {
        Ok(()) => Ok(see_other("/presence")),
        Err(crate::services::Error::Conflict(_)) => Ok(see_other(path(WizardStep::Credentials))),
        Err(e) => Err(e.into()),
    }
}
