use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// `secret_expiry` or `needs_admin`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// What makes this notice different from an earlier one of its kind.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
