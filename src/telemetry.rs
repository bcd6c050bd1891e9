//! What the service counts, in the Prometheus text format (`/metrics`). Process-wide, and
//! never labelled per user or per tenant: the numbers describe the service, not the people.

use std::sync::OnceLock;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Seconds, from a fast Graph answer to a sync that ran into its deadline.
const SECONDS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// Installs the recorder (once per process); `None` if another one was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| tracing::warn!(error = %e, "metrics are not recorded"))
                .ok()
        })
        .as_ref()
}

/// Starts recording; call before the first thing is counted.
pub fn install() {
    let _ = handle();
}

/// Everything counted so far.
pub fn render() -> String {
    handle().map_or_else(String::new, |h| {
        h.run_upkeep();
        h.render()
    })
}

/// A tenant's sync ended (`success`, `partial`, `failed`, …) after `seconds`.
pub fn sync_run(outcome: &'static str, seconds: f64) {
    counter!("calbridge_sync_runs_total", "outcome" => outcome).increment(1);
    histogram!("calbridge_sync_duration_seconds").record(seconds);
}

/// Microsoft Graph answered with this HTTP status (0: no answer).
pub fn graph_request(status: u16) {
    counter!("calbridge_graph_requests_total", "status" => status.to_string()).increment(1);
    if status == 429 {
        counter!("calbridge_graph_throttled_total").increment(1);
    }
}

/// A stored state flipped at its time; `late` is how long after that time it was written.
pub fn flip(late_seconds: f64) {
    counter!("calbridge_flips_total").increment(1);
    histogram!("calbridge_flip_lateness_seconds").record(late_seconds.max(0.0));
}

/// A webhook delivery attempt ended: `delivered`, `retrying`, `failed` or `gone`.
pub fn webhook_delivery(outcome: &'static str) {
    counter!("calbridge_webhook_deliveries_total", "outcome" => outcome).increment(1);
}

/// Stream clients connected to this instance now.
pub fn stream_clients(count: usize) {
    gauge!("calbridge_stream_clients").set(count as f64);
}

/// Leases of an instance that stopped answering, ended so that others take its tenants.
pub fn lease_takeovers(count: u64) {
    counter!("calbridge_lease_takeovers_total").increment(count);
}
