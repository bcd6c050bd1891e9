//! What a handler can ask of a request: its context, and the role it demands.
//!
//! The session middleware resolves the caller once per request; the role extractors only
//! look at what it found, so a handler that names [`TenantAdmin`] in its signature cannot run
//! for anyone else.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use super::error::AppError;
use crate::auth::{Admit, Authenticated, Operator, Principal, TenantAdmin, TenantMember};
use crate::domain::Locale;
use crate::services::Actor;

/// What every request knows about its caller, set by the session middleware.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub locale: Locale,
    pub csrf_token: String,
    pub principal: Option<Arc<Principal>>,
    pub ip: Option<String>,
    /// Where links to this portal point: the configured public address, else
    /// `scheme://host[:port]` as the caller reached us.
    pub base_url: String,
}

impl RequestContext {
    pub fn of(req: &HttpRequest) -> RequestContext {
        req.extensions().get::<RequestContext>().cloned().unwrap_or(RequestContext {
            locale: Locale::En,
            csrf_token: String::new(),
            principal: None,
            ip: None,
            base_url: String::new(),
        })
    }

    /// Who is acting, for the audit trail.
    pub fn actor(&self) -> Actor {
        match &self.principal {
            Some(p) => Actor::from_principal(p, self.ip.clone()),
            None => Actor { ip: self.ip.clone(), ..Actor::default() },
        }
    }
}

impl FromRequest for RequestContext {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestContext::of(req)))
    }
}

/// Implements `FromRequest` for role types: admitted from the request's principal.
macro_rules! role_extractor {
    ($($role:ty),+) => {$(
        impl FromRequest for $role {
            type Error = AppError;
            type Future = Ready<Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(<$role>::admit(RequestContext::of(req).principal).map_err(AppError::from))
            }
        }
    )+};
}

role_extractor!(Authenticated, Operator, TenantAdmin, TenantMember);

/// A machine client, proven by the bearer token of the `Authorization` header (and within
/// its rate limit); refused with a problem document otherwise.
pub struct Api(pub crate::services::api_tokens::ApiClient);

impl FromRequest for Api {
    type Error = super::problem::ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Api, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<actix_web::web::Data<crate::services::AppState>>().cloned();
        let authorization = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                super::problem::ApiError::Internal(anyhow::anyhow!("AppState is not registered"))
            })?;
            let client =
                crate::services::api_tokens::authenticate(&state, authorization.as_deref()).await?;
            Ok(Api(client))
        })
    }
}
