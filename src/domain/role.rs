//! Who an account is in the product.

use super::stored::stored_enum;

stored_enum! {
    pub enum Role {
        /// Staff of the company running calbridge; belongs to no tenant.
        Operator = "operator",
        /// A customer's IT administrator.
        TenantAdmin = "tenant_admin",
        /// A customer's switchboard staff.
        Receptionist = "receptionist",
    }
}
