//! Between polls: re-evaluate users whose availability changes now (a meeting starts or
//! ends), from the items stored at the last sync.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use sea_orm::prelude::Uuid;

use super::availability::{differs, history_entry, reevaluate, visibly_differs};
use super::{AppState, Result, rules};
use crate::availability::AvailabilityRules;
use crate::db::{availability as stored, tenants};

/// Rows handled per transaction; the rest wait for the next round, moments later.
const BATCH: u64 = 20_000;

/// Re-evaluates every row due at `now`; returns how many changed.
///
/// The due rows are locked for the transaction on PostgreSQL (other instances skip them), and
/// a row is only replaced while its items are the ones evaluated, so a sync that lands
/// meanwhile always wins. The flips and their history commit together: a crash or a failed
/// write loses neither alone, and the round is simply done again.
pub async fn run_due(state: &AppState, now: DateTime<Utc>) -> Result<usize> {
    let txn = state.db.begin().await?;
    let due = stored::due(&txn, now, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    // One query for every tenant's rules: the transaction holds its row locks meanwhile.
    let ids: HashSet<Uuid> = due.iter().map(|row| row.tenant_id).collect();
    let mut rules_by_tenant: HashMap<Uuid, AvailabilityRules> = tenants::find_many(&txn, ids)
        .await?
        .into_iter()
        .map(|t| (t.id, rules::parse(t.id, t.rules_json.as_deref())))
        .collect();
    let mut rows = Vec::with_capacity(due.len());
    let mut history = Vec::new();
    for old in &due {
        let rules = rules_by_tenant
            .entry(old.tenant_id)
            .or_insert_with(|| rules::parse(old.tenant_id, None));
        let new = reevaluate(rules, old, now);
        if visibly_differs(Some(old), &new) {
            history.push(history_entry(&new));
        }
        if differs(old, &new) {
            rows.push(new);
        }
    }
    stored::upsert(&txn, &rows, stored::Guard::SameItems).await?;
    let recorded = super::events::record(&txn, history).await?;
    txn.commit().await?;
    recorded.announce(state);
    for row in &due {
        if let Some(at) = row.next_change_at {
            crate::telemetry::flip((now - at).as_seconds_f64());
        }
    }
    Ok(rows.len())
}

/// The earliest pending change of any tenant, so the timer knows how long it may sleep.
pub async fn next_change(state: &AppState) -> Result<Option<DateTime<Utc>>> {
    Ok(stored::next_change(&state.db).await?)
}
