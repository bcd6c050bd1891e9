//! Schema migrations for calbridge; identical on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_availability;
mod m20261203_000003_onboarding;
mod m20261203_000004_notices;
mod m20261203_000005_scheduler;
mod m20261203_000006_integrations;
mod m20261203_000007_exchange_onprem;
mod m20261203_000008_group_sync;
mod m20261203_000009_directory_imports;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_availability::Migration),
            Box::new(m20261203_000003_onboarding::Migration),
            Box::new(m20261203_000004_notices::Migration),
            Box::new(m20261203_000005_scheduler::Migration),
            Box::new(m20261203_000006_integrations::Migration),
            Box::new(m20261203_000007_exchange_onprem::Migration),
            Box::new(m20261203_000008_group_sync::Migration),
            Box::new(m20261203_000009_directory_imports::Migration),
        ]
    }
}
