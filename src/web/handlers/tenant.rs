use actix_web::{HttpResponse, web};

use crate::auth::principal::RequestContext;
use crate::auth::{TenantAdmin, TenantMember};
use crate::db::{accounts, directory, tenants};
use crate::domain::Role;
use crate::domain::tenant::TenantState;
use crate::i18n::messages;
use crate::services::{self, AppState};
use crate::web::error::AppResult;
use crate::web::views::shared::AuditView;
use crate::web::views::tenant::DashboardView;
use crate::web::views::{Page, ok};

pub async fn dashboard(
    state: web::Data<AppState>,
    ctx: RequestContext,
    member: TenantMember,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let tenant = tenants::get(&state.db, member.scope).await?;
    let users = directory::list(&state.db, member.scope).await?;
    let health = services::health::of(&state, member.scope).await?;
    let status = health.status(state.clock.now());
    let view = DashboardView {
        sync: status.key(),
        sync_label: super::sync::sync_status_label(t, status),
        page: Page::new(&ctx, t.dashboard_title, "/dashboard"),
        is_admin: member.principal.role == Role::TenantAdmin,
        onboarding: TenantState::parse(&tenant.state) == Some(TenantState::Onboarding),
        synced: users.iter().filter(|u| u.sync_enabled).count() as u64,
        users: users.len(),
        licences: tenant.licences,
        team: accounts::list_in_tenant(&state.db, member.scope).await?.len(),
    };
    Ok(ok(&view))
}

pub async fn audit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let events = services::audit::for_tenant(&state, admin.scope).await?;
    let view = AuditView {
        page: Page::new(&ctx, t.audit_title, "/audit"),
        show_tenant: false,
        events: events.into_iter().map(|e| (e, None)).collect(),
    };
    Ok(ok(&view))
}
