//! The scheduler under crashes and scale: when the running sync of a tenant started (to show
//! one that runs longer than usual), and which instances are alive (so that each claims its
//! share of the due tenants).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncStates {
    Table,
    RunningSince,
}

#[derive(DeriveIden)]
enum SchedulerInstances {
    Table,
    Name,
    StartedAt,
    SeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = timestamp_with_time_zone_null(SyncStates::RunningSince);
        manager
            .alter_table(Table::alter().table(SyncStates::Table).add_column(&mut column).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SchedulerInstances::Table)
                    .col(string(SchedulerInstances::Name).primary_key())
                    .col(timestamp_with_time_zone(SchedulerInstances::StartedAt))
                    .col(timestamp_with_time_zone(SchedulerInstances::SeenAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SchedulerInstances::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SyncStates::Table)
                    .drop_column(SyncStates::RunningSince)
                    .to_owned(),
            )
            .await
    }
}
