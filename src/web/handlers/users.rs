use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::directory;
use crate::services::directory::UsersPage;
use crate::services::{AppState, FieldErrors, FormError};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::tenant::{UserEditView, UserForm, UserRemoveView, UsersView};
use crate::web::views::{Page, ok, refused_status, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    /// Whom the change was about, for a confirmation that names them.
    user: Option<Uuid>,
}

fn users_page(ctx: &RequestContext, notice: Option<String>) -> Page {
    Page::new(ctx, messages(ctx.locale).users_title, "/users").with_message(notice)
}

fn view(page: Page, directory: UsersPage, form: UserForm, errors: FieldErrors) -> UsersView {
    UsersView { page, directory, form, errors, failed_row: None }
}

fn edit_page(ctx: &RequestContext) -> Page {
    Page::new(ctx, messages(ctx.locale).user_edit_title, "/users")
}

pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let directory = directory::page(&state, admin.scope).await?;
    let t = messages(ctx.locale);
    let notice = UsersView::notice(t, query.done.as_deref(), query.user, &directory);
    let page = users_page(&ctx, notice);
    Ok(ok(&view(page, directory, UserForm::default(), FieldErrors::default())))
}

pub async fn add(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<UserForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let sync = form.sync.is_some();
    match directory::add(&state, &ctx.actor(), admin.scope, &form.input(), sync).await {
        Ok(_) => Ok(see_other("/users?done=added")),
        Err(FormError::Refused(r)) => {
            let view = view(users_page(&ctx, None), r.page, form, r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn edit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let user = directory::get(&state, admin.scope, *id).await?;
    Ok(ok(&UserEditView::new(edit_page(&ctx), user, None, FieldErrors::default())))
}

pub async fn update(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    form: web::Form<UserForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    match directory::update(&state, &ctx.actor(), admin.scope, *id, &form.input()).await {
        Ok(_) => Ok(see_other("/users?done=saved")),
        Err(FormError::Refused(r)) => {
            let view = UserEditView::new(edit_page(&ctx), r.page, Some(form), r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct SyncForm {
    enabled: String,
}

pub async fn set_sync(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    form: web::Form<SyncForm>,
) -> AppResult<HttpResponse> {
    let enabled = form.enabled == "true";
    match directory::set_sync(&state, &ctx.actor(), admin.scope, *id, enabled).await {
        Ok(()) => {
            let done = if enabled { "sync_on" } else { "sync_off" };
            Ok(see_other(format!("/users?done={done}&user={id}")))
        }
        Err(FormError::Refused(r)) => {
            // The licence message goes beside the toggle that was refused.
            let page = users_page(&ctx, None);
            let view = UsersView {
                failed_row: Some(*id),
                ..view(page, r.page, UserForm::default(), r.errors)
            };
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

/// What removing the user means, with the button that does it: nothing is removed by a
/// link or a stray click.
pub async fn confirm_remove(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let user = directory::get(&state, admin.scope, *id).await?;
    let page = Page::new(&ctx, messages(ctx.locale).user_remove_title, "/users");
    Ok(ok(&UserRemoveView { page, user }))
}

pub async fn remove(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    directory::remove(&state, &ctx.actor(), admin.scope, *id).await?;
    Ok(see_other("/users?done=removed"))
}
