use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::principal::RequestContext;
use crate::auth::session::{cookie, pre_session_cookie_name, removal_cookie, session_cookie_name};
use crate::db::sessions;
use crate::i18n::messages;
use crate::services::invites::{self, Acceptance, InviteError};
use crate::services::{AppState, FieldErrors};
use crate::web::error::{AppError, AppResult};
use crate::web::see_other;
use crate::web::views::auth::{AcceptInviteView, InviteUnusableView};
use crate::web::views::{Page, render};

fn unusable(ctx: &RequestContext) -> HttpResponse {
    let t = messages(ctx.locale);
    render(
        StatusCode::NOT_FOUND,
        &InviteUnusableView { page: Page::new(ctx, t.accept_invalid_title, "") },
    )
}

fn accept_view(
    ctx: &RequestContext,
    token: &str,
    invite: crate::db::entities::invite::Model,
    tenant: crate::db::entities::tenant::Model,
    display_name: String,
    errors: FieldErrors,
) -> AcceptInviteView {
    AcceptInviteView {
        page: Page::new(ctx, messages(ctx.locale).accept_title, ""),
        action: format!("/invite/{token}"),
        email: invite.email,
        tenant_name: tenant.name,
        role: invite.role,
        display_name,
        errors,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (invite, tenant) = match invites::open(&state, &token).await {
        Ok(found) => found,
        Err(InviteError::Unusable) => return Ok(unusable(&ctx)),
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    let view = accept_view(&ctx, &token, invite, tenant, String::new(), FieldErrors::default());
    Ok(render(StatusCode::OK, &view))
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

/// Creates the account and signs the new person in straight away.
pub async fn accept(
    state: web::Data<AppState>,
    ctx: RequestContext,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let input = Acceptance {
        display_name: Some(form.display_name.clone()),
        password: SecretString::from(form.password),
        password_repeat: SecretString::from(form.password_repeat),
    };
    match invites::accept(&state, &token, input, ctx.ip.clone()).await {
        Ok(account) => {
            let secure = state.config.secure_cookies();
            let session = sessions::create(&state.db, account.id, state.clock.now()).await?;
            let mut response = see_other("/dashboard");
            response.add_cookie(&cookie(session_cookie_name(secure), session, secure)).ok();
            response.add_cookie(&removal_cookie(pre_session_cookie_name(secure), secure)).ok();
            Ok(response)
        }
        Err(InviteError::Invalid(errors)) => {
            let (invite, tenant) = match invites::open(&state, &token).await {
                Ok(found) => found,
                Err(_) => return Ok(unusable(&ctx)),
            };
            let view = accept_view(&ctx, &token, invite, tenant, form.display_name, errors);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(InviteError::Unusable | InviteError::NotFound) => Ok(unusable(&ctx)),
        Err(InviteError::Other(e)) => Err(AppError::Internal(e)),
    }
}
