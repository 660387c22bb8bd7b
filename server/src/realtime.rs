//! Waking long-polls when a message is stored.
//!
//! A waiter registers for one [`Audience`] (the visitor it is, or its org for agents) and a store of a message
//! wakes only the audiences that can see it, so a message in one chat does not make every open widget on the
//! server query the database. Nothing here is state that must survive a restart: a waiter that misses a wake-up
//! because the server went away asks again with its cursor and gets the message from the database.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

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
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            channels: Mutex::default(),
            closed: watch::Sender::new(false),
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
        mut query: F,
    ) -> Result<Vec<T>, E>
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
            if !found.is_empty()
                || *closed.borrow_and_update()
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(found);
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => return Ok(found),
                _ = closed.changed() => return Ok(found),
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
        }
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
