use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::{self, AppState, FormError, api_tokens, integrations, webhooks};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::integrations::{
    IntegrationsView, ShownOnceView, WebhookView, endpoint_input,
};
use crate::web::views::{Page, ok, refused_status, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

fn page_of(ctx: &RequestContext) -> Page {
    Page::new(ctx, messages(ctx.locale).integrations_title, "/integrations")
}

/// API tokens and webhooks of the tenant.
pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let data = integrations::page(&state, admin.scope).await?;
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("token_revoked") => Some(t.tokens_revoked_done),
        Some("webhook_deleted") => Some(t.webhook_deleted),
        _ => None,
    };
    Ok(ok(&IntegrationsView::new(page_of(&ctx).with_notice(notice), &ctx.base_url, data)))
}

fn shown_once(
    ctx: &RequestContext,
    secret: bool,
    subject: String,
    value: String,
    back: String,
) -> HttpResponse {
    let t = messages(ctx.locale);
    let (heading, intro) = if secret {
        (t.webhook_secret_title, t.webhook_secret_intro)
    } else {
        (t.token_shown_title, t.token_shown_intro)
    };
    let page = Page::new(ctx, heading, "/integrations");
    ok(&ShownOnceView { page, heading, intro, subject, value, back })
}

fn refused_page(
    ctx: &RequestContext,
    r: services::Refused<integrations::IntegrationsPage>,
) -> (IntegrationsView, actix_web::http::StatusCode) {
    let mut view = IntegrationsView::new(page_of(ctx), &ctx.base_url, r.page);
    view.errors = r.errors;
    (view, refused_status(r.conflict))
}

pub async fn create_token(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<TokenForm>,
) -> AppResult<HttpResponse> {
    match integrations::create_token(&state, &ctx.actor(), admin.scope, &form.name).await {
        Ok(created) => {
            Ok(shown_once(&ctx, false, created.row.name, created.token, "/integrations".into()))
        }
        Err(FormError::Refused(r)) => {
            let (mut view, status) = refused_page(&ctx, r);
            view.token_name = form.into_inner().name;
            Ok(render(status, &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    api_tokens::revoke(&state, &ctx.actor(), admin.scope, id.into_inner()).await?;
    Ok(see_other("/integrations?done=token_revoked"))
}

pub async fn create_webhook(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let input = endpoint_input(&form);
    match integrations::create_webhook(&state, &ctx.actor(), admin.scope, &input).await {
        Ok(shown) => Ok(shown_once(
            &ctx,
            true,
            shown.url,
            shown.secret,
            format!("/integrations/webhooks/{}", shown.endpoint_id),
        )),
        Err(FormError::Refused(r)) => {
            let (mut view, status) = refused_page(&ctx, r);
            view.hook = input;
            Ok(render(status, &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

/// One endpoint: its recent deliveries and settings.
pub async fn webhook(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let endpoint = integrations::endpoint(&state, admin.scope, id.into_inner()).await?;
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("saved") => Some(t.webhook_saved),
        Some("test") => Some(t.webhook_test_queued),
        _ => None,
    };
    let page = page_of(&ctx).with_notice(notice);
    Ok(ok(&WebhookView::new(page, endpoint, None, services::FieldErrors::default())))
}

pub async fn update_webhook(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (id, input) = (id.into_inner(), endpoint_input(&form));
    match integrations::update_webhook(&state, &ctx.actor(), admin.scope, id, &input).await {
        Ok(()) => Ok(see_other(format!("/integrations/webhooks/{id}?done=saved"))),
        Err(FormError::Refused(r)) => {
            let view = WebhookView::new(page_of(&ctx), r.page, Some(input), r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn rotate_secret(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let shown = webhooks::rotate_secret(&state, &ctx.actor(), admin.scope, id.into_inner()).await?;
    let back = format!("/integrations/webhooks/{}", shown.endpoint_id);
    Ok(shown_once(&ctx, true, shown.url, shown.secret, back))
}

pub async fn send_test(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    webhooks::send_test(&state, &ctx.actor(), admin.scope, id).await?;
    Ok(see_other(format!("/integrations/webhooks/{id}?done=test")))
}

pub async fn delete_webhook(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    webhooks::delete(&state, &ctx.actor(), admin.scope, id.into_inner()).await?;
    Ok(see_other("/integrations?done=webhook_deleted"))
}
