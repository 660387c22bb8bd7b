//! Frontdesk: the embeddable support-chat widget.
//!
//! # Layout
//! - `lib.rs` — the only `#[wasm_bindgen]` surface: `init(options)` and the handle it resolves to.
//!
//! The pure core (neither `web-sys` nor `JsValue`, so it runs under a native `cargo test`):
//! - [`value`] — a plain-Rust copy of the options object and of server answers, with a JSON encoder.
//! - [`config`] — options → typed `Config` or an error naming the option path.
//! - [`events`] — the handle's event names and payloads.
//! - [`protocol`] — the wire format: sessions, messages, updates, error bodies, request bodies, headers.
//! - [`state`] — `ChatState`, private behind methods that keep its invariants: server data and visitor
//!   actions in, the view model out.
//! - [`storage`] — this device's id, outbox and read marker, behind a `Store` trait: a memory store for
//!   tests, and `LocalStore`, the one piece of it that reaches `web-sys` (localStorage).
//! - [`text`] — message text → text and http(s) link runs, and the message length rule.
//! - [`i18n`] — the widget's words per language (the files in `src/locales/`); [`words`] — the page's overrides of them.
//!
//! The browser layer:
//! - `js` — the boundary's conversions: `JsValue` → [`value::Value`], messages → `js_sys::Error`, and the
//!   page's event listeners (`js::Listeners`).
//! - [`api`] — the widget API over `fetch`; every answer becomes a `protocol` type or an `ApiError`.
//! - `locale` — a language's words fetched when wanted, and the browser's plural rules.
//! - `sync` — the sync engine: the outbox flush and the updates long-poll, with their backoff.
//! - `app` — the controller: view events and server data → `ChatState` → the view.
//! - [`dom`] — the only module that touches the DOM: `View`, made of one component per region.
//!
//! ARCHITECTURE.md has the map of the whole repository and the invariants; among them: only `dom`
//! creates or changes DOM nodes, `state` is pure, and nothing is written to the page or to
//! localStorage before the options have parsed.

pub mod api;
mod app;
pub mod attach;
pub mod config;
pub mod dom;
pub mod events;
pub mod held;
pub mod i18n;
mod js;
mod locale;
pub mod protocol;
pub mod state;
pub mod storage;
mod sync;
pub mod text;
pub mod value;
pub mod words;

use config::Language;

/// lol_alloc's free list instead of std's dlmalloc: 2.2 KB gzipped less (BENCHMARKS.md), and the
/// widget's allocations are few and small, so a first-fit list is quick enough. Its spin lock rather
/// than `AssumeSingleThreaded`, which needs `unsafe` (forbidden here); a lock nobody else ever takes
/// on the one thread a page gives the widget.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &'static str = r##"
/** Identity a page supplies itself: shown to agents as unverified. */
export interface FrontdeskUserData {
  name?: string;
  email?: string;
  /** http(s) only */
  avatarUrl?: string;
  /** Any JSON object; stored as `non_verified_custom_data`. */
  customData?: Record<string, unknown>;
}

export interface FrontdeskUser {
  /** Non-verified identity. Not together with `token`. */
  data?: FrontdeskUserData;
  /** Verified identity: the token from POST /widget/authenticate-user, or an async function returning one
   *  (called again when the server says the token expired). Not together with `data`. */
  token?: string | (() => string | Promise<string>);
  /** Workspace id: chats are scoped by it. Letters, digits and _ . : @ - (1–128). */
  externalId?: string;
}

/** The languages the widget speaks (`src/locales/`); a region may follow, as in "pt-BR". */
export type FrontdeskLanguage =
  | "en" | "fr" | "de" | "es" | "pt" | "it" | "nl" | "pl" | "tr" | "ru" | "uk" | "ja" | "zh" | "ar" | "he" | "fa"
  | `${"en" | "fr" | "de" | "es" | "pt" | "it" | "nl" | "pl" | "tr" | "ru" | "uk" | "ja" | "zh" | "ar" | "he" | "fa"}-${string}`;

export interface FrontdeskOptions {
  /** The site's public widget token (wt_…). */
  token: string;
  /** The Frontdesk server; default: the origin the widget script was loaded from. */
  apiUrl?: string;
  /** Absent: an anonymous visitor. */
  user?: FrontdeskUser;
  /** Theme colour, "#rrggbb" or "#rgb". */
  color?: string;
  /** "en", "fr", "de", "es", "pt", "it", "nl", "pl", "tr", "ru", "uk", "ja", "zh", "ar", "he" or "fa" (the last three
   *  right to left); default: the browser's language when supported, else English. */
  language?: FrontdeskLanguage;
  /** Corner of the launcher; default "right". */
  position?: "right" | "left";
  /** Open the chat panel as soon as the launcher shows. OpenCX's name: `isOpen` (give one of the two). */
  openOnStart?: boolean;
  /** "light" (default), "dark", or "auto" (follows prefers-color-scheme, live). */
  colorScheme?: "light" | "dark" | "auto";
  /** A short tone when a reply arrives (after the visitor interacted with the page). Default false. */
  sound?: boolean;
  /** No launcher while the org's office hours say the team is away. */
  hideOutsideOfficeHours?: boolean;
  /** Greeting bubbles before the first message (≤ 5, each 1–500 chars); default: the org's; [] for none. */
  initialMessages?: string[];
  /** Suggested first questions (≤ 5, each 1–200 chars); a click sends one; default: the org's; [] for none. */
  initialQuestions?: string[];
  /** Words per language: `{ fr: { title: "Aide" } }`; keys are Frontdesk's words (README "Words") or OpenCX's. */
  translationOverrides?: Record<string, Partial<Record<FrontdeskWord | FrontdeskOpenCxWord, string>>>;
  /** The name and avatar the greeting bubbles are shown from. */
  bot?: FrontdeskAgentDisplay;
  /** `name`: shown for an agent's reply that has none (default "Support"). */
  humanAgent?: FrontdeskAgentDisplay;
  /** Open the panel once, this many seconds after start (0–3600). */
  openAfterNSeconds?: number;
  /** The widget's z-index (0–2147483647). */
  zIndex?: number;
  /** The launcher's distance from the bottom and from its side, in px (0–400). */
  offset?: { bottom?: number; side?: number };
  /** OpenCX's `theme`: `primaryColor` is `color`; `widgetTrigger.zIndex`/`.offset` and
   *  `widgetContentContainer.zIndex` place the widget; the rest is accepted without effect. */
  theme?: {
    primaryColor?: string;
    palette?: unknown;
    screens?: unknown;
    triggerOffset?: unknown;
    widgetTrigger?: {
      zIndex?: number;
      offset?: { bottom?: number; right?: number | "initial"; left?: number | "initial" };
      size?: unknown;
    };
    widgetContentContainer?: { zIndex?: number } & Record<string, unknown>;
  };
  /** OpenCX's name of `openOnStart`. */
  isOpen?: boolean;
  /** OpenCX's titles: chatScreen.headerTitle → word `title`, sessionsScreen.headerTitle →
   *  `earlier_conversations`, welcomeScreen.title → `greeting`. */
  textContent?: {
    welcomeScreen?: { title?: string; description?: unknown };
    sessionsScreen?: { headerTitle?: string };
    chatScreen?: { headerTitle?: string };
  };
  /** OpenCX options accepted without effect (named in one console.warn): README "Coming from OpenCX". */
  cssOverrides?: unknown; disableTooltips?: unknown; assets?: unknown; chatBannerItems?: unknown;
  advancedInitialMessages?: unknown; initialQuestionsPosition?: unknown; chatFooterItems?: unknown;
  collectUserData?: unknown; prefillUserData?: unknown; extraDataCollectionFields?: unknown;
  headerButtons?: unknown; modesComponents?: unknown; customComponents?: unknown; router?: unknown;
  oneOpenSessionAllowed?: unknown; anchorTarget?: unknown; inline?: unknown; thisWasHelpfulOrNot?: unknown;
  timestamps?: unknown; headers?: unknown; queryParams?: unknown; bodyProperties?: unknown; context?: unknown;
  messageCustomData?: unknown; sessionCustomData?: unknown; debug?: unknown; pathParams?: unknown;
  contactToken?: unknown; settings?: unknown; soundEffectFiles?: unknown;
}

export interface FrontdeskAgentDisplay {
  name?: string;
  /** http(s) only. OpenCX's deprecated `avatar` is accepted for it. */
  avatarUrl?: string;
  avatar?: string;
  id?: unknown;
  isAi?: unknown;
}

/** The widget's words (`translationOverrides` keys). */
export type FrontdeskWord =
  | "open_chat" | "close_chat" | "title" | "greeting" | "message" | "send" | "new_conversation"
  | "earlier_conversations" | "back" | "no_conversations" | "you" | "support" | "pending" | "failed_retry"
  | "unavailable" | "new_reply" | "unread" | "too_long" | "resolved" | "resolved_by" | "you_ended" | "reopened"
  | "you_rated" | "of_five" | "is_typing" | "seen" | "end_chat" | "end_confirm" | "end" | "cancel"
  | "rate_question" | "comment" | "send_rating" | "thanks" | "attach" | "remove" | "uploading" | "file_too_large"
  | "file_type_refused" | "too_many_files" | "file_empty" | "waiting_online" | "retry_online";

/** OpenCX's translation keys (the ones without a Frontdesk word are accepted without effect). */
export type FrontdeskOpenCxWord =
  | "write_a_message_placeholder" | "new_conversation" | "back_to_conversations" | "no_conversations_yet"
  | "welcome_screen_title" | "your_issue_has_been_resolved" | "closed_conversations" | "i_need_more_help"
  | "this_was_helpful" | "welcome_screen_description" | "your_name_placeholder" | "your_email_placeholder"
  | "optional" | "start_chat_button" | "start_chat_button_loading";

/** A message, as `message` listeners get it: sent by the visitor (once stored) or received from an agent. */
export interface FrontdeskMessage {
  id: number;
  sessionId: string;
  author: "visitor" | "agent";
  /** The agent's name; null for the visitor. */
  authorName: string | null;
  text: string;
  attachments: { id: string; name: string; type: string; size: number }[];
  /** RFC 3339. */
  sentAt: string;
}

/** Each event's payload. */
export interface FrontdeskEvents {
  /** The widget has loaded the visitor's chats (a listener added later is called at once). */
  ready: undefined;
  open: undefined;
  close: undefined;
  message: FrontdeskMessage;
  /** The new unread count. */
  unread: number;
  conversationStarted: { sessionId: string };
  conversationResolved: { sessionId: string; by: "visitor" | "agent" };
  /** The text the console got. */
  error: string;
}

export type FrontdeskEventName = keyof FrontdeskEvents;
"##;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "FrontdeskOptions")]
    pub type Options;
}

thread_local! {
    /// One widget a page: a second `init` before `destroy` is a mistake worth naming.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Starts the widget. Resolves, once the launcher is on the page, to a [`FrontdeskHandle`]; rejects with
/// an `Error` naming the option at fault (and leaves nothing behind).
#[wasm_bindgen]
pub async fn init(options: Options) -> Result<FrontdeskHandle, JsValue> {
    start(options.into(), None, None)
}

/// The script-tag loader's entry point: `init` with the loader's origin as the default `apiUrl`, and the
/// closed launcher the loader drew while the wasm was arriving, `[host, shadowRoot, button]` (undefined
/// when it drew none), which the widget adopts. It returns the handle or throws, rather than return a
/// promise: the loader calls it inside its own (and the wasm is smaller without a second async entry).
#[wasm_bindgen(js_name = initFromScript, skip_typescript)]
pub fn init_from_script(
    options: JsValue,
    script_origin: String,
    drawn: JsValue,
) -> Result<FrontdeskHandle, JsValue> {
    let drawn = (!drawn.is_undefined()).then(|| {
        let drawn: js_sys::Array = drawn.unchecked_into();
        dom::Drawn {
            host: drawn.get(0).unchecked_into(),
            root: drawn.get(1).unchecked_into(),
            button: drawn.get(2).unchecked_into(),
        }
    });
    start(options, Some(script_origin), drawn)
}

/// How the embed gets a language's words, `code => Promise<object>`: the script-tag loader fetches
/// `locales/<code>.json` from its folder (`www/widget.js`), the npm package imports a module a bundler
/// ships (`npm/index.js`).
#[wasm_bindgen(js_name = setLocaleLoader, skip_typescript)]
pub fn set_locale_loader(loader: js_sys::Function) {
    locale::set_loader(loader);
}

fn start(
    options: JsValue,
    script_origin: Option<String>,
    drawn: Option<dom::Drawn>,
) -> Result<FrontdeskHandle, JsValue> {
    let config = config::parse(&js::to_value(&options)).map_err(|e| js::error(&e.to_string()))?;
    let unhonoured = config.unhonoured_warning();
    if RUNNING.get() {
        return Err(js::error(
            "Frontdesk is already running on this page: call destroy() on the handle of the first init() before calling init() again",
        ));
    }
    let window =
        web_sys::window().ok_or_else(|| js::error("Frontdesk must run in a browser window"))?;
    let api_url = match (&config.api_url, script_origin) {
        (Some(url), _) => url.clone(),
        (None, Some(origin)) => origin,
        (None, None) => window
            .location()
            .origin()
            .map_err(|_| js::error("cannot read the page's origin; pass options.apiUrl"))?,
    };
    let browser_language = window.navigator().language();
    let language = Language::choose(config.ui.language, browser_language.as_deref());
    // Looked up only when the options hold one: for any other identity `user.token` may not be there to
    // read, and the failed read throws (an exception per start, and its stack trace, for nothing).
    let token_function = match config.identity {
        config::Identity::Verified(config::TokenSource::Function) => {
            js::TokenFunction::from_options(&options)
        }
        _ => None,
    };
    let app = app::App::start(
        config,
        api_url,
        token_function,
        language,
        browser_language,
        drawn,
        Rc::new(js::Listeners::default()),
    )
    .map_err(|e| js::error(&e))?;
    if let Some(warning) = unhonoured {
        web_sys::console::warn_1(&warning.into());
    }
    RUNNING.set(true);
    Ok(FrontdeskHandle {
        app: RefCell::new(Some(app)),
    })
}

/// What `init` resolves to.
#[wasm_bindgen]
pub struct FrontdeskHandle {
    /// `None` once destroyed: every method is then a no-op, so a stale handle cannot resurrect anything.
    app: RefCell<Option<app::App>>,
}

#[wasm_bindgen]
impl FrontdeskHandle {
    /// Opens the chat panel.
    pub fn open(&self) {
        if let Some(app) = self.app.borrow().as_ref() {
            app.handle(dom::ViewEvent::Open);
        }
    }

    /// Closes the chat panel (the launcher stays).
    pub fn close(&self) {
        if let Some(app) = self.app.borrow().as_ref() {
            app.handle(dom::ViewEvent::Close);
        }
    }

    /// Removes the widget and its listeners from the page, and stops its requests; `init` may be
    /// called again afterwards.
    pub fn destroy(&self) {
        if let Some(app) = self.app.borrow_mut().take() {
            app.destroy();
            RUNNING.set(false);
        }
    }

    /// Forgets this device's non-verified session: its device id, unsent messages and history on
    /// this device (for a shared computer). The widget stays on the page, empty.
    pub fn logout(&self) {
        if let Some(app) = self.app.borrow().as_ref() {
            app.logout();
        }
    }

    /// Opens the panel when closed, closes it when open.
    pub fn toggle(&self) {
        if let Some(app) = self.app.borrow().as_ref() {
            app.handle(if app.is_open() {
                dom::ViewEvent::Close
            } else {
                dom::ViewEvent::Open
            });
        }
    }

    #[wasm_bindgen(js_name = isOpen)]
    pub fn is_open(&self) -> bool {
        self.app.borrow().as_ref().is_some_and(app::App::is_open)
    }

    /// Agent messages the visitor has not seen.
    #[wasm_bindgen(js_name = unreadCount)]
    pub fn unread_count(&self) -> u32 {
        self.app.borrow().as_ref().map_or(0, app::App::unread_count)
    }

    /// Calls `callback` on each `name` event; returns a function that removes it. Throws on an unknown name.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FrontdeskEventName")] name: &str,
        #[wasm_bindgen(unchecked_param_type = "(payload: any) => void")] callback: js_sys::Function,
    ) -> Result<js_sys::Function, JsValue> {
        let event = events::EventName::parse(name).map_err(|e| js::error(&e))?;
        let listeners = self.app.borrow().as_ref().map(app::App::listeners);
        let weak = listeners.as_ref().map(Rc::downgrade);
        if let Some(listeners) = listeners {
            listeners.add(event, callback.clone());
        }
        // Freed once called; one never called stays as small as a name and a reference.
        let off = Closure::once_into_js(move || {
            if let Some(listeners) = weak.and_then(|w| w.upgrade()) {
                listeners.remove(event, &callback);
            }
        });
        Ok(off.unchecked_into())
    }

    /// Opens the panel on a new conversation with `text` in the composer, for the visitor to send.
    #[wasm_bindgen(js_name = showNewMessage)]
    pub fn show_new_message(&self, text: Option<String>) -> Result<(), JsValue> {
        let text = text.unwrap_or_default();
        if text.chars().count() > protocol::limits::MESSAGE_MAX_CHARS {
            return Err(js::error(
                "Frontdesk: showNewMessage: the text is longer than a message may be (4,000 characters)",
            ));
        }
        if let Some(app) = self.app.borrow().as_ref() {
            app.show_new_message(&text);
        }
        Ok(())
    }

    /// Shows the widget in another language (`"fr"`); throws on one it does not have.
    #[wasm_bindgen(js_name = setLanguage)]
    pub fn set_language(&self, code: &str) -> Result<(), JsValue> {
        let language = Language::from_tag(code).ok_or_else(|| {
            let mut message =
                format!("Frontdesk: setLanguage: unsupported language \"{code}\"; supported: ");
            for (index, (code, _)) in Language::ALL.iter().enumerate() {
                if index > 0 {
                    message.push_str(", ");
                }
                message.push_str(code);
            }
            js::error(&message)
        })?;
        if let Some(app) = self.app.borrow().as_ref() {
            app.set_language(language);
        }
        Ok(())
    }

    /// Switches to another identity or workspace without a reload: `user` as in `init`'s `options.user`
    /// (`{ data } | { token }`, and `externalId`); `{}` is an anonymous visitor. Throws, changing nothing, on
    /// a wrong `user`, naming it as `init` would (`updateUser: options.user.data.email: …`).
    #[wasm_bindgen(js_name = updateUser)]
    pub fn update_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FrontdeskUser")] user: JsValue,
    ) -> Result<(), JsValue> {
        // The error names the option as `init`'s would (`options.user.data.email: …`).
        let (identity, external_id) = config::parse_user(&js::to_value(&user))
            .map_err(|e| js::error(&format!("Frontdesk: updateUser: {e}")))?;
        let token_function = match identity {
            config::Identity::Verified(config::TokenSource::Function) => {
                js::TokenFunction::from_user(&user)
            }
            _ => None,
        };
        if let Some(app) = self.app.borrow().as_ref() {
            app.update_user(identity, external_id, token_function);
        }
        Ok(())
    }

    /// Removes `callback` from the `name` event. Throws on an unknown name.
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FrontdeskEventName")] name: &str,
        #[wasm_bindgen(unchecked_param_type = "(payload: any) => void")] callback: JsValue,
    ) -> Result<(), JsValue> {
        let event = events::EventName::parse(name).map_err(|e| js::error(&e))?;
        if let Some(app) = self.app.borrow().as_ref() {
            app.listeners().remove(event, &callback);
        }
        Ok(())
    }
}
