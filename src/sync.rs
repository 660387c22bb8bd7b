//! The sync engine: sends the outbox and holds the updates long-poll, each a background loop that
//! retries transient failures with the same backoff, and that `stop()` and the browser's `online`
//! event cut short.
//!
//! What a send or a batch of updates *means* is the controller's business ([`Host`]); this module
//! only decides when to ask again. The loops hold a `Weak` to their host, so a destroyed widget ends
//! them, and no `RefCell` borrow of the host is held across an `.await`.

use crate::api::{Api, ApiError};
use crate::config::VisitorData;
use crate::protocol::{self, Updates};
use crate::storage::Pending;
use gloo_timers::future::TimeoutFuture;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::UnwrapThrowExt;
use wasm_bindgen_futures::spawn_local;

/// How long the server may hold a long-poll (docs/api.md allows up to 30).
const POLL_WAIT_SECONDS: u32 = 25;
const MAX_BACKOFF_MS: u32 = 30_000;
/// A sleeping retry looks this often whether it was stopped or woken.
const PAUSE_STEP_MS: u32 = 250;

/// What the engine needs from the widget it syncs for.
pub trait Host: 'static {
    fn engine(&self) -> &Engine;
    fn api(&self) -> Rc<Api>;
    /// The oldest message still to send, and the visitor data that goes with a new conversation.
    fn next_to_send(&self) -> Option<(Pending, Option<VisitorData>)>;
    /// The greeting bubbles shown before a new conversation's first message: stored ahead of it.
    fn greeting(&self) -> Vec<String>;
    /// A send ended for good: stored (`Ok`) or refused (`Err`, never a transient one).
    fn sent(self: &Rc<Self>, client_id: &str, result: Result<Sent, ApiError>);
    /// Whether a long-poll may start: an identity, and no set-up error already reported.
    fn may_poll(&self) -> bool;
    fn cursor(&self) -> i64;
    /// The `signals_at` of the last answer: the next long-poll's `signals_after`.
    fn signals_at(&self) -> i64;
    fn receive(self: &Rc<Self>, updates: Updates);
    /// The long-poll was refused for good and has stopped.
    fn poll_refused(&self, error: &ApiError);
}

/// What the server answered to a send.
pub enum Sent {
    Session(protocol::Session),
    Message(protocol::Message),
}

/// The loops' shared switches. Lives inside the host, so it goes when the widget goes.
pub struct Engine {
    running: Cell<bool>,
    polling: Cell<bool>,
    flushing: Cell<bool>,
    /// Bumped by [`Engine::wake`]: every sleeping retry sees it change and tries at once.
    wake: Cell<u32>,
    poll_abort: RefCell<web_sys::AbortController>,
}

impl Engine {
    pub fn new() -> Engine {
        Engine {
            running: Cell::new(true),
            polling: Cell::new(false),
            flushing: Cell::new(false),
            wake: Cell::new(0),
            poll_abort: RefCell::new(new_abort_controller()),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.get()
    }

    /// `destroy()`: every loop ends at its next step, and the long-poll in flight is aborted.
    pub fn stop(&self) {
        self.running.set(false);
        self.poll_abort.borrow().abort();
    }

    /// The connection came back: sleeping retries stop waiting.
    pub fn wake(&self) {
        self.wake.set(self.wake.get().wrapping_add(1));
    }

    /// `logout` (or a new identity) aborts the long-poll in flight; the loop then sees no identity and
    /// ends, or asks again with the new one.
    pub fn restart_poll(&self) {
        let old = self.poll_abort.replace(new_abort_controller());
        old.abort();
    }
}

/// Unreachable failure: every browser the widget supports has `AbortController`.
pub fn new_abort_controller() -> web_sys::AbortController {
    web_sys::AbortController::new().unwrap_throw()
}

/// The host, while it exists and has not been stopped.
fn running<H: Host>(weak: &Weak<H>) -> Option<Rc<H>> {
    weak.upgrade().filter(|host| host.engine().is_running())
}

/// Sends the outbox in order, one at a time, unless a flush is already under way. Transient failures
/// wait and retry; a refusal goes to [`Host::sent`] (the message is marked failed) and the flush moves on.
pub fn flush<H: Host>(host: &Rc<H>) {
    if host.engine().flushing.replace(true) {
        return;
    }
    let weak = Rc::downgrade(host);
    spawn_local(async move {
        let mut backoff = Backoff::default();
        loop {
            let Some(host) = running(&weak) else { return };
            let Some((pending, visitor)) = host.next_to_send() else {
                host.engine().flushing.set(false);
                return;
            };
            let api = host.api();
            let greeting = host.greeting();
            drop(host);
            let result = send(&api, &pending, visitor.as_ref(), &greeting).await;
            match result {
                Err(error) if error.is_transient() => {
                    if !backoff.pause(&weak).await {
                        return;
                    }
                }
                result => {
                    let Some(host) = weak.upgrade() else { return };
                    backoff.reset();
                    host.sent(&pending.client_id, result);
                }
            }
        }
    });
}

/// A message whose conversation does not exist yet first creates it (the loop then sends the message
/// itself, now with a session id).
async fn send(
    api: &Api,
    pending: &Pending,
    visitor: Option<&VisitorData>,
    greeting: &[String],
) -> Result<Sent, ApiError> {
    match &pending.session_id {
        None => api
            .start_session(protocol::start_session_body(
                &pending.client_id,
                visitor,
                greeting,
            ))
            .await
            .map(Sent::Session),
        Some(session_id) => api
            .send(
                session_id,
                &pending.client_id,
                &pending.content,
                &pending.attachments,
            )
            .await
            .map(Sent::Message),
    }
}

/// Holds the updates long-poll open, unless one already is or the host may not poll.
pub fn ensure_polling<H: Host>(host: &Rc<H>) {
    if !host.may_poll() || host.engine().polling.replace(true) {
        return;
    }
    let weak = Rc::downgrade(host);
    spawn_local(async move {
        let mut backoff = Backoff::default();
        loop {
            let Some(host) = weak.upgrade() else { return };
            let api = host.api();
            if !host.engine().is_running() || !api.has_identity() {
                host.engine().polling.set(false);
                return;
            }
            let (cursor, signals_at) = (host.cursor(), host.signals_at());
            let signal = host.engine().poll_abort.borrow().signal();
            drop(host);

            let result = api
                .updates(cursor, signals_at, POLL_WAIT_SECONDS, &signal)
                .await;
            let Some(host) = weak.upgrade() else { return };
            match result {
                Ok(updates) => {
                    backoff.reset();
                    host.receive(updates);
                }
                Err(ApiError::Aborted) => {}
                Err(error) if error.is_transient() => {
                    drop(host);
                    if !backoff.pause(&weak).await {
                        return;
                    }
                }
                Err(error) => {
                    host.poll_refused(&error);
                    host.engine().polling.set(false);
                    return;
                }
            }
        }
    });
}

/// The wait before the next try after a transient failure: 1 s, doubling up to 30 s, back to none
/// after a success.
#[derive(Debug, Default)]
struct Backoff {
    ms: u32,
}

impl Backoff {
    fn grow(&mut self) -> u32 {
        self.ms = if self.ms == 0 {
            1_000
        } else {
            (self.ms * 2).min(MAX_BACKOFF_MS)
        };
        self.ms
    }

    fn reset(&mut self) {
        self.ms = 0;
    }

    /// Sleeps the next backoff in short steps, so that `stop()` and `wake()` cut it short.
    /// `false` when the host is gone or stopped.
    async fn pause<H: Host>(&mut self, weak: &Weak<H>) -> bool {
        let ms = self.grow();
        let Some(generation) = weak.upgrade().map(|host| host.engine().wake.get()) else {
            return false;
        };
        let mut waited = 0;
        while waited < ms {
            TimeoutFuture::new(PAUSE_STEP_MS).await;
            waited += PAUSE_STEP_MS;
            let Some(host) = running(weak) else {
                return false;
            };
            if host.engine().wake.get() != generation {
                break;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_thirty_and_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<u32> = (0..7).map(|_| backoff.grow()).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        backoff.reset();
        assert_eq!(backoff.grow(), 1_000);
    }
}
