use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::i18n::messages;
use crate::services::invites::{self, AcceptPage, Acceptance};
use crate::services::{AppState, Error, FieldErrors, FormError};
use crate::web::cookies;
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::auth::{AcceptInviteView, InviteUnusableView};
use crate::web::views::{Page, ok, refused_status, render};

fn unusable(ctx: &RequestContext) -> HttpResponse {
    let page = Page::new(ctx, messages(ctx.locale).accept_invalid_title, "");
    render(StatusCode::NOT_FOUND, &InviteUnusableView { page })
}

fn accept_view(
    ctx: &RequestContext,
    token: &str,
    invite: AcceptPage,
    display_name: String,
    errors: FieldErrors,
) -> AcceptInviteView {
    AcceptInviteView {
        page: Page::new(ctx, messages(ctx.locale).accept_title, ""),
        action: format!("/invite/{token}"),
        invite,
        display_name,
        errors,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match invites::page(&state, &token).await {
        Ok(invite) => {
            Ok(ok(&accept_view(&ctx, &token, invite, String::new(), FieldErrors::default())))
        }
        Err(Error::Unusable) => Ok(unusable(&ctx)),
        Err(e) => Err(e.into()),
    }
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
        Ok(signed_in) => cookies::signed_in(
            see_other("/dashboard"),
            signed_in.token,
            state.config.secure_cookies(),
        ),
        Err(FormError::Refused(r)) => {
            let view = accept_view(&ctx, &token, r.page, form.display_name, r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(Error::Unusable)) => Ok(unusable(&ctx)),
        Err(FormError::Other(e)) => Err(e.into()),
    }
}
