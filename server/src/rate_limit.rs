//! Per-visitor send limit: a token bucket per identity, refilled continuously.
//!
//! In memory on purpose: losing the buckets on restart only forgives a few seconds of sending.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::chats::Visitor;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// How many sends may come at once.
    pub burst: u32,
    /// How long an empty bucket takes to refill completely.
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            burst: 30,
            window: Duration::from_secs(10),
        }
    }
}

/// One identity: a verified contact (on all its devices together) or a device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    Contact { org_id: i64, contact_id: i64 },
    Device { org_id: i64, device_hash: Vec<u8> },
}

impl From<&Visitor> for RateKey {
    fn from(visitor: &Visitor) -> Self {
        match visitor {
            Visitor::Verified {
                org_id, contact_id, ..
            } => Self::Contact {
                org_id: *org_id,
                contact_id: *contact_id,
            },
            Visitor::Device {
                org_id,
                device_hash,
                ..
            } => Self::Device {
                org_id: *org_id,
                device_hash: device_hash.clone(),
            },
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<RateKey, Bucket>>,
}

/// Past this many buckets, full ones (identities idle for a whole window) are dropped; they would start full anyway.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::default(),
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: RateKey) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: RateKey, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst);
        let per_sec = burst / self.limit.window.as_secs_f64().max(f64::MIN_POSITIVE);
        let refill = |b: &Bucket| {
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_sec).min(burst)
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| refill(b) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let tokens = refill(bucket);
        if tokens < 1.0 {
            return Err(Duration::from_secs_f64((1.0 - tokens) / per_sec));
        }
        *bucket = Bucket {
            tokens: tokens - 1.0,
            at: now,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> RateKey {
        RateKey::Device {
            org_id: 1,
            device_hash: vec![n],
        }
    }

    #[test]
    fn allows_a_burst_then_refuses_then_refills() {
        let limiter = RateLimiter::new(RateLimit::default());
        let t0 = Instant::now();
        for _ in 0..30 {
            assert!(limiter.check_at(key(1), t0).is_ok());
        }
        let wait = limiter.check_at(key(1), t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(334),
            "{wait:?}"
        );
        assert!(
            limiter.check_at(key(2), t0).is_ok(),
            "identities are independent"
        );
        // 3 tokens a second: after one second, three more sends and no fourth.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..3 {
            assert!(limiter.check_at(key(1), t1).is_ok());
        }
        assert!(limiter.check_at(key(1), t1).is_err());
    }

    #[test]
    fn prunes_idle_identities() {
        let limiter = RateLimiter::new(RateLimit::default());
        let t0 = Instant::now();
        for n in 0..=PRUNE_ABOVE {
            let key = RateKey::Contact {
                org_id: 1,
                contact_id: n as i64,
            };
            limiter.check_at(key, t0).unwrap();
        }
        limiter
            .check_at(key(1), t0 + Duration::from_secs(11))
            .unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
