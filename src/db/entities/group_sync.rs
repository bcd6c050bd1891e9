use sea_orm::entity::prelude::*;

/// A tenant's Entra group whose members get calendar sync, and its last run.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_syncs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The group's object id.
    pub group_id: String,
    /// As Entra named it at the last successful read.
    pub group_name: Option<String>,
    pub configured_at: DateTimeUtc,
    pub last_run_at: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    /// Members with a mailbox at the last successful read.
    pub members: i32,
    pub added: i32,
    pub switched_off: i32,
    /// Members left without sync because the licences ran out.
    pub not_enabled_count: i32,
    /// Their addresses (the first ones, bounded), as a JSON array.
    pub not_enabled_json: Option<String>,
    /// Why the last read failed (a `GroupProblem` key), if it did.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
