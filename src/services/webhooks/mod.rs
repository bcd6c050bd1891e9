//! Webhooks: a tenant's endpoints, the outbox written with each change, and delivery.
//!
//! Deliveries follow the Standard Webhooks specification: `webhook-id` (the same on every
//! attempt), `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">` under a `whsec_` secret, and a body `{type, timestamp, data}`.

pub mod address;
pub mod deliver;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};

use super::{Actor, AppState, Error, FieldErrors, Invalid, Result, TenantScope, audit, presence};
use crate::db::entities::{availability_history, webhook_delivery, webhook_endpoint};
use crate::db::{directory, webhooks};
use crate::domain::integration::{DeliveryStatus, DisabledReason, EventType};
use crate::secrets::SecretField;

/// Deliveries listed per endpoint on the Integrations page.
const RECENT: u64 = 20;

/// One endpoint as the Integrations page shows it; its secret is never shown again.
#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventType>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub secret_rotated_at: DateTime<Utc>,
    pub disabled_reason: Option<DisabledReason>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub deliveries: Vec<DeliveryRow>,
}

/// One delivery, newest first on the page.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub event_type: EventType,
    pub created_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<webhook_delivery::Model> for DeliveryRow {
    fn from(d: webhook_delivery::Model) -> DeliveryRow {
        DeliveryRow {
            id: message_id(d.id),
            event_type: d.event_type,
            created_at: d.created_at,
            status: d.status,
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

/// An endpoint's signing secret, at the only moment it is shown.
#[derive(Debug, Clone)]
pub struct ShownSecret {
    pub endpoint_id: Uuid,
    pub url: String,
    pub secret: String,
}

/// What an admin enters for an endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

/// The `webhook-id` of a delivery.
pub fn message_id(id: Uuid) -> String {
    format!("msg_{}", id.simple())
}

fn events_of(stored: &str) -> Vec<EventType> {
    stored.split(',').filter_map(|e| e.parse().ok()).collect()
}

pub async fn endpoints(state: &AppState, scope: TenantScope) -> Result<Vec<EndpointRow>> {
    let mut rows = Vec::new();
    for e in webhooks::endpoints(&state.db, scope).await? {
        rows.push(row(state, scope, e).await?);
    }
    Ok(rows)
}

/// One of the tenant's endpoints, with its recent deliveries.
pub async fn endpoint(state: &AppState, scope: TenantScope, id: Uuid) -> Result<EndpointRow> {
    row(state, scope, find(state, scope, id).await?).await
}

async fn row(
    state: &AppState,
    scope: TenantScope,
    e: webhook_endpoint::Model,
) -> Result<EndpointRow> {
    let deliveries = webhooks::recent(&state.db, scope, e.id, RECENT).await?;
    Ok(EndpointRow {
        id: e.id,
        events: events_of(&e.events),
        url: e.url,
        enabled: e.enabled,
        created_at: e.created_at,
        secret_rotated_at: e.secret_rotated_at,
        disabled_reason: e.disabled_reason,
        disabled_at: e.disabled_at,
        deliveries: deliveries.into_iter().map(DeliveryRow::from).collect(),
    })
}

async fn validate(state: &AppState, input: &EndpointInput) -> Result<(String, String)> {
    let mut errors = FieldErrors::default();
    let url = address::check(&input.url, state.config.webhook_allow_private)
        .await
        .map_err(|problem| errors.add("url", problem))
        .ok();
    let mut events: Vec<EventType> = Vec::new();
    for raw in &input.events {
        match raw.parse::<EventType>() {
            Ok(e) if EventType::SUBSCRIBABLE.contains(&e) && !events.contains(&e) => events.push(e),
            _ => {}
        }
    }
    if events.is_empty() {
        errors.add("events", Invalid::WebhookEvents);
    }
    errors.into_result().map_err(Error::Invalid)?;
    let events = events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",");
    Ok((url.map(String::from).unwrap_or_default(), events))
}

fn new_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

fn sealed(state: &AppState, scope: TenantScope, secret: &str) -> String {
    state.keyring.encrypt(
        &scope.tenant_id(),
        SecretField::WebhookSecret,
        &SecretString::from(secret.to_owned()),
    )
}

/// Registers an endpoint; its signing secret is returned to be shown once.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &EndpointInput,
) -> Result<ShownSecret> {
    let (url, events) = validate(state, input).await?;
    let secret = new_secret();
    let now = state.clock.now();
    let endpoint = webhook_endpoint::Model {
        id: Uuid::now_v7(),
        tenant_id: scope.tenant_id(),
        url: url.clone(),
        events,
        enabled: input.enabled,
        secret_ciphertext: sealed(state, scope, &secret),
        created_at: now,
        secret_rotated_at: now,
        disabled_reason: None,
        disabled_at: None,
    };
    let txn = state.db.begin().await?;
    webhooks::insert_endpoint(&txn, endpoint.clone()).await?;
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "webhook.created",
        Some(url.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(ShownSecret { endpoint_id: endpoint.id, url, secret })
}

async fn find(state: &AppState, scope: TenantScope, id: Uuid) -> Result<webhook_endpoint::Model> {
    webhooks::endpoint(&state.db, scope, id).await?.ok_or(Error::NotFound)
}

/// Changes an endpoint's address, events or whether it is on. Switching it off gives up
/// the deliveries still waiting; switching it on again starts from new events.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    input: &EndpointInput,
) -> Result<()> {
    let mut endpoint = find(state, scope, id).await?;
    let (url, events) = validate(state, input).await?;
    let switched_off = endpoint.enabled && !input.enabled;
    endpoint.url = url.clone();
    endpoint.events = events;
    endpoint.enabled = input.enabled;
    if input.enabled {
        endpoint.disabled_reason = None;
        endpoint.disabled_at = None;
    }
    let txn = state.db.begin().await?;
    webhooks::update_endpoint(&txn, endpoint).await?;
    if switched_off {
        webhooks::abandon_pending(&txn, id, "endpoint switched off").await?;
    }
    audit::record(&txn, state, actor, Some(scope.tenant_id()), "webhook.updated", Some(url))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A new signing secret, effective for the next attempt; returned to be shown once.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
) -> Result<ShownSecret> {
    let mut endpoint = find(state, scope, id).await?;
    let secret = new_secret();
    endpoint.secret_ciphertext = sealed(state, scope, &secret);
    endpoint.secret_rotated_at = state.clock.now();
    let url = endpoint.url.clone();
    let txn = state.db.begin().await?;
    webhooks::update_endpoint(&txn, endpoint).await?;
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "webhook.secret_rotated",
        Some(url.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(ShownSecret { endpoint_id: id, url, secret })
}

pub async fn delete(state: &AppState, actor: &Actor, scope: TenantScope, id: Uuid) -> Result<()> {
    let endpoint = find(state, scope, id).await?;
    let txn = state.db.begin().await?;
    webhooks::delete_endpoint(&txn, scope, id).await?;
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "webhook.deleted",
        Some(endpoint.url),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Queues a `webhook.test` event for the endpoint, sent within a second or so.
pub async fn send_test(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
) -> Result<()> {
    let endpoint = find(state, scope, id).await?;
    let now = state.clock.now();
    let data = serde_json::json!({
        "endpoint_id": endpoint.id,
        "message": "A test event from calbridge: this endpoint receives and verifies webhooks.",
    });
    let delivery = delivery(&endpoint, EventType::Test, now, &data)?;
    let txn = state.db.begin().await?;
    webhooks::insert_deliveries(&txn, vec![delivery]).await?;
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "webhook.test_sent",
        Some(endpoint.url),
    )
    .await?;
    txn.commit().await?;
    state.webhook_wake.notify_one();
    Ok(())
}

/// The outbox row of one event for one endpoint, due at once.
fn delivery(
    endpoint: &webhook_endpoint::Model,
    event: EventType,
    at: DateTime<Utc>,
    data: &impl serde::Serialize,
) -> Result<webhook_delivery::Model> {
    let payload = serde_json::to_string(&serde_json::json!({
        "type": event,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    }))
    .map_err(anyhow::Error::from)?;
    Ok(webhook_delivery::Model {
        id: Uuid::now_v7(),
        endpoint_id: endpoint.id,
        tenant_id: endpoint.tenant_id,
        event_type: event,
        payload,
        created_at: at,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(at),
        locked_until: None,
        last_attempt_at: None,
        last_status: None,
        last_error: None,
    })
}

/// Writes a `presence.changed` delivery per change and subscribed endpoint, in the caller's
/// transaction (the one that writes the changes).
pub(crate) async fn outbox(
    txn: &impl ConnectionTrait,
    scope: TenantScope,
    changes: &[availability_history::Model],
) -> Result<()> {
    let endpoints = webhooks::subscribed(txn, scope, EventType::PresenceChanged).await?;
    if endpoints.is_empty() || changes.is_empty() {
        return Ok(());
    }
    let users: std::collections::HashMap<Uuid, _> =
        directory::by_ids(txn, scope, changes.iter().map(|c| c.user_id))
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let mut deliveries = Vec::with_capacity(changes.len() * endpoints.len());
    for change in changes {
        let Some(user) = users.get(&change.user_id) else { continue };
        let data = presence::from_history(user.clone(), change);
        for endpoint in &endpoints {
            deliveries.push(delivery(endpoint, EventType::PresenceChanged, change.at, &data)?);
        }
    }
    webhooks::insert_deliveries(txn, deliveries).await?;
    Ok(())
}

/// The endpoint's signing secret.
pub(crate) fn secret_of(
    state: &AppState,
    endpoint: &webhook_endpoint::Model,
) -> Result<SecretString> {
    state
        .keyring
        .decrypt(&endpoint.tenant_id, SecretField::WebhookSecret, &endpoint.secret_ciphertext)
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("the webhook secret")))
}

/// `v1,<signature>` of a message, as the `webhook-signature` header carries it.
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &str) -> Result<String> {
    use hmac::{KeyInit, Mac};
    let raw = secret.expose_secret();
    let key = STANDARD
        .decode(raw.strip_prefix("whsec_").unwrap_or(raw))
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("the webhook secret")))?;
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key)
        .map_err(|e| Error::Internal(anyhow::anyhow!("the webhook secret: {e}")))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}
