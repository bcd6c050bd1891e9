//! Stored availability per directory user, and its history.

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{DatabaseBackend, ExprTrait, IntoActiveModel, QueryOrder, QuerySelect, Statement};

use super::TenantScope;
use super::entities::{availability, availability_history};

/// Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK: usize = 1000;

fn excluded(column: availability::Column) -> Expr {
    Expr::col((Alias::new("excluded"), column))
}

fn stored(column: availability::Column) -> Expr {
    Expr::col((availability::Entity, column))
}

/// When a write may replace a stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// A sync's result: unless the stored items were read later (by another instance).
    NotOlder,
    /// A re-evaluation of the stored items: only while they are still the same items.
    SameItems,
}

const COLUMNS: &str = "user_id, tenant_id, available, state, until, next_change_at, \
    appointment_json, explanation_json, items_json, items_hash, observed_at, synced_at, \
    sync_error_code, sync_error_message";

/// Inserts or replaces rows under `guard`; returns how many were written.
///
/// PostgreSQL gets each chunk as one JSON document expanded server-side, which is several
/// times faster than thousands of bound parameters; SQLite, in-process, takes a plain
/// multi-row upsert.
pub async fn upsert(
    db: &impl ConnectionTrait,
    rows: &[availability::Model],
    guard: Guard,
) -> Result<u64, DbErr> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += if db.get_database_backend() == DatabaseBackend::Postgres {
            upsert_json(db, chunk, guard).await?
        } else {
            upsert_values(db, chunk, guard).await?
        };
    }
    Ok(written)
}

async fn upsert_json(
    db: &impl ConnectionTrait,
    rows: &[availability::Model],
    guard: Guard,
) -> Result<u64, DbErr> {
    let records: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "user_id": r.user_id, "tenant_id": r.tenant_id, "available": r.available,
                "state": r.state, "until": r.until, "next_change_at": r.next_change_at,
                "appointment_json": r.appointment_json, "explanation_json": r.explanation_json,
                "items_json": r.items_json, "items_hash": r.items_hash,
                "observed_at": r.observed_at, "synced_at": r.synced_at,
                "sync_error_code": r.sync_error_code, "sync_error_message": r.sync_error_message,
            })
        })
        .collect();
    let condition = match guard {
        Guard::NotOlder => {
            "availability.synced_at IS NULL OR excluded.synced_at IS NULL \
                            OR availability.synced_at <= excluded.synced_at"
        }
        Guard::SameItems => "availability.items_hash = excluded.items_hash",
    };
    let sql = format!(
        "INSERT INTO availability ({COLUMNS}) SELECT {COLUMNS} FROM json_to_recordset($1::json) AS r(\
         user_id uuid, tenant_id uuid, available boolean, state text, until timestamptz, \
         next_change_at timestamptz, appointment_json text, explanation_json text, items_json text, \
         items_hash text, observed_at timestamptz, synced_at timestamptz, sync_error_code text, \
         sync_error_message text) \
         ON CONFLICT (user_id) DO UPDATE SET available = excluded.available, state = excluded.state, \
         until = excluded.until, next_change_at = excluded.next_change_at, \
         appointment_json = excluded.appointment_json, explanation_json = excluded.explanation_json, \
         items_json = excluded.items_json, items_hash = excluded.items_hash, \
         observed_at = excluded.observed_at, synced_at = excluded.synced_at, \
         sync_error_code = excluded.sync_error_code, sync_error_message = excluded.sync_error_message \
         WHERE {condition}"
    );
    let document = serde_json::Value::Array(records).to_string();
    let statement =
        Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [document.into()]);
    Ok(db.execute_raw(statement).await?.rows_affected())
}

async fn upsert_values(
    db: &impl ConnectionTrait,
    rows: &[availability::Model],
    guard: Guard,
) -> Result<u64, DbErr> {
    use availability::Column as C;
    let condition = match guard {
        Guard::NotOlder => stored(C::SyncedAt)
            .is_null()
            .or(excluded(C::SyncedAt).is_null())
            .or(stored(C::SyncedAt).lte(excluded(C::SyncedAt))),
        Guard::SameItems => stored(C::ItemsHash).eq(excluded(C::ItemsHash)),
    };
    let models = rows.iter().cloned().map(IntoActiveModel::into_active_model);
    availability::Entity::insert_many(models)
        .on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([
                    C::Available,
                    C::State,
                    C::Until,
                    C::NextChangeAt,
                    C::AppointmentJson,
                    C::ExplanationJson,
                    C::ItemsJson,
                    C::ItemsHash,
                    C::ObservedAt,
                    C::SyncedAt,
                    C::SyncErrorCode,
                    C::SyncErrorMessage,
                ])
                .action_and_where(condition)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
}

/// What presence shows of a stored row: no items, no explanation (the bulk of a row).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct Shown {
    pub user_id: Uuid,
    pub available: bool,
    pub state: crate::domain::AvailabilityState,
    pub until: Option<DateTime<Utc>>,
    pub next_change_at: Option<DateTime<Utc>>,
    pub appointment_json: Option<String>,
    pub observed_at: DateTime<Utc>,
    pub sync_error_code: Option<crate::domain::ErrorCode>,
    pub sync_error_message: Option<String>,
}

/// The tenant's rows as presence shows them.
pub async fn shown_for_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<Shown>, DbErr> {
    use availability::Column as C;
    availability::Entity::find()
        .select_only()
        .columns([
            C::UserId,
            C::Available,
            C::State,
            C::Until,
            C::NextChangeAt,
            C::AppointmentJson,
            C::ObservedAt,
            C::SyncErrorCode,
            C::SyncErrorMessage,
        ])
        .filter(C::TenantId.eq(scope.tenant_id()))
        .into_model::<Shown>()
        .all(db)
        .await
}

/// A text that changes whenever anything the tenant's presence shows may have changed: its
/// people, their stored rows, its events and its last successful sync. One cheap query, so
/// a poller that already has the current presence is answered without building it.
pub async fn version(db: &impl ConnectionTrait, scope: TenantScope) -> Result<String, DbErr> {
    let sql = "SELECT \
        (SELECT COUNT(*) FROM directory_users WHERE tenant_id = $1) AS people, \
        (SELECT CAST(MAX(updated_at) AS TEXT) FROM directory_users WHERE tenant_id = $1) AS edited, \
        (SELECT COUNT(*) FROM availability WHERE tenant_id = $1) AS stored, \
        (SELECT CAST(MAX(observed_at) AS TEXT) FROM availability WHERE tenant_id = $1) AS observed, \
        (SELECT CAST(MAX(synced_at) AS TEXT) FROM availability WHERE tenant_id = $1) AS synced, \
        (SELECT seq FROM event_sequences WHERE tenant_id = $1) AS seq, \
        (SELECT CAST(last_success_at AS TEXT) FROM sync_states WHERE tenant_id = $1) AS success";
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(super::statement(backend, sql, vec![scope.tenant_id().into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("presence version".into()))?;
    let text =
        |name: &str| row.try_get::<Option<String>>("", name).ok().flatten().unwrap_or_default();
    let number =
        |name: &str| row.try_get::<Option<i64>>("", name).ok().flatten().unwrap_or_default();
    Ok(format!(
        "{}|{}|{}|{}|{}|{}|{}",
        number("people"),
        text("edited"),
        number("stored"),
        text("observed"),
        text("synced"),
        number("seq"),
        text("success")
    ))
}

pub async fn for_tenant(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<availability::Model>, DbErr> {
    availability::Entity::find()
        .filter(availability::Column::TenantId.eq(scope.tenant_id()))
        .all(db)
        .await
}

/// The rows of these users, locked until the caller's transaction ends on PostgreSQL (SQLite
/// serialises writers anyway).
pub async fn locked(
    db: &impl ConnectionTrait,
    users: &[Uuid],
) -> Result<Vec<availability::Model>, DbErr> {
    let mut rows = Vec::with_capacity(users.len());
    for chunk in users.chunks(CHUNK) {
        let mut query = availability::Entity::find()
            .filter(availability::Column::UserId.is_in(chunk.iter().copied()));
        if db.get_database_backend() == DatabaseBackend::Postgres {
            query = query.lock(sea_orm::sea_query::LockType::Update);
        }
        rows.extend(query.all(db).await?);
    }
    Ok(rows)
}

/// Rows whose state changes at or before `now`, earliest first. On PostgreSQL the rows are
/// locked (skipping rows another instance is handling) until the caller's transaction ends.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<availability::Model>, DbErr> {
    let mut query = availability::Entity::find()
        .filter(availability::Column::NextChangeAt.lte(now))
        .order_by_asc(availability::Column::NextChangeAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    query.all(db).await
}

/// The earliest pending change, to know how long the transition timer may sleep.
pub async fn next_change(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(availability::Entity::find()
        .filter(availability::Column::NextChangeAt.is_not_null())
        .order_by_asc(availability::Column::NextChangeAt)
        .one(db)
        .await?
        .and_then(|row| row.next_change_at))
}

pub async fn append_history(
    db: &impl ConnectionTrait,
    rows: Vec<availability_history::Model>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let records: Vec<serde_json::Value> = chunk
                .iter()
                .map(|h| {
                    serde_json::json!({
                        "id": h.id, "tenant_id": h.tenant_id, "user_id": h.user_id, "at": h.at,
                        "available": h.available, "state": h.state, "until": h.until,
                        "appointment_json": h.appointment_json, "seq": h.seq,
                        "next_change_at": h.next_change_at,
                    })
                })
                .collect();
            let sql = "INSERT INTO availability_history \
                (id, tenant_id, user_id, at, available, state, until, appointment_json, seq, \
                next_change_at) \
                SELECT id, tenant_id, user_id, at, available, state, until, appointment_json, seq, \
                next_change_at \
                FROM json_to_recordset($1::json) AS r(id uuid, tenant_id uuid, user_id uuid, \
                at timestamptz, available boolean, state text, until timestamptz, \
                appointment_json text, seq bigint, next_change_at timestamptz)";
            let document = serde_json::Value::Array(records).to_string();
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                sql,
                [document.into()],
            ))
            .await?;
        } else {
            let models = chunk.iter().cloned().map(IntoActiveModel::into_active_model);
            availability_history::Entity::insert_many(models).exec_without_returning(db).await?;
        }
    }
    Ok(())
}

/// The newest history entries of one user, newest first.
pub async fn history_of(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    user_id: Uuid,
    limit: u64,
) -> Result<Vec<availability_history::Model>, DbErr> {
    availability_history::Entity::find()
        .filter(availability_history::Column::TenantId.eq(scope.tenant_id()))
        .filter(availability_history::Column::UserId.eq(user_id))
        .order_by_desc(availability_history::Column::At)
        .limit(limit)
        .all(db)
        .await
}

/// Drops history older than `before`; returns how many entries.
pub async fn prune_history(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(availability_history::Entity::delete_many()
        .filter(availability_history::Column::At.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Forgets what is known of the tenant's people (their calendars can no longer be read);
/// the history stays.
pub async fn clear_tenant(db: &impl ConnectionTrait, scope: TenantScope) -> Result<u64, DbErr> {
    let result = availability::Entity::delete_many()
        .filter(availability::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
