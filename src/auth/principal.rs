//! The signed-in account, and the role extractors handlers declare in their signature.
//!
//! A handler that takes [`TenantAdmin`] cannot run for anyone else, and gets the
//! [`TenantScope`] every tenant-owned query needs from the same place.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use sea_orm::prelude::Uuid;

use crate::db::TenantScope;
use crate::domain::{Locale, Role};
use crate::web::error::AppError;

/// The tenant a signed-in tenant account belongs to.
#[derive(Debug, Clone)]
pub struct TenantInfo {
    pub id: Uuid,
    pub name: String,
    pub timezone: chrono_tz::Tz,
    pub locale: Locale,
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub tenant: Option<TenantInfo>,
    /// The account's own language choice, if any.
    pub locale: Option<Locale>,
    /// Hash of the session id: binds CSRF tokens and identifies the session for logout.
    pub session_hash: String,
}

impl Principal {
    pub fn scope(&self) -> Option<TenantScope> {
        self.tenant.as_ref().map(|t| TenantScope::new(t.id))
    }

    /// The account's language, else its tenant's.
    pub fn preferred_locale(&self) -> Option<Locale> {
        self.locale.or(self.tenant.as_ref().map(|t| t.locale))
    }

    /// Times are shown in the tenant's zone; operators work from Denmark.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.tenant.as_ref().map_or(chrono_tz::Europe::Copenhagen, |t| t.timezone)
    }
}

/// What every request knows about its caller, set by the session middleware.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub locale: Locale,
    pub csrf_token: String,
    pub principal: Option<Arc<Principal>>,
    pub ip: Option<String>,
    /// `scheme://host[:port]` as the caller reached us.
    pub origin: String,
}

impl RequestContext {
    pub fn of(req: &HttpRequest) -> RequestContext {
        req.extensions().get::<RequestContext>().cloned().unwrap_or(RequestContext {
            locale: Locale::En,
            csrf_token: String::new(),
            principal: None,
            ip: None,
            origin: String::new(),
        })
    }
}

impl FromRequest for RequestContext {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestContext::of(req)))
    }
}

fn principal(req: &HttpRequest) -> Result<Arc<Principal>, AppError> {
    RequestContext::of(req).principal.ok_or(AppError::Unauthenticated)
}

/// Any signed-in account.
pub struct Authenticated(pub Arc<Principal>);

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).map(Authenticated))
    }
}

/// An operator of the service.
pub struct Operator(pub Arc<Principal>);

impl Operator {
    /// Operators may act inside any tenant.
    pub fn scope_for(&self, tenant_id: Uuid) -> TenantScope {
        TenantScope::new(tenant_id)
    }
}

impl FromRequest for Operator {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).and_then(|p| match p.role {
            Role::Operator => Ok(Operator(p)),
            _ => Err(AppError::Forbidden),
        }))
    }
}

/// A tenant administrator, with the scope of their own tenant.
pub struct TenantAdmin {
    pub principal: Arc<Principal>,
    pub scope: TenantScope,
}

impl FromRequest for TenantAdmin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).and_then(|p| match (p.role, p.scope()) {
            (Role::TenantAdmin, Some(scope)) => Ok(TenantAdmin { principal: p, scope }),
            _ => Err(AppError::Forbidden),
        }))
    }
}

/// Anyone working in a tenant: its administrators and receptionists.
pub struct TenantMember {
    pub principal: Arc<Principal>,
    pub scope: TenantScope,
}

impl FromRequest for TenantMember {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).and_then(|p| match (p.role, p.scope()) {
            (Role::TenantAdmin | Role::Receptionist, Some(scope)) => {
                Ok(TenantMember { principal: p, scope })
            }
            _ => Err(AppError::Forbidden),
        }))
    }
}
