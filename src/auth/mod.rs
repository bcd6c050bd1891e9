//! Who is asking: passwords, sessions, CSRF and roles as extractor types.

pub mod csrf;
pub mod password;
pub mod principal;
pub mod session;
pub mod token;

pub use principal::{Authenticated, Operator, Principal, TenantAdmin, TenantMember};
