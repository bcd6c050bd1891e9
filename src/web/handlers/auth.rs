use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::Authenticated;
use crate::auth::principal::RequestContext;
use crate::auth::session::{cookie, pre_session_cookie_name, removal_cookie, session_cookie_name};
use crate::domain::Role;
use crate::i18n::messages;
use crate::services::AppState;
use crate::services::sessions::{self, LoginOutcome};
use crate::web::error::AppResult;
use crate::web::see_other;
use crate::web::views::auth::LoginView;
use crate::web::views::{Page, render};

/// Where each role starts.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Operator => "/operator",
        Role::TenantAdmin => "/dashboard",
        Role::Receptionist => "/presence",
    }
}

pub async fn home(ctx: RequestContext) -> HttpResponse {
    match &ctx.principal {
        Some(p) => see_other(home_of(p.role)),
        None => see_other("/login"),
    }
}

/// Only paths on this site, so the sign-in form cannot be used to bounce users elsewhere.
fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\")).then_some(next)
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    out: Option<String>,
}

pub async fn login_page(ctx: RequestContext, query: web::Query<LoginQuery>) -> HttpResponse {
    if let Some(p) = &ctx.principal {
        return see_other(home_of(p.role));
    }
    let t = messages(ctx.locale);
    let notice = query.out.is_some().then_some(t.logged_out);
    let view = LoginView {
        page: Page::new(&ctx, t.login_title, "").with_notice(notice),
        email: String::new(),
        next: query.next.as_deref().and_then(local_path).unwrap_or_default().to_owned(),
        failure: None,
    };
    render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    state: web::Data<AppState>,
    ctx: RequestContext,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let password = SecretString::from(form.password);
    let outcome = sessions::login(&state, &form.email, &password, ctx.ip.clone()).await?;
    let t = messages(ctx.locale);
    let (status, failure) = match outcome {
        LoginOutcome::SignedIn { token, role } => {
            let secure = state.config.secure_cookies();
            let target = local_path(&form.next).unwrap_or(home_of(role)).to_owned();
            let mut response = see_other(target);
            response.add_cookie(&cookie(session_cookie_name(secure), token, secure)).ok();
            response.add_cookie(&removal_cookie(pre_session_cookie_name(secure), secure)).ok();
            return Ok(response);
        }
        LoginOutcome::Rejected => (StatusCode::UNAUTHORIZED, t.login_failed),
        LoginOutcome::Busy => (StatusCode::SERVICE_UNAVAILABLE, t.login_busy),
    };
    let view = LoginView {
        page: Page::new(&ctx, t.login_title, ""),
        email: form.email,
        next: local_path(&form.next).unwrap_or_default().to_owned(),
        failure: Some(failure),
    };
    Ok(render(status, &view))
}

pub async fn logout(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: Authenticated,
) -> AppResult<HttpResponse> {
    sessions::logout(&state, &user.0, ctx.ip.clone()).await?;
    let secure = state.config.secure_cookies();
    let mut response = see_other("/login?out=1");
    response.add_cookie(&removal_cookie(session_cookie_name(secure), secure)).ok();
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_only_goes_to_local_paths() {
        assert_eq!(local_path("/users?x=1"), Some("/users?x=1"));
        assert_eq!(local_path("//evil.example"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path(""), None);
    }
}
