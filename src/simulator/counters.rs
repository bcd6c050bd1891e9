//! What the simulator served, for tests and benchmarks to assert on.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::faults::EndpointKind;
use super::throttle::ConcurrencyRecord;

/// How a response came about, independent of its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// Refused by the simulated service (auth, validation, unknown mailbox, access denied).
    Error,
    /// Refused by the per-(app, mailbox) concurrency limit or request budget.
    Throttled,
    /// Produced by an injected fault.
    Fault,
}

#[derive(Debug, Default)]
struct Tallies {
    by_status: BTreeMap<EndpointKind, BTreeMap<String, u64>>,
    by_outcome: BTreeMap<(EndpointKind, Outcome), u64>,
    batch_items: u64,
    tokens_issued: u64,
    ews: EwsTallies,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EwsTallies {
    /// 401 answers: no or wrong credentials, and each NTLM challenge.
    pub unauthorized: u64,
    /// NTLM challenges (Type 2) sent.
    pub ntlm_challenges: u64,
    /// NTLM handshakes completed with a valid Type 3.
    pub ntlm_handshakes: u64,
    /// Highest number of simultaneously open authenticated connections, per organisation
    /// (keyed by its directory id).
    pub max_connections: BTreeMap<String, u32>,
}

#[derive(Default)]
pub struct Counters {
    tallies: Mutex<Tallies>,
}

/// A snapshot of the counters.
///
/// `requests` and `outcomes` count every Graph request the simulator answered, including each
/// sub-request of a batch under its own endpoint (the batch itself counts under `batch`);
/// a hung request counts under the status `"hang"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    pub requests: BTreeMap<String, BTreeMap<String, u64>>,
    pub outcomes: BTreeMap<String, BTreeMap<String, u64>>,
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub batch_items: u64,
    pub max_concurrency: Vec<ConcurrencyRecord>,
    /// Every EWS HTTP request, 401s included, so "requests per mailbox" counts the handshakes.
    #[serde(default)]
    pub ews_requests: u64,
    #[serde(default)]
    pub ews: EwsTallies,
}

impl CountersSnapshot {
    /// Requests answered for `endpoint` with `status` ("200", "429", "hang", …).
    pub fn count(&self, endpoint: EndpointKind, status: &str) -> u64 {
        self.requests.get(endpoint.as_str()).and_then(|m| m.get(status)).copied().unwrap_or(0)
    }

    /// All requests answered for `endpoint`.
    pub fn total(&self, endpoint: EndpointKind) -> u64 {
        self.requests.get(endpoint.as_str()).map(|m| m.values().sum()).unwrap_or(0)
    }

    pub fn outcome(&self, endpoint: EndpointKind, outcome: Outcome) -> u64 {
        let key = serde_json::to_value(outcome).ok();
        let key = key.as_ref().and_then(|v| v.as_str()).unwrap_or_default();
        self.outcomes.get(endpoint.as_str()).and_then(|m| m.get(key)).copied().unwrap_or(0)
    }

    /// The highest concurrency observed for any (app, mailbox).
    pub fn max_concurrency_overall(&self) -> u32 {
        self.max_concurrency.iter().map(|r| r.max_concurrency).max().unwrap_or(0)
    }
}

impl Counters {
    pub fn record(&self, endpoint: EndpointKind, status: &str, outcome: Outcome, in_batch: bool) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let statuses = tallies.by_status.entry(endpoint).or_default();
        // Look up before inserting so the common case does not allocate a key.
        match statuses.get_mut(status) {
            Some(n) => *n += 1,
            None => {
                statuses.insert(status.to_string(), 1);
            }
        }
        *tallies.by_outcome.entry((endpoint, outcome)).or_default() += 1;
        if in_batch {
            tallies.batch_items += 1;
        }
    }

    pub fn record_ews_unauthorized(&self, challenge: bool) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        tallies.ews.unauthorized += 1;
        if challenge {
            tallies.ews.ntlm_challenges += 1;
        }
    }

    pub fn record_ntlm_handshake(&self) {
        self.tallies.lock().unwrap_or_else(|e| e.into_inner()).ews.ntlm_handshakes += 1;
    }

    pub fn record_ews_connections(&self, organisation: &str, open: u32) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let max = tallies.ews.max_connections.entry(organisation.to_string()).or_default();
        *max = (*max).max(open);
    }

    pub fn record_token_issued(&self) {
        self.tallies.lock().unwrap_or_else(|e| e.into_inner()).tokens_issued += 1;
    }

    pub fn reset(&self) {
        *self.tallies.lock().unwrap_or_else(|e| e.into_inner()) = Tallies::default();
    }

    pub fn snapshot(&self, max_concurrency: Vec<ConcurrencyRecord>) -> CountersSnapshot {
        let tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let mut snapshot = CountersSnapshot {
            tokens_issued: tallies.tokens_issued,
            batch_items: tallies.batch_items,
            max_concurrency,
            ews: tallies.ews.clone(),
            ..CountersSnapshot::default()
        };
        for (endpoint, statuses) in &tallies.by_status {
            snapshot.requests.insert(endpoint.as_str().to_string(), statuses.clone());
        }
        for ((endpoint, outcome), n) in &tallies.by_outcome {
            let name = serde_json::to_value(outcome)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            snapshot.outcomes.entry(endpoint.as_str().to_string()).or_default().insert(name, *n);
        }
        snapshot.token_requests = snapshot.total(EndpointKind::Token);
        snapshot.ews_requests =
            [EndpointKind::EwsAvailability, EndpointKind::EwsFindItem, EndpointKind::Ews]
                .iter()
                .map(|kind| snapshot.total(*kind))
                .sum();
        snapshot
    }
}
