//! The cookies the portal sets: the session, the pre-session that binds forms before sign-in,
//! and a remembered language.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use super::error::AppError;

/// Cookie names; the `__Host-` prefix (https only) pins the cookie to this exact host.
pub fn session_name(secure: bool) -> &'static str {
    if secure { "__Host-calbridge_session" } else { "calbridge_session" }
}

pub fn pre_session_name(secure: bool) -> &'static str {
    if secure { "__Host-calbridge_pre" } else { "calbridge_pre" }
}

/// Remembers a language picked on a signed-out page; readable by scripts, like the page.
pub const LANG: &str = "calbridge_lang";

pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}

/// Sets every cookie on `response`. A cookie that cannot be written as a header is a bug of
/// ours, so it fails the request (logged with its cause) rather than vanishing silently.
pub fn set(response: &mut HttpResponse, cookies: &[Cookie<'_>]) -> Result<(), AppError> {
    for c in cookies {
        response.add_cookie(c).map_err(|e| {
            AppError::Internal(
                anyhow::Error::new(e).context(format!("setting cookie {}", c.name())),
            )
        })?;
    }
    Ok(())
}

/// The session cookies after a sign-in: the new session set, the pre-session gone.
pub fn signed_in(
    mut response: HttpResponse,
    token: String,
    secure: bool,
) -> Result<HttpResponse, AppError> {
    set(
        &mut response,
        &[cookie(session_name(secure), token, secure), removal(pre_session_name(secure), secure)],
    )?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_that_cannot_be_a_header_fails_the_request() {
        let mut response = HttpResponse::Ok().finish();
        let broken = Cookie::new("calbridge_session", "line\nbreak");
        let error = set(&mut response, &[broken]).unwrap_err();
        assert!(matches!(error, AppError::Internal(_)), "{error:?}");
        assert!(response.cookies().next().is_none());
        let mut fine = HttpResponse::Ok().finish();
        set(&mut fine, &[cookie("calbridge_session", "abc".into(), false)]).unwrap();
        assert_eq!(fine.cookies().next().map(|c| c.value().to_owned()).as_deref(), Some("abc"));
    }
}
