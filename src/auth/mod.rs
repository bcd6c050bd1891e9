//! Who is asking: passwords, sessions, CSRF tokens and roles, as plain Rust. The web layer
//! turns the roles into request extractors.

pub mod csrf;
pub mod password;
pub mod principal;
pub mod session;
pub mod throttle;
pub mod token;

pub use principal::{Admit, Authenticated, Denied, Operator, Principal, TenantAdmin, TenantMember};
