//! Outlook's per-(app, mailbox) limits: concurrent requests and a request budget per window.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Sharded so hundreds of concurrent requests for different mailboxes rarely share a lock.
const SHARDS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    client_id: Uuid,
    mailbox: Uuid,
}

#[derive(Debug)]
struct Entry {
    in_flight: u32,
    max_in_flight: u32,
    window_start: Instant,
    used: u64,
    /// Kept for reporting; the key only holds the object id.
    mailbox_upn: Arc<str>,
}

pub enum Admission {
    Admitted(ConcurrencyGuard),
    OverBudget { retry_after: Duration },
    OverConcurrency,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleSettings {
    pub request_budget: u64,
    pub budget_window_secs: u64,
    pub max_concurrency: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcurrencyRecord {
    pub client_id: Uuid,
    pub mailbox: String,
    /// Highest number of requests seen in flight at once, counting the ones refused.
    pub max_concurrency: u32,
}

pub struct Throttle {
    shards: Vec<Mutex<HashMap<Key, Entry>>>,
    hasher: RandomState,
    budget: AtomicU64,
    window_ms: AtomicU64,
    max_concurrency: AtomicU32,
}

impl Throttle {
    pub fn new(settings: &ThrottleSettings) -> Arc<Self> {
        let throttle = Arc::new(Throttle {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            budget: AtomicU64::new(0),
            window_ms: AtomicU64::new(0),
            max_concurrency: AtomicU32::new(0),
        });
        throttle.configure(settings);
        throttle
    }

    pub fn configure(&self, settings: &ThrottleSettings) {
        self.budget.store(settings.request_budget, Ordering::Relaxed);
        self.window_ms.store(settings.budget_window_secs.saturating_mul(1000), Ordering::Relaxed);
        self.max_concurrency.store(settings.max_concurrency, Ordering::Relaxed);
    }

    pub fn settings(&self) -> ThrottleSettings {
        ThrottleSettings {
            request_budget: self.budget.load(Ordering::Relaxed),
            budget_window_secs: self.window_ms.load(Ordering::Relaxed) / 1000,
            max_concurrency: self.max_concurrency.load(Ordering::Relaxed),
        }
    }

    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, Entry>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// Counts the request against the budget, then takes a concurrency slot.
    pub fn admit(self: &Arc<Self>, client_id: Uuid, mailbox: Uuid, upn: &Arc<str>) -> Admission {
        let key = Key { client_id, mailbox };
        let now = Instant::now();
        let window = Duration::from_millis(self.window_ms.load(Ordering::Relaxed));
        let budget = self.budget.load(Ordering::Relaxed);
        let limit = self.max_concurrency.load(Ordering::Relaxed);
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        let entry = shard.entry(key.clone()).or_insert_with(|| Entry {
            in_flight: 0,
            max_in_flight: 0,
            window_start: now,
            used: 0,
            mailbox_upn: Arc::clone(upn),
        });
        if now.duration_since(entry.window_start) >= window {
            entry.window_start = now;
            entry.used = 0;
        }
        entry.used += 1;
        entry.max_in_flight = entry.max_in_flight.max(entry.in_flight + 1);
        if entry.used > budget {
            return Admission::OverBudget {
                retry_after: (entry.window_start + window).saturating_duration_since(now),
            };
        }
        if entry.in_flight >= limit {
            return Admission::OverConcurrency;
        }
        entry.in_flight += 1;
        Admission::Admitted(ConcurrencyGuard { throttle: Arc::clone(self), key })
    }

    fn release(&self, key: &Key) {
        let mut shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = shard.get_mut(key) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
        }
    }

    pub fn concurrency_records(&self) -> Vec<ConcurrencyRecord> {
        let mut records: Vec<ConcurrencyRecord> = self
            .shards
            .iter()
            .flat_map(|shard| {
                let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
                shard
                    .iter()
                    .filter(|(_, entry)| entry.max_in_flight > 0)
                    .map(|(key, entry)| ConcurrencyRecord {
                        client_id: key.client_id,
                        mailbox: entry.mailbox_upn.to_string(),
                        max_concurrency: entry.max_in_flight,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        records.sort_by(|a, b| (a.client_id, &a.mailbox).cmp(&(b.client_id, &b.mailbox)));
        records
    }

    /// Forgets observed maxima and used budgets; requests in flight keep their slots.
    pub fn reset(&self) {
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, entry| entry.in_flight > 0);
            for entry in shard.values_mut() {
                entry.max_in_flight = entry.in_flight;
                entry.used = 0;
                entry.window_start = Instant::now();
            }
        }
    }
}

/// Holds one concurrency slot until dropped.
pub struct ConcurrencyGuard {
    throttle: Arc<Throttle>,
    key: Key,
}

impl Drop for ConcurrencyGuard {
    fn drop(&mut self) {
        self.throttle.release(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(budget: u64) -> ThrottleSettings {
        ThrottleSettings { request_budget: budget, budget_window_secs: 600, max_concurrency: 4 }
    }

    #[test]
    fn fifth_concurrent_is_refused_and_recorded() {
        let throttle = Throttle::new(&settings(100));
        let (app, mailbox, upn) = (Uuid::new_v4(), Uuid::new_v4(), Arc::<str>::from("a@x.dk"));
        let guards: Vec<_> = (0..4)
            .map(|_| match throttle.admit(app, mailbox, &upn) {
                Admission::Admitted(guard) => guard,
                _ => panic!("should be admitted"),
            })
            .collect();
        assert!(matches!(throttle.admit(app, mailbox, &upn), Admission::OverConcurrency));
        // Another mailbox of the same app is unaffected.
        assert!(matches!(throttle.admit(app, Uuid::new_v4(), &upn), Admission::Admitted(_)));
        drop(guards);
        assert!(matches!(throttle.admit(app, mailbox, &upn), Admission::Admitted(_)));
        let record = throttle
            .concurrency_records()
            .into_iter()
            .find(|r| r.client_id == app && r.max_concurrency == 5)
            .expect("refused attempt counts towards the observed maximum");
        assert_eq!(record.mailbox, "a@x.dk");
    }

    #[test]
    fn budget_exhaustion_reports_time_left() {
        let throttle = Throttle::new(&settings(2));
        let (app, mailbox, upn) = (Uuid::new_v4(), Uuid::new_v4(), Arc::<str>::from("a@x.dk"));
        for _ in 0..2 {
            assert!(matches!(throttle.admit(app, mailbox, &upn), Admission::Admitted(_)));
        }
        match throttle.admit(app, mailbox, &upn) {
            Admission::OverBudget { retry_after } => {
                assert!(
                    retry_after > Duration::from_secs(590)
                        && retry_after <= Duration::from_secs(600)
                )
            }
            _ => panic!("budget should be exhausted"),
        }
    }
}
