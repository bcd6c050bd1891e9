use actix_web::{HttpResponse, web};

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::{self, AppState};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::availability::{
    RulesView, rules_from_form, rules_query, rules_saved_location, saved_notice,
};
use crate::web::views::{Page, ok};

/// The rules page with the saved rules.
pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    show(&state, &ctx, &admin, &query).await
}

/// The rules page showing what the submitted, unsaved rules would do.
pub async fn preview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    show(&state, &ctx, &admin, &form).await
}

async fn show(
    state: &AppState,
    ctx: &RequestContext,
    admin: &TenantAdmin,
    fields: &[(String, String)],
) -> AppResult<HttpResponse> {
    let rules_page = services::rules::page(state, admin.scope, rules_query(fields)).await?;
    let t = messages(ctx.locale);
    let page = Page::new(ctx, t.rules_title, "/rules")
        .with_notice(saved_notice(fields).then_some(t.rules_saved));
    Ok(ok(&RulesView::new(page, rules_page)))
}

pub async fn save(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    services::rules::save(&state, &ctx.actor(), admin.scope, rules_from_form(&form)).await?;
    Ok(see_other(rules_saved_location(&form)))
}
