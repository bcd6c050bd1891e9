use sea_orm::prelude::Uuid;

/// Proof that the caller may act inside one tenant.
///
/// Built only by the authentication extractors (from the signed-in account's tenant) and by
/// operator paths (operators may act in every tenant), never from a request body or URL
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope(Uuid);

impl TenantScope {
    pub(crate) fn new(tenant_id: Uuid) -> TenantScope {
        TenantScope(tenant_id)
    }

    /// For the command line and background jobs, which act with operator rights in every
    /// tenant. Web handlers get their scope from the role extractors instead.
    pub fn for_cli(tenant_id: Uuid) -> TenantScope {
        TenantScope(tenant_id)
    }

    pub fn tenant_id(&self) -> Uuid {
        self.0
    }
}
