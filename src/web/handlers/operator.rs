use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::Operator;
use crate::i18n::messages;
use crate::services::tenants::TenantInput;
use crate::services::{self, AppState, Error, FieldErrors, FormError};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::operator::{InviteForm, NewTenantView, TenantForm, TenantView, TenantsView};
use crate::web::views::shared::{AuditView, InviteCreatedView};
use crate::web::views::{Page, ok, refused_status, render};

#[derive(Deserialize)]
pub struct ConsoleQuery {
    expiring: Option<String>,
}

pub async fn tenants(
    state: web::Data<AppState>,
    ctx: RequestContext,
    _op: Operator,
    query: web::Query<ConsoleQuery>,
) -> AppResult<HttpResponse> {
    let console = services::tenants::console(&state, query.expiring.is_some()).await?;
    let page = Page::new(&ctx, messages(ctx.locale).tenants_title, "/operator");
    Ok(ok(&TenantsView { page, console }))
}

fn new_tenant_view(ctx: &RequestContext, form: TenantForm, errors: FieldErrors) -> NewTenantView {
    NewTenantView {
        page: Page::new(ctx, messages(ctx.locale).tenants_new, "/operator"),
        form,
        errors,
    }
}

pub async fn new_tenant(ctx: RequestContext, _op: Operator) -> HttpResponse {
    let form = TenantForm { timezone: "Europe/Copenhagen".into(), ..Default::default() };
    ok(&new_tenant_view(&ctx, form, FieldErrors::default()))
}

impl TenantForm {
    fn input(&self) -> TenantInput {
        TenantInput {
            name: self.name.clone(),
            cvr: Some(self.cvr.clone()),
            contact_name: Some(self.contact_name.clone()),
            contact_email: Some(self.contact_email.clone()),
            contact_phone: Some(self.contact_phone.clone()),
            licences: self.licences.clone(),
            timezone: Some(self.timezone.clone()),
            locale: Some(self.locale.clone()),
        }
    }
}

pub async fn create_tenant(
    state: web::Data<AppState>,
    ctx: RequestContext,
    _op: Operator,
    form: web::Form<TenantForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    match services::tenants::create(&state, &ctx.actor(), &form.input()).await {
        Ok(id) => Ok(see_other(format!("/operator/tenants/{id}?created=1"))),
        Err(Error::Invalid(errors)) => {
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &new_tenant_view(&ctx, form, errors)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TenantQuery {
    created: Option<String>,
}

pub async fn tenant(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    id: web::Path<Uuid>,
    query: web::Query<TenantQuery>,
) -> AppResult<HttpResponse> {
    let detail = services::console::tenant_page(&state, op.scope_for(*id)).await?;
    let notice = query.created.is_some().then_some(messages(ctx.locale).tenant_created_notice);
    let page = Page::new(&ctx, &detail.tenant.name, "/operator").with_notice(notice);
    let invite = InviteForm { role: "tenant_admin".into(), ..Default::default() };
    Ok(ok(&TenantView::new(page, detail, invite, FieldErrors::default())))
}

pub async fn invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    id: web::Path<Uuid>,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let scope = op.scope_for(*id);
    let form = form.into_inner();
    let (actor, base) = (ctx.actor(), ctx.base_url.clone());
    match services::console::invite(&state, &actor, scope, &form.email, &form.role, &base).await {
        Ok(created) => {
            Ok(ok(&InviteCreatedView::new(&ctx, created, format!("/operator/tenants/{id}"))))
        }
        Err(FormError::Refused(r)) => {
            let page = Page::new(&ctx, &r.page.tenant.name, "/operator");
            Ok(render(refused_status(r.conflict), &TenantView::new(page, r.page, form, r.errors)))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn revoke_invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    ids: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (tenant_id, invite_id) = ids.into_inner();
    services::invites::revoke(&state, &ctx.actor(), op.scope_for(tenant_id), invite_id).await?;
    Ok(see_other(format!("/operator/tenants/{tenant_id}")))
}

pub async fn audit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    _op: Operator,
) -> AppResult<HttpResponse> {
    let events = services::audit::for_operator(&state).await?;
    let page = Page::new(&ctx, messages(ctx.locale).audit_title, "/operator/audit");
    Ok(ok(&AuditView { page, show_tenant: true, events }))
}
