use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::directory::UsersPage;
use crate::services::{self, AppState, FieldErrors, FormError};
use crate::services::{directory, directory_import};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::tenant::{UserEditView, UserForm, UserRemoveView, UsersView};
use crate::web::views::users_import::{ImportPreviewView, ImportView};
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

fn import_page(ctx: &RequestContext) -> Page {
    Page::new(ctx, messages(ctx.locale).import_title, "/users")
}

fn preview_page(ctx: &RequestContext) -> Page {
    Page::new(ctx, messages(ctx.locale).import_preview_title, "/users")
}

fn csv_download(name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"{name}\"")))
        .insert_header(("cache-control", "no-store"))
        .body(bytes)
}

/// The uploaded file's name and bytes, read no further than the import accepts.
async fn read_upload(mut form: Multipart) -> Result<(String, Vec<u8>), services::Error> {
    use futures_util::StreamExt;
    while let Some(field) = form.next().await {
        let Ok(mut field) = field else { break };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or("");
        let name = name.to_owned();
        return match field.bytes(directory_import::parse::MAX_BYTES + 1).await {
            Ok(Ok(bytes)) => Ok((name, bytes.to_vec())),
            Ok(Err(_)) => Err(directory_import::unreadable_upload()),
            Err(_) => Err(directory_import::too_large()),
        };
    }
    Ok((String::new(), Vec::new()))
}

pub async fn import_form(ctx: RequestContext, _admin: TenantAdmin) -> AppResult<HttpResponse> {
    Ok(ok(&ImportView { page: import_page(&ctx), errors: FieldErrors::default() }))
}

pub async fn import_upload(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let uploaded = match read_upload(form).await {
        Ok((name, bytes)) => directory_import::upload(&state, admin.scope, &name, &bytes).await,
        Err(e) => Err(e),
    };
    match uploaded {
        Ok(id) => Ok(see_other(format!("/users/import/{id}"))),
        Err(services::Error::Invalid(errors)) => {
            let view = ImportView { page: import_page(&ctx), errors };
            Ok(render(refused_status(false), &view))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    remove: Option<String>,
}

pub async fn import_preview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    query: web::Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let remove = query.remove.is_some();
    let preview = directory_import::preview(&state, admin.scope, *id, remove).await?;
    let errors = FieldErrors::default();
    Ok(ok(&ImportPreviewView { page: preview_page(&ctx), preview, errors }))
}

#[derive(Deserialize)]
pub struct ApplyForm {
    digest: Option<String>,
    remove: Option<String>,
    enable_what_fits: Option<String>,
}

pub async fn import_apply(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    form: web::Form<ApplyForm>,
) -> AppResult<HttpResponse> {
    let choice = directory_import::Choice {
        remove_missing: form.remove.is_some(),
        enable_what_fits: form.enable_what_fits.is_some(),
        digest: Some(form.digest.clone().unwrap_or_default()),
    };
    match directory_import::apply(&state, &ctx.actor(), admin.scope, *id, &choice).await {
        Ok(s) if s == directory_import::Summary::default() => Ok(see_other("/users?done=same")),
        Ok(_) => Ok(see_other("/users?done=imported")),
        Err(FormError::Refused(r)) => {
            let view =
                ImportPreviewView { page: preview_page(&ctx), preview: r.page, errors: r.errors };
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}

pub async fn export(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    let bytes = directory_import::export(&state, admin.scope, ctx.locale).await?;
    let name = format!("{}.csv", messages(ctx.locale).import_csv_file_name);
    Ok(csv_download(&name, bytes))
}

pub async fn import_template(ctx: RequestContext, _admin: TenantAdmin) -> AppResult<HttpResponse> {
    let bytes = directory_import::template(ctx.locale)?;
    Ok(csv_download(&format!("{}.csv", messages(ctx.locale).import_csv_template_name), bytes))
}
