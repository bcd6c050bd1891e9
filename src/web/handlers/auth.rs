use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::Authenticated;
use crate::domain::Role;
use crate::i18n::messages;
use crate::services::AppState;
use crate::services::sessions::{self, LoginOutcome};
use crate::web::cookies;
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
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
///
/// The path is read the way a browser reads a `Location` — the URL standard drops tabs and
/// newlines, treats `\` as `/`, and takes `//host` as another host — and only a same-origin
/// result counts. What comes back is that parsed path, so it is always a valid header.
fn local_path(next: &str) -> Option<String> {
    let base = url::Url::parse("http://calbridge.invalid/").ok()?;
    let resolved = base.join(next.trim()).ok()?;
    if !next.trim_start().starts_with(['/', '\\']) || resolved.origin() != base.origin() {
        return None;
    }
    Some(match resolved.query() {
        Some(query) => format!("{}?{query}", resolved.path()),
        None => resolved.path().to_owned(),
    })
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
    let view = LoginView {
        page: Page::new(&ctx, t.login_title, "")
            .with_notice(query.out.is_some().then_some(t.logged_out)),
        email: String::new(),
        next: query.next.as_deref().and_then(local_path).unwrap_or_default(),
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
    let LoginForm { email, password, next } = form.into_inner();
    let password = SecretString::from(password);
    let outcome = sessions::login(&state, &email, &password, ctx.ip.clone()).await?;
    let LoginOutcome::SignedIn(signed_in) = outcome else {
        return Ok(refused(&ctx, outcome, email, &next));
    };
    let target = local_path(&next).unwrap_or_else(|| home_of(signed_in.role).to_owned());
    cookies::signed_in(see_other(target), signed_in.token, state.config.secure_cookies())
}

/// The sign-in form again, saying why it did not work.
fn refused(ctx: &RequestContext, outcome: LoginOutcome, email: String, next: &str) -> HttpResponse {
    let t = messages(ctx.locale);
    let (status, failure, retry_after) = match outcome {
        LoginOutcome::Busy => (StatusCode::SERVICE_UNAVAILABLE, t.login_busy.to_owned(), Some(5)),
        LoginOutcome::Limited(wait) => {
            let secs = wait.as_secs();
            (StatusCode::TOO_MANY_REQUESTS, t.fill(t.login_limited, secs), Some(secs))
        }
        LoginOutcome::Rejected | LoginOutcome::SignedIn(_) => {
            (StatusCode::UNAUTHORIZED, t.login_failed_plain.to_owned(), None)
        }
    };
    let next = local_path(next).unwrap_or_default();
    let page = Page::new(ctx, t.login_title, "");
    let view = LoginView { page, email, next, failure: Some(failure) };
    with_retry_after(render(status, &view), retry_after)
}

/// Tells the browser (and scripts) when asking again makes sense.
fn with_retry_after(mut response: HttpResponse, secs: Option<u64>) -> HttpResponse {
    if let Some(secs) = secs {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    response
}

pub async fn logout(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: Authenticated,
) -> AppResult<HttpResponse> {
    sessions::logout(&state, &user.0, ctx.ip.clone()).await?;
    let secure = state.config.secure_cookies();
    let mut response = see_other("/login?out=1");
    cookies::set(&mut response, &[cookies::removal(cookies::session_name(secure), secure)])?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
}

/// Saves the signed-in person's language and shows the page they were on again in it.
pub async fn set_language(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: actix_web::HttpRequest,
    _user: Authenticated,
    form: web::Form<LanguageForm>,
) -> AppResult<HttpResponse> {
    crate::services::accounts::set_locale(&state, &ctx.actor(), &form.lang).await?;
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .and_then(|r| local_path(&r[url::Position::BeforePath..]));
    Ok(see_other(back.unwrap_or_else(|| "/".to_owned())))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_only_goes_to_local_paths() {
        assert_eq!(local_path("/users?x=1").as_deref(), Some("/users?x=1"));
        assert_eq!(local_path("/operator/tenants/1").as_deref(), Some("/operator/tenants/1"));
        for foreign in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "/\t/evil.example/phish",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " //evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "users",
            "",
        ] {
            assert_eq!(local_path(foreign), None, "{foreign:?}");
        }
        // Line breaks inside a local path are dropped, never sent on as a header.
        assert_eq!(
            local_path("/users\r\nSet-Cookie: x=1").as_deref(),
            Some("/usersSet-Cookie:%20x=1")
        );
    }
}
