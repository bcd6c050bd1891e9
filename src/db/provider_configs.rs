//! Each tenant's calendar connection. Secret columns only ever hold ciphertext.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};

use super::StoredSecret;
use super::TenantScope;
use super::entities::provider_config;
use crate::domain::provider::{DetailLevel, EwsAuth, ProviderKind};
use crate::secrets::SecretField;

pub struct GraphConnection {
    pub directory_id: String,
    pub client_id: String,
    pub client_secret_ciphertext: String,
    pub secret_expires_on: Option<NaiveDate>,
    pub detail: DetailLevel,
}

pub struct EwsConnection {
    pub url: String,
    pub username: String,
    pub password_ciphertext: String,
    pub auth: EwsAuth,
    pub ca_pem: Option<String>,
    pub detail: DetailLevel,
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Option<provider_config::Model>, DbErr> {
    provider_config::Entity::find_by_id(scope.tenant_id()).one(db).await
}

/// Stores the Microsoft 365 connection, replacing any earlier one.
pub async fn save_graph(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    graph: GraphConnection,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let model = provider_config::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        kind: Set(ProviderKind::Graph),
        directory_id: Set(Some(graph.directory_id)),
        client_id: Set(Some(graph.client_id)),
        client_secret_ciphertext: Set(Some(graph.client_secret_ciphertext)),
        secret_expires_on: Set(graph.secret_expires_on),
        detail_level: Set(graph.detail),
        ews_url: Set(None),
        ews_username: Set(None),
        ews_password_ciphertext: Set(None),
        ews_auth_scheme: Set(None),
        ews_ca_pem: Set(None),
        updated_at: Set(now),
        last_test_at: Set(None),
        last_test_ok: Set(None),
        granted_permissions: Set(None),
    };
    upsert(db, model).await
}

/// Stores the Exchange on-premises connection, replacing any earlier one (a Microsoft 365
/// connection's secret included: one tenant reads one calendar system).
pub async fn save_ews(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    ews: EwsConnection,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let model = provider_config::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        kind: Set(ProviderKind::Ews),
        directory_id: Set(None),
        client_id: Set(None),
        client_secret_ciphertext: Set(None),
        secret_expires_on: Set(None),
        detail_level: Set(ews.detail),
        ews_url: Set(Some(ews.url)),
        ews_username: Set(Some(ews.username)),
        ews_password_ciphertext: Set(Some(ews.password_ciphertext)),
        ews_auth_scheme: Set(Some(ews.auth.as_str().to_owned())),
        ews_ca_pem: Set(ews.ca_pem),
        updated_at: Set(now),
        last_test_at: Set(None),
        last_test_ok: Set(None),
        granted_permissions: Set(None),
    };
    upsert(db, model).await
}

async fn upsert(
    db: &impl ConnectionTrait,
    model: provider_config::ActiveModel,
) -> Result<(), DbErr> {
    use provider_config::Column as C;
    provider_config::Entity::insert(model)
        .on_conflict(
            OnConflict::column(C::TenantId)
                .update_columns([
                    C::Kind,
                    C::DirectoryId,
                    C::ClientId,
                    C::ClientSecretCiphertext,
                    C::SecretExpiresOn,
                    C::DetailLevel,
                    C::EwsUrl,
                    C::EwsUsername,
                    C::EwsPasswordCiphertext,
                    C::EwsAuthScheme,
                    C::EwsCaPem,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

pub async fn all_secrets(db: &impl ConnectionTrait) -> Result<Vec<StoredSecret>, DbErr> {
    let rows = provider_config::Entity::find().all(db).await?;
    let mut secrets = Vec::new();
    for row in rows {
        if let Some(c) = row.client_secret_ciphertext {
            secrets.push(StoredSecret {
                tenant_id: row.tenant_id,
                row_id: row.tenant_id,
                field: SecretField::GraphClientSecret,
                ciphertext: c,
            });
        }
        if let Some(c) = row.ews_password_ciphertext {
            secrets.push(StoredSecret {
                tenant_id: row.tenant_id,
                row_id: row.tenant_id,
                field: SecretField::EwsPassword,
                ciphertext: c,
            });
        }
    }
    Ok(secrets)
}

/// Replaces one ciphertext, only if it is still the one that was read.
pub async fn replace_secret(
    db: &impl ConnectionTrait,
    old: &StoredSecret,
    new_ciphertext: String,
) -> Result<bool, DbErr> {
    let column = match old.field {
        SecretField::GraphClientSecret => provider_config::Column::ClientSecretCiphertext,
        SecretField::EwsPassword => provider_config::Column::EwsPasswordCiphertext,
        // Kept with the endpoint, see `webhooks::replace_secret`.
        SecretField::WebhookSecret => return Ok(false),
    };
    let result = provider_config::Entity::update_many()
        .col_expr(column, Expr::value(new_ciphertext))
        .filter(provider_config::Column::TenantId.eq(old.tenant_id))
        .filter(column.eq(old.ciphertext.clone()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// What the last connection test found.
pub async fn record_test(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    at: DateTime<Utc>,
    ok: bool,
    permissions: Option<String>,
) -> Result<(), DbErr> {
    provider_config::Entity::update_many()
        .col_expr(provider_config::Column::LastTestAt, Expr::value(at))
        .col_expr(provider_config::Column::LastTestOk, Expr::value(ok))
        .col_expr(provider_config::Column::GrantedPermissions, Expr::value(permissions))
        .filter(provider_config::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the connection, secret and all.
pub async fn delete(db: &impl ConnectionTrait, scope: TenantScope) -> Result<bool, DbErr> {
    let result = provider_config::Entity::delete_by_id(scope.tenant_id()).exec(db).await?;
    Ok(result.rows_affected > 0)
}

/// Every tenant's secret expiry date, for the operator console.
pub async fn expiry_dates(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<Uuid, NaiveDate>, DbErr> {
    let rows = provider_config::Entity::find()
        .filter(provider_config::Column::ClientSecretCiphertext.is_not_null())
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.secret_expires_on.map(|d| (r.tenant_id, d))).collect())
}
