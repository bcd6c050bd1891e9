//! Who an account is in the product.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Staff of the company running calbridge; belongs to no tenant.
    Operator,
    /// A customer's IT administrator.
    TenantAdmin,
    /// A customer's switchboard staff.
    Receptionist,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "operator" => Some(Role::Operator),
            "tenant_admin" => Some(Role::TenantAdmin),
            "receptionist" => Some(Role::Receptionist),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::TenantAdmin => "tenant_admin",
            Role::Receptionist => "receptionist",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
