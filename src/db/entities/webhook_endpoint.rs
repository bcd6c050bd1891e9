use sea_orm::entity::prelude::*;

use crate::domain::integration::DisabledReason;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub url: String,
    /// The event types sent, comma-separated.
    pub events: String,
    pub enabled: bool,
    /// The signing secret (`whsec_…`), encrypted like every stored secret.
    pub secret_ciphertext: String,
    pub created_at: DateTimeUtc,
    pub secret_rotated_at: DateTimeUtc,
    /// Why calbridge switched it off; `None` when an admin did, or it is on.
    pub disabled_reason: Option<DisabledReason>,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
