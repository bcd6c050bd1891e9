use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The token's first characters, to recognise it in a list; never enough to use it.
    pub prefix: String,
    /// SHA-256 of the whole token, hex; the token itself is shown once and not kept.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    /// Who created it: an account's e-mail, or the command line.
    pub created_by: String,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
