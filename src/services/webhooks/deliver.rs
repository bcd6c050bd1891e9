//! Sending the outbox: each attempt by one instance, at least once per event, retried on a
//! schedule, an endpoint switched off when it is gone or keeps failing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use sea_orm::prelude::Uuid;

use super::{message_id, secret_of, sign};
use crate::db::entities::{webhook_delivery, webhook_endpoint};
use crate::db::webhooks::{self, Attempt};
use crate::domain::integration::{DeliveryStatus, DisabledReason};
use crate::services::{AppState, Result, TenantScope, notices};

/// How long to wait before each retry: attempt `n + 1` comes `RETRIES[n - 1]` after attempt
/// `n` failed (the first attempt is immediate). After the last, the endpoint is switched off.
pub const RETRIES: [i64; 9] = [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400];
/// One attempt waits this long for the receiver's answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// Longest `Retry-After` taken from a receiver.
const LONGEST_RETRY_AFTER: i64 = 86_400;
/// Attempts one instance makes at once, across all tenants.
pub const PARALLEL: usize = 512;

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    /// The receiver answered 410 Gone: the endpoint is switched off.
    Gone,
    /// Anything else: an error status (with its `Retry-After`, seconds), a timeout, no answer.
    Failed {
        status: Option<u16>,
        retry_after: Option<i64>,
        error: String,
    },
}

/// Sends one delivery to its endpoint, signed with the endpoint's current secret.
pub async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
) -> Outcome {
    let failed = |error: String| Outcome::Failed { status: None, retry_after: None, error };
    let Ok(url) = url::Url::parse(&endpoint.url) else { return failed("not a URL".into()) };
    if !super::address::literal_allowed(&url, state.config.webhook_allow_private) {
        return failed("the address is not a public https address".into());
    }
    let id = message_id(delivery.id);
    let timestamp = state.clock.now().timestamp();
    let signature = match secret_of(state, endpoint)
        .and_then(|secret| sign(&secret, &id, timestamp, &delivery.payload))
    {
        Ok(signature) => signature,
        Err(e) => return failed(format!("{e:#}")),
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => Outcome::Delivered(res.status().as_u16()),
        Ok(res) if res.status() == reqwest::StatusCode::GONE => Outcome::Gone,
        Ok(res) => {
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, state.clock.now()));
            let status = res.status().as_u16();
            Outcome::Failed { status: Some(status), retry_after, error: format!("HTTP {status}") }
        }
        Err(e) if e.is_timeout() => failed(format!("no answer within {} s", TIMEOUT.as_secs())),
        Err(e) if e.is_connect() => failed("could not connect".into()),
        Err(e) => failed(short_error(&e)),
    }
}

fn short_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    text.truncate(200);
    text
}

/// `Retry-After` as seconds from `now`: a number of seconds or an HTTP date.
fn retry_after(value: &str, now: DateTime<Utc>) -> Option<i64> {
    let seconds = match value.trim().parse::<i64>() {
        Ok(s) => s,
        Err(_) => {
            let at: DateTime<Utc> = httpdate::parse_http_date(value.trim()).ok()?.into();
            (at - now).num_seconds()
        }
    };
    Some(seconds.clamp(1, LONGEST_RETRY_AFTER))
}

/// When to try again after `attempts` attempts failed, `None` to give up. A receiver's
/// `Retry-After` wins; the schedule's waits vary by ±10 % so that retries spread out.
pub fn next_attempt(
    attempts: i32,
    retry_after: Option<i64>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let scheduled = *RETRIES.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let wait_ms = match retry_after {
        Some(seconds) => seconds * 1_000,
        None => {
            let spread = scheduled * 100;
            scheduled * 1_000 + rand::rng().random_range(-spread..=spread)
        }
    };
    Some(now + TimeDelta::milliseconds(wait_ms))
}

/// What attempts did, written in batches: one transaction for every outcome that came in
/// meanwhile, so that a burst of deliveries does not wait for one commit each. Until its
/// outcome is written a delivery stays claimed; should the process end first, the claim
/// lapses and the attempt is made again (at least once).
#[derive(Clone)]
pub struct Recorder {
    outcomes: tokio::sync::mpsc::UnboundedSender<(Uuid, Uuid, Attempt)>,
}

/// Outcomes written per transaction at most.
const BATCH: usize = 500;

impl Recorder {
    pub fn start(state: AppState) -> Recorder {
        let (outcomes, mut incoming) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while incoming.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = write_outcomes(&state, &batch).await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        attempts = batch.len(),
                        "recording webhook attempts"
                    );
                }
                batch.clear();
                state.webhook_wake.notify_one();
            }
        });
        Recorder { outcomes }
    }
}

async fn write_outcomes(state: &AppState, batch: &[(Uuid, Uuid, Attempt)]) -> Result<()> {
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    let mut retrying = std::collections::BTreeSet::new();
    for (delivery, endpoint, attempt) in batch {
        if attempt.next_attempt_at.is_some() {
            retrying.insert(*endpoint);
        }
        webhooks::record_attempt(&txn, *delivery, attempt.clone()).await?;
    }
    // Switched off while these attempts were under way: no retries.
    for endpoint in retrying {
        webhooks::abandon_pending(&txn, endpoint, "endpoint switched off").await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Records what an attempt did; switches the endpoint off when it is gone or has failed for
/// the last time, and tells the tenant's admins.
pub async fn conclude(
    state: &AppState,
    recorder: &Recorder,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    outcome: Outcome,
) -> Result<()> {
    let now = state.clock.now();
    let (record, disable) = match outcome {
        Outcome::Delivered(status) => {
            crate::telemetry::webhook_delivery("delivered");
            let attempt = Attempt {
                at: now,
                status: DeliveryStatus::Delivered,
                next_attempt_at: None,
                http_status: Some(i32::from(status)),
                error: None,
            };
            (attempt, None)
        }
        Outcome::Gone => {
            crate::telemetry::webhook_delivery("gone");
            let attempt = Attempt {
                at: now,
                status: DeliveryStatus::Failed,
                next_attempt_at: None,
                http_status: Some(410),
                error: Some("410 Gone: the endpoint was switched off".into()),
            };
            (attempt, Some(DisabledReason::Gone))
        }
        Outcome::Failed { status, retry_after, error } => {
            let next = next_attempt(delivery.attempts, retry_after, now);
            crate::telemetry::webhook_delivery(if next.is_some() { "retrying" } else { "failed" });
            let attempt = Attempt {
                at: now,
                status: if next.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                },
                next_attempt_at: next,
                http_status: status.map(i32::from),
                error: Some(error),
            };
            (attempt, next.is_none().then_some(DisabledReason::Failing))
        }
    };
    if recorder.outcomes.send((delivery.id, endpoint.id, record.clone())).is_err() {
        // The recorder is gone (shutting down): write this one directly.
        webhooks::record_attempt(&state.db, delivery.id, record).await?;
    }
    if let Some(reason) = disable {
        let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
        let switched = webhooks::disable(&txn, endpoint.id, reason, now).await?;
        webhooks::abandon_pending(&txn, endpoint.id, "endpoint switched off").await?;
        txn.commit().await?;
        if switched {
            tracing::warn!(tenant.id = %endpoint.tenant_id, endpoint.id = %endpoint.id, reason = %reason, "a webhook endpoint was switched off");
            let scope = TenantScope::new(endpoint.tenant_id);
            notices::webhook_disabled(state, scope, endpoint, reason, now).await?;
        }
    }
    Ok(())
}

/// Claims the deliveries due now (as many as `free` attempts allow) and starts an attempt for
/// each in its own task, so a slow receiver holds up nobody else. Returns how many started.
pub async fn start_due(
    state: &AppState,
    client: &reqwest::Client,
    permits: &Arc<tokio::sync::Semaphore>,
    recorder: &Recorder,
) -> Result<usize> {
    let free = permits.available_permits();
    if free == 0 {
        return Ok(0);
    }
    let now = state.clock.now();
    let hold = now + TimeDelta::from_std(TIMEOUT * 2).unwrap_or(TimeDelta::seconds(30));
    let claimed = webhooks::claim_due(&state.db, now, hold, free as u64).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = claimed.iter().map(|d| d.endpoint_id).collect();
    let endpoints: std::collections::HashMap<Uuid, webhook_endpoint::Model> =
        webhooks::endpoints_by_ids(&state.db, ids).await?.into_iter().map(|e| (e.id, e)).collect();
    let started = claimed.len();
    for delivery in claimed {
        let Some(endpoint) = endpoints.get(&delivery.endpoint_id).cloned() else { continue };
        let Ok(permit) = permits.clone().acquire_owned().await else { break };
        let (state, client, recorder) = (state.clone(), client.clone(), recorder.clone());
        tokio::spawn(async move {
            let outcome = attempt(&state, &client, &endpoint, &delivery).await;
            if let Err(e) = conclude(&state, &recorder, &endpoint, &delivery, outcome).await {
                tracing::warn!(delivery = %delivery.id, error = format!("{e:#}"), "recording a webhook attempt");
            }
            drop(permit);
        });
    }
    Ok(started)
}

/// When the next delivery is due.
pub async fn next_due(state: &AppState) -> Result<Option<DateTime<Utc>>> {
    Ok(webhooks::next_due(&state.db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_and_stop_after_the_tenth_attempt() {
        let now = crate::clock::Clock::system().now();
        let first = next_attempt(1, None, now).unwrap() - now;
        assert!((4_500..=5_500).contains(&first.num_milliseconds()), "{first}");
        let ninth = next_attempt(9, None, now).unwrap() - now;
        assert!((77_760..=95_040).contains(&ninth.num_seconds()), "{ninth}");
        assert_eq!(next_attempt(10, None, now), None);
        assert_eq!(next_attempt(2, Some(7), now), Some(now + TimeDelta::seconds(7)));
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_within_bounds() {
        let now = crate::clock::Clock::system().now();
        assert_eq!(retry_after("120", now), Some(120));
        assert_eq!(retry_after("0", now), Some(1));
        assert_eq!(retry_after("99999999", now), Some(LONGEST_RETRY_AFTER));
        let later = httpdate::fmt_http_date((now + TimeDelta::seconds(60)).into());
        assert!(matches!(retry_after(&later, now), Some(58..=60)));
        assert_eq!(retry_after("soon", now), None);
    }
}
