//! Failed sign-ins per client address: a token bucket per address, kept in memory.
//!
//! The per-account lockout stops guessing one account's password; this stops one address
//! from trying many accounts. Each instance keeps its own buckets, so behind N instances an
//! address gets up to N times the burst, which still bounds a guesser to a few attempts a
//! minute. IPv6 clients are counted per /64, the block one subscriber usually holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Failed sign-ins an address may make in a row.
pub const BURST: u32 = 20;
/// After the burst, one more attempt per this long.
pub const REFILL_EVERY: Duration = Duration::seconds(15);
/// Buckets kept before full ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

pub struct SignInLimiter {
    buckets: Mutex<Buckets>,
}

struct Buckets {
    map: HashMap<IpAddr, Bucket>,
    prune_above: usize,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter {
            buckets: Mutex::new(Buckets { map: HashMap::new(), prune_above: PRUNE_ABOVE }),
        }
    }
}

/// The key an address is counted under.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
        v4 => v4,
    }
}

fn refilled(bucket: Bucket, now: DateTime<Utc>) -> f64 {
    let elapsed = (now - bucket.at).num_milliseconds().max(0) as f64;
    let per_token = REFILL_EVERY.num_milliseconds() as f64;
    (bucket.tokens + elapsed / per_token).min(f64::from(BURST))
}

impl SignInLimiter {
    /// Takes one attempt from the address's bucket, or says how long until there is one.
    pub fn take(&self, ip: IpAddr, now: DateTime<Utc>) -> Result<(), std::time::Duration> {
        let mut buckets = self.lock();
        buckets.prune(now);
        let bucket =
            buckets.map.entry(key(ip)).or_insert(Bucket { tokens: f64::from(BURST), at: now });
        let tokens = refilled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now };
            return Ok(());
        }
        *bucket = Bucket { tokens, at: now };
        let missing_ms = ((1.0 - tokens) * REFILL_EVERY.num_milliseconds() as f64).round() as u64;
        // Whole seconds, rounded up: Retry-After has no fractions for browsers.
        Err(std::time::Duration::from_secs(missing_ms.div_ceil(1000).max(1)))
    }

    /// Returns the attempt a successful sign-in took: only failures count.
    pub fn give_back(&self, ip: IpAddr, now: DateTime<Utc>) {
        let mut buckets = self.lock();
        if let Some(bucket) = buckets.map.get_mut(&key(ip)) {
            *bucket =
                Bucket { tokens: (refilled(*bucket, now) + 1.0).min(f64::from(BURST)), at: now };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets> {
        // The buckets stay consistent whatever panicked while holding them.
        self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Buckets {
    /// Drops buckets that have filled up again; they hold nothing a new one would not.
    fn prune(&mut self, now: DateTime<Utc>) {
        if self.map.len() <= self.prune_above {
            return;
        }
        self.map.retain(|_, b| refilled(*b, now) < f64::from(BURST));
        // Many addresses still failing: prune again only when the map has doubled.
        self.prune_above = (self.map.len() * 2).max(PRUNE_ABOVE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_900_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_burst_then_one_attempt_per_refill() {
        let limiter = SignInLimiter::default();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        for _ in 0..BURST {
            assert!(limiter.take(ip, t(0)).is_ok());
        }
        let wait = limiter.take(ip, t(0)).unwrap_err();
        assert_eq!(wait.as_secs(), 15);
        assert_eq!(limiter.take(ip, t(10)).unwrap_err().as_secs(), 5);
        assert!(limiter.take(ip, t(15)).is_ok());
        assert!(limiter.take(ip, t(16)).is_err());
        // Another address is not affected.
        assert!(limiter.take("203.0.113.10".parse().unwrap(), t(16)).is_ok());
    }

    #[test]
    fn successes_do_not_count() {
        let limiter = SignInLimiter::default();
        let ip: IpAddr = "198.51.100.4".parse().unwrap();
        for _ in 0..100 {
            assert!(limiter.take(ip, t(0)).is_ok());
            limiter.give_back(ip, t(0));
        }
    }

    #[test]
    fn ipv6_counts_per_slash_64() {
        let limiter = SignInLimiter::default();
        for n in 0..BURST {
            let ip: IpAddr = format!("2001:db8:1:2::{n:x}").parse().unwrap();
            assert!(limiter.take(ip, t(0)).is_ok());
        }
        assert!(limiter.take("2001:db8:1:2:ffff::1".parse().unwrap(), t(0)).is_err());
        assert!(limiter.take("2001:db8:1:3::1".parse().unwrap(), t(0)).is_ok());
    }

    #[test]
    fn full_buckets_are_forgotten_when_many_are_kept() {
        let limiter = SignInLimiter::default();
        for n in 0..=PRUNE_ABOVE as u32 {
            limiter.take(IpAddr::from(n.to_be_bytes()), t(0)).unwrap();
        }
        // Five minutes later every one of them is full again.
        limiter.take("192.0.2.1".parse().unwrap(), t(301)).unwrap();
        assert_eq!(limiter.lock().map.len(), 1);
    }
}
