use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::prelude::Uuid;
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::auth::principal::RequestContext;
use crate::i18n::messages;
use crate::services::directory::{self, DirectoryError, UserInput};
use crate::services::{Actor, AppState, FieldErrors};
use crate::web::error::{AppError, AppResult};
use crate::web::see_other;
use crate::web::views::tenant::{UserEditView, UserForm, UsersView};
use crate::web::views::{Page, ok, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn input_of(form: &UserForm) -> UserInput {
    UserInput {
        email: form.email.clone(),
        display_name: Some(form.display_name.clone()),
        extension: Some(form.extension.clone()),
        department: Some(form.department.clone()),
    }
}

fn map_err(e: DirectoryError) -> AppError {
    match e {
        DirectoryError::NotFound | DirectoryError::Invalid(_) => AppError::NotFound,
        DirectoryError::Other(e) => AppError::Internal(e),
    }
}

async fn users_view(
    state: &AppState,
    ctx: &RequestContext,
    admin: &TenantAdmin,
    form: UserForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> AppResult<UsersView> {
    let t = messages(ctx.locale);
    let (used, licences) = directory::licence_usage(state, admin.scope).await?;
    Ok(UsersView {
        page: Page::new(ctx, t.users_title, "/users").with_notice(notice),
        users: directory::list(state, admin.scope).await?,
        used,
        licences,
        form,
        errors,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("added") => Some(t.user_added),
        Some("removed") => Some(t.user_removed),
        Some("saved") => Some(t.saved),
        _ => None,
    };
    let view =
        users_view(&state, &ctx, &admin, UserForm::default(), FieldErrors::default(), notice)
            .await?;
    Ok(ok(&view))
}

pub async fn add(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<UserForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    let sync = form.sync.is_some();
    match directory::add(&state, &actor, admin.scope, &input_of(&form), sync).await {
        Ok(_) => Ok(see_other("/users?done=added")),
        Err(DirectoryError::Invalid(errors)) => {
            let view = users_view(&state, &ctx, &admin, form, errors, None).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(e) => Err(map_err(e)),
    }
}

pub async fn edit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let user = directory::get(&state, admin.scope, *id).await.map_err(map_err)?;
    let t = messages(ctx.locale);
    let view = UserEditView {
        page: Page::new(&ctx, t.user_edit_title, "/users"),
        id: user.id,
        form: UserForm {
            email: user.email.clone(),
            display_name: user.display_name.unwrap_or_default(),
            extension: user.extension.unwrap_or_default(),
            department: user.department.unwrap_or_default(),
            sync: None,
        },
        email: user.email,
        errors: FieldErrors::default(),
    };
    Ok(ok(&view))
}

pub async fn update(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
    form: web::Form<UserForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    match directory::update(&state, &actor, admin.scope, *id, &input_of(&form)).await {
        Ok(_) => Ok(see_other("/users?done=saved")),
        Err(DirectoryError::Invalid(errors)) => {
            let user = directory::get(&state, admin.scope, *id).await.map_err(map_err)?;
            let t = messages(ctx.locale);
            let view = UserEditView {
                page: Page::new(&ctx, t.user_edit_title, "/users"),
                id: user.id,
                email: user.email,
                form,
                errors,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(e) => Err(map_err(e)),
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
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    let enabled = form.enabled == "true";
    match directory::set_sync(&state, &actor, admin.scope, *id, enabled).await {
        Ok(()) => Ok(see_other("/users")),
        Err(DirectoryError::Invalid(errors)) => {
            let view = users_view(&state, &ctx, &admin, UserForm::default(), errors, None).await?;
            Ok(render(StatusCode::CONFLICT, &view))
        }
        Err(e) => Err(map_err(e)),
    }
}

pub async fn remove(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    directory::remove(&state, &actor, admin.scope, *id).await.map_err(map_err)?;
    Ok(see_other("/users?done=removed"))
}
