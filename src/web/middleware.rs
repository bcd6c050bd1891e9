//! Request pipeline: security headers and request log, branded error pages, and the
//! session/CSRF layer that every state-changing request passes.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use percent_encoding::percent_decode;

use super::caller;
use super::cookies::{self, cookie, removal};
use super::error::AppError;
use super::extract::RequestContext;
use super::views::error_page;
use crate::auth::csrf::{self, Binding};
use crate::auth::token;
use crate::domain::Locale;
use crate::services::{AppState, sessions};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";
/// The shared state; `startup` registers it on every app, so its absence is a wiring bug.
fn state_of(req: &ServiceRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState is not registered")).into())
}

/// Paths whose tail is a secret (invite links) are logged without it.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/invite/") { "/invite/…" } else { path }
}

/// Outermost: headers every response carries, and one log line per request.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let secure = state_of(&req)?.config.secure_cookies();
    let method = req.method().clone();
    let path = loggable_path(req.path()).to_owned();
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        header::HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        header::HeaderValue::from_static("same-origin"),
    );
    if secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    tracing::info!(
        %method,
        path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(res)
}

fn is_html(res: &HttpResponse<impl MessageBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

fn wants_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/static/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics")
}

/// Renders error statuses as pages in the product's look and the caller's language, and
/// sends signed-out visitors to the sign-in page.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let http_req = res.request().clone();
    let status = res.status();
    if status.as_u16() < 400 || is_html(res.response()) || !wants_page(http_req.path()) {
        return Ok(res);
    }
    let ctx = RequestContext::of(&http_req);
    if status == StatusCode::UNAUTHORIZED {
        let mut target = String::from("/login");
        if http_req.method() == Method::GET && http_req.path() != "/" {
            let next_path = http_req.uri().path_and_query().map_or("/", |p| p.as_str());
            target = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>()
            );
        }
        let redirect = HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
        return Ok(replace_keeping_cookies(res, redirect));
    }
    let refusal =
        res.headers().get("x-calbridge-refusal").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let page = error_page(&ctx, status, refusal.as_deref());
    Ok(replace_keeping_cookies(res, page))
}

/// Swaps the body for a page, keeping cookies set on the way (e.g. a cleared session).
fn replace_keeping_cookies(
    res: ServiceResponse<BoxBody>,
    mut with: HttpResponse,
) -> ServiceResponse<BoxBody> {
    let kept: Vec<_> = res.response().cookies().collect();
    if let Err(e) = cookies::set(&mut with, &kept) {
        with = e.error_response();
    }
    res.into_response(with)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses state-changing requests that a browser marks as coming from another site.
fn same_origin(req: &ServiceRequest, ours: &str) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    // Browsers that send neither header are still bound by the token.
    headers.get(header::ORIGIN).is_none_or(|origin| caller::is_origin(origin, ours))
}

/// What a state-changing request submitted: its CSRF token, from the header or from the
/// url-encoded form body (which is read here and handed back to the handler unchanged).
/// A form whose fields are not UTF-8 is refused: decoding would silently turn them into
/// U+FFFD and save that.
async fn submitted_token(
    req: &mut ServiceRequest,
    signed_in: bool,
) -> Result<Option<String>, AppError> {
    let header_token = req.headers().get(csrf::HEADER).and_then(|v| v.to_str().ok());
    let header_token = header_token.map(str::to_owned);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    // File uploads are for signed-in people only; nobody else gets a body read for them.
    if is_multipart && signed_in {
        return Ok(header_token.or(multipart_token(req).await?));
    }
    if !is_form {
        return Ok(header_token);
    }
    let Ok(body) = req.extract::<web::Bytes>().await else { return Ok(header_token) };
    let fields_are_utf8 = body.split(|b| *b == b'&').all(|field| {
        field.split(|b| *b == b'=').all(|part| percent_decode(part).decode_utf8().is_ok())
    });
    if !fields_are_utf8 {
        return Err(AppError::Encoding);
    }
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == csrf::FIELD)
        .map(|(_, v)| v.into_owned());
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(header_token.or(token))
}

/// The most a file upload form may send; the handler sets its own, lower limit for the file.
const MULTIPART_LIMIT: usize = 16 * 1024 * 1024;

/// The CSRF field of a file upload form. The body is read (bounded), searched, and handed
/// back to the handler unchanged.
async fn multipart_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    use futures_util::StreamExt;
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::Refused(StatusCode::BAD_REQUEST))?;
        if body.len() + chunk.len() > MULTIPART_LIMIT {
            return Err(AppError::Refused(StatusCode::PAYLOAD_TOO_LARGE));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let once = futures_util::stream::once(std::future::ready(Ok(body.clone())));
    let mut form = actix_multipart::Multipart::new(req.headers(), once);
    let mut token = None;
    while let Some(Ok(mut field)) = form.next().await {
        if field.name() == Some(csrf::FIELD) {
            let value = field.bytes(256).await.ok().and_then(Result::ok);
            token = value.and_then(|b| String::from_utf8(b.to_vec()).ok());
            break;
        }
    }
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(token)
}

fn resolve_locale(req: &ServiceRequest, preferred: Option<Locale>) -> Locale {
    if let Some(l) = preferred {
        return l;
    }
    if let Some(l) = req.cookie(cookies::LANG).and_then(|c| Locale::parse(c.value())) {
        return l;
    }
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or(Locale::En)
}

/// Resolves the session, the language and the CSRF token; refuses cross-site and
/// token-less state changes before any handler runs.
pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    let secure = state.config.secure_cookies();
    let session_name = cookies::session_name(secure);
    let pre_name = cookies::pre_session_name(secure);

    let mut stale_session = false;
    let principal = match req.cookie(session_name) {
        Some(c) => match sessions::resolve(&state, c.value()).await {
            Ok(found) => {
                stale_session = found.is_none();
                found
            }
            Err(e) => return Ok(req.error_response(AppError::from(e))),
        },
        None => None,
    };
    let existing_pre = req.cookie(pre_name).map(|c| c.value().to_owned()).filter(|v| v.len() == 43);
    // Machine clients have no forms to protect, so they get no pre-session cookie.
    let new_pre =
        (existing_pre.is_none() && !req.path().starts_with("/api/")).then(token::random_token);
    let pre_value = existing_pre.clone().or_else(|| new_pre.clone()).unwrap_or_default();
    let binding = match &principal {
        Some(p) => Binding::Session(&p.session_hash),
        None => Binding::PreSession(&pre_value),
    };
    let csrf_token = state.csrf.token(&binding);

    // A `?lang=` choice on a signed-out page is remembered in a cookie.
    let lang_choice = (principal.is_none() && req.method() == Method::GET)
        .then(|| {
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Locale::parse(&v))
        })
        .flatten();
    let locale =
        resolve_locale(&req, lang_choice.or(principal.as_ref().and_then(|p| p.preferred_locale())));
    let connection = caller::Connection {
        peer: req.peer_addr(),
        local: req.app_config().local_addr(),
        headers: req.headers(),
    };
    let caller = caller::resolve(&connection, &state.config);
    req.extensions_mut().insert(RequestContext {
        locale,
        csrf_token,
        principal: principal.clone(),
        ip: caller.ip.map(|ip| ip.to_string()),
        base_url: caller.base_url,
    });

    if !is_safe(req.method()) && !req.path().starts_with("/api/") {
        if !same_origin(&req, &caller.origin) {
            return Ok(req.error_response(AppError::CrossSite));
        }
        // Before sign-in the token is bound to the pre-session cookie the form page set.
        let binding_ok = match (&principal, &existing_pre) {
            (Some(p), _) => Some(Binding::Session(&p.session_hash)),
            (None, Some(pre)) => Some(Binding::PreSession(pre)),
            (None, None) => None,
        };
        let submitted = match submitted_token(&mut req, principal.is_some()).await {
            Ok(token) => token,
            Err(e) => return Ok(req.error_response(e)),
        };
        let valid = match (binding_ok, submitted) {
            (Some(b), Some(t)) => state.csrf.verify(&b, &t),
            _ => false,
        };
        if !valid {
            return Ok(req.error_response(AppError::Csrf));
        }
    }

    let mut res = next.call(req).await?.map_into_boxed_body();
    let signed_in_now = res.response().cookies().any(|c| c.name() == session_name);
    let mut extra = Vec::new();
    if let Some(pre) = new_pre.filter(|_| principal.is_none() && !signed_in_now) {
        extra.push(cookie(pre_name, pre, secure));
    }
    if stale_session && !signed_in_now {
        extra.push(removal(session_name, secure));
    }
    if let Some(lang) = lang_choice {
        let mut c = cookie(cookies::LANG, lang.code().to_owned(), secure);
        c.set_http_only(false);
        extra.push(c);
    }
    if let Err(e) = cookies::set(res.response_mut(), &extra) {
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, e.error_response()));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_tokens_never_reach_the_log() {
        assert_eq!(loggable_path("/invite/abcdefsecret"), "/invite/…");
        assert_eq!(loggable_path("/users"), "/users");
    }
}
