//! A tenant's presence events: its history entries, numbered in commit order.
//!
//! Each tenant has one counter row. Taking numbers locks it until the transaction ends, so a
//! later number never commits before an earlier one: a client that has seen event `n` has
//! seen every event before it, and resuming "after `n`" misses nothing.

use sea_orm::prelude::*;
use sea_orm::{DatabaseBackend, QueryOrder, QuerySelect};

use super::entities::availability_history;
use super::{TenantScope, statement};

/// The PostgreSQL channel on which an instance tells the others that a tenant has new events.
pub const CHANNEL: &str = "calbridge_events";

/// Takes `count` numbers for the tenant's next events; returns the first.
pub async fn reserve(db: &impl ConnectionTrait, tenant_id: Uuid, count: i64) -> Result<i64, DbErr> {
    let sql = "INSERT INTO event_sequences (tenant_id, seq) VALUES ($1, $2) \
               ON CONFLICT (tenant_id) DO UPDATE SET seq = event_sequences.seq + excluded.seq \
               RETURNING seq";
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(statement(backend, sql, vec![tenant_id.into(), count.into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("event_sequences".into()))?;
    Ok(row.try_get::<i64>("", "seq")? - count + 1)
}

/// Tells every instance listening that the tenant has new events, when the caller's
/// transaction commits (PostgreSQL; with SQLite every writer is in one process).
pub async fn notify(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let sql = "SELECT pg_notify($1, $2)";
    let values = vec![CHANNEL.into(), tenant_id.to_string().into()];
    db.execute_raw(statement(DatabaseBackend::Postgres, sql, values)).await?;
    Ok(())
}

/// The number of the tenant's latest event; 0 before the first.
pub async fn latest(db: &impl ConnectionTrait, scope: TenantScope) -> Result<i64, DbErr> {
    Ok(latest_of(db, &[scope.tenant_id()]).await?.first().map_or(0, |(_, seq)| *seq))
}

/// The latest event number of each of these tenants that has had one.
pub async fn latest_of(
    db: &impl ConnectionTrait,
    tenants: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    if tenants.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=tenants.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT tenant_id, seq FROM event_sequences WHERE tenant_id IN ({})",
        placeholders.join(", ")
    );
    let values = tenants.iter().map(|t| (*t).into()).collect();
    let rows = db.query_all_raw(statement(db.get_database_backend(), &sql, values)).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<Uuid>("", "tenant_id")?, r.try_get::<i64>("", "seq")?)))
        .collect()
}

/// The tenant's oldest event still kept (older history is pruned), if any.
pub async fn oldest(db: &impl ConnectionTrait, scope: TenantScope) -> Result<Option<i64>, DbErr> {
    use availability_history::Column as C;
    Ok(availability_history::Entity::find()
        .filter(C::TenantId.eq(scope.tenant_id()))
        .filter(C::Seq.is_not_null())
        .order_by_asc(C::Seq)
        .one(db)
        .await?
        .and_then(|h| h.seq))
}

/// The tenant's events after `after`, oldest first, at most `limit`.
pub async fn since(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    after: i64,
    limit: u64,
) -> Result<Vec<availability_history::Model>, DbErr> {
    use availability_history::Column as C;
    availability_history::Entity::find()
        .filter(C::TenantId.eq(scope.tenant_id()))
        .filter(C::Seq.gt(after))
        .order_by_asc(C::Seq)
        .limit(limit)
        .all(db)
        .await
}
