use sea_orm::entity::prelude::*;

use crate::domain::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-cased; one account per address across the whole service.
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub tenant_id: Option<Uuid>,
    pub password_hash: String,
    pub locale: Option<String>,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
