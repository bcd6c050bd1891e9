//! Webhook endpoints and their deliveries (the outbox).

use chrono::{DateTime, Utc};
use sea_orm::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseBackend, ExprTrait, IntoActiveModel, QueryOrder, QuerySelect};

use super::entities::{webhook_delivery, webhook_endpoint};
use super::{StoredSecret, TenantScope, statement};
use crate::domain::integration::{DeliveryStatus, DisabledReason, EventType};
use crate::secrets::SecretField;

/// Attempts in flight to one endpoint at most, across every instance: a slow receiver ties
/// up no more than this.
pub const IN_FLIGHT_PER_ENDPOINT: i64 = 4;

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    endpoint: webhook_endpoint::Model,
) -> Result<(), DbErr> {
    webhook_endpoint::Entity::insert(endpoint.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn endpoints(
    db: &impl ConnectionTrait,
    scope: TenantScope,
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::TenantId.eq(scope.tenant_id()))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn endpoint(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> Result<Option<webhook_endpoint::Model>, DbErr> {
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::TenantId.eq(scope.tenant_id()))
        .one(db)
        .await
}

/// Any endpoint, for the delivery job (which acts for every tenant).
pub async fn endpoints_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    webhook_endpoint::Entity::find().filter(webhook_endpoint::Column::Id.is_in(ids)).all(db).await
}

/// Saves an endpoint's settings (the caller found it within its tenant).
pub async fn update_endpoint(
    db: &impl ConnectionTrait,
    endpoint: webhook_endpoint::Model,
) -> Result<(), DbErr> {
    let mut active = endpoint.into_active_model();
    for column in [
        webhook_endpoint::Column::Url,
        webhook_endpoint::Column::Events,
        webhook_endpoint::Column::Enabled,
        webhook_endpoint::Column::SecretCiphertext,
        webhook_endpoint::Column::SecretRotatedAt,
        webhook_endpoint::Column::DisabledReason,
        webhook_endpoint::Column::DisabledAt,
    ] {
        active.reset(column);
    }
    active.update(db).await?;
    Ok(())
}

pub async fn delete_endpoint(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    id: Uuid,
) -> Result<u64, DbErr> {
    Ok(webhook_endpoint::Entity::delete_many()
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?
        .rows_affected)
}

/// Switches an endpoint off for `reason`, unless it already is.
pub async fn disable(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: DisabledReason,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Enabled, Expr::value(false))
        .col_expr(webhook_endpoint::Column::DisabledReason, Expr::value(reason))
        .col_expr(webhook_endpoint::Column::DisabledAt, Expr::value(now))
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The tenant's enabled endpoints that take `event`.
pub async fn subscribed(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    event: EventType,
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::TenantId.eq(scope.tenant_id()))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter(|e| e.events.split(',').any(|t| t == event.as_str()))
        .collect())
}

/// Writes outbox rows. PostgreSQL gets each chunk as one JSON document expanded server-side
/// (thousands of bound parameters cost seconds in a burst of flips); SQLite a multi-row insert.
pub async fn insert_deliveries(
    db: &impl ConnectionTrait,
    deliveries: Vec<webhook_delivery::Model>,
) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        for chunk in deliveries.chunks(2_000) {
            let records: Vec<serde_json::Value> = chunk
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "id": d.id, "endpoint_id": d.endpoint_id, "tenant_id": d.tenant_id,
                        "event_type": d.event_type, "payload": d.payload,
                        "created_at": d.created_at, "status": d.status, "attempts": d.attempts,
                        "next_attempt_at": d.next_attempt_at,
                    })
                })
                .collect();
            let sql = "INSERT INTO webhook_deliveries \
                (id, endpoint_id, tenant_id, event_type, payload, created_at, status, attempts, \
                 next_attempt_at) \
                SELECT id, endpoint_id, tenant_id, event_type, payload, created_at, status, \
                 attempts, next_attempt_at \
                FROM json_to_recordset($1::json) AS r(id uuid, endpoint_id uuid, tenant_id uuid, \
                 event_type text, payload text, created_at timestamptz, status text, \
                 attempts integer, next_attempt_at timestamptz)";
            let document = serde_json::Value::Array(records).to_string();
            db.execute_raw(statement(DatabaseBackend::Postgres, sql, vec![document.into()]))
                .await?;
        }
        return Ok(());
    }
    for chunk in deliveries.chunks(500) {
        let models = chunk.iter().cloned().map(IntoActiveModel::into_active_model);
        webhook_delivery::Entity::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Takes up to `limit` deliveries due at `now` (from the earliest due) for attempts until
/// `locked_until`, each by one instance only (`SKIP LOCKED` on PostgreSQL), and no more per
/// endpoint than [`IN_FLIGHT_PER_ENDPOINT`] counting those in flight anywhere.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    let backend = db.get_database_backend();
    let lock = if backend == DatabaseBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let free =
        "status = $4 AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)";
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1 \
         WHERE {free} AND id IN ( \
           SELECT id FROM webhook_deliveries WHERE id IN ( \
             SELECT ranked.id FROM ( \
               SELECT d.id, \
                 ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id) \
                 + COALESCE(busy.n, 0) AS slot \
               FROM (SELECT id, endpoint_id, next_attempt_at FROM webhook_deliveries \
                     WHERE status = $4 AND next_attempt_at <= $1 \
                       AND (locked_until IS NULL OR locked_until <= $1) \
                     ORDER BY next_attempt_at LIMIT $7) d \
               JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled = $6 \
               LEFT JOIN (SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries \
                          WHERE locked_until > $1 GROUP BY endpoint_id) busy \
                 ON busy.endpoint_id = d.endpoint_id \
             ) ranked WHERE ranked.slot <= $5) \
           ORDER BY next_attempt_at LIMIT $3 {lock}) \
         RETURNING *"
    );
    let values = vec![
        now.into(),
        locked_until.into(),
        (limit as i64).into(),
        DeliveryStatus::Pending.as_str().into(),
        IN_FLIGHT_PER_ENDPOINT.into(),
        true.into(),
        // The earliest due deliveries are ranked, not all of them: a backlog of thousands
        // costs each claim no more than this.
        (Ord::max(limit * 8, 1_000) as i64).into(),
    ];
    webhook_delivery::Entity::find().from_raw_sql(statement(backend, &sql, values)).all(db).await
}

/// How an attempt ended, to store with the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub http_status: Option<i32>,
    pub error: Option<String>,
}

pub async fn record_attempt(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempt: Attempt,
) -> Result<(), DbErr> {
    use webhook_delivery::Column as C;
    webhook_delivery::Entity::update_many()
        .col_expr(C::Status, Expr::value(attempt.status))
        .col_expr(C::NextAttemptAt, Expr::value(attempt.next_attempt_at))
        .col_expr(C::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::LastAttemptAt, Expr::value(attempt.at))
        .col_expr(C::LastStatus, Expr::value(attempt.http_status))
        .col_expr(C::LastError, Expr::value(attempt.error))
        .filter(C::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives up every delivery still waiting for the endpoint, if it is switched off (an attempt
/// in flight meanwhile is given up when it ends).
pub async fn abandon_pending(
    db: &impl ConnectionTrait,
    endpoint_id: Uuid,
    why: &str,
) -> Result<u64, DbErr> {
    use webhook_delivery::Column as C;
    let switched_off = sea_orm::sea_query::Query::select()
        .column(webhook_endpoint::Column::Id)
        .from(webhook_endpoint::Entity)
        .and_where(Expr::col(webhook_endpoint::Column::Id).eq(endpoint_id))
        .and_where(Expr::col(webhook_endpoint::Column::Enabled).eq(false))
        .take();
    Ok(webhook_delivery::Entity::update_many()
        .col_expr(C::Status, Expr::value(DeliveryStatus::Failed))
        .col_expr(C::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::LastError, Expr::value(why))
        .filter(C::EndpointId.eq(endpoint_id))
        .filter(C::EndpointId.in_subquery(switched_off))
        .filter(C::Status.eq(DeliveryStatus::Pending))
        .filter(C::LockedUntil.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// An endpoint's newest deliveries.
pub async fn recent(
    db: &impl ConnectionTrait,
    scope: TenantScope,
    endpoint_id: Uuid,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::TenantId.eq(scope.tenant_id()))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// When the next pending delivery is due, so the job knows how long it may sleep.
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::LockedUntil.is_null())
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .one(db)
        .await?
        .and_then(|d| d.next_attempt_at))
}

/// Drops finished deliveries older than `before`; returns how many.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::Status.ne(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Every endpoint's signing secret, for `keys rotate`.
pub async fn all_secrets(db: &impl ConnectionTrait) -> Result<Vec<StoredSecret>, DbErr> {
    Ok(webhook_endpoint::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|e| StoredSecret {
            tenant_id: e.tenant_id,
            row_id: e.id,
            field: SecretField::WebhookSecret,
            ciphertext: e.secret_ciphertext,
        })
        .collect())
}

/// Replaces an endpoint's secret ciphertext, only if it is still the one that was read.
pub async fn replace_secret(
    db: &impl ConnectionTrait,
    old: &StoredSecret,
    new_ciphertext: String,
) -> Result<bool, DbErr> {
    let result = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::SecretCiphertext, Expr::value(new_ciphertext))
        .filter(webhook_endpoint::Column::Id.eq(old.row_id))
        .filter(webhook_endpoint::Column::SecretCiphertext.eq(old.ciphertext.clone()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
