use sea_orm::entity::prelude::*;

use crate::domain::{AvailabilityState, ErrorCode};

/// The current availability of one directory user, and the calendar items it was computed
/// from (so transitions can be re-evaluated without asking Microsoft again).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "availability")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub available: bool,
    pub state: AvailabilityState,
    pub until: Option<DateTimeUtc>,
    pub next_change_at: Option<DateTimeUtc>,
    /// The appointment the receptionist may see; never a private item's subject or location.
    pub appointment_json: Option<String>,
    pub explanation_json: Option<String>,
    /// The shown items of the sync window; private ones without subject and location.
    pub items_json: String,
    pub items_hash: String,
    /// When this row's state was last computed and changed.
    pub observed_at: DateTimeUtc,
    /// When the items were last read from the calendar.
    pub synced_at: Option<DateTimeUtc>,
    pub sync_error_code: Option<ErrorCode>,
    pub sync_error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
