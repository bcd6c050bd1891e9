use actix_web::{HttpResponse, web};

use crate::auth::{TenantAdmin, TenantMember};
use crate::domain::Role;
use crate::i18n::messages;
use crate::services::{self, AppState};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::shared::AuditView;
use crate::web::views::tenant::DashboardView;
use crate::web::views::{Page, ok};

pub async fn dashboard(
    state: web::Data<AppState>,
    ctx: RequestContext,
    member: TenantMember,
) -> AppResult<HttpResponse> {
    // The receptionist's work is the board; the dashboard is about running the tenant.
    if member.principal.role != Role::TenantAdmin {
        return Ok(see_other("/presence"));
    }
    let dashboard = services::tenants::dashboard(&state, member.scope).await?;
    let page = Page::new(&ctx, messages(ctx.locale).dashboard_title, "/dashboard");
    Ok(ok(&DashboardView { page, dashboard }))
}

pub async fn audit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let events = services::audit::for_tenant(&state, admin.scope).await?;
    let page = Page::new(&ctx, messages(ctx.locale).audit_title, "/audit");
    Ok(ok(&AuditView { page, show_tenant: false, events }))
}
