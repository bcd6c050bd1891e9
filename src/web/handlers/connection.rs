//! Settings → Calendar connection: status, test, replace, disconnect.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::connection::{self, Submitted};
use crate::services::{AppState, Error, FieldErrors, FormError};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::setup::{
    ConnectionFields, DisconnectView, PasswordField, connection_view, tested_status,
};
use crate::web::views::{Page, ok, refused_status, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    /// Show the other calendar system's form (switching systems).
    system: Option<String>,
}

fn connection_page(ctx: &RequestContext, notice: Option<&'static str>) -> Page {
    Page::new(ctx, messages(ctx.locale).conn_title, "/settings/connection").with_notice(notice)
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let mut conn = connection::page(&state, admin.scope, &admin.principal).await?;
    if let Some(kind) = query.system.as_deref().and_then(|s| s.parse().ok()) {
        conn.system = kind;
    }
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("saved") => Some(t.conn_saved),
        Some("disconnected") => Some(t.conn_disconnected),
        _ => None,
    };
    Ok(ok(&connection_view(connection_page(&ctx, notice), conn, FieldErrors::default())))
}

pub async fn submit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<ConnectionFields>,
) -> AppResult<HttpResponse> {
    let (input, action) = form.into_inner().into_input();
    let actor = ctx.actor();
    match connection::submit(&state, &actor, &admin.principal, admin.scope, input, action).await {
        Ok(Submitted::Saved(_)) => Ok(see_other("/settings/connection?done=saved")),
        Ok(Submitted::Tested(conn)) => {
            let status = tested_status(&conn);
            let view = connection_view(connection_page(&ctx, None), *conn, FieldErrors::default());
            Ok(render(status, &view))
        }
        Err(FormError::Refused(r)) => {
            let view = connection_view(connection_page(&ctx, None), r.page, r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

/// Runs the test again on what is stored.
pub async fn retest(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let conn = connection::retest(&state, &ctx.actor(), &admin.principal, admin.scope).await?;
    let status = tested_status(&conn);
    let view = connection_view(connection_page(&ctx, None), conn, FieldErrors::default());
    Ok(render(status, &view))
}

pub async fn confirm_disconnect(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let needs_password = connection::needs_password(&state, &admin.principal);
    let page = Page::new(&ctx, messages(ctx.locale).conn_disconnect_title, "/settings/connection");
    Ok(ok(&DisconnectView { page, needs_password, errors: FieldErrors::default() }))
}

pub async fn disconnect(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<PasswordField>,
) -> AppResult<HttpResponse> {
    let password = Some(SecretString::from(form.into_inner().password));
    match connection::disconnect(&state, &ctx.actor(), &admin.principal, admin.scope, password)
        .await
    {
        Ok(()) => Ok(see_other("/settings/connection?done=disconnected")),
        Err(Error::Invalid(errors)) => {
            let page =
                Page::new(&ctx, messages(ctx.locale).conn_disconnect_title, "/settings/connection");
            let view = DisconnectView { page, needs_password: true, errors };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(e) => Err(e.into()),
    }
}
