use sea_orm::entity::prelude::*;

use crate::domain::provider::{DetailLevel, ProviderKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub kind: ProviderKind,
    pub directory_id: Option<String>,
    pub client_id: Option<String>,
    /// AES-256-GCM ciphertext with its key id; never plaintext.
    pub client_secret_ciphertext: Option<String>,
    pub secret_expires_on: Option<Date>,
    pub detail_level: DetailLevel,
    pub ews_url: Option<String>,
    pub ews_username: Option<String>,
    /// AES-256-GCM ciphertext with its key id; never plaintext.
    pub ews_password_ciphertext: Option<String>,
    pub ews_auth_scheme: Option<String>,
    /// A PEM CA certificate trusted for this tenant's Exchange server only (public data).
    pub ews_ca_pem: Option<String>,
    pub updated_at: DateTimeUtc,
    pub last_test_at: Option<DateTimeUtc>,
    pub last_test_ok: Option<bool>,
    /// The permissions the last successful sign-in carried, comma-separated.
    pub granted_permissions: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
