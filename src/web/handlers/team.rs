use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::{self, AppState, FieldErrors, FormError};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::operator::InviteForm;
use crate::web::views::shared::InviteCreatedView;
use crate::web::views::tenant::TeamView;
use crate::web::views::{Page, ok, refused_status, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn receptionist_invite() -> InviteForm {
    InviteForm { role: "receptionist".into(), ..Default::default() }
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let team = services::team::page(&state, admin.scope).await?;
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("revoked") => Some(t.invite_revoked),
        Some("disabled") => Some(t.team_account_disabled),
        Some("enabled") => Some(t.team_account_enabled),
        _ => None,
    };
    let page = Page::new(&ctx, t.team_title, "/team").with_notice(notice);
    let view = TeamView::new(
        page,
        admin.principal.account_id,
        team,
        receptionist_invite(),
        FieldErrors::default(),
    );
    Ok(ok(&view))
}

pub async fn invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = ctx.actor();
    let base = &ctx.base_url;
    let sent = services::team::invite(&state, &actor, admin.scope, &form.email, &form.role, base);
    match sent.await {
        Ok(created) => Ok(ok(&InviteCreatedView::new(&ctx, created, "/team".into()))),
        Err(FormError::Refused(r)) => {
            let page = Page::new(&ctx, messages(ctx.locale).team_title, "/team");
            let view = TeamView::new(page, admin.principal.account_id, r.page, form, r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn revoke_invite(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    services::invites::revoke(&state, &ctx.actor(), admin.scope, *id).await?;
    Ok(see_other("/team?done=revoked"))
}

async fn set_disabled(
    state: &AppState,
    ctx: &RequestContext,
    admin: &TenantAdmin,
    id: Uuid,
    disabled: bool,
) -> AppResult<HttpResponse> {
    match services::team::set_disabled(state, &ctx.actor(), admin.scope, id, disabled).await {
        Ok(()) => {
            Ok(see_other(if disabled { "/team?done=disabled" } else { "/team?done=enabled" }))
        }
        Err(FormError::Refused(r)) => {
            let page = Page::new(ctx, messages(ctx.locale).team_title, "/team");
            let me = admin.principal.account_id;
            let view = TeamView::new(page, me, r.page, receptionist_invite(), r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
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
