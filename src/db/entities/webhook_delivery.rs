use sea_orm::entity::prelude::*;

use crate::domain::integration::{DeliveryStatus, EventType};

/// One event for one endpoint: the outbox row, written with the change it reports, and its
/// delivery attempts. Its id is the `webhook-id`, the same on every attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub tenant_id: Uuid,
    pub event_type: EventType,
    /// The body sent, exactly: the signature covers it.
    pub payload: String,
    pub created_at: DateTimeUtc,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due; `None` once delivered or given up.
    pub next_attempt_at: Option<DateTimeUtc>,
    /// An instance is attempting it until then.
    pub locked_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    /// The receiver's HTTP status of the last attempt, if it answered.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
