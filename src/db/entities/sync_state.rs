use sea_orm::entity::prelude::*;

use crate::domain::FailureReason;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub next_run_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    /// Grows with every claim; a write carrying an older token is refused.
    pub fencing_token: i64,
    pub consecutive_failures: i32,
    pub breaker_open_until: Option<DateTimeUtc>,
    pub needs_admin_action: bool,
    /// Why the last sync failed, if it did.
    pub last_error_code: Option<FailureReason>,
    pub last_error_message: Option<String>,
    pub last_run_at: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    /// When the sync holding the lease started; cleared when it ends.
    pub running_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
