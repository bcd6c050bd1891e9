//! What one call cost, counted as it goes.

use std::sync::atomic::{AtomicU32, Ordering};

use super::CallStats;

/// Counters of one call; atomics because the call's concurrent requests all update them.
#[derive(Debug, Default)]
pub struct CallCounters {
    http_requests: AtomicU32,
    token_requests: AtomicU32,
    sub_requests: AtomicU32,
    throttled: AtomicU32,
    retries: AtomicU32,
}

impl CallCounters {
    pub fn add_http_request(&self) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_sub_requests(&self, count: u32) {
        self.sub_requests.fetch_add(count, Ordering::Relaxed);
    }

    pub fn add_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CallStats {
        CallStats {
            http_requests: self.http_requests.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
            sub_requests: self.sub_requests.load(Ordering::Relaxed),
            throttled_responses: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}
