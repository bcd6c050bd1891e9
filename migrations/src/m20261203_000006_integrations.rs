//! Machine interfaces: API tokens, a per-tenant sequence of presence events (the stream's ids
//! and the history's order), webhook endpoints and their outbox of deliveries.

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
enum AvailabilityHistory {
    Table,
    TenantId,
    Seq,
    NextChangeAt,
}

#[derive(DeriveIden)]
enum EventSequences {
    Table,
    TenantId,
    Seq,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TenantId,
    Name,
    Prefix,
    TokenHash,
    CreatedAt,
    CreatedBy,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    TenantId,
    Url,
    Events,
    Enabled,
    SecretCiphertext,
    CreatedAt,
    SecretRotatedAt,
    DisabledReason,
    DisabledAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    TenantId,
    EventType,
    Payload,
    CreatedAt,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastAttemptAt,
    LastStatus,
    LastError,
}

fn tenant_fk<T: IntoIden + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in [
            big_integer_null(AvailabilityHistory::Seq),
            timestamp_with_time_zone_null(AvailabilityHistory::NextChangeAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AvailabilityHistory::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_history_tenant_seq")
                    .table(AvailabilityHistory::Table)
                    .col(AvailabilityHistory::TenantId)
                    .col(AvailabilityHistory::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventSequences::Table)
                    .col(uuid(EventSequences::TenantId).primary_key())
                    .col(big_integer(EventSequences::Seq))
                    .foreign_key(&mut tenant_fk(EventSequences::Table, EventSequences::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(uuid(ApiTokens::Id).primary_key())
                    .col(uuid(ApiTokens::TenantId))
                    .col(string(ApiTokens::Name))
                    .col(string(ApiTokens::Prefix))
                    .col(string(ApiTokens::TokenHash).unique_key())
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(string(ApiTokens::CreatedBy))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(&mut tenant_fk(ApiTokens::Table, ApiTokens::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(uuid(WebhookEndpoints::TenantId))
                    .col(string(WebhookEndpoints::Url))
                    .col(string(WebhookEndpoints::Events))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(text(WebhookEndpoints::SecretCiphertext))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::SecretRotatedAt))
                    .col(string_null(WebhookEndpoints::DisabledReason))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .foreign_key(&mut tenant_fk(
                        WebhookEndpoints::Table,
                        WebhookEndpoints::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::TenantId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(text(WebhookDeliveries::Payload))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LockedUntil))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LastAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(string_null(WebhookDeliveries::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_deliveries_due", [WebhookDeliveries::Status, WebhookDeliveries::NextAttemptAt]),
            (
                "idx_deliveries_endpoint",
                [WebhookDeliveries::EndpointId, WebhookDeliveries::CreatedAt],
            ),
            // Attempts in flight, counted per endpoint at every claim.
            (
                "idx_deliveries_locked",
                [WebhookDeliveries::LockedUntil, WebhookDeliveries::EndpointId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(WebhookDeliveries::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            EventSequences::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_history_tenant_seq")
                    .table(AvailabilityHistory::Table)
                    .to_owned(),
            )
            .await?;
        for column in [AvailabilityHistory::Seq, AvailabilityHistory::NextChangeAt] {
            manager
                .alter_table(
                    Table::alter().table(AvailabilityHistory::Table).drop_column(column).to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
