//! Frontdesk: the embeddable support-chat widget.
//!
//! # Layout
//! - `lib.rs` — the only `#[wasm_bindgen]` surface: `init(options)` and the handle it resolves to.
//!
//! The pure core (neither `web-sys` nor `JsValue`, so it runs under a native `cargo test`):
//! - [`value`] — a plain-Rust copy of the options object and of server answers, with a JSON encoder.
//! - [`config`] — options → typed `Config` or an error naming the option path.
//! - [`protocol`] — the wire format: sessions, messages, updates, error bodies, request bodies, headers.
//! - [`state`] — `ChatState`, private behind methods that keep its invariants: server data and visitor
//!   actions in, the view model out.
//! - [`storage`] — this device's id, outbox and read marker, behind a `Store` trait: a memory store for
//!   tests, and `LocalStore`, the one piece of it that reaches `web-sys` (localStorage).
//! - [`text`] — message text → text and http(s) link runs, and the message length rule.
//! - [`i18n`] — the widget's words per language (the files in `src/locales/`).
//!
//! The browser layer:
//! - `js` — the boundary's conversions: `JsValue` → [`value::Value`], messages → `js_sys::Error`.
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
  /** Open the chat panel as soon as the launcher shows. */
  openOnStart?: boolean;
}
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
    )
    .map_err(|e| js::error(&e))?;
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
}
