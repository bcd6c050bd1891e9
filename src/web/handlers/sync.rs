use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::auth::{Operator, TenantAdmin};
use crate::i18n::messages;
use crate::services::{self, AppState, TenantScope};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::views::availability::SyncHealthView;
use crate::web::views::{Page, ok};

async fn show(
    state: &AppState,
    ctx: &RequestContext,
    scope: TenantScope,
    active: &str,
) -> AppResult<HttpResponse> {
    let health = services::health::of(state, scope).await?;
    let page = Page::new(ctx, messages(ctx.locale).sync_title, active);
    let view = SyncHealthView::new(page, health).with_connection_link(active == "/sync");
    Ok(ok(&view))
}

pub async fn tenant(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    show(&state, &ctx, admin.scope, "/sync").await
}

pub async fn operator(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    show(&state, &ctx, op.scope_for(*id), "/operator").await
}
