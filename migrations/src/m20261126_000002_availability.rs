//! Availability per directory user, its history, sync runs and per-tenant rules.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    RulesJson,
}

#[derive(DeriveIden)]
enum DirectoryUsers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Availability {
    Table,
    UserId,
    TenantId,
    Available,
    State,
    Until,
    NextChangeAt,
    AppointmentJson,
    ExplanationJson,
    ItemsJson,
    ItemsHash,
    ObservedAt,
    SyncedAt,
    SyncErrorCode,
    SyncErrorMessage,
}

#[derive(DeriveIden)]
enum AvailabilityHistory {
    Table,
    Id,
    TenantId,
    UserId,
    At,
    Available,
    State,
    Until,
    AppointmentJson,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    TenantId,
    Instance,
    FencingToken,
    StartedAt,
    FinishedAt,
    Users,
    Changed,
    HttpRequests,
    Throttled,
    Errors,
    Outcome,
    ErrorCode,
    ErrorMessage,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(text_null(Tenants::RulesJson))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Availability::Table)
                    .col(uuid(Availability::UserId).primary_key())
                    .col(uuid(Availability::TenantId))
                    .col(boolean(Availability::Available))
                    .col(string(Availability::State))
                    .col(timestamp_with_time_zone_null(Availability::Until))
                    .col(timestamp_with_time_zone_null(Availability::NextChangeAt))
                    .col(text_null(Availability::AppointmentJson))
                    .col(text_null(Availability::ExplanationJson))
                    .col(text(Availability::ItemsJson))
                    .col(string(Availability::ItemsHash))
                    .col(timestamp_with_time_zone(Availability::ObservedAt))
                    .col(timestamp_with_time_zone_null(Availability::SyncedAt))
                    .col(string_null(Availability::SyncErrorCode))
                    .col(text_null(Availability::SyncErrorMessage))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Availability::Table, Availability::UserId)
                            .to(DirectoryUsers::Table, DirectoryUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Availability::Table, Availability::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_availability_tenant")
                    .table(Availability::Table)
                    .col(Availability::TenantId)
                    .to_owned(),
            )
            .await?;
        // The transition timer asks for due rows several times a second.
        manager
            .create_index(
                Index::create()
                    .name("idx_availability_next_change")
                    .table(Availability::Table)
                    .col(Availability::NextChangeAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AvailabilityHistory::Table)
                    .col(pk_uuid(AvailabilityHistory::Id))
                    .col(uuid(AvailabilityHistory::TenantId))
                    .col(uuid(AvailabilityHistory::UserId))
                    .col(timestamp_with_time_zone(AvailabilityHistory::At))
                    .col(boolean(AvailabilityHistory::Available))
                    .col(string(AvailabilityHistory::State))
                    .col(timestamp_with_time_zone_null(AvailabilityHistory::Until))
                    .col(text_null(AvailabilityHistory::AppointmentJson))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AvailabilityHistory::Table, AvailabilityHistory::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AvailabilityHistory::Table, AvailabilityHistory::UserId)
                            .to(DirectoryUsers::Table, DirectoryUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_history_user_time")
                    .table(AvailabilityHistory::Table)
                    .col(AvailabilityHistory::UserId)
                    .col(AvailabilityHistory::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_history_time")
                    .table(AvailabilityHistory::Table)
                    .col(AvailabilityHistory::At)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .col(pk_uuid(SyncRuns::Id))
                    .col(uuid(SyncRuns::TenantId))
                    .col(string(SyncRuns::Instance))
                    .col(big_integer(SyncRuns::FencingToken))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone(SyncRuns::FinishedAt))
                    .col(integer(SyncRuns::Users))
                    .col(integer(SyncRuns::Changed))
                    .col(integer(SyncRuns::HttpRequests))
                    .col(integer(SyncRuns::Throttled))
                    .col(integer(SyncRuns::Errors))
                    .col(string(SyncRuns::Outcome))
                    .col(string_null(SyncRuns::ErrorCode))
                    .col(text_null(SyncRuns::ErrorMessage))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SyncRuns::Table, SyncRuns::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_runs_tenant_time")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::TenantId)
                    .col(SyncRuns::StartedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SyncRuns::Table.into_iden(),
            AvailabilityHistory::Table.into_iden(),
            Availability::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter().table(Tenants::Table).drop_column(Tenants::RulesJson).to_owned(),
            )
            .await
    }
}
