//! Notices e-mailed to a tenant's admins, each recorded once so that several instances send
//! it once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    TenantId,
    Kind,
    Key,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notices::Table)
                    .col(uuid(Notices::TenantId))
                    .col(string(Notices::Kind))
                    .col(string(Notices::Key))
                    .col(timestamp_with_time_zone(Notices::SentAt))
                    .primary_key(
                        Index::create().col(Notices::TenantId).col(Notices::Kind).col(Notices::Key),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notices::Table, Notices::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Notices::Table).to_owned()).await
    }
}
