//! Self-service onboarding: how far each tenant got and when, the last connection test, and
//! when a session's owner last confirmed their password.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    WizardStep,
    InvitedAt,
    CompanyDoneAt,
    ConnectionDoneAt,
    UsersDoneAt,
    LiveAt,
}

#[derive(DeriveIden)]
enum ProviderConfigs {
    Table,
    LastTestAt,
    LastTestOk,
    GrantedPermissions,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ReauthenticatedAt,
}

/// SQLite adds one column per statement.
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await
}

async fn drop(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, Tenants::Table, string_null(Tenants::WizardStep)).await?;
        for column in [
            Tenants::InvitedAt,
            Tenants::CompanyDoneAt,
            Tenants::ConnectionDoneAt,
            Tenants::UsersDoneAt,
            Tenants::LiveAt,
        ] {
            add(manager, Tenants::Table, timestamp_with_time_zone_null(column)).await?;
        }
        add(
            manager,
            ProviderConfigs::Table,
            timestamp_with_time_zone_null(ProviderConfigs::LastTestAt),
        )
        .await?;
        add(manager, ProviderConfigs::Table, boolean_null(ProviderConfigs::LastTestOk)).await?;
        add(manager, ProviderConfigs::Table, string_null(ProviderConfigs::GrantedPermissions))
            .await?;
        add(manager, Sessions::Table, timestamp_with_time_zone_null(Sessions::ReauthenticatedAt))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, Sessions::Table, Sessions::ReauthenticatedAt).await?;
        for column in [
            ProviderConfigs::GrantedPermissions,
            ProviderConfigs::LastTestOk,
            ProviderConfigs::LastTestAt,
        ] {
            drop(manager, ProviderConfigs::Table, column).await?;
        }
        for column in [
            Tenants::LiveAt,
            Tenants::UsersDoneAt,
            Tenants::ConnectionDoneAt,
            Tenants::CompanyDoneAt,
            Tenants::InvitedAt,
            Tenants::WizardStep,
        ] {
            drop(manager, Tenants::Table, column).await?;
        }
        Ok(())
    }
}
