//! Who syncs which tenant: leases on `sync_states` with a fencing token.
//!
//! A claim sets `lease_owner`, `lease_until` and increments `fencing_token`; every later write
//! of that sync names the token and is refused once another instance has claimed the tenant.
//! On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so instances claiming at the same
//! moment never take the same tenant; SQLite runs one scheduler per database file.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseBackend;
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;

use super::statement;

use super::entities::sync_state;
use crate::domain::FailureReason;
use crate::domain::tenant::TenantState;

/// A tenant this instance may sync until `lease_until`, proven by `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub tenant_id: Uuid,
    pub token: i64,
}

/// The tenants due at `$1` (with tenant state `$2`, active): with a calendar connection,
/// breaker closed, not leased.
const DUE: &str = "FROM sync_states s \
    JOIN tenants t ON t.id = s.tenant_id \
    JOIN provider_configs p ON p.tenant_id = s.tenant_id \
    WHERE s.next_run_at <= $1 \
      AND (s.lease_until IS NULL OR s.lease_until < $1) \
      AND (s.breaker_open_until IS NULL OR s.breaker_open_until <= $1) \
      AND t.state = $2";

/// How many tenants are due at `now`.
pub async fn due_count(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!("SELECT COUNT(*) AS n {DUE}");
    let values = vec![now.into(), TenantState::Active.into()];
    let row = db.query_one_raw(statement(backend, &sql, values)).await?;
    Ok(row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?.max(0) as u64)
}

/// Claims up to `limit` due tenants (active, with a calendar connection, breaker closed, not
/// leased by anyone else) for `lease` from `now`.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    instance: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claim>, DbErr> {
    let backend = db.get_database_backend();
    let lock =
        if backend == DatabaseBackend::Postgres { "FOR UPDATE OF s SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE sync_states SET lease_owner = $3, lease_until = $4, fencing_token = fencing_token + 1, \
           running_since = $1 \
         WHERE tenant_id IN ( \
           SELECT s.tenant_id {DUE} \
           ORDER BY s.next_run_at \
           LIMIT $5 {lock}) \
         RETURNING tenant_id, fencing_token"
    );
    let values = vec![
        now.into(),
        TenantState::Active.into(),
        instance.into(),
        lease_until.into(),
        (limit as i64).into(),
    ];
    let rows = db.query_all_raw(statement(backend, &sql, values)).await?;
    rows.iter()
        .map(|row| {
            Ok(Claim {
                tenant_id: row.try_get("", "tenant_id")?,
                token: row.try_get("", "fencing_token")?,
            })
        })
        .collect()
}

fn held(claim: Claim, instance: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(sync_state::Column::TenantId.eq(claim.tenant_id))
        .add(sync_state::Column::FencingToken.eq(claim.token))
        .add(sync_state::Column::LeaseOwner.eq(instance))
}

/// Extends the lease; false when it was lost (another instance claimed the tenant).
pub async fn renew(
    db: &impl ConnectionTrait,
    claim: Claim,
    instance: &str,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = sync_state::Entity::update_many()
        .col_expr(sync_state::Column::LeaseUntil, Expr::value(until))
        .filter(held(claim, instance))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// What a finished sync decides about the tenant's next one.
#[derive(Debug, Clone)]
pub struct Finish {
    pub next_run_at: DateTime<Utc>,
    pub consecutive_failures: i32,
    pub breaker_open_until: Option<DateTime<Utc>>,
    pub needs_admin_action: bool,
    /// Why it failed, and the technical detail.
    pub error: Option<(FailureReason, String)>,
    pub ran_at: DateTime<Utc>,
    pub succeeded: bool,
}

/// Records the outcome and gives the lease back; false when the lease was lost meanwhile.
pub async fn finish(
    db: &impl ConnectionTrait,
    claim: Claim,
    instance: &str,
    finish: Finish,
) -> Result<bool, DbErr> {
    use sync_state::Column as C;
    let (code, message) = finish.error.map_or((None, None), |(c, m)| (Some(c), Some(m)));
    let mut update = sync_state::Entity::update_many()
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::NextRunAt, Expr::value(finish.next_run_at))
        .col_expr(C::ConsecutiveFailures, Expr::value(finish.consecutive_failures))
        .col_expr(C::BreakerOpenUntil, Expr::value(finish.breaker_open_until))
        .col_expr(C::NeedsAdminAction, Expr::value(finish.needs_admin_action))
        .col_expr(C::LastErrorCode, Expr::value(code))
        .col_expr(C::LastErrorMessage, Expr::value(message))
        .col_expr(C::LastRunAt, Expr::value(finish.ran_at))
        .col_expr(C::RunningSince, Expr::value(Option::<DateTime<Utc>>::None));
    if finish.succeeded {
        update = update.col_expr(C::LastSuccessAt, Expr::value(finish.ran_at));
    }
    let result = update.filter(held(claim, instance)).exec(db).await?;
    Ok(result.rows_affected == 1)
}

/// Gives the lease back without a result; the tenant is due again at `next_run_at`.
pub async fn release(
    db: &impl ConnectionTrait,
    claim: Claim,
    instance: &str,
    next_run_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::NextRunAt, Expr::value(next_run_at))
        .col_expr(sync_state::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(sync_state::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(sync_state::Column::RunningSince, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(held(claim, instance))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes a tenant due now, e.g. after its credentials or rules changed.
pub async fn make_due(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sync_state::Entity::update_many()
        .col_expr(sync_state::Column::NextRunAt, Expr::value(now))
        .col_expr(sync_state::Column::NeedsAdminAction, Expr::value(false))
        .col_expr(sync_state::Column::ConsecutiveFailures, Expr::value(0))
        .col_expr(sync_state::Column::BreakerOpenUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(sync_state::Column::TenantId.eq(tenant_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<sync_state::Model>, DbErr> {
    sync_state::Entity::find_by_id(tenant_id).one(db).await
}

/// Claims one tenant now, due or not (an operator's `sync --once`), unless another instance
/// holds its lease.
pub async fn claim_now(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    instance: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<Claim>, DbErr> {
    let backend = db.get_database_backend();
    let sql = "UPDATE sync_states SET lease_owner = $1, lease_until = $2, fencing_token = fencing_token + 1, \
                 running_since = $4 \
               WHERE tenant_id = $3 AND (lease_until IS NULL OR lease_until < $4) \
               RETURNING tenant_id, fencing_token";
    let values = vec![instance.into(), lease_until.into(), tenant_id.into(), now.into()];
    let row = db.query_one_raw(statement(backend, sql, values)).await?;
    row.map(|row| {
        Ok(Claim {
            tenant_id: row.try_get("", "tenant_id")?,
            token: row.try_get("", "fencing_token")?,
        })
    })
    .transpose()
}

/// What the claim loop needs to know between claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outlook {
    /// When the next tenant comes due (or its lease runs out), if any is scheduled.
    pub next_due: Option<DateTime<Utc>>,
    /// Tenants the scheduler keeps current: active, with a calendar connection.
    pub tenants: u64,
}

/// The next due moment and the number of scheduled tenants, in one query.
pub async fn outlook(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Outlook, DbErr> {
    let backend = db.get_database_backend();
    let sql = "SELECT MIN(CASE WHEN s.lease_until IS NOT NULL AND s.lease_until >= $1 THEN s.lease_until \
                 WHEN s.breaker_open_until IS NOT NULL AND s.breaker_open_until > s.next_run_at \
                 THEN s.breaker_open_until ELSE s.next_run_at END) AS next, \
                 COUNT(*) AS tenants \
               FROM sync_states s \
               JOIN tenants t ON t.id = s.tenant_id \
               JOIN provider_configs p ON p.tenant_id = s.tenant_id \
               WHERE t.state = $2";
    let values = vec![now.into(), TenantState::Active.into()];
    let Some(row) = db.query_one_raw(statement(backend, sql, values)).await? else {
        return Ok(Outlook { next_due: None, tenants: 0 });
    };
    Ok(Outlook {
        next_due: row.try_get::<Option<DateTime<Utc>>>("", "next")?,
        tenants: row.try_get::<i64>("", "tenants")?.max(0) as u64,
    })
}
