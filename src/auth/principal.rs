//! The signed-in account, and the roles a use case can demand of it.
//!
//! A handler that takes [`TenantAdmin`] cannot run for anyone else, and gets the
//! [`TenantScope`] every tenant-owned query needs from the same place. The web layer turns
//! these into request extractors; here they are plain values with one way in: [`admit`].
//!
//! [`admit`]: Role::admit

use std::sync::Arc;

use sea_orm::prelude::Uuid;

use crate::db::TenantScope;
use crate::domain::{Locale, Role};

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
    /// When the owner last proved who they are in this session: signing in, or confirming
    /// their password since.
    pub authenticated_at: chrono::DateTime<chrono::Utc>,
}

/// How long a password confirmation covers changes to credentials.
pub const REAUTH_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

impl Principal {
    /// Whether the owner proved who they are within [`REAUTH_WINDOW`] of `now`.
    pub fn recently_authenticated(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        now - self.authenticated_at < REAUTH_WINDOW
    }

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

/// Why a caller may not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Nobody is signed in.
    NotSignedIn,
    /// Signed in, but in the wrong role (or without a tenant).
    WrongRole,
}

/// A role a use case demands, admitted from whoever is signed in.
pub trait Admit: Sized {
    fn admit(principal: Option<Arc<Principal>>) -> Result<Self, Denied>;
}

fn signed_in(principal: Option<Arc<Principal>>) -> Result<Arc<Principal>, Denied> {
    principal.ok_or(Denied::NotSignedIn)
}

/// Any signed-in account.
pub struct Authenticated(pub Arc<Principal>);

impl Admit for Authenticated {
    fn admit(principal: Option<Arc<Principal>>) -> Result<Self, Denied> {
        signed_in(principal).map(Authenticated)
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

impl Admit for Operator {
    fn admit(principal: Option<Arc<Principal>>) -> Result<Self, Denied> {
        let p = signed_in(principal)?;
        match p.role {
            Role::Operator => Ok(Operator(p)),
            _ => Err(Denied::WrongRole),
        }
    }
}

/// A tenant administrator, with the scope of their own tenant.
pub struct TenantAdmin {
    pub principal: Arc<Principal>,
    pub scope: TenantScope,
}

impl Admit for TenantAdmin {
    fn admit(principal: Option<Arc<Principal>>) -> Result<Self, Denied> {
        let p = signed_in(principal)?;
        match (p.role, p.scope()) {
            (Role::TenantAdmin, Some(scope)) => Ok(TenantAdmin { principal: p, scope }),
            _ => Err(Denied::WrongRole),
        }
    }
}

/// Anyone working in a tenant: its administrators and receptionists.
pub struct TenantMember {
    pub principal: Arc<Principal>,
    pub scope: TenantScope,
}

impl Admit for TenantMember {
    fn admit(principal: Option<Arc<Principal>>) -> Result<Self, Denied> {
        let p = signed_in(principal)?;
        match (p.role, p.scope()) {
            (Role::TenantAdmin | Role::Receptionist, Some(scope)) => {
                Ok(TenantMember { principal: p, scope })
            }
            _ => Err(Denied::WrongRole),
        }
    }
}
