//! The database: connection, migrations, entities and the repositories that query them.
//!
//! Tenant-owned rows are only reached through functions that take a [`TenantScope`], which
//! is built from the authenticated principal; a row of another tenant is simply not found.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod availability;
pub mod directory;
pub mod directory_import;
pub mod entities;
pub mod events;
pub mod group_syncs;
pub mod instances;
pub mod invites;
pub mod leases;
pub mod notices;
pub mod provider_configs;
pub mod scope;
pub mod sessions;
pub mod sync_runs;
pub mod tenants;
pub mod webhooks;

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};

pub use scope::TenantScope;

/// One stored ciphertext, wherever it lives; for key rotation, which spans every tenant.
pub struct StoredSecret {
    pub tenant_id: sea_orm::prelude::Uuid,
    /// The row holding it: the tenant's connection, or a webhook endpoint.
    pub row_id: sea_orm::prelude::Uuid,
    pub field: crate::secrets::SecretField,
    pub ciphertext: String,
}

/// Writes SQL once with `$n` placeholders; SQLite gets `?n`, which binds by the same number.
pub(crate) fn statement(
    backend: sea_orm::DatabaseBackend,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

use crate::config::DatabaseTarget;

/// Opens the pool. For SQLite the file and its folder are created on first start.
pub async fn connect(target: &DatabaseTarget) -> anyhow::Result<DatabaseConnection> {
    let mut options = match target {
        DatabaseTarget::Sqlite(path) => {
            private_files(path)?;
            let mut o = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
            // WAL with synchronous=NORMAL cannot corrupt the database; a power cut may lose
            // the last commits, which the next sync rewrites anyway.
            o.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
            // SQLite has one writer at a time; several pooled connections only add lock
            // contention, whose retries sleep for milliseconds. One in-process connection
            // serialises the work without waiting.
            o.max_connections(1);
            o
        }
        DatabaseTarget::Postgres(url) => {
            let mut o = ConnectOptions::new(url.clone());
            o.max_connections(20);
            o
        }
    };
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await.context("connecting to the database")
}

/// The SQLite file holds password hashes, session hashes and calendar subjects: its folder
/// is created readable by this user only, and the file with its `-wal` and `-shm` companions
/// (which SQLite creates with the database file's mode) too, also when an earlier version
/// created them open to everyone.
fn private_files(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating the database folder {}", dir.display()))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the database file {}", path.display()))?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("making {} private", file.display()))?;
        }
    }
    Ok(())
}

/// Applies pending migrations. On PostgreSQL an advisory lock keeps several instances
/// starting at once from migrating concurrently.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    const LOCK_KEY: i64 = 0x6361_6c62_7269_6467; // "calbridg"
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    if postgres {
        // A pooled connection could differ between lock and unlock, so hold both on one
        // transaction-scoped lock instead.
        use sea_orm::TransactionTrait;
        let txn = db.begin().await?;
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [LOCK_KEY.into()],
        ))
        .await
        .context("waiting for the migration lock")?;
        Migrator::up(&txn, None).await.context("applying database migrations")?;
        txn.commit().await?;
    } else {
        Migrator::up(db, None).await.context("applying database migrations")?;
    }
    Ok(())
}

/// How many migrations this build knows that the database has not applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<usize> {
    Ok(Migrator::get_pending_migrations(db).await?.len())
}
