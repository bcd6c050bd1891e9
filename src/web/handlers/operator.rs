use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::Operator;
use crate::auth::principal::RequestContext;
use crate::db::{TenantScope, accounts, tenants};
use crate::i18n::messages;
use crate::services::invites::{self, InviteError};
use crate::services::tenants::{TenantError, TenantInput};
use crate::services::{self, Actor, AppState, FieldErrors};
use crate::web::error::{AppError, AppResult};
use crate::web::see_other;
use crate::web::views::operator::{NewTenantView, TenantForm, TenantRow, TenantView, TenantsView};
use crate::web::views::shared::{AuditView, InviteCreatedView};
use crate::web::views::{Page, ok, render};

pub async fn tenants(
    state: web::Data<AppState>,
    ctx: RequestContext,
    _op: Operator,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let statuses = services::health::overview(&state).await?;
    let rows = tenants::list_all(&state.db)
        .await?
        .into_iter()
        .map(|summary| {
            let status = statuses
                .get(&summary.tenant.id)
                .copied()
                .unwrap_or(services::health::SyncStatus::Unconfigured);
            TenantRow {
                summary,
                sync: status.key(),
                sync_label: super::sync::sync_status_label(t, status),
            }
        })
        .collect();
    let view = TenantsView { page: Page::new(&ctx, t.tenants_title, "/operator"), tenants: rows };
    Ok(ok(&view))
}

pub async fn new_tenant(ctx: RequestContext, _op: Operator) -> HttpResponse {
    let t = messages(ctx.locale);
    let view = NewTenantView {
        page: Page::new(&ctx, t.tenants_new, "/operator"),
        form: TenantForm { timezone: "Europe/Copenhagen".into(), ..Default::default() },
        errors: FieldErrors::default(),
    };
    ok(&view)
}

pub async fn create_tenant(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    form: web::Form<TenantForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let input = TenantInput {
        name: form.name.clone(),
        cvr: Some(form.cvr.clone()),
        contact_name: Some(form.contact_name.clone()),
        contact_email: Some(form.contact_email.clone()),
        contact_phone: Some(form.contact_phone.clone()),
        licences: form.licences.clone(),
        timezone: Some(form.timezone.clone()),
        locale: Some(form.locale.clone()),
    };
    match services::tenants::create(&state, &Actor::from_principal(&op.0, ctx.ip.clone()), &input)
        .await
    {
        Ok(tenant) => Ok(see_other(format!("/operator/tenants/{}?created=1", tenant.id))),
        Err(TenantError::Invalid(errors)) => {
            let t = messages(ctx.locale);
            let view =
                NewTenantView { page: Page::new(&ctx, t.tenants_new, "/operator"), form, errors };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(TenantError::Other(e)) => Err(AppError::Internal(e)),
    }
}

#[derive(Deserialize)]
pub struct TenantQuery {
    created: Option<String>,
}

async fn tenant_view(
    state: &AppState,
    ctx: &RequestContext,
    scope: TenantScope,
    notice: Option<&'static str>,
) -> AppResult<TenantView> {
    let tenant = tenants::find(&state.db, scope.tenant_id()).await?.ok_or(AppError::NotFound)?;
    let (users, enabled_users) = tenants::user_counts(&state.db, Some(tenant.id))
        .await?
        .get(&tenant.id)
        .copied()
        .unwrap_or((0, 0));
    Ok(TenantView {
        page: Page::new(ctx, &tenant.name, "/operator").with_notice(notice),
        invite_action: format!("/operator/tenants/{}/invites", tenant.id),
        revoke_base: format!("/operator/tenants/{}/invites", tenant.id),
        tenant,
        users,
        enabled_users,
        accounts: accounts::list_in_tenant(&state.db, scope).await?,
        invites: invites::list_open(state, scope).await?,
        now: state.clock.now(),
        invite_email: String::new(),
        invite_role: "tenant_admin".into(),
        errors: FieldErrors::default(),
    })
}

pub async fn tenant(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    id: web::Path<Uuid>,
    query: web::Query<TenantQuery>,
) -> AppResult<HttpResponse> {
    let notice = query.created.is_some().then_some(messages(ctx.locale).tenant_created_notice);
    let view = tenant_view(&state, &ctx, op.scope_for(*id), notice).await?;
    Ok(ok(&view))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
}

pub async fn invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    id: web::Path<Uuid>,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let scope = op.scope_for(*id);
    tenants::find(&state.db, scope.tenant_id()).await?.ok_or(AppError::NotFound)?;
    let actor = Actor::from_principal(&op.0, ctx.ip.clone());
    match invites::create(&state, &actor, scope, &form.email, &form.role).await {
        Ok(created) => {
            let back = format!("/operator/tenants/{}", scope.tenant_id());
            Ok(invite_created(&state, &ctx, created, back))
        }
        Err(InviteError::Invalid(errors)) => {
            let mut view = tenant_view(&state, &ctx, scope, None).await?;
            view.errors = errors;
            view.invite_email = form.email.clone();
            view.invite_role = form.role.clone();
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(InviteError::Other(e)) => Err(AppError::Internal(e)),
        Err(_) => Err(AppError::NotFound),
    }
}

/// Shows a created invite's link, this one time.
pub fn invite_created(
    state: &AppState,
    ctx: &RequestContext,
    created: invites::CreatedInvite,
    back: String,
) -> HttpResponse {
    let t = messages(ctx.locale);
    // The configured public address, else the one the inviter is using.
    let base = match &state.config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => ctx.origin.clone(),
    };
    let view = InviteCreatedView {
        page: Page::new(ctx, t.invite_link_title, ""),
        email: created.invite.email,
        role: created.invite.role,
        link: format!("{base}{}", created.path),
        expires_at: created.invite.expires_at,
        back,
    };
    ok(&view)
}

pub async fn revoke_invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    ids: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (tenant_id, invite_id) = ids.into_inner();
    let actor = Actor::from_principal(&op.0, ctx.ip.clone());
    match invites::revoke(&state, &actor, op.scope_for(tenant_id), invite_id).await {
        Ok(()) => Ok(see_other(format!("/operator/tenants/{tenant_id}"))),
        Err(InviteError::Other(e)) => Err(AppError::Internal(e)),
        Err(_) => Err(AppError::NotFound),
    }
}

pub async fn audit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    _op: Operator,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let view = AuditView {
        page: Page::new(&ctx, t.audit_title, "/operator/audit"),
        show_tenant: true,
        events: services::audit::for_operator(&state).await?,
    };
    Ok(ok(&view))
}
