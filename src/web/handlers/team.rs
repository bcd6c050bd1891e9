use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use super::operator::{InviteForm, invite_created};
use crate::auth::TenantAdmin;
use crate::auth::principal::RequestContext;
use crate::db::accounts;
use crate::i18n::messages;
use crate::services::accounts::AccountError;
use crate::services::invites::{self, InviteError};
use crate::services::{self, Actor, AppState, FieldErrors};
use crate::web::error::{AppError, AppResult};
use crate::web::see_other;
use crate::web::views::tenant::TeamView;
use crate::web::views::{Page, ok, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn team_view(
    state: &AppState,
    ctx: &RequestContext,
    admin: &TenantAdmin,
    notice: Option<&'static str>,
) -> AppResult<TeamView> {
    let t = messages(ctx.locale);
    Ok(TeamView {
        page: Page::new(ctx, t.team_title, "/team").with_notice(notice),
        me: admin.principal.account_id,
        accounts: accounts::list_in_tenant(&state.db, admin.scope).await?,
        invites: invites::list_open(state, admin.scope).await?,
        now: state.clock.now(),
        invite_email: String::new(),
        invite_role: "receptionist".into(),
        invite_action: "/team/invites".into(),
        revoke_base: "/team/invites".into(),
        errors: FieldErrors::default(),
    })
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("revoked") => Some(t.invite_revoked),
        Some("disabled") => Some(t.team_account_disabled),
        Some("enabled") => Some(t.team_account_enabled),
        _ => None,
    };
    Ok(ok(&team_view(&state, &ctx, &admin, notice).await?))
}

pub async fn invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    match invites::create(&state, &actor, admin.scope, &form.email, &form.role).await {
        Ok(created) => Ok(invite_created(&state, &ctx, created, "/team".into())),
        Err(InviteError::Invalid(errors)) => {
            let mut view = team_view(&state, &ctx, &admin, None).await?;
            view.errors = errors;
            view.invite_email = form.email.clone();
            view.invite_role = form.role.clone();
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(InviteError::Other(e)) => Err(AppError::Internal(e)),
        Err(_) => Err(AppError::NotFound),
    }
}

pub async fn revoke_invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    match invites::revoke(&state, &actor, admin.scope, *id).await {
        Ok(()) => Ok(see_other("/team?done=revoked")),
        Err(InviteError::Other(e)) => Err(AppError::Internal(e)),
        Err(_) => Err(AppError::NotFound),
    }
}

async fn set_disabled(
    state: &AppState,
    ctx: &RequestContext,
    admin: &TenantAdmin,
    id: Uuid,
    disabled: bool,
) -> AppResult<HttpResponse> {
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    match services::accounts::set_disabled(state, &actor, admin.scope, id, disabled).await {
        Ok(_) => Ok(see_other(if disabled { "/team?done=disabled" } else { "/team?done=enabled" })),
        Err(AccountError::Invalid(errors)) => {
            let mut view = team_view(state, ctx, admin, None).await?;
            view.errors = errors;
            Ok(render(StatusCode::CONFLICT, &view))
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(AccountError::Other(e)) => Err(AppError::Internal(e)),
    }
}

pub async fn disable(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    set_disabled(&state, &ctx, &admin, *id, true).await
}

pub async fn enable(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    set_disabled(&state, &ctx, &admin, *id, false).await
}
