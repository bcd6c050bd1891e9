use sea_orm::entity::prelude::*;

use crate::domain::{ErrorCode, SyncOutcome};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Which calbridge instance ran it.
    pub instance: String,
    pub fencing_token: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    pub users: i32,
    pub changed: i32,
    pub http_requests: i32,
    pub throttled: i32,
    pub errors: i32,
    pub outcome: SyncOutcome,
    pub error_code: Option<ErrorCode>,
    pub error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
