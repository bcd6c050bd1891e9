//! Exchange on-premises: the tenant's own CA certificate for its server, and the calendar
//! system an admin chose in the wizard before any connection is stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProviderConfigs {
    Table,
    EwsCaPem,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    CalendarSystem,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderConfigs::Table)
                    .add_column(text_null(ProviderConfigs::EwsCaPem))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(string(Tenants::CalendarSystem).default("graph"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::CalendarSystem)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderConfigs::Table)
                    .drop_column(ProviderConfigs::EwsCaPem)
                    .to_owned(),
            )
            .await
    }
}
