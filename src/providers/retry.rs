//! When to try again: what the server asked for (Graph's `Retry-After`, EWS's
//! `BackOffMilliseconds`), else exponential backoff with full jitter.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Statuses Graph documents as "try again later".
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First backoff ceiling; the n-th retry waits a random time up to `base · 2ⁿ`.
    pub base: Duration,
    /// No wait is longer; a `Retry-After` beyond it means giving up for this call.
    pub cap: Duration,
    /// Retries per request (a batch item counts as its own request).
    pub max_retries: u32,
}

impl RetryPolicy {
    /// How long to wait before retry number `retry` (0 for the first), without a `Retry-After`.
    ///
    /// Full jitter spreads the retries of many tenants that were throttled at the same moment,
    /// instead of bringing them back in lockstep.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << retry.min(16)).min(self.cap);
        if ceiling.is_zero() {
            return Duration::ZERO;
        }
        ceiling.mul_f64(rand::random_range(0.0..=1.0))
    }
}

/// Reads `Retry-After` as delta-seconds (Graph sends fractions such as `2.128`) or an
/// HTTP-date. Nonsense (negative, NaN, unparsable) counts as absent.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let at = DateTime::<Utc>::from(httpdate::parse_http_date(value).ok()?);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let epoch = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let now = DateTime::<Utc>::from(epoch);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 2.128 ", now), Some(Duration::from_millis(2128)));
        let later = httpdate::fmt_http_date(epoch + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(5)));
        let earlier = httpdate::fmt_http_date(epoch - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        for bad in ["", "soon", "-1", "NaN", "inf", "1e400"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_within_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_secs(3),
            cap: Duration::from_secs(180),
            max_retries: 3,
        };
        for retry in 0..10 {
            let ceiling = Duration::from_secs(3 * (1 << retry)).min(Duration::from_secs(180));
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= ceiling);
            }
        }
        let zero = RetryPolicy { base: Duration::ZERO, ..policy };
        assert_eq!(zero.backoff(2), Duration::ZERO);
    }

    #[test]
    fn only_throttling_and_gateway_statuses_are_retried() {
        assert!([429, 503, 504].into_iter().all(is_retryable_status));
        assert!(![200, 400, 401, 403, 404, 500, 502].into_iter().any(is_retryable_status));
    }
}
