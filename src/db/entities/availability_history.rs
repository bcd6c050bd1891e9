use sea_orm::entity::prelude::*;

use crate::domain::AvailabilityState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "availability_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub at: DateTimeUtc,
    pub available: bool,
    pub state: AvailabilityState,
    pub until: Option<DateTimeUtc>,
    pub appointment_json: Option<String>,
    /// The tenant's event number: the stream's `id`, increasing in commit order.
    pub seq: Option<i64>,
    pub next_change_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
