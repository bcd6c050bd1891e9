use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// As the admin typed it; shown in the portal.
    pub email: String,
    /// Lower-cased address: the unique key per tenant.
    pub email_key: String,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub sync_enabled: bool,
    /// Switched on by the tenant's Entra group; only these are switched off when they leave it.
    pub group_managed: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
