//! Session lifetimes and the cookie that carries the session token.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use chrono::Duration;

/// A session unused for this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, to spare the database a write per request.
pub const TOUCH_INTERVAL: Duration = Duration::seconds(30);

/// Cookie names; the `__Host-` prefix (https only) pins the cookie to this exact host.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-calbridge_session" } else { "calbridge_session" }
}

pub fn pre_session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-calbridge_pre" } else { "calbridge_pre" }
}

pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

pub fn removal_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}
