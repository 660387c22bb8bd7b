//! The running widget: wires the pure state, the view, the API and this device's storage together.
//!
//! Visitor actions arrive as [`ViewEvent`]s; server data arrives from the long-poll and from sends.
//! Both update [`ChatState`], then [`Inner::render`] draws it. Background tasks (the long-poll, the
//! outbox flush) hold only a `Weak` to the widget, so `destroy()` ends them: they find it gone, and
//! the in-flight long-poll is aborted.
//!
//! No `RefCell` borrow is held across an `.await`: each step borrows, copies what it needs, and drops.

use crate::api::{Api, ApiError, Auth};
use crate::config::{Config, Identity, TokenSource};
use crate::dom::{ScreenKind, View, ViewEvent};
use crate::i18n::Strings;
use crate::js::{self, TokenFunction};
use crate::protocol;
use crate::state::{ChatState, Screen};
use crate::storage::{DeviceState, LocalStore, Pending};
use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

/// How long the server may hold a long-poll (docs/api.md allows up to 30).
const POLL_WAIT_SECONDS: u32 = 25;
const MAX_BACKOFF_MS: u32 = 30_000;

pub struct App(Rc<Inner>);

struct Inner {
    config: Config,
    api: Rc<Api>,
    device: DeviceState<LocalStore>,
    strings: &'static Strings,
    state: RefCell<ChatState>,
    view: RefCell<Option<View>>,
    alive: Cell<bool>,
    polling: Cell<bool>,
    flushing: Cell<bool>,
    /// Bumped by the browser's `online` event: every sleeping retry sees it change and tries at once.
    wake: Cell<u32>,
    poll_abort: RefCell<web_sys::AbortController>,
    /// The console has been told why the widget cannot work; once is enough.
    setup_error_reported: Cell<bool>,
    window_listeners: RefCell<Vec<EventListener>>,
}

impl App {
    pub fn start(
        config: Config,
        api_url: String,
        token_function: Option<TokenFunction>,
        strings: &'static Strings,
        language_code: &str,
        right_to_left: bool,
    ) -> Result<App, String> {
        let device = DeviceState::new(
            LocalStore,
            &config.widget_token,
            config.external_id.as_deref(),
        );
        let auth = match &config.identity {
            Identity::Verified(TokenSource::Static(token)) => Auth::Verified {
                token: RefCell::new(Some(token.clone())),
                refresh: None,
            },
            Identity::Verified(TokenSource::Function) => Auth::Verified {
                token: RefCell::new(None),
                refresh: token_function,
            },
            Identity::Anonymous | Identity::NonVerified(_) => {
                Auth::Device(RefCell::new(device.device_id()))
            }
        };
        let api = Api::new(
            api_url,
            config.widget_token.clone(),
            config.external_id.clone(),
            auth,
        );
        let state = ChatState {
            outbox: device.outbox(),
            last_read: device.last_read(),
            ..ChatState::default()
        };
        let inner = Rc::new(Inner {
            config,
            api,
            device,
            strings,
            state: RefCell::new(state),
            view: RefCell::new(None),
            alive: Cell::new(true),
            polling: Cell::new(false),
            flushing: Cell::new(false),
            wake: Cell::new(0),
            poll_abort: RefCell::new(new_abort_controller()),
            setup_error_reported: Cell::new(false),
            window_listeners: RefCell::new(Vec::new()),
        });

        let weak = Rc::downgrade(&inner);
        let dispatch: Rc<dyn Fn(ViewEvent)> = Rc::new(move |event| {
            if let Some(inner) = weak.upgrade() {
                Inner::handle(&inner, event);
            }
        });
        let view = View::mount(
            &inner.config.ui,
            strings,
            language_code,
            right_to_left,
            dispatch,
        )
        .map_err(|e| e.to_string())?;
        *inner.view.borrow_mut() = Some(view);
        inner.listen_to_window();
        inner.render();
        if inner.config.ui.open_on_start {
            Inner::handle(&inner, ViewEvent::Open);
        }
        let weak = Rc::downgrade(&inner);
        spawn_local(async move { Inner::boot(weak).await });
        Ok(App(inner))
    }

    pub fn handle(&self, event: ViewEvent) {
        Inner::handle(&self.0, event);
    }

    /// Forgets this device's non-verified session: its id, its outbox and what is on screen.
    pub fn logout(&self) {
        let inner = &self.0;
        inner.device.forget();
        if let Auth::Device(id) = &inner.api.auth {
            *id.borrow_mut() = None;
        }
        inner.restart_poll();
        let open = inner.state.borrow().open;
        *inner.state.borrow_mut() = ChatState {
            open,
            ..ChatState::default()
        };
        inner.render();
        if matches!(inner.api.auth, Auth::Verified { .. }) {
            let weak = Rc::downgrade(inner);
            spawn_local(async move { Inner::boot(weak).await });
        }
    }

    pub fn destroy(self) {
        self.0.alive.set(false);
        self.0.poll_abort.borrow().abort();
        self.0.window_listeners.borrow_mut().clear();
        self.0.view.borrow_mut().take();
    }
}

fn new_abort_controller() -> web_sys::AbortController {
    web_sys::AbortController::new()
        .expect("unreachable: AbortController exists in every supported browser")
}

impl Inner {
    fn handle(self: &Rc<Self>, event: ViewEvent) {
        if !self.alive.get() {
            return;
        }
        match event {
            ViewEvent::Open => {
                self.state.borrow_mut().open = true;
                self.mark_read();
                if let Some(view) = self.view.borrow().as_ref() {
                    view.open();
                }
                self.render();
                self.focus_screen();
                self.load_open_conversation();
            }
            ViewEvent::Close => {
                self.state.borrow_mut().open = false;
                if let Some(view) = self.view.borrow().as_ref() {
                    view.close();
                }
            }
            ViewEvent::Back => self.go_to(Screen::List),
            ViewEvent::NewConversation => self.go_to(Screen::Conversation(None)),
            ViewEvent::SelectSession(id) => {
                self.go_to(Screen::Conversation(Some(id)));
                self.load_open_conversation();
            }
            ViewEvent::Send(content) => self.queue(content),
            ViewEvent::Retry(client_id) => {
                if let Some(p) = self
                    .state
                    .borrow_mut()
                    .outbox
                    .iter_mut()
                    .find(|p| p.client_id == client_id)
                {
                    p.failed = None;
                }
                self.save_outbox();
                self.render();
                self.flush();
            }
        }
    }

    fn go_to(self: &Rc<Self>, screen: Screen) {
        self.state.borrow_mut().screen = Some(screen);
        self.mark_read();
        self.render();
        self.focus_screen();
    }

    fn focus_screen(&self) {
        let kind = screen_kind(&self.state.borrow().screen());
        if let Some(view) = self.view.borrow().as_ref() {
            view.focus_screen(kind);
        }
    }

    fn mark_read(&self) {
        let last_read = self.state.borrow_mut().mark_read();
        self.device.set_last_read(last_read);
    }

    fn render(&self) {
        let view = self.view.borrow();
        let Some(view) = view.as_ref() else { return };
        let state = self.state.borrow();
        let screen = state.screen();
        view.show_screen(screen_kind(&screen));
        match &screen {
            Screen::List => view.render_sessions(&state.rows()),
            Screen::Conversation(id) => view.render_conversation(&state.items(id.as_deref())),
        }
        view.set_unread(state.unread);
    }

    fn listen_to_window(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let online = EventListener::new(&window, "online", move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.wake.set(inner.wake.get().wrapping_add(1));
                inner.flush();
                inner.ensure_polling();
            }
        });
        // Another tab of this site changed the outbox: show its pending messages here too. Both tabs
        // may then send the same message; the server stores a client id once.
        let weak = Rc::downgrade(self);
        let storage = EventListener::new(&window, "storage", move |e| {
            let Some(inner) = weak.upgrade() else { return };
            let key = e.dyn_ref::<web_sys::StorageEvent>().and_then(|e| e.key());
            if key.is_some_and(|k| inner.device.is_outbox_key(&k)) {
                inner.state.borrow_mut().outbox = inner.device.outbox();
                inner.render();
            }
        });
        self.window_listeners.borrow_mut().extend([online, storage]);
    }

    /// First load: the session list (when this identity can have any), then live updates and any
    /// messages a previous page left in the outbox.
    async fn boot(weak: Weak<Inner>) {
        let Some(inner) = weak.upgrade() else { return };
        if inner.api.has_identity() {
            let api = inner.api.clone();
            drop(inner);
            let result = api.sessions().await;
            let Some(inner) = weak.upgrade() else { return };
            match result {
                Ok(sessions) => {
                    inner.state.borrow_mut().set_sessions(sessions);
                    if inner.state.borrow().open {
                        inner.mark_read();
                    }
                    inner.render();
                    inner.load_open_conversation();
                }
                Err(error) => inner.report(&error),
            }
            if inner.setup_error_reported.get() {
                return;
            }
            inner.ensure_polling();
        }
        let Some(inner) = weak.upgrade() else { return };
        inner.flush();
    }

    fn load_open_conversation(self: &Rc<Self>) {
        let Screen::Conversation(Some(id)) = self.state.borrow().screen() else {
            return;
        };
        if self.state.borrow().conversation(&id).is_some() || !self.state.borrow().open {
            return;
        }
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let result = api.messages(&id).await;
            let Some(inner) = weak.upgrade() else { return };
            match result {
                Ok(messages) => {
                    inner.state.borrow_mut().set_messages(&id, messages);
                    inner.mark_read();
                    inner.render();
                }
                Err(error) => inner.report(&error),
            }
        });
    }

    /// A visitor's message goes to the outbox first (so a reload or a dropped connection loses
    /// nothing), then out.
    fn queue(self: &Rc<Self>, content: String) {
        if let Auth::Device(id) = &self.api.auth {
            if id.borrow().is_none() {
                *id.borrow_mut() = Some(self.device.device_id_or_create(|| js::random_hex(16)));
            }
        }
        let session_id = match self.state.borrow().screen() {
            Screen::Conversation(id) => id,
            Screen::List => None,
        };
        {
            let mut state = self.state.borrow_mut();
            state.screen = Some(Screen::Conversation(session_id.clone()));
            state.outbox.push(Pending {
                client_id: format!("c_{}", js::random_hex(12)),
                session_id,
                content,
                failed: None,
            });
        }
        self.save_outbox();
        self.render();
        self.flush();
    }

    fn save_outbox(&self) {
        self.device.save_outbox(&self.state.borrow().outbox);
    }

    /// Sends the outbox in order, one at a time. Transient failures wait and retry; a refusal marks
    /// the message failed (visible, retryable) and moves on.
    fn flush(self: &Rc<Self>) {
        if self.flushing.replace(true) {
            return;
        }
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            let mut backoff = 0;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                if !inner.alive.get() {
                    return;
                }
                let next = inner
                    .state
                    .borrow()
                    .outbox
                    .iter()
                    .find(|p| p.failed.is_none())
                    .cloned();
                let Some(pending) = next else {
                    inner.flushing.set(false);
                    return;
                };
                let api = inner.api.clone();
                let visitor = match &inner.config.identity {
                    Identity::NonVerified(data) => Some(data.clone()),
                    _ => None,
                };
                drop(inner);

                let result = match &pending.session_id {
                    None => api
                        .start_session(protocol::start_session_body(
                            &pending.client_id,
                            visitor.as_ref(),
                        ))
                        .await
                        .map(Sent::Session),
                    Some(session_id) => api
                        .send(session_id, &pending.client_id, &pending.content)
                        .await
                        .map(Sent::Message),
                };
                let Some(inner) = weak.upgrade() else { return };
                match result {
                    Ok(Sent::Session(session)) => {
                        inner.state.borrow_mut().session_created(session);
                        inner.ensure_polling();
                    }
                    Ok(Sent::Message(message)) => {
                        inner.state.borrow_mut().apply(vec![message]);
                    }
                    Err(error) if error.is_transient() => {
                        drop(inner);
                        backoff = next_backoff(backoff);
                        if !pause(&weak, backoff).await {
                            return;
                        }
                        continue;
                    }
                    Err(error) => {
                        inner.report(&error);
                        let reason = match &error {
                            ApiError::Server { message, .. } => message.clone(),
                            other => other.to_string(),
                        };
                        if let Some(p) = inner
                            .state
                            .borrow_mut()
                            .outbox
                            .iter_mut()
                            .find(|p| p.client_id == pending.client_id)
                        {
                            p.failed = Some(reason);
                        }
                    }
                }
                backoff = 0;
                inner.save_outbox();
                inner.render();
            }
        });
    }

    fn ensure_polling(self: &Rc<Self>) {
        if !self.api.has_identity() || self.setup_error_reported.get() || self.polling.replace(true)
        {
            return;
        }
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            let mut backoff = 0;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                if !inner.alive.get() || !inner.api.has_identity() {
                    inner.polling.set(false);
                    return;
                }
                let api = inner.api.clone();
                let cursor = inner.state.borrow().cursor;
                let signal = inner.poll_abort.borrow().signal();
                drop(inner);

                let result = api.updates(cursor, POLL_WAIT_SECONDS, &signal).await;
                let Some(inner) = weak.upgrade() else { return };
                match result {
                    Ok(updates) => {
                        backoff = 0;
                        inner.receive(updates);
                    }
                    Err(ApiError::Aborted) => {}
                    Err(error) if error.is_transient() => {
                        drop(inner);
                        backoff = next_backoff(backoff);
                        if !pause(&weak, backoff).await {
                            return;
                        }
                    }
                    Err(error) => {
                        inner.report(&error);
                        inner.polling.set(false);
                        return;
                    }
                }
            }
        });
    }

    /// `logout` (or a new identity) aborts the long-poll in flight; the loop then sees no identity and
    /// ends, or asks again with the new one.
    fn restart_poll(&self) {
        let old = self.poll_abort.replace(new_abort_controller());
        old.abort();
    }

    fn receive(self: &Rc<Self>, updates: protocol::Updates) {
        let applied = {
            let mut state = self.state.borrow_mut();
            let applied = state.apply(updates.messages);
            state.cursor = state.cursor.max(updates.cursor);
            applied
        };
        if applied.unknown_session {
            let weak = Rc::downgrade(self);
            let api = self.api.clone();
            spawn_local(async move {
                if let Ok(sessions) = api.sessions().await {
                    if let Some(inner) = weak.upgrade() {
                        inner.state.borrow_mut().set_sessions(sessions);
                        inner.render();
                    }
                }
            });
        }
        if let Some(last) = applied.new_agent_messages.last() {
            let announcement = format!(
                "{}: {}",
                last.author_name.as_deref().unwrap_or(self.strings.support),
                last.content
            );
            if let Some(view) = self.view.borrow().as_ref() {
                view.announce(&announcement);
            }
            if self.state.borrow().open {
                self.mark_read();
            }
        }
        if applied.changed || applied.unknown_session {
            self.device.set_last_read(self.state.borrow().last_read);
            self.render();
        }
    }

    /// A set-up error (bad widget token, origin, user token) is for the site owner: said once in the
    /// console, while the visitor gets a calm notice. Other errors are the visitor's and show inline.
    fn report(&self, error: &ApiError) {
        if !error.is_setup_error() {
            return;
        }
        if !self.setup_error_reported.replace(true) {
            js::console_error(&format!("Frontdesk: {error}"));
        }
        if let Some(view) = self.view.borrow().as_ref() {
            view.set_notice(Some(self.strings.unavailable));
        }
    }
}

enum Sent {
    Session(protocol::Session),
    Message(protocol::Message),
}

fn screen_kind(screen: &Screen) -> ScreenKind {
    match screen {
        Screen::List => ScreenKind::List,
        Screen::Conversation(_) => ScreenKind::Conversation,
    }
}

fn next_backoff(previous: u32) -> u32 {
    if previous == 0 {
        1_000
    } else {
        (previous * 2).min(MAX_BACKOFF_MS)
    }
}

/// Sleeps `ms`, in short steps so that `destroy()` and the `online` event cut it short.
/// `false` when the widget is gone.
async fn pause(weak: &Weak<Inner>, ms: u32) -> bool {
    let Some(generation) = weak.upgrade().map(|inner| inner.wake.get()) else {
        return false;
    };
    let mut waited = 0;
    while waited < ms {
        TimeoutFuture::new(250).await;
        waited += 250;
        let Some(inner) = weak.upgrade() else {
            return false;
        };
        if !inner.alive.get() {
            return false;
        }
        if inner.wake.get() != generation {
            break;
        }
    }
    true
}
