//! Token buckets, refilled continuously: the per-visitor send limit, and the limits a client cannot reset by
//! changing its device id (new sessions and new devices per client address and per org, unverified data per org).
//!
//! In memory on purpose: losing the buckets on restart only forgives a few minutes of sending.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::chats::Visitor;
use crate::error::ApiError;

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

impl RateLimit {
    /// `burst` at once, refilled over `window`; a burst of 0 turns the limit off.
    pub const fn per(burst: u32, window: Duration) -> Self {
        Self { burst, window }
    }
}

/// The limits keyed by something other than the identity, which a client picks: see [`AbuseLimits`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbuseLimitsConfig {
    /// New sessions from one client address (an IPv6 address counts by its /64).
    pub sessions_per_ip: RateLimit,
    /// Sessions started by a device that had none before, from one client address.
    pub new_devices_per_ip: RateLimit,
    /// Sessions started by devices new to the org, from everywhere together. Lower than `sessions_per_org` and
    /// checked before it, so a flood of fresh device ids from many addresses is refused here and leaves the
    /// org's session bucket to the visitors it already knows.
    pub new_devices_per_org: RateLimit,
    /// New sessions of one org, from everywhere together: bounds what a flood from many addresses can store.
    pub sessions_per_org: RateLimit,
    /// Bytes of unverified `custom_data` one org may store; the burst is in bytes.
    pub unverified_bytes_per_org: RateLimit,
}

const TEN_MINUTES: Duration = Duration::from_secs(600);

impl AbuseLimitsConfig {
    /// No limit at all: for load tests that measure the server rather than its limits.
    pub const fn off() -> Self {
        let off = RateLimit::per(0, TEN_MINUTES);
        Self {
            sessions_per_ip: off,
            new_devices_per_ip: off,
            new_devices_per_org: off,
            sessions_per_org: off,
            unverified_bytes_per_org: off,
        }
    }
}

impl Default for AbuseLimitsConfig {
    fn default() -> Self {
        Self {
            sessions_per_ip: RateLimit::per(60, TEN_MINUTES),
            new_devices_per_ip: RateLimit::per(30, TEN_MINUTES),
            new_devices_per_org: RateLimit::per(1_500, TEN_MINUTES),
            sessions_per_org: RateLimit::per(3_000, TEN_MINUTES),
            unverified_bytes_per_org: RateLimit::per(20 * 1024 * 1024, Duration::from_secs(3_600)),
        }
    }
}

/// The buckets of [`AbuseLimitsConfig`].
#[derive(Debug)]
pub struct AbuseLimits {
    pub sessions_per_ip: RateLimiter<IpAddr>,
    pub new_devices_per_ip: RateLimiter<IpAddr>,
    pub new_devices_per_org: RateLimiter<i64>,
    pub sessions_per_org: RateLimiter<i64>,
    pub unverified_bytes_per_org: RateLimiter<i64>,
}

impl AbuseLimits {
    pub fn new(config: AbuseLimitsConfig) -> Self {
        Self {
            sessions_per_ip: RateLimiter::new(config.sessions_per_ip),
            new_devices_per_ip: RateLimiter::new(config.new_devices_per_ip),
            new_devices_per_org: RateLimiter::new(config.new_devices_per_org),
            sessions_per_org: RateLimiter::new(config.sessions_per_org),
            unverified_bytes_per_org: RateLimiter::new(config.unverified_bytes_per_org),
        }
    }
}

impl AbuseLimits {
    /// Charges a new chat to its client address and org: the session buckets, the new-device buckets when the
    /// device never started a chat of this org before, and `unverified_bytes` of page-supplied data. Checked from
    /// the narrowest to the widest, so a client refused by its own address's bucket spends nothing of its org's,
    /// and a flood of new devices refused by the org's new-device bucket spends nothing of its session bucket.
    pub fn check_new_session(
        &self,
        ip: IpAddr,
        org_id: i64,
        new_device: bool,
        unverified_bytes: usize,
    ) -> Result<(), ApiError> {
        let ip = ip_key(ip);
        let limited = |by: &'static str, limiter: &dyn LimitInfo, wait: Duration| {
            let limit = limiter.limit();
            ApiError::SessionsLimited {
                by,
                burst: limit.burst,
                window_secs: limit.window.as_secs(),
                retry_after_secs: retry_secs(wait),
            }
        };
        self.sessions_per_ip
            .check(ip)
            .map_err(|w| limited("from this address", &self.sessions_per_ip, w))?;
        if new_device {
            self.new_devices_per_ip.check(ip).map_err(|w| {
                limited(
                    "from new devices at this address",
                    &self.new_devices_per_ip,
                    w,
                )
            })?;
            self.new_devices_per_org.check(org_id).map_err(|w| {
                limited(
                    "from new devices for this site",
                    &self.new_devices_per_org,
                    w,
                )
            })?;
        }
        self.sessions_per_org
            .check(org_id)
            .map_err(|w| limited("for this site", &self.sessions_per_org, w))?;
        let bytes = u32::try_from(unverified_bytes).unwrap_or(u32::MAX);
        self.unverified_bytes_per_org
            .check_n(org_id, bytes)
            .map_err(|wait| {
                let limit = self.unverified_bytes_per_org.limit();
                ApiError::UnverifiedDataQuota {
                    kib: u64::from(limit.burst) / 1024,
                    window_secs: limit.window.as_secs(),
                    retry_after_secs: retry_secs(wait),
                }
            })
    }
}

/// Whole seconds for `Retry-After`, rounded up so a client that waits that long finds a token.
pub fn retry_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil() as u64
}

/// A limiter's configuration, whatever its key type.
trait LimitInfo {
    fn limit(&self) -> RateLimit;
}

impl<K: Hash + Eq> LimitInfo for RateLimiter<K> {
    fn limit(&self) -> RateLimit {
        self.limit
    }
}

/// The bucket key of a client address: an IPv6 host usually holds a whole /64, so it counts as one client.
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

#[derive(Debug)]
pub struct RateLimiter<K = RateKey> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// Past this many buckets, full ones (identities idle for a whole window) are dropped; they would start full anyway.
const PRUNE_ABOVE: usize = 10_000;

impl<K: Hash + Eq> RateLimiter<K> {
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
    pub fn check(&self, key: K) -> Result<(), Duration> {
        self.check_n_at(key, 1, Instant::now())
    }

    /// Takes `cost` tokens for `key`, or says how long until they are available. A cost above the burst can never
    /// be paid; it waits for a full bucket and is then refused again, so callers keep costs below the burst.
    pub fn check_n(&self, key: K, cost: u32) -> Result<(), Duration> {
        self.check_n_at(key, cost, Instant::now())
    }

    #[cfg(test)]
    fn check_at(&self, key: K, now: Instant) -> Result<(), Duration> {
        self.check_n_at(key, 1, now)
    }

    fn check_n_at(&self, key: K, cost: u32, now: Instant) -> Result<(), Duration> {
        if self.limit.burst == 0 || cost == 0 {
            return Ok(());
        }
        let cost = f64::from(cost);
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
        if tokens < cost {
            return Err(Duration::from_secs_f64(
                (cost.min(burst) - tokens).max(0.0) / per_sec,
            ));
        }
        *bucket = Bucket {
            tokens: tokens - cost,
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

    #[test]
    fn a_cost_takes_that_many_tokens_and_a_zero_burst_is_off() {
        let limiter = RateLimiter::<i64>::new(RateLimit::per(1000, Duration::from_secs(10)));
        let t0 = Instant::now();
        assert!(limiter.check_n_at(1, 600, t0).is_ok());
        let wait = limiter.check_n_at(1, 600, t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(1900) && wait <= Duration::from_millis(2001),
            "{wait:?}"
        );
        let off = RateLimiter::<i64>::new(RateLimit::per(0, Duration::from_secs(10)));
        for _ in 0..10_000 {
            assert!(off.check_n_at(1, 5, t0).is_ok());
        }
    }

    #[test]
    fn a_flood_of_new_devices_from_many_addresses_leaves_the_org_open_to_known_visitors() {
        let limits = AbuseLimits::new(AbuseLimitsConfig {
            new_devices_per_org: RateLimit::per(100, TEN_MINUTES),
            sessions_per_org: RateLimit::per(150, TEN_MINUTES),
            ..AbuseLimitsConfig::default()
        });
        let address = |n: u32| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
        let refused = (0..1_000)
            .filter(|n| limits.check_new_session(address(*n), 1, true, 0).is_err())
            .count();
        assert_eq!(
            refused, 900,
            "each address is new, the org's new-device bucket is not"
        );
        for n in 0..50 {
            assert!(
                limits
                    .check_new_session(address(5_000 + n), 1, false, 0)
                    .is_ok(),
                "a known device still starts chat {n}"
            );
        }
        assert!(
            limits.check_new_session(address(9_999), 2, true, 0).is_ok(),
            "other orgs are apart"
        );
    }

    #[test]
    fn an_ipv6_client_counts_by_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ip_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
