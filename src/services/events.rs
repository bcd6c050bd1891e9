//! Presence events: every change a receptionist would see, numbered per tenant, kept in the
//! history (the source of truth for streams and their resumption) and written to the webhook
//! outbox in the same transaction as the change itself.

use std::collections::BTreeMap;

use sea_orm::DatabaseTransaction;
use sea_orm::prelude::Uuid;

use super::{AppState, Result, TenantScope, webhooks};
use crate::db::entities::availability_history;
use crate::db::{availability as stored, events};

/// The tenants whose events a transaction recorded, to announce once it has committed.
#[derive(Debug, Default)]
#[must_use = "announce the events once the transaction has committed"]
pub struct Recorded {
    tenants: Vec<Uuid>,
}

impl Recorded {
    /// Lets this instance's streams know at once (other instances hear it from PostgreSQL).
    pub fn announce(self, state: &AppState) {
        state.hub.announce(state, &self.tenants);
    }
}

/// Numbers the changes, appends them to the history and writes their webhook deliveries, in
/// the caller's transaction. Tenants are taken in one order, so that two transactions that
/// both record for several tenants cannot wait on each other.
pub async fn record(
    txn: &DatabaseTransaction,
    changes: Vec<availability_history::Model>,
) -> Result<Recorded> {
    let mut by_tenant: BTreeMap<Uuid, Vec<availability_history::Model>> = BTreeMap::new();
    for change in changes {
        by_tenant.entry(change.tenant_id).or_default().push(change);
    }
    let mut recorded = Recorded::default();
    let mut history = Vec::new();
    for (tenant_id, mut changes) in by_tenant {
        let first = events::reserve(txn, tenant_id, changes.len() as i64).await?;
        for (seq, change) in (first..).zip(changes.iter_mut()) {
            change.seq = Some(seq);
        }
        webhooks::outbox(txn, TenantScope::new(tenant_id), &changes).await?;
        events::notify(txn, tenant_id).await?;
        recorded.tenants.push(tenant_id);
        history.extend(changes);
    }
    stored::append_history(txn, history).await?;
    Ok(recorded)
}
