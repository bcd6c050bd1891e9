//! Sync enablement from a Microsoft Entra group: the group a tenant chose and how its last
//! run went, and which directory users the group switched on (only those it switches off).

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
enum DirectoryUsers {
    Table,
    GroupManaged,
}

#[derive(DeriveIden)]
enum GroupSyncs {
    Table,
    TenantId,
    GroupId,
    GroupName,
    ConfiguredAt,
    LastRunAt,
    LastSuccessAt,
    Members,
    Added,
    SwitchedOff,
    NotEnabledCount,
    NotEnabledJson,
    ErrorCode,
    ErrorMessage,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DirectoryUsers::Table)
                    .add_column(boolean(DirectoryUsers::GroupManaged).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupSyncs::Table)
                    .col(uuid(GroupSyncs::TenantId).primary_key())
                    .col(string(GroupSyncs::GroupId))
                    .col(string_null(GroupSyncs::GroupName))
                    .col(timestamp_with_time_zone(GroupSyncs::ConfiguredAt))
                    .col(timestamp_with_time_zone_null(GroupSyncs::LastRunAt))
                    .col(timestamp_with_time_zone_null(GroupSyncs::LastSuccessAt))
                    .col(integer(GroupSyncs::Members).default(0))
                    .col(integer(GroupSyncs::Added).default(0))
                    .col(integer(GroupSyncs::SwitchedOff).default(0))
                    .col(integer(GroupSyncs::NotEnabledCount).default(0))
                    .col(text_null(GroupSyncs::NotEnabledJson))
                    .col(string_null(GroupSyncs::ErrorCode))
                    .col(text_null(GroupSyncs::ErrorMessage))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupSyncs::Table, GroupSyncs::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(GroupSyncs::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DirectoryUsers::Table)
                    .drop_column(DirectoryUsers::GroupManaged)
                    .to_owned(),
            )
            .await
    }
}
