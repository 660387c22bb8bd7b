//! The running widget: wires the pure state, the view, the API and this device's storage together.
//!
//! Visitor actions arrive as [`ViewEvent`]s; server data arrives from the long-poll and from sends,
//! which the sync engine ([`crate::sync`]) runs and hands back through [`sync::Host`]. Both update
//! [`ChatState`], then [`Inner::render`] draws its view model. `destroy()` stops the engine and drops
//! the view.
//!
//! No `RefCell` borrow is held across an `.await`: each step borrows, copies what it needs, and drops.

use crate::api::{Api, ApiError, Auth};
use crate::config::Language;
use crate::config::{Config, Identity, TokenSource, VisitorData};
use crate::dom::{Availability, EmailOffer, View, ViewEvent, Welcome};
use crate::events::Event;
use crate::i18n::{Strings, ENGLISH};
use crate::js::{self, TokenFunction};
use crate::protocol;
use crate::state::{ChatState, Screen, ScreenView, ViewModel};
use crate::storage::{DeviceState, LocalStore, Pending};
use crate::sync::{self, Engine, Sent};
use gloo_events::EventListener;
use gloo_timers::future::TimeoutFuture;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

/// The running widget. `updateUser` replaces its `Inner` (a new identity: its own api, device state, chat
/// state and long-poll) and keeps the view and the page's listeners.
pub struct App {
    current: RefCell<Rc<Inner>>,
    /// Where the view's events go: the current `Inner`.
    target: Rc<RefCell<Weak<Inner>>>,
}

struct Inner {
    config: Config,
    api_url: String,
    /// The page's `chat.on(…)` callbacks: shared by every `Inner` of one handle.
    events: Rc<js::Listeners>,
    /// The unread count last told to `unread` listeners (and shown in the page's title).
    told_unread: Cell<u32>,
    api: Rc<Api>,
    device: DeviceState<LocalStore>,
    /// The words on screen: English until the language's file has arrived ([`App::set_language`]).
    strings: Cell<&'static Strings>,
    /// The language asked for last, and how many times one was asked for: words that arrive for an
    /// earlier request than the last are not used.
    language: Cell<(Language, u32)>,
    /// The view's direction: the language's from the start, before its words arrive.
    right_to_left: Cell<bool>,
    /// `navigator.language`: dates are written in its region's way when it is the widget's language.
    browser_language: Option<String>,
    state: RefCell<ChatState>,
    view: RefCell<Option<View>>,
    sync: Engine,
    /// The console has been told why the widget cannot work; once is enough.
    setup_error_reported: Cell<bool>,
    /// A page of older messages is on its way: scrolling asks for the next one only after it.
    loading_older: Cell<bool>,
    window_listeners: RefCell<Vec<EventListener>>,
    /// The files chosen for the next message. A `File` cannot be kept in localStorage: their bytes are, as
    /// base64 under the device's `files` key (`held`, up to `held::HELD_MAX_BYTES`), until their message is
    /// in the outbox, so a reload brings them back.
    chips: RefCell<Vec<Chip>>,
    next_chip: Cell<u32>,
    /// The org's rules, once `GET /widget/v1/settings` answered; the server's defaults until then.
    rules: RefCell<Option<protocol::AttachmentRules>>,
    /// The rest of that answer: the org's greeting, suggested questions and office hours.
    settings: RefCell<Option<protocol::WidgetSettings>>,
    /// Outside office hours, the leave-an-email form: asked until the visitor saved an address.
    email_offer: RefCell<EmailOffer>,
    /// The visitor pressed Send with files: this caption goes with them once every file is uploaded.
    caption: RefCell<Option<String>>,
    /// The client id of the message the waiting files go with, fixed at Send and kept with them for a reload.
    send_id: RefCell<Option<String>>,
    /// An upload loop is running (one at a time).
    uploading: Cell<bool>,
    /// The chat the files were uploaded to: their message goes there, whatever is on screen by then (an upload
    /// belongs to one chat).
    uploaded_to: RefCell<Option<String>>,
    /// Files restored after a reload with their caption: the chat they were sent to (`None` for a new one).
    held_session: RefCell<Option<Option<String>>>,
}

/// A file the visitor chose, until its message is sent or the visitor removes it.
struct Chip {
    key: u32,
    file: web_sys::File,
    name: String,
    size: i64,
    /// Why it cannot go (refused before upload, or the server's reason), or that it waits for the connection.
    note: Option<String>,
    /// The answer to its upload.
    uploaded: Option<protocol::Attachment>,
    /// While it uploads: removing the chip aborts the upload.
    abort: Option<web_sys::AbortController>,
    /// While it uploads: the percentage sent so far.
    progress: u8,
    /// Its upload failed for want of a connection: tried again on `online`.
    waiting: bool,
    /// Its bytes, when kept in localStorage for a reload (`held`).
    kept: Option<Vec<u8>>,
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        config: Config,
        api_url: String,
        token_function: Option<TokenFunction>,
        language: Language,
        browser_language: Option<String>,
        drawn: Option<crate::dom::Drawn>,
        events: Rc<js::Listeners>,
    ) -> Result<App, String> {
        let inner = Inner::new(
            config,
            api_url,
            token_function,
            events,
            language,
            browser_language,
        );
        let target = Rc::new(RefCell::new(Rc::downgrade(&inner)));
        let slot = target.clone();
        let dispatch: crate::dom::Dispatch = Rc::new(move |event| {
            let inner = slot.borrow().upgrade();
            if let Some(inner) = inner {
                Inner::handle(&inner, event);
            }
        });
        // English until the language's words arrive (`set_language`), laid out in its direction at once.
        let view = View::mount(
            &inner.config.ui,
            &ENGLISH,
            language.is_right_to_left(),
            &language.date_locale(inner.browser_language.as_deref()),
            dispatch,
            drawn,
        )
        .map_err(|e| e.to_string())?;
        *inner.view.borrow_mut() = Some(view);
        inner.listen_to_window();
        inner.render();
        inner.restore_held();
        if inner.config.ui.open_on_start {
            Inner::handle(&inner, ViewEvent::Open);
        }
        if let Some(seconds) = inner.config.ui.open_after_seconds {
            let target = target.clone();
            spawn_local(async move {
                TimeoutFuture::new(seconds * 1000).await;
                let inner = target.borrow().upgrade();
                if let Some(inner) = inner {
                    Inner::handle(&inner, ViewEvent::Open);
                }
            });
        }
        let weak = Rc::downgrade(&inner);
        spawn_local(async move { Inner::boot(weak).await });
        let app = App {
            current: RefCell::new(inner),
            target,
        };
        app.set_language(language);
        Ok(app)
    }

    fn inner(&self) -> Rc<Inner> {
        self.current.borrow().clone()
    }

    pub fn handle(&self, event: ViewEvent) {
        Inner::handle(&self.inner(), event);
    }

    pub fn is_open(&self) -> bool {
        self.inner().state.borrow().is_open()
    }

    /// The page's `on(…)` callbacks.
    pub fn listeners(&self) -> Rc<js::Listeners> {
        self.inner().events.clone()
    }

    pub fn unread_count(&self) -> u32 {
        self.inner().state.borrow().unread()
    }

    /// `showNewMessage(text)`: the panel opens on a new conversation with `text` in the composer.
    pub fn show_new_message(&self, text: &str) {
        let inner = self.inner();
        Inner::handle(&inner, ViewEvent::Open);
        Inner::handle(&inner, ViewEvent::NewConversation);
        if let Some(view) = inner.view.borrow().as_ref() {
            view.set_composer(text);
        };
    }

    /// Speaks `language`: English at once; any other once its words have loaded (`locale`), or English
    /// should they fail to, with the page's overrides (`translationOverrides`, `textContent`) on top. The view is
    /// drawn again in the new words (`dir` too), keeping what is on screen and what the visitor was writing.
    /// The `setLanguage` method and `init` both come here.
    pub fn set_language(&self, language: Language) {
        let inner = self.inner();
        let (_, asked) = inner.language.get();
        let request = (language, asked.wrapping_add(1));
        inner.language.set(request);
        let target = self.target.clone();
        spawn_local(async move {
            let words = crate::locale::load(language).await;
            // Words that could not be had are English, and so is the layout then.
            let spoken = if std::ptr::eq(words, &ENGLISH) {
                Language::English
            } else {
                language
            };
            let inner = target.borrow().upgrade();
            if let Some(inner) = inner {
                if inner.language.get() == request && inner.sync.is_running() {
                    let words =
                        crate::words::with_overrides(words, &inner.config.ui, spoken.code());
                    inner.speak(words, spoken);
                }
            }
        });
    }

    /// `updateUser`: another identity or workspace, without a reload. What belonged to the old one goes
    /// (its long-poll, its chats on screen, its unread count, its files not sent); the device's own session
    /// stays in localStorage for when that identity comes back.
    pub fn update_user(
        &self,
        identity: Identity,
        external_id: Option<String>,
        token_function: Option<TokenFunction>,
    ) {
        let old = self.inner();
        old.sync.stop();
        old.window_listeners.borrow_mut().clear();
        for chip in old.chips.borrow_mut().drain(..) {
            if let Some(abort) = chip.abort {
                abort.abort();
            }
        }
        let mut config = old.config.clone();
        config.identity = identity;
        config.external_id = external_id;
        let (language, _) = old.language.get();
        let inner = Inner::new(
            config,
            old.api_url.clone(),
            token_function,
            old.events.clone(),
            language,
            old.browser_language.clone(),
        );
        inner.strings.set(old.strings.get());
        inner.language.set(old.language.get());
        inner.told_unread.set(old.told_unread.get());
        inner
            .state
            .borrow_mut()
            .set_open(old.state.borrow().is_open());
        *inner.view.borrow_mut() = old.view.borrow_mut().take();
        *self.target.borrow_mut() = Rc::downgrade(&inner);
        *self.current.borrow_mut() = inner.clone();
        if old.setup_error_reported.get() {
            if let Some(view) = inner.view.borrow().as_ref() {
                view.set_notice(None);
            }
        }
        drop(old);
        inner.listen_to_window();
        inner.render();
        inner.render_chips();
        inner.restore_held();
        inner.focus_screen();
        let weak = Rc::downgrade(&inner);
        spawn_local(async move { Inner::boot(weak).await });
    }

    /// Forgets this device's non-verified session: its id, its outbox and what is on screen.
    pub fn logout(&self) {
        let inner = &self.inner();
        inner.device.forget();
        if let Auth::Device(id) = &inner.api.auth {
            *id.borrow_mut() = None;
        }
        inner.sync.restart_poll();
        inner.state.borrow_mut().forget();
        inner.render();
        if matches!(inner.api.auth, Auth::Verified { .. }) {
            let weak = Rc::downgrade(inner);
            spawn_local(async move { Inner::boot(weak).await });
        }
    }

    pub fn destroy(self) {
        let inner = self.inner();
        inner.sync.stop();
        inner.window_listeners.borrow_mut().clear();
        inner.view.borrow_mut().take();
        inner.events.clear();
    }
}

impl Inner {
    fn new(
        config: Config,
        api_url: String,
        token_function: Option<TokenFunction>,
        events: Rc<js::Listeners>,
        language: Language,
        browser_language: Option<String>,
    ) -> Rc<Inner> {
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
            api_url.clone(),
            config.widget_token.clone(),
            config.external_id.clone(),
            auth,
        );
        let state = ChatState::restore(device.outbox(), device.last_read());
        Rc::new(Inner {
            config,
            api_url,
            events,
            told_unread: Cell::new(0),
            api,
            device,
            strings: Cell::new(&ENGLISH),
            language: Cell::new((Language::English, 0)),
            right_to_left: Cell::new(language.is_right_to_left()),
            browser_language,
            state: RefCell::new(state),
            view: RefCell::new(None),
            sync: Engine::new(),
            setup_error_reported: Cell::new(false),
            loading_older: Cell::new(false),
            window_listeners: RefCell::new(Vec::new()),
            chips: RefCell::new(Vec::new()),
            next_chip: Cell::new(0),
            rules: RefCell::new(None),
            settings: RefCell::new(None),
            email_offer: RefCell::new(EmailOffer::Ask(None)),
            caption: RefCell::new(None),
            send_id: RefCell::new(None),
            uploading: Cell::new(false),
            uploaded_to: RefCell::new(None),
            held_session: RefCell::new(None),
        })
    }
}

impl Inner {
    /// Draws the widget in `words` (of `language`).
    fn speak(self: &Rc<Self>, words: &'static Strings, language: Language) {
        let right_to_left = language.is_right_to_left();
        if std::ptr::eq(words, self.strings.get()) && self.right_to_left.get() == right_to_left {
            return;
        }
        self.strings.set(words);
        self.right_to_left.set(right_to_left);
        let date_locale = language.date_locale(self.browser_language.as_deref());
        let refocus = self
            .view
            .borrow_mut()
            .as_mut()
            .is_some_and(|view| view.set_language(words, right_to_left, &date_locale));
        self.render();
        self.render_chips();
        if refocus {
            self.focus_screen();
        }
        if self.setup_error_reported.get() {
            if let Some(view) = self.view.borrow().as_ref() {
                view.set_notice(Some(words.unavailable));
            }
        }
    }

    fn handle(self: &Rc<Self>, event: ViewEvent) {
        if !self.sync.is_running() {
            return;
        }
        match event {
            ViewEvent::Open => {
                let was_open = self.state.borrow().is_open();
                self.state.borrow_mut().set_open(true);
                self.mark_read();
                if let Some(view) = self.view.borrow().as_ref() {
                    view.open();
                }
                self.render();
                // The panel's contents are built at the first open: chips restored before it show now.
                self.render_chips();
                self.focus_screen();
                self.load_page(false);
                self.fetch_rules();
                if !was_open {
                    self.events.emit(&Event::Open);
                }
            }
            ViewEvent::Close => {
                let was_open = self.state.borrow().is_open();
                self.state.borrow_mut().set_open(false);
                if let Some(view) = self.view.borrow().as_ref() {
                    view.close();
                }
                if was_open {
                    self.events.emit(&Event::Close);
                }
            }
            ViewEvent::Back => self.go_to(Screen::List),
            ViewEvent::NewConversation => self.go_to(Screen::Conversation(None)),
            ViewEvent::SelectSession(id) => {
                self.go_to(Screen::Conversation(Some(id)));
                self.load_page(false);
            }
            ViewEvent::LoadOlder => self.load_page(true),
            ViewEvent::Send(content) if self.chips.borrow().is_empty() => {
                self.queue(content, Vec::new())
            }
            ViewEvent::Send(caption) => {
                // Several presses before the uploads end make one caption.
                let mut waiting = self.caption.borrow_mut();
                match waiting.as_mut() {
                    Some(text) if !caption.is_empty() => {
                        text.push('\n');
                        text.push_str(&caption);
                    }
                    Some(_) => {}
                    None => *waiting = Some(caption),
                }
                drop(waiting);
                self.send_id.borrow_mut().get_or_insert_with(new_client_id);
                self.typing(false);
                self.save_held();
                self.upload();
            }
            ViewEvent::Files(files) => self.choose(files),
            ViewEvent::RemoveFile(key) => {
                let mut chips = self.chips.borrow_mut();
                let mut i = 0;
                while i < chips.len() {
                    if chips[i].key == key {
                        if let Some(abort) = chips.remove(i).abort {
                            abort.abort();
                        }
                    } else {
                        i += 1;
                    }
                }
                drop(chips);
                self.save_held();
                self.render_chips();
                self.finish();
            }
            ViewEvent::Fetch(id) => self.download(id, None),
            ViewEvent::Download(id, name) => self.download(id, Some(name)),
            ViewEvent::Input(has_text) => self.typing(has_text),
            ViewEvent::Visible => {
                self.report_seen();
                self.show_unread_in_title();
            }
            ViewEvent::EndChat => {
                // The confirmation that had focus goes: the visitor carries on in the composer.
                self.focus_screen();
                self.change_session("/resolve", "{}".into())
            }
            ViewEvent::Rate(score, comment) => {
                self.change_session("/rating", protocol::rating_body(score, &comment))
            }
            ViewEvent::LeaveEmail(email) => self.leave_email(email),
            ViewEvent::Retry(client_id) => {
                self.state.borrow_mut().retry(&client_id);
                self.save_outbox();
                self.render();
                sync::flush(self);
            }
        }
    }

    fn go_to(self: &Rc<Self>, screen: Screen) {
        self.state.borrow_mut().set_screen(screen);
        self.mark_read();
        self.render();
        self.focus_screen();
    }

    fn focus_screen(&self) {
        let kind = self.state.borrow().screen().kind();
        if let Some(view) = self.view.borrow().as_ref() {
            view.focus_screen(kind);
        }
    }

    fn mark_read(&self) {
        let last_read = self.state.borrow_mut().mark_read();
        self.device.set_last_read(last_read);
    }

    fn render(self: &Rc<Self>) {
        if let Some(view) = self.view.borrow().as_ref() {
            let state = self.state.borrow();
            let model = state.view_model();
            view.set_welcome(self.welcome(&model));
            view.render(&model);
        }
        self.report_seen();
        let unread = self.state.borrow().unread();
        if self.told_unread.replace(unread) != unread {
            self.events.emit(&Event::Unread(unread));
        }
        self.show_unread_in_title();
    }

    /// While the page is hidden, its title starts with the unread count: `(2) Page title`.
    fn show_unread_in_title(&self) {
        if let Some(view) = self.view.borrow().as_ref() {
            view.show_unread_in_title(self.state.borrow().unread());
        }
    }

    /// The handle's events for messages newly stored (sent by this visitor or received).
    fn emit_messages(&self, messages: &[protocol::Message]) {
        for event in crate::events::from_messages(messages) {
            self.events.emit(&event);
        }
    }

    /// The greeting bubbles a new chat shows: the page's `initialMessages`, else the org's.
    fn greeting_lines(&self) -> Vec<String> {
        self.config.ui.initial_messages.clone().unwrap_or_else(|| {
            self.settings
                .borrow()
                .as_ref()
                .map(|s| s.greeting.clone())
                .unwrap_or_default()
        })
    }

    /// What the conversation shows around its messages. The email form only outside office hours, to a
    /// visitor who is not verified (a verified one is answered at their account's email), once they wrote in a
    /// chat that exists.
    fn welcome(&self, model: &ViewModel) -> Welcome {
        let settings = self.settings.borrow();
        let hours = settings.as_ref().and_then(|s| s.office_hours.as_ref());
        let availability = hours.map(|h| match (h.open, &h.next_open_at) {
            (true, _) => Availability::In,
            (false, Some(at)) => Availability::BackAt(at.clone()),
            (false, None) => Availability::Away,
        });
        let wrote = matches!(&model.screen, ScreenView::Conversation(items)
            if items.iter().any(|item| item.author == protocol::Author::Visitor));
        let in_a_chat = matches!(self.state.borrow().screen(), Screen::Conversation(Some(_)));
        let offer = self.email_offer.borrow().clone();
        let email = match offer {
            EmailOffer::Ask(_)
                if availability
                    .as_ref()
                    .is_some_and(|a| *a != Availability::In)
                    && wrote
                    && in_a_chat
                    && !matches!(self.config.identity, Identity::Verified(_)) =>
            {
                offer
            }
            EmailOffer::Saved(_) if wrote => offer,
            _ => EmailOffer::Hidden,
        };
        Welcome {
            greeting: self.greeting_lines(),
            greeting_from: self.config.ui.bot.name.clone(),
            questions: self.config.ui.initial_questions.clone().unwrap_or_else(|| {
                settings
                    .as_ref()
                    .map(|s| s.suggested_questions.clone())
                    .unwrap_or_default()
            }),
            availability,
            email,
        }
    }

    /// The visitor left an email for the reply: checked here first (the server checks again), then stored on
    /// the chat on screen.
    fn leave_email(self: &Rc<Self>, typed: String) {
        let Screen::Conversation(Some(id)) = self.state.borrow().screen() else {
            return;
        };
        let Ok(email) = frontdesk_protocol::rules::email(&typed) else {
            *self.email_offer.borrow_mut() =
                EmailOffer::Ask(Some(self.strings.get().email_invalid.into()));
            self.render();
            return;
        };
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let path = crate::api::session_path(&id, "/email");
            let result = api.post(&path, protocol::email_body(&email)).await;
            let Some(inner) = weak.upgrade() else { return };
            *inner.email_offer.borrow_mut() = match result {
                Ok(_) => EmailOffer::Saved(email),
                Err(error) => {
                    inner.report(&error);
                    EmailOffer::Ask(Some(inner.strings.get().email_invalid.into()))
                }
            };
            inner.render();
        });
    }

    /// Tells the agents what the visitor saw: the newest agent message of the chat on screen, once it is
    /// in front of them (panel open, tab visible) and only when it grew.
    fn report_seen(self: &Rc<Self>) {
        if !self.view.borrow().as_ref().is_some_and(View::is_visible) {
            return;
        }
        let seen = self.state.borrow_mut().take_seen_report();
        if let Some((id, message_id)) = seen {
            self.act(id, "/seen", protocol::seen_body(message_id));
        }
    }

    /// The composer's text changed: `typing` goes out at most every 2 s while there is text, and its end
    /// once when there is none.
    fn typing(self: &Rc<Self>, has_text: bool) {
        let report = self.state.borrow_mut().composer_input(has_text, now());
        if let Some((id, typing)) = report {
            self.act(id, "/typing", protocol::typing_body(typing).into());
        }
    }

    /// The visitor ended (`/resolve`) or rated (`/rating`) the chat on screen.
    fn change_session(self: &Rc<Self>, action: &'static str, body: String) {
        if let Screen::Conversation(Some(id)) = self.state.borrow().screen() {
            self.act(id, action, body);
        }
    }

    /// `POST /widget/v1/sessions/{id}{action}`, once. `/resolve` and `/rating` answer with the chat as it is
    /// now; `/typing` and `/seen` with nothing. A refusal changes nothing here: the visitor may rate or end
    /// the chat again, and the next typing or seen report says the same again.
    fn act(self: &Rc<Self>, id: String, action: &'static str, body: String) {
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let path = crate::api::session_path(&id, action);
            let result = api.post(&path, body).await;
            let Some(inner) = weak.upgrade() else { return };
            match result.map(|answer| protocol::decode_session_envelope(&answer.json())) {
                Ok(Ok(session)) => {
                    inner.state.borrow_mut().session_changed(session);
                    inner.render();
                }
                Ok(Err(_)) => {}
                Err(error) => inner.report(&error),
            }
        });
    }

    fn listen_to_window(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let online = EventListener::new(&window, "online", move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.sync.wake();
                sync::flush(&inner);
                sync::ensure_polling(&inner);
                if inner.caption.borrow().is_some() {
                    inner.upload();
                }
            }
        });
        // Another tab of this site changed the outbox: show its pending messages here too. Both tabs
        // may then send the same message; the server stores a client id once.
        let weak = Rc::downgrade(self);
        let storage = EventListener::new(&window, "storage", move |e| {
            let Some(inner) = weak.upgrade() else { return };
            let key = e.dyn_ref::<web_sys::StorageEvent>().and_then(|e| e.key());
            if key.is_some_and(|k| inner.device.is_outbox_key(&k)) {
                inner
                    .state
                    .borrow_mut()
                    .replace_outbox(inner.device.outbox());
                inner.render();
            }
        });
        self.window_listeners.borrow_mut().extend([online, storage]);
    }

    /// First load: the session list (when this identity can have any), then live updates and any
    /// messages a previous page left in the outbox.
    async fn boot(weak: Weak<Inner>) {
        let Some(inner) = weak.upgrade() else { return };
        // Whether to show the launcher at all depends on the office hours: ask now, not at the first open.
        if inner.config.ui.hide_outside_office_hours {
            inner.fetch_rules();
        }
        if inner.api.has_identity() {
            let api = inner.api.clone();
            drop(inner);
            let result = api.sessions().await;
            let Some(inner) = weak.upgrade() else { return };
            match result {
                Ok(sessions) => {
                    inner.state.borrow_mut().set_sessions(sessions);
                    if inner.state.borrow().is_open() {
                        inner.mark_read();
                    }
                    inner.render();
                    inner.load_page(false);
                }
                Err(error) => inner.report(&error),
            }
            if inner.setup_error_reported.get() {
                return;
            }
            sync::ensure_polling(&inner);
        }
        let Some(inner) = weak.upgrade() else { return };
        if inner.sync.is_running() {
            inner.events.emit(&Event::Ready);
        }
        sync::flush(&inner);
    }

    /// Fetches a page of the conversation on screen while the panel is open: its latest messages when
    /// none are loaded, or with `older` the page below those held (the visitor scrolled up to it), one
    /// such request at a time.
    fn load_page(self: &Rc<Self>, older: bool) {
        let state = self.state.borrow();
        let Screen::Conversation(Some(id)) = state.screen() else {
            return;
        };
        if !state.is_open() {
            return;
        }
        let before = match (state.conversation(&id), state.older_page(&id)) {
            (None, _) if !older => None,
            (Some(_), Some(before)) if older && !self.loading_older.replace(true) => Some(before),
            _ => return,
        };
        drop(state);
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let result = api.messages(&id, before).await;
            let Some(inner) = weak.upgrade() else { return };
            if before.is_some() {
                inner.loading_older.set(false);
            }
            match result {
                Ok(page) => {
                    inner.state.borrow_mut().add_page(&id, before, page);
                    inner.mark_read();
                    inner.render();
                }
                Err(error) => inner.report(&error),
            }
        });
    }

    /// An attachment's bytes, for a thumbnail (`name` `None`) or saved under `name`: one task for both.
    fn download(self: &Rc<Self>, id: String, name: Option<String>) {
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let result = api.download(&id).await;
            let Some(inner) = weak.upgrade() else { return };
            let view = inner.view.borrow();
            if let Some(view) = view.as_ref() {
                match (result, name) {
                    (Ok(blob), Some(name)) => view.save(&blob, &name),
                    (Ok(blob), None) => view.show_blob(&id, Some(&blob)),
                    // A thumbnail that failed is asked for again the next time it is drawn.
                    (Err(_), None) => view.show_blob(&id, None),
                    (Err(_), Some(_)) => {}
                }
            }
        });
    }

    /// A device that never chatted gets its id when the visitor first sends (a message or a file).
    fn ensure_device(&self) {
        if let Auth::Device(id) = &self.api.auth {
            if id.borrow().is_none() {
                *id.borrow_mut() = Some(self.device.device_id_or_create(|| js::random_hex(16)));
            }
        }
    }

    /// `GET /widget/v1/settings`, once (it needs no identity): the attachment rules (the defaults hold until it
    /// answers, and the server checks again), the greeting, questions and office hours. With
    /// `hideOutsideOfficeHours`, the launcher goes while the team is away.
    fn fetch_rules(self: &Rc<Self>) {
        if self.rules.borrow().is_some() {
            return;
        }
        *self.rules.borrow_mut() = Some(crate::attach::default_rules());
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let result = api.settings().await;
            let Some(inner) = weak.upgrade() else { return };
            if let Ok(settings) = result {
                let away = settings.office_hours.as_ref().is_some_and(|h| !h.open);
                *inner.rules.borrow_mut() = Some(settings.attachments.clone());
                *inner.settings.borrow_mut() = Some(settings);
                if let Some(view) = inner.view.borrow().as_ref() {
                    view.set_hidden(inner.config.ui.hide_outside_office_hours && away);
                }
                inner.render();
            }
        });
    }

    /// Files chosen (picker, drop or paste) become chips; one the rules refuse says why at once.
    fn choose(self: &Rc<Self>, files: Vec<web_sys::File>) {
        if self.state.borrow().screen().kind() != crate::state::ScreenKind::Conversation {
            return;
        }
        // A visitor who had no identity at the first open has one once they sent: the org's rules then.
        self.fetch_rules();
        let rules = self
            .rules
            .borrow()
            .clone()
            .unwrap_or_else(crate::attach::default_rules);
        let mut chips = self.chips.borrow_mut();
        for file in files {
            let mut chosen = 0;
            for chip in chips.iter() {
                chosen += usize::from(chip.note.is_none() || chip.waiting);
            }
            let size = file.size() as i64;
            let note =
                crate::attach::check(&file.type_(), size, chosen, &rules, self.strings.get());
            let key = self.next_chip.get();
            self.next_chip.set(key + 1);
            if note.is_none() {
                self.keep(key, file.clone());
            }
            chips.push(Chip {
                key,
                name: file.name(),
                file,
                size,
                note,
                uploaded: None,
                abort: None,
                progress: 0,
                waiting: false,
                kept: None,
            });
        }
        drop(chips);
        self.render_chips();
    }

    /// Reads chip `key`'s bytes and keeps them in localStorage when they fit (`held::fits`): a file over the
    /// budget lives in memory only, and its chip says to retry when online if the connection is lost.
    fn keep(self: &Rc<Self>, key: u32, file: web_sys::File) {
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            let Some(inner) = weak.upgrade() else { return };
            let mut chips = inner.chips.borrow_mut();
            let mut held = 0;
            for chip in chips.iter() {
                held += chip.kept.as_ref().map_or(0, |b| b.len() as i64);
            }
            if !crate::held::fits(held, bytes.len() as i64) {
                return;
            }
            for chip in chips.iter_mut() {
                if chip.key == key && chip.uploaded.is_none() {
                    chip.kept = Some(bytes.clone());
                }
            }
            drop(chips);
            inner.save_held();
        });
    }

    /// Writes the kept chips' bytes (and the caption, once Send was pressed) to localStorage; removes the record
    /// when none are left. A refused write (quota) leaves them in memory only.
    fn save_held(&self) {
        let mut files = Vec::new();
        for chip in self.chips.borrow().iter() {
            if let Some(bytes) = &chip.kept {
                files.push(crate::held::HeldFile {
                    name: chip.name.clone(),
                    media_type: chip.file.type_(),
                    bytes: bytes.clone(),
                });
            }
        }
        let session_id = match (&*self.held_session.borrow(), &*self.uploaded_to.borrow()) {
            (Some(held), _) => held.clone(),
            (None, Some(id)) => Some(id.clone()),
            (None, None) => match self.state.borrow().screen() {
                Screen::Conversation(id) => id,
                _ => None,
            },
        };
        let held = crate::held::Held {
            session_id,
            caption: self.caption.borrow().clone(),
            client_id: self.send_id.borrow().clone(),
            files,
        };
        if !self.device.save_held(&held) {
            for chip in self.chips.borrow_mut().iter_mut() {
                chip.kept = None;
            }
        }
    }

    /// The files a previous page kept come back as chips; those the visitor had sent go once online.
    fn restore_held(self: &Rc<Self>) {
        let Some(held) = self.device.held() else {
            return;
        };
        let mut chips = self.chips.borrow_mut();
        for file in held.files {
            let options = web_sys::FilePropertyBag::new();
            options.set_type(&file.media_type);
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(&file.bytes[..]));
            let Ok(js_file) =
                web_sys::File::new_with_u8_array_sequence_and_options(&parts, &file.name, &options)
            else {
                continue;
            };
            let key = self.next_chip.get();
            self.next_chip.set(key + 1);
            chips.push(Chip {
                key,
                name: file.name,
                file: js_file,
                size: file.bytes.len() as i64,
                note: None,
                uploaded: None,
                abort: None,
                progress: 0,
                waiting: false,
                kept: Some(file.bytes),
            });
        }
        let restored = !chips.is_empty();
        drop(chips);
        if !restored {
            return;
        }
        self.render_chips();
        if held.caption.is_some() {
            *self.send_id.borrow_mut() = held.client_id;
            *self.caption.borrow_mut() = held.caption;
            *self.held_session.borrow_mut() = Some(held.session_id);
            self.upload();
        }
    }

    fn render_chips(&self) {
        let chips = self.chips.borrow();
        let mut views = Vec::with_capacity(chips.len());
        for chip in chips.iter() {
            views.push(crate::attach::ChipView {
                key: chip.key,
                name: &chip.name,
                size: chip.size,
                note: chip.note.as_deref(),
                progress: chip.abort.as_ref().map(|_| chip.progress),
            });
        }
        if let Some(view) = self.view.borrow().as_ref() {
            view.render_chips(&views);
        }
    }

    /// Uploads the chips not uploaded yet, one at a time, into the chat on screen (started first when it is a
    /// new one), then sends the message ([`Inner::finish`]). A refusal stays on its chip, and the message
    /// waits until the visitor removes it; a lost connection waits for `online`.
    fn upload(self: &Rc<Self>) {
        if self.uploading.replace(true) {
            return;
        }
        self.ensure_device();
        // Restored files go to the chat they were sent to, however often the connection fails.
        let screen = match self.held_session.borrow().clone() {
            Some(id) => Screen::Conversation(id),
            None => self.state.borrow().screen(),
        };
        let weak = Rc::downgrade(self);
        let api = self.api.clone();
        spawn_local(async move {
            let session_id = match screen {
                crate::state::Screen::Conversation(Some(id)) => id,
                _ => {
                    let Some(inner) = weak.upgrade() else { return };
                    let visitor = inner.visitor();
                    let inner_greeting = inner.greeting_lines();
                    drop(inner);
                    let client_id = new_client_id();
                    let body =
                        protocol::start_session_body(&client_id, visitor.as_ref(), &inner_greeting);
                    let result = api.start_session(body).await;
                    let Some(inner) = weak.upgrade() else { return };
                    match result {
                        Ok(session) => {
                            let id = session.id.clone();
                            inner.state.borrow_mut().session_created(session);
                            inner.events.emit(&Event::ConversationStarted(id.clone()));
                            inner.render();
                            sync::ensure_polling(&inner);
                            id
                        }
                        Err(error) => {
                            inner.report(&error);
                            inner.uploads_failed(None, &error);
                            inner.uploading.set(false);
                            return;
                        }
                    }
                }
            };
            if let Some(inner) = weak.upgrade() {
                *inner.uploaded_to.borrow_mut() = Some(session_id.clone());
                if inner.held_session.borrow().is_some() {
                    *inner.held_session.borrow_mut() = Some(Some(session_id.clone()));
                }
            }
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let mut next = None;
                for chip in inner.chips.borrow_mut().iter_mut() {
                    if chip.uploaded.is_none() && (chip.note.is_none() || chip.waiting) {
                        let abort = crate::sync::new_abort_controller();
                        next = Some((chip.key, chip.file.clone(), abort.signal()));
                        chip.abort = Some(abort);
                        chip.progress = 0;
                        chip.note = None;
                        chip.waiting = false;
                        break;
                    }
                }
                let Some((key, file, signal)) = next else {
                    inner.uploading.set(false);
                    inner.finish();
                    return;
                };
                inner.render_chips();
                drop(inner);
                let progressed = weak.clone();
                let progress = move |percent| {
                    if let Some(inner) = progressed.upgrade() {
                        inner.progressed(key, percent);
                    }
                };
                let result = api.upload(&session_id, &file, &signal, progress).await;
                let Some(inner) = weak.upgrade() else { return };
                match result {
                    Ok(attachment) => {
                        for chip in inner.chips.borrow_mut().iter_mut() {
                            if chip.key == key {
                                chip.uploaded = Some(attachment.clone());
                                chip.abort = None;
                            }
                        }
                    }
                    // Removed by the visitor: its chip is gone.
                    Err(ApiError::Aborted) => {}
                    Err(error) => {
                        inner.report(&error);
                        if inner.uploads_failed(Some(key), &error) {
                            inner.uploading.set(false);
                            return;
                        }
                    }
                }
                inner.render_chips();
            }
        });
    }

    /// Chip `key`'s upload has sent `percent` of its bytes: its progress bar says so (the chip is not drawn
    /// anew, so a focused Remove button keeps focus).
    fn progressed(&self, key: u32, percent: u8) {
        for chip in self.chips.borrow_mut().iter_mut() {
            if chip.key == key && chip.abort.is_some() && chip.progress != percent {
                chip.progress = percent;
                if let Some(view) = self.view.borrow().as_ref() {
                    view.chip_progress(key, percent);
                }
            }
        }
    }

    /// An upload (of chip `key`, or of all when starting the chat failed) was refused or could not reach the
    /// server: the chip says why. `true` when the connection is what failed: the rest wait for `online` too.
    fn uploads_failed(&self, key: Option<u32>, error: &ApiError) -> bool {
        let transient = error.is_transient();
        let reason = match error {
            _ if transient => self.strings.get().waiting_online.to_owned(),
            ApiError::Server { message, .. } => message.clone(),
            other => other.to_string(),
        };
        for chip in self.chips.borrow_mut().iter_mut() {
            if chip.uploaded.is_none() && (key.is_none() || key == Some(chip.key) || transient) {
                chip.abort = None;
                // Not kept for a reload (over `held::HELD_MAX_BYTES`): the visitor is told so.
                chip.note = Some(if transient && chip.kept.is_none() {
                    self.strings.get().retry_online.to_owned()
                } else {
                    reason.clone()
                });
                chip.waiting = transient;
            }
        }
        self.render_chips();
        transient
    }

    /// Sends the message the visitor asked for once every file it keeps is uploaded (its text alone when the
    /// visitor removed every file).
    fn finish(self: &Rc<Self>) {
        let mut chips = self.chips.borrow_mut();
        let mut attachments = Vec::with_capacity(chips.len());
        for chip in chips.iter() {
            match &chip.uploaded {
                Some(attachment) => attachments.push(attachment.clone()),
                None => return,
            }
        }
        let Some(caption) = self.caption.borrow_mut().take() else {
            return;
        };
        if attachments.is_empty() && caption.trim().is_empty() {
            return;
        }
        chips.clear();
        drop(chips);
        self.render_chips();
        // The visitor may have gone to the list or another chat while the files uploaded: the message goes to
        // the chat the files belong to, and that chat comes back on screen with it.
        if let Some(target) = self.uploaded_to.take() {
            self.state
                .borrow_mut()
                .set_screen(Screen::Conversation(Some(target)));
        }
        self.held_session.take();
        let client_id = self
            .send_id
            .borrow_mut()
            .take()
            .unwrap_or_else(new_client_id);
        self.queue_as(client_id, caption, attachments);
        // The message is in the outbox with the uploaded files' ids: their bytes leave localStorage.
        self.save_held();
    }

    fn visitor(&self) -> Option<VisitorData> {
        match &self.config.identity {
            Identity::NonVerified(data) => Some(data.clone()),
            _ => None,
        }
    }

    /// A visitor's message goes to the outbox first (so a reload or a dropped connection loses
    /// nothing), then out.
    fn queue(self: &Rc<Self>, content: String, attachments: Vec<protocol::Attachment>) {
        self.queue_as(new_client_id(), content, attachments);
    }

    /// [`Self::queue`] with the client id the message was given earlier (files kept for a reload).
    fn queue_as(
        self: &Rc<Self>,
        client_id: String,
        content: String,
        attachments: Vec<protocol::Attachment>,
    ) {
        self.typing(false);
        self.ensure_device();
        self.state
            .borrow_mut()
            .enqueue(client_id, content, attachments);
        self.save_outbox();
        self.render();
        sync::flush(self);
    }

    fn save_outbox(&self) {
        self.device.save_outbox(self.state.borrow().outbox());
    }

    fn apply_updates(self: &Rc<Self>, updates: protocol::Updates) {
        let applied = self
            .state
            .borrow_mut()
            .receive(updates.messages, updates.cursor);
        let signalled =
            self.state
                .borrow_mut()
                .receive_signals(updates.signals, updates.signals_at, now());
        self.emit_messages(&applied.new_messages);
        if signalled {
            // An agent's "is typing…" goes after 6 s without a fresh one: looked at again then.
            let weak = Rc::downgrade(self);
            spawn_local(async move {
                TimeoutFuture::new(protocol::limits::TYPING_SHOWN_SECS * 1000 + 50).await;
                if let Some(inner) = weak.upgrade() {
                    if inner.state.borrow_mut().expire_typing(now()) {
                        inner.render();
                    }
                }
            });
        }
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
            let name = last.author_name.as_deref();
            let announcement =
                match self
                    .strings
                    .get()
                    .event(last.kind, &last.author, name, last.score)
                {
                    Some(line) => line,
                    None => format!(
                        "{}: {}",
                        name.unwrap_or(self.strings.get().support),
                        last.content
                    ),
                };
            if let Some(view) = self.view.borrow().as_ref() {
                view.announce(&announcement);
                if self.config.ui.sound {
                    view.chime();
                }
            }
            if self.state.borrow().is_open() {
                self.mark_read();
            }
        }
        if applied.changed || applied.unknown_session || signalled {
            self.device.set_last_read(self.state.borrow().last_read());
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
            let text = format!("Frontdesk: {error}");
            js::console_error(&text);
            self.events.emit(&Event::Error(text));
        }
        if let Some(view) = self.view.borrow().as_ref() {
            view.set_notice(Some(self.strings.get().unavailable));
        }
    }
}

impl sync::Host for Inner {
    fn engine(&self) -> &Engine {
        &self.sync
    }

    fn api(&self) -> Rc<Api> {
        self.api.clone()
    }

    fn greeting(&self) -> Vec<String> {
        self.greeting_lines()
    }

    fn next_to_send(&self) -> Option<(Pending, Option<VisitorData>)> {
        let pending = self.state.borrow().next_to_send()?.clone();
        Some((pending, self.visitor()))
    }

    fn sent(self: &Rc<Self>, client_id: &str, result: Result<Sent, ApiError>) {
        match result {
            Ok(Sent::Session(session)) => {
                let id = session.id.clone();
                self.state.borrow_mut().session_created(session);
                self.events.emit(&Event::ConversationStarted(id));
                self.load_page(false);
                sync::ensure_polling(self);
            }
            Ok(Sent::Message(message)) => {
                let applied = self.state.borrow_mut().ack(message);
                self.emit_messages(&applied.new_messages);
            }
            Err(error) => {
                self.report(&error);
                let reason = match &error {
                    ApiError::Server { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                self.state.borrow_mut().mark_failed(client_id, reason);
            }
        }
        self.save_outbox();
        self.render();
    }

    fn may_poll(&self) -> bool {
        self.api.has_identity() && !self.setup_error_reported.get()
    }

    fn cursor(&self) -> i64 {
        self.state.borrow().cursor()
    }

    fn signals_at(&self) -> i64 {
        self.state.borrow().signals_at()
    }

    fn receive(self: &Rc<Self>, updates: protocol::Updates) {
        self.apply_updates(updates);
    }

    fn poll_refused(&self, error: &ApiError) {
        self.report(error);
    }
}

fn new_client_id() -> String {
    let mut id = String::from("c_");
    id.push_str(&js::random_hex(12));
    id
}

/// The page's clock in milliseconds: the `now` of `ChatState`'s typing rules.
fn now() -> i64 {
    js_sys::Date::now() as i64
}
