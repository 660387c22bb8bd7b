//! Waking long-polls when a message is stored.
//!
//! A waiter registers for one [`Audience`] (the visitor it is, or its org for agents) and a store of a message
//! wakes only the audiences that can see it, so a message in one chat does not make every open widget on the
//! server query the database. Nothing here is state that must survive a restart: a waiter that misses a wake-up
//! because the server went away asks again with its cursor and gets the message from the database.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use frontdesk_protocol::wire::Signal;
use tokio::sync::{watch, Notify};

use crate::chats::{Session, Visitor};

/// Who is interested in a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    /// A verified user, on any of its devices, in one scope.
    Contact {
        org_id: i64,
        contact_id: i64,
        scope: Option<String>,
    },
    /// A device's non-verified visitor, in one scope.
    Device {
        org_id: i64,
        device_hash: Vec<u8>,
        scope: Option<String>,
    },
    /// The org's agents.
    Org(i64),
}

impl Audience {
    pub fn of_visitor(visitor: &Visitor) -> Self {
        match visitor {
            Visitor::Verified {
                org_id,
                contact_id,
                scope,
            } => Self::Contact {
                org_id: *org_id,
                contact_id: *contact_id,
                scope: scope.as_ref().map(|s| s.as_str().to_owned()),
            },
            Visitor::Device {
                org_id,
                device_hash,
                scope,
            } => Self::Device {
                org_id: *org_id,
                device_hash: device_hash.clone(),
                scope: scope.as_ref().map(|s| s.as_str().to_owned()),
            },
        }
    }

    /// Everyone who sees `session`: its owner and the org's agents.
    pub fn of_session(session: &Session) -> [Self; 2] {
        let owner = match (&session.contact, &session.device_hash) {
            (Some(contact), _) => Self::Contact {
                org_id: session.org_id,
                contact_id: contact.id,
                scope: session.external_id.clone(),
            },
            (None, device_hash) => Self::Device {
                org_id: session.org_id,
                device_hash: device_hash.clone().unwrap_or_default(),
                scope: session.external_id.clone(),
            },
        };
        [owner, Self::Org(session.org_id)]
    }
}

#[derive(Debug)]
pub struct Notifier {
    /// One `Notify` per audience that has a waiter right now; an entry goes when its last waiter does.
    channels: Mutex<HashMap<Audience, Arc<Notify>>>,
    /// Set at shutdown so held long-polls answer at once instead of holding the graceful shutdown for `wait` seconds.
    closed: watch::Sender<bool>,
    signals: Mutex<SignalLog>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            channels: Mutex::default(),
            closed: watch::Sender::new(false),
            signals: Mutex::default(),
        }
    }
}

/// How long a typing or seen signal is kept for the long-polls that were not waiting when it came (a client
/// between two polls): as long as a typing signal shows. Older ones are gone for good: signals are never replayed.
pub const SIGNAL_KEPT: Duration =
    Duration::from_secs(frontdesk_protocol::limits::TYPING_SHOWN_SECS as u64);
/// Most signals kept at once, whatever their age: a bound on the memory a burst of signals can take (they are
/// rate-limited per identity and chat, so this is reached only by very many chats at once; the oldest go first).
const SIGNALS_KEPT_MAX: usize = 10_000;

/// The signals of the last [`SIGNAL_KEPT`], oldest first, each with who sees it.
#[derive(Debug, Default)]
struct SignalLog {
    kept: VecDeque<KeptSignal>,
    /// The latest `at` handed out here: stamps are unique and increasing on this instance.
    last_at: i64,
}

#[derive(Debug)]
struct KeptSignal {
    taken: Instant,
    audiences: [Audience; 2],
    signal: Signal,
}

impl SignalLog {
    fn prune(&mut self, now: Instant) {
        while self.kept.front().is_some_and(|k| {
            now.duration_since(k.taken) > SIGNAL_KEPT || self.kept.len() > SIGNALS_KEPT_MAX
        }) {
            self.kept.pop_front();
        }
        if self.kept.is_empty() && self.kept.capacity() > 64 {
            self.kept.shrink_to(64);
        }
    }
}

impl Notifier {
    /// Wakes the waiters of each audience; call after the message is committed.
    pub fn publish(&self, audiences: &[Audience]) {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        for audience in audiences {
            if let Some(notify) = channels.get(audience) {
                notify.notify_waiters();
            }
        }
    }

    /// Wakes every waiter, to re-read from its cursor: for when wake-ups may have been missed (another instance's
    /// messages while the listening connection was down).
    pub fn wake_all(&self) {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        for notify in channels.values() {
            notify.notify_waiters();
        }
    }

    /// A stamp for a new signal: the wall clock in milliseconds, made unique and increasing on this instance.
    pub fn next_signal_at(&self) -> i64 {
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let mut log = self.signals.lock().unwrap_or_else(PoisonError::into_inner);
        log.last_at = (now as i64).max(log.last_at + 1);
        log.last_at
    }

    /// Keeps `signal` for [`SIGNAL_KEPT`] and wakes the waiters of `audiences`.
    pub fn push_signal(&self, audiences: [Audience; 2], signal: Signal) {
        {
            let mut log = self.signals.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            // Another instance's stamp may be ahead of ours: ours stay above every stamp seen, so a client's
            // `signals_after` never hides a later signal of this instance.
            log.last_at = log.last_at.max(signal.at);
            log.kept.push_back(KeptSignal {
                taken: now,
                audiences: audiences.clone(),
                signal,
            });
            log.prune(now);
        }
        self.publish(&audiences);
    }

    /// The kept signals that `audience` sees with `at > after`, oldest first.
    fn signals_for(&self, audience: &Audience, after: i64) -> Vec<Signal> {
        let mut log = self.signals.lock().unwrap_or_else(PoisonError::into_inner);
        log.prune(Instant::now());
        let mut found = Vec::new();
        for kept in &log.kept {
            if kept.signal.at > after && kept.audiences.contains(audience) {
                found.push(kept.signal.clone());
            }
        }
        found
    }

    /// Makes every current and future long-poll answer immediately.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Runs `query` until it finds something, waking up when `audience` is notified, for at most `wait`.
    /// Returns what the last query found (empty if the time ran out or the server is shutting down).
    pub async fn long_poll<T, E, F, Fut>(
        &self,
        audience: Audience,
        wait: Duration,
        query: F,
    ) -> Result<Vec<T>, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Vec<T>, E>>,
    {
        let (found, _) = self
            .long_poll_with_signals(audience, wait, i64::MAX, query)
            .await?;
        Ok(found)
    }

    /// [`Self::long_poll`], also answering when a signal newer than `signals_after` that `audience` sees is kept:
    /// returns what the last query found and those signals.
    pub async fn long_poll_with_signals<T, E, F, Fut>(
        &self,
        audience: Audience,
        wait: Duration,
        signals_after: i64,
        mut query: F,
    ) -> Result<(Vec<T>, Vec<Signal>), E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Vec<T>, E>>,
    {
        let subscription = self.subscribe(audience);
        let mut closed = self.closed.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = subscription.notify.notified();
            tokio::pin!(notified);
            // Registered before the query runs: a message committed while it runs still wakes this waiter, so
            // nothing falls between "found nothing" and "started waiting".
            notified.as_mut().enable();
            let found = query().await?;
            let signals = self.signals_for(&subscription.audience, signals_after);
            if !found.is_empty()
                || !signals.is_empty()
                || *closed.borrow_and_update()
                || tokio::time::Instant::now() >= deadline
            {
                return Ok((found, signals));
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => return Ok((found, signals)),
                _ = closed.changed() => return Ok((found, signals)),
            }
        }
    }

    fn subscribe(&self, audience: Audience) -> Subscription<'_> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let notify = channels.entry(audience.clone()).or_default().clone();
        Subscription {
            notifier: self,
            audience,
            notify,
        }
    }

    #[cfg(test)]
    fn channel_count(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    #[cfg(test)]
    fn channel_capacity(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .capacity()
    }
}

/// Who holds a long-poll, for the caps on how many one client may hold at once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holder {
    /// A widget visitor, across its scopes and tabs (the rate limit's identity).
    Visitor(crate::rate_limit::RateKey),
    /// An agent, by org and name (the secret key's holder is "Support").
    Agent { org_id: i64, name: String },
    /// A client address (an IPv6 address by its /64), whoever it claims to be.
    Address(IpAddr),
}

/// How many long-polls one holder may have open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollCaps {
    /// Per visitor or agent: a browser's tabs share a device, so this is the number of tabs that poll at once.
    pub per_identity: usize,
    /// Per client address: an office behind one NAT shares it, so this is much larger.
    pub per_address: usize,
}

impl Default for PollCaps {
    fn default() -> Self {
        Self {
            per_identity: 8,
            per_address: 256,
        }
    }
}

/// Counts the long-polls each holder has open. Past a cap the newest is refused (429 `too_many_long_polls`)
/// rather than replacing the oldest: replacing would make two tabs over the cap evict each other in a loop, each
/// answer triggering the next poll, whereas a refusal with `Retry-After` makes the extra poller back off.
#[derive(Debug, Default)]
pub struct PollCounter {
    caps: PollCaps,
    open: Mutex<HashMap<Holder, usize>>,
    /// Long-polls held now, for `/metrics`.
    held: std::sync::atomic::AtomicUsize,
}

/// A long-poll being held; its holders' counts go down when it is dropped.
#[derive(Debug)]
pub struct PollPermit<'a> {
    counter: &'a PollCounter,
    holders: [Holder; 2],
}

/// The cap a long-poll ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollCapReached {
    Identity(usize),
    Address(usize),
}

impl PollCounter {
    pub fn new(caps: PollCaps) -> Self {
        Self {
            caps,
            open: Mutex::default(),
            held: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Long-polls held now.
    pub fn held(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a new long-poll of `identity` from `address`, unless either already holds its cap.
    pub fn hold(
        &self,
        identity: Holder,
        address: IpAddr,
    ) -> Result<PollPermit<'_>, PollCapReached> {
        let address = Holder::Address(crate::rate_limit::ip_key(address));
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = |h: &Holder| open.get(h).copied().unwrap_or(0);
        if count(&identity) >= self.caps.per_identity {
            return Err(PollCapReached::Identity(self.caps.per_identity));
        }
        if count(&address) >= self.caps.per_address {
            return Err(PollCapReached::Address(self.caps.per_address));
        }
        for holder in [&identity, &address] {
            *open.entry(holder.clone()).or_insert(0) += 1;
        }
        self.held.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(PollPermit {
            counter: self,
            holders: [identity, address],
        })
    }

    #[cfg(test)]
    fn open_count(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    #[cfg(test)]
    fn open_capacity(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .capacity()
    }
}

impl Drop for PollPermit<'_> {
    fn drop(&mut self) {
        let mut open = self
            .counter
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for holder in &self.holders {
            if let Some(count) = open.get_mut(holder) {
                *count -= 1;
                if *count == 0 {
                    open.remove(holder);
                }
            }
        }
        shrink_when_mostly_empty(&mut open);
        self.counter
            .held
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

struct Subscription<'a> {
    notifier: &'a Notifier,
    audience: Audience,
    notify: Arc<Notify>,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        let mut channels = self
            .notifier
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Clones are only made under this lock, so the count cannot change while we look: 2 = the map's and ours.
        if Arc::strong_count(&self.notify) == 2 {
            channels.remove(&self.audience);
            shrink_when_mostly_empty(&mut channels);
        }
    }
}

/// Capacity a map of long-polls keeps however empty it gets: small enough not to matter, large enough that a
/// quiet server does not reallocate its table for every few polls.
const KEPT_CAPACITY: usize = 128;

/// Gives a map's table back once three quarters of it are empty. A `HashMap` keeps the capacity of its fullest
/// moment, so the two maps of held long-polls (audiences here, holders in [`PollCounter`]) kept the memory of a
/// peak for good: 0.9 MB after 5,000 long-polls had ended (jemalloc's count of live bytes), near half of what the
/// server may keep above its idle RSS a minute later (20 %: BENCHMARKS.md, "Held long-poll connections").
/// Shrinking to twice the length leaves room to grow again, and a table is rebuilt only once its length has
/// halved, so the cost stays proportional to the removals.
fn shrink_when_mostly_empty<K: Eq + std::hash::Hash, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > KEPT_CAPACITY && map.len() < map.capacity() / 4 {
        map.shrink_to((map.len() * 2).max(KEPT_CAPACITY));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn device(n: u8) -> Audience {
        Audience::Device {
            org_id: 1,
            device_hash: vec![n],
            scope: None,
        }
    }

    #[tokio::test]
    async fn a_publish_wakes_its_audience_and_the_next_query_finds_the_message() {
        let notifier = Arc::new(Notifier::default());
        let store = Arc::new(Mutex::new(Vec::<i64>::new()));
        let waiter = {
            let (notifier, store) = (notifier.clone(), store.clone());
            tokio::spawn(async move {
                notifier
                    .long_poll(device(1), Duration::from_secs(10), || {
                        let found = store.lock().unwrap().clone();
                        async move { Ok::<_, ()>(found) }
                    })
                    .await
            })
        };
        while notifier.channel_count() == 0 {
            tokio::task::yield_now().await;
        }
        store.lock().unwrap().push(7);
        notifier.publish(&[device(1)]);
        let found = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, Ok(vec![7]));
        assert_eq!(
            notifier.channel_count(),
            0,
            "the channel goes with its last waiter"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_audiences_are_not_woken() {
        let notifier = Arc::new(Notifier::default());
        let queries = Arc::new(AtomicUsize::new(0));
        let waiter = {
            let (notifier, queries) = (notifier.clone(), queries.clone());
            tokio::spawn(async move {
                notifier
                    .long_poll(device(1), Duration::from_secs(25), || {
                        queries.fetch_add(1, Ordering::SeqCst);
                        async { Ok::<Vec<i64>, ()>(vec![]) }
                    })
                    .await
            })
        };
        while notifier.channel_count() == 0 {
            tokio::task::yield_now().await;
        }
        notifier.publish(&[device(2), Audience::Org(1)]);
        assert_eq!(waiter.await.unwrap(), Ok(vec![]), "times out empty");
        assert_eq!(queries.load(Ordering::SeqCst), 1, "never re-queried");
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_wakes_only_the_long_poll_of_its_session_among_many() {
        let notifier = Arc::new(Notifier::default());
        let queries = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..100u8)
            .map(|n| {
                let (notifier, queries) = (notifier.clone(), queries.clone());
                tokio::spawn(async move {
                    notifier
                        .long_poll(device(n), Duration::from_secs(25), || {
                            queries.fetch_add(1, Ordering::SeqCst);
                            async { Ok::<Vec<i64>, ()>(vec![]) }
                        })
                        .await
                })
            })
            .collect();
        while notifier.channel_count() < 100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            queries.load(Ordering::SeqCst),
            100,
            "one query each to start"
        );
        notifier.publish(&[device(7), Audience::Org(1)]);
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            queries.load(Ordering::SeqCst),
            101,
            "only device 7 asked again"
        );
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
    }

    #[test]
    fn long_polls_are_capped_per_identity_and_per_address() {
        let counter = PollCounter::new(PollCaps {
            per_identity: 2,
            per_address: 3,
        });
        let visitor = |n: u8| {
            Holder::Visitor(crate::rate_limit::RateKey::Device {
                org_id: 1,
                device_hash: vec![n],
            })
        };
        let home: IpAddr = "192.0.2.1".parse().unwrap();
        let office: IpAddr = "198.51.100.1".parse().unwrap();
        let a1 = counter.hold(visitor(1), home).unwrap();
        let a2 = counter.hold(visitor(1), home).unwrap();
        assert_eq!(
            counter.hold(visitor(1), office).unwrap_err(),
            PollCapReached::Identity(2)
        );
        let b1 = counter.hold(visitor(2), home).unwrap();
        assert_eq!(
            counter.hold(visitor(3), home).unwrap_err(),
            PollCapReached::Address(3),
            "a new device id does not lift the address's cap"
        );
        drop(a1);
        let a3 = counter.hold(visitor(1), home).unwrap();
        drop((a2, b1, a3));
        assert_eq!(counter.open_count(), 0, "counts go with their long-polls");
    }

    #[tokio::test(start_paused = true)]
    async fn the_maps_give_back_their_memory_when_the_long_polls_end() {
        let notifier = Arc::new(Notifier::default());
        let counter = Arc::new(PollCounter::new(PollCaps {
            per_identity: 1,
            per_address: 10_000,
        }));
        let waiters: Vec<_> = (0..5_000u16)
            .map(|n| {
                let (notifier, counter) = (notifier.clone(), counter.clone());
                tokio::spawn(async move {
                    let holder = Holder::Visitor(crate::rate_limit::RateKey::Device {
                        org_id: 1,
                        device_hash: n.to_be_bytes().to_vec(),
                    });
                    let _held = counter.hold(holder, "192.0.2.1".parse().unwrap()).unwrap();
                    let audience = Audience::Device {
                        org_id: 1,
                        device_hash: n.to_be_bytes().to_vec(),
                        scope: None,
                    };
                    notifier
                        .long_poll(audience, Duration::from_secs(30), || async {
                            Ok::<Vec<i64>, ()>(vec![])
                        })
                        .await
                })
            })
            .collect();
        while notifier.channel_count() < 5_000 {
            tokio::task::yield_now().await;
        }
        assert!(notifier.channel_capacity() >= 5_000);
        assert!(counter.open_capacity() >= 5_000);
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
        assert_eq!((notifier.channel_count(), counter.open_count()), (0, 0));
        assert!(
            notifier.channel_capacity() <= 4 * KEPT_CAPACITY,
            "{}",
            notifier.channel_capacity()
        );
        assert!(
            counter.open_capacity() <= 4 * KEPT_CAPACITY,
            "{}",
            counter.open_capacity()
        );
    }

    fn typing(session: &str, at: i64) -> Signal {
        Signal {
            kind: frontdesk_protocol::wire::SignalKind::Typing,
            session_id: session.into(),
            author: frontdesk_protocol::wire::Author::Agent,
            author_name: Some("Ada".into()),
            typing: Some(true),
            message_id: None,
            at,
        }
    }

    #[tokio::test]
    async fn a_signal_wakes_its_audience_and_is_kept_for_the_next_poll_only_if_newer() {
        let notifier = Arc::new(Notifier::default());
        let waiter = {
            let notifier = notifier.clone();
            tokio::spawn(async move {
                notifier
                    .long_poll_with_signals(device(1), Duration::from_secs(10), 0, || async {
                        Ok::<Vec<i64>, ()>(vec![])
                    })
                    .await
            })
        };
        while notifier.channel_count() == 0 {
            tokio::task::yield_now().await;
        }
        let at = notifier.next_signal_at();
        notifier.push_signal([device(1), Audience::Org(1)], typing("s", at));
        let (found, signals) = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(found.is_empty());
        assert_eq!(signals, vec![typing("s", at)]);
        // A client between polls still gets it; one that has it, or another audience, does not.
        assert_eq!(notifier.signals_for(&device(1), 0).len(), 1);
        assert_eq!(notifier.signals_for(&Audience::Org(1), at - 1).len(), 1);
        assert!(notifier.signals_for(&device(1), at).is_empty());
        assert!(notifier.signals_for(&device(2), 0).is_empty());
        assert!(notifier.next_signal_at() > at, "stamps only grow");
    }

    #[test]
    fn signals_are_forgotten_after_their_time_and_past_the_cap() {
        let notifier = Notifier::default();
        notifier.push_signal([device(1), Audience::Org(1)], typing("s", 5));
        // Aged by hand rather than by waiting.
        notifier.signals.lock().unwrap().kept[0].taken -= SIGNAL_KEPT + Duration::from_secs(1);
        assert!(notifier.signals_for(&device(1), 0).is_empty());
        for n in 0..(SIGNALS_KEPT_MAX as i64 + 10) {
            notifier.push_signal([device(1), Audience::Org(1)], typing("s", n + 10));
        }
        assert!(notifier.signals.lock().unwrap().kept.len() <= SIGNALS_KEPT_MAX);
    }

    #[tokio::test]
    async fn close_releases_waiters_at_once() {
        let notifier = Arc::new(Notifier::default());
        let waiter = {
            let notifier = notifier.clone();
            tokio::spawn(async move {
                notifier
                    .long_poll(device(1), Duration::from_secs(600), || async {
                        Ok::<Vec<i64>, ()>(vec![])
                    })
                    .await
            })
        };
        while notifier.channel_count() == 0 {
            tokio::task::yield_now().await;
        }
        notifier.close();
        let found = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, Ok(vec![]));
    }
}
