//! The only module that touches the DOM.
//!
//! It builds the widget inside a Shadow DOM root on one host element, so the page's CSS cannot
//! reach in and ours cannot leak out. Styles go through a constructable stylesheet
//! (`adoptedStyleSheets`), which a strict Content-Security-Policy without `unsafe-inline` allows,
//! where a `<style>` element would be blocked.
//!
//! [`View`] is made of one component per region — `launcher`, `header`, `sessions` (the list of
//! earlier conversations), `conversation` and `composer` — each owning its elements and its
//! listeners (`gloo_events::EventListener`, removed when dropped) and drawing its part of the
//! [`ViewModel`] in a `render`. Dropping the view drops them all, and removes the host.
//!
//! Text from visitors, agents and the page is only ever set with `textContent` (and links only as
//! http(s) anchors built from `text::runs`): nothing here parses HTML.
//!
//! # When a DOM call fails
//! One rule, in every component. A call that can fail because of the page — no `<body>` yet, a host
//! that refuses a shadow root, a browser without constructable stylesheets — is made only while
//! mounting and returns a [`DomError`], so `init` rejects with the reason and leaves nothing behind.
//! Every other call cannot fail for the arguments this module passes (constant tag names, attribute
//! names and selectors, appending a node it just created, `focus`): a comment beside it says why, and
//! it is unwrapped with `unwrap_throw()`, so should a browser ever prove that wrong, the page gets an
//! exception (naming file and line in a debug build) rather than a widget that silently half-works.
//! One shared message rather than one per call keeps the release wasm 270 bytes (gzipped) smaller.
//! No failure is dropped with `.ok()`.

mod composer;
mod conversation;
mod csat;
mod header;
mod launcher;
mod sessions;
mod sound;
mod time;

use crate::config::{ColorScheme, Position, UiOptions};
use crate::i18n::Strings;
use crate::state::{ScreenKind, ViewModel};
use composer::Composer;
use conversation::Conversation;
pub use conversation::{Availability, EmailOffer, Welcome};
use gloo_events::{EventListener, EventListenerOptions};
use header::Header;
use launcher::Launcher;
use sessions::SessionList;
use std::cell::OnceCell;
use std::rc::Rc;
use time::Clock;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{Document, Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

/// The host element's attribute, so a page (or a test) can find the widget.
pub const HOST_ATTRIBUTE: &str = "data-frontdesk";

/// `style.css`, compacted by `build.rs`.
const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.css"));

/// What the visitor did, as the view reports it to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewEvent {
    Open,
    Close,
    Back,
    NewConversation,
    SelectSession(String),
    /// The visitor scrolled near the top of the conversation: the page above is wanted.
    LoadOlder,
    Send(String),
    Retry(String),
    /// The composer's text changed: whether it has any.
    Input(bool),
    /// The page was shown or hidden (`visibilitychange`).
    Visible,
    /// The visitor confirmed ending the chat on screen.
    EndChat,
    /// The visitor rated the chat on screen: 1 to 5, and a comment (maybe empty).
    Rate(u8, String),
    /// Files chosen with the picker, dropped on the panel or pasted.
    Files(Vec<web_sys::File>),
    /// The chip of this key was removed (its upload, if under way, is cancelled).
    RemoveFile(u32),
    /// A thumbnail needs this attachment's bytes ([`View::show_blob`]).
    Fetch(String),
    /// The visitor clicked a file's row: its id and name ([`View::save`]).
    Download(String, String),
    /// Outside office hours, the visitor left this email for the reply (as typed).
    LeaveEmail(String),
}

/// Where the components send [`ViewEvent`]s.
pub type Dispatch = Rc<dyn Fn(ViewEvent)>;

/// The closed launcher the script-tag loader (`www/widget.js`) drew before the wasm arrived: its host
/// (already on the page), open shadow root and button. [`View::mount`] adopts them instead of drawing
/// its own, so the visitor sees one launcher throughout, and keeps focus or a press on it.
pub struct Drawn {
    pub host: HtmlElement,
    pub root: ShadowRoot,
    pub button: HtmlElement,
}

/// Where the view goes: its host (on the page already when the loader drew it), the open shadow root, and
/// the loader's launcher button when there is one.
struct Shell {
    host: HtmlElement,
    root: ShadowRoot,
    button: Option<HtmlElement>,
}

/// A DOM call failed for a reason the page controls, while mounting: turned into a message at once,
/// so no `JsValue` travels further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomError(pub String);

impl std::fmt::Display for DomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not build the widget: {}", self.0)
    }
}

fn dom_error(context: &'static str) -> impl Fn(JsValue) -> DomError {
    move |err| DomError(format!("{context}: {}", crate::js::describe(&err)))
}

/// The whole widget on the page: the host, its shadow root and the components.
pub struct View {
    host: HtmlElement,
    root: ShadowRoot,
    /// The dialog: on the page from the start (empty and hidden), filled at the first open.
    panel: HtmlElement,
    /// What fills the panel, built at the first open: a visitor who never opens the chat never pays
    /// for it, and the launcher shows sooner (BENCHMARKS.md, start-up).
    contents: OnceCell<PanelContents>,
    /// What building the contents needs.
    doc: Doc,
    strings: &'static Strings,
    clock: Rc<Clock>,
    dispatch: Dispatch,
    launcher: Launcher,
    live: HtmlElement,
    welcome: std::cell::RefCell<Welcome>,
    /// Escape closes the panel from anywhere inside it.
    _escape: EventListener,
    /// What the visitor saw is reported only while the page is visible: its return is worth a look.
    _visibility: EventListener,
    /// The page's own title while ours (`(2) Title`) shows in its place.
    page_title: std::cell::RefCell<Option<String>>,
}

/// The panel's regions.
struct PanelContents {
    header: Header,
    notice: HtmlElement,
    sessions: SessionList,
    conversation: Conversation,
    composer: Composer,
    /// Scrolling near the top asks for older messages.
    _older: EventListener,
    /// Files dropped on the panel or pasted into it.
    _files: [EventListener; 3],
}

impl View {
    /// Builds the launcher and the (closed, empty) panel and attaches them to `<body>`; or, given the
    /// launcher the loader `drawn`, adds the panel beside it. Nothing on the page changes unless it succeeds.
    pub fn mount(
        ui: &UiOptions,
        strings: &'static Strings,
        right_to_left: bool,
        date_locale: &str,
        dispatch: Dispatch,
        drawn: Option<Drawn>,
    ) -> Result<View, DomError> {
        let doc = Doc::of_page()?;
        let body = doc
            .0
            .body()
            .ok_or_else(|| DomError("the page has no <body> yet; call init after load".into()))?;
        let shell = match drawn {
            Some(Drawn { host, root, button }) => Shell {
                host,
                root,
                button: Some(button),
            },
            None => {
                let host = doc.element("div", "");
                let root = host
                    .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
                    .map_err(dom_error("shadow root"))?;
                Shell {
                    host,
                    root,
                    button: None,
                }
            }
        };
        // In place of the loader's, which holds only the closed launcher's rules (the same text as ours).
        adopt_style(&shell.root)?;
        set_attributes(
            &shell.host,
            &[
                (HOST_ATTRIBUTE, ""),
                ("lang", strings.code),
                ("dir", direction(right_to_left)),
            ],
        );
        let adopted = shell.button.is_some();
        let view = View::build(doc, ui, strings, date_locale, shell, dispatch);
        if !adopted {
            body.append_child(&view.host).map_err(dom_error("host"))?;
        }
        Ok(view)
    }

    fn build(
        doc: Doc,
        ui: &UiOptions,
        strings: &'static Strings,
        date_locale: &str,
        Shell { host, root, button }: Shell,
        dispatch: Dispatch,
    ) -> View {
        let panel = doc.element("section", "panel");
        panel.set_hidden(true);
        set_attributes(&panel, &[("role", "dialog"), ("aria-label", strings.title)]);
        let live = doc.element("div", "sr-only");
        set_attributes(&live, &[("aria-live", "polite"), ("aria-atomic", "true")]);
        let adopted = button.is_some();
        let container = match &button {
            // Unreachable failure: the loader put its button in the container, in the shadow root.
            Some(button) => button.parent_element().unwrap_throw().unchecked_into(),
            None => doc.element("div", container_class(ui.position)),
        };
        let launcher = Launcher::new(&doc, strings, &panel, &dispatch, button);
        // CSSOM property writes are allowed under a strict CSP, unlike a style attribute in markup.
        // Unreachable: a custom property takes any value.
        let style = container.style();
        style.set_property("--fd-color", &ui.color).unwrap_throw();
        // Placement the page asked for (`zIndex`, `offset`), over the stylesheet's defaults.
        let px = |n: u32| {
            let mut value = crate::text::decimal(i64::from(n));
            value.push_str("px");
            value
        };
        if let Some(z) = ui.z_index {
            style
                .set_property("z-index", &crate::text::decimal(i64::from(z)))
                .unwrap_throw();
        }
        if let Some(bottom) = ui.offset_bottom {
            style.set_property("bottom", &px(bottom)).unwrap_throw();
        }
        if let Some(side) = ui.offset_side {
            let edge = match ui.position {
                Position::Right => "right",
                Position::Left => "left",
            };
            style.set_property(edge, &px(side)).unwrap_throw();
        }
        let scheme = match ui.color_scheme {
            ColorScheme::Light => None,
            ColorScheme::Dark => Some("dark"),
            ColorScheme::Auto => Some("auto"),
        };
        if let Some(scheme) = scheme {
            // Unreachable failure: a constant class name.
            container.class_list().add_1(scheme).unwrap_throw();
        }
        if !adopted {
            append(&container, &[launcher.element()]);
            append(&root, &[&container]);
        }
        // The panel before the launcher and the live region after it, around an adopted launcher too: it is
        // never moved, which would take focus off it.
        // Unreachable failure: the launcher is a child of the container.
        container
            .insert_before(&panel, Some(launcher.element()))
            .unwrap_throw();
        append(&container, &[&live]);
        let escape_dispatch = dispatch.clone();
        let _escape = EventListener::new_with_options(
            &panel,
            "keydown",
            EventListenerOptions::run_in_capture_phase(),
            move |e| {
                if e.unchecked_ref::<web_sys::KeyboardEvent>().key() == "Escape" {
                    escape_dispatch(ViewEvent::Close)
                }
            },
        );
        let _visibility = on(&doc.0, "visibilitychange", &dispatch, |_| {
            Some(ViewEvent::Visible)
        });
        View {
            host,
            root,
            panel,
            contents: OnceCell::new(),
            doc,
            strings,
            clock: Rc::new(Clock::new(date_locale)),
            dispatch,
            launcher,
            live,
            welcome: Default::default(),
            _escape,
            _visibility,
            page_title: std::cell::RefCell::new(None),
        }
    }

    /// The panel's regions, built and put in the panel on the first call.
    fn contents(&self) -> &PanelContents {
        self.contents.get_or_init(|| {
            let (doc, strings, dispatch) = (&self.doc, self.strings, &self.dispatch);
            let header = Header::new(doc, strings, dispatch);
            let notice = doc.element("p", "notice error");
            set_attributes(&notice, &[("role", "alert")]);
            notice.set_hidden(true);
            let sessions = SessionList::new(doc, strings, self.clock.clone(), dispatch);
            let conversation = Conversation::new(doc, strings, self.clock.clone(), dispatch);
            let body_area = doc.element("div", "body");
            append(
                &body_area,
                &[&notice, sessions.element(), conversation.element()],
            );
            // Within a panel's height of the top, the page of messages above is asked for, so it is
            // usually there before the visitor reaches it.
            let scroller = body_area.clone();
            let _older = on(&body_area, "scroll", dispatch, move |_| {
                (scroller.scroll_top() < scroller.client_height()).then_some(ViewEvent::LoadOlder)
            });
            let composer = Composer::new(doc, strings, dispatch);
            let [typing, hint, chips, composer_row] = composer.elements();
            append(
                &self.panel,
                &[
                    header.element(),
                    &body_area,
                    typing,
                    hint,
                    chips,
                    composer_row,
                ],
            );
            let prevent = EventListenerOptions::enable_prevent_default;
            // A drop is allowed only where `dragover` was cancelled.
            let dragover =
                EventListener::new_with_options(&self.panel, "dragover", prevent(), |e| {
                    e.prevent_default()
                });
            let drop_dispatch = dispatch.clone();
            let dropped =
                EventListener::new_with_options(&self.panel, "drop", prevent(), move |e| {
                    e.prevent_default();
                    let transfer = e.unchecked_ref::<web_sys::DragEvent>().data_transfer();
                    let files = files(transfer.and_then(|t| t.files()));
                    if !files.is_empty() {
                        drop_dispatch(ViewEvent::Files(files));
                    }
                });
            let paste_dispatch = dispatch.clone();
            // Only a paste that carries files (a screenshot) is taken; text pastes into the composer as usual.
            let pasted =
                EventListener::new_with_options(&self.panel, "paste", prevent(), move |e| {
                    let transfer = e
                        .unchecked_ref::<web_sys::ClipboardEvent>()
                        .clipboard_data();
                    let files = files(transfer.and_then(|t| t.files()));
                    if !files.is_empty() {
                        e.prevent_default();
                        paste_dispatch(ViewEvent::Files(files));
                    }
                });
            PanelContents {
                header,
                notice,
                sessions,
                conversation,
                composer,
                _older,
                _files: [dragover, dropped, pasted],
            }
        })
    }

    pub fn is_open(&self) -> bool {
        !self.panel.hidden()
    }

    /// Speaks another language: the host's `lang` and `dir`, the launcher's name, and the panel's regions,
    /// which are built again in the new words (at once when the panel is open, else at its next open),
    /// keeping what the visitor was writing. The caller then draws the view model ([`View::render`]) and
    /// the chips again, and when this returns true (focus was in the panel, whose elements are new) puts
    /// focus back with [`View::focus_screen`].
    pub fn set_language(
        &mut self,
        strings: &'static Strings,
        right_to_left: bool,
        date_locale: &str,
    ) -> bool {
        set_attributes(
            &self.host,
            &[("lang", strings.code), ("dir", direction(right_to_left))],
        );
        self.strings = strings;
        self.clock = Rc::new(Clock::new(date_locale));
        self.launcher.set_strings(strings);
        set_attributes(&self.panel, &[("aria-label", strings.title)]);
        let Some(old) = self.contents.take() else {
            return false;
        };
        let draft = old.composer.text();
        let focus_was_in_panel = self
            .root
            .active_element()
            .is_some_and(|e| self.panel.contains(Some(&e)));
        self.panel.set_text_content(None);
        drop(old);
        if self.is_open() || !draft.is_empty() {
            self.contents().composer.set_text(&draft);
        }
        focus_was_in_panel
    }

    /// The panel is open and the page's tab is the one shown.
    pub fn is_visible(&self) -> bool {
        self.is_open() && !self.doc.0.hidden()
    }

    /// Shows the panel (filling it the first time); the caller then draws the view model into it with
    /// [`View::render`] and moves focus with [`View::focus_screen`].
    pub fn open(&self) {
        let contents = self.contents();
        self.panel.set_hidden(false);
        self.launcher.set_expanded(true);
        contents.conversation.scroll_to_end();
    }

    /// Hides the panel; focus goes back to the launcher only when it was inside the widget, so closing
    /// from the page's own code does not steal the visitor's focus.
    pub fn close(&self) {
        let focus_was_inside = self.root.active_element().is_some();
        self.panel.set_hidden(true);
        self.launcher.set_expanded(false);
        if focus_was_inside {
            self.launcher.focus();
        }
    }

    /// Draws the view model: each component its part (the panel's only once it has been opened).
    pub fn render(&self, model: &ViewModel) {
        self.launcher.render(model);
        let Some(contents) = self.contents.get() else {
            return;
        };
        contents.header.render(model);
        contents.sessions.render(model);
        let welcome = self.welcome.borrow();
        let conversation = &contents.conversation;
        conversation.set_welcome(
            &welcome.greeting,
            welcome.greeting_from.as_deref(),
            &welcome.questions,
        );
        conversation.set_availability(welcome.availability.as_ref());
        conversation.set_email_offer(&welcome.email);
        let grew = conversation.render(model);
        // Reading scrollHeight forces a layout of the whole list: only when there is something new to
        // show, and only when it is on screen (`open` scrolls when the panel appears).
        if grew && self.is_open() {
            contents.conversation.scroll_to_end();
        }
        contents.composer.render(model);
    }

    /// What the conversation shows around its messages (the greeting and questions before the first message,
    /// whether the team is in, the leave-an-email form): drawn by the next [`View::render`].
    pub fn set_welcome(&self, welcome: Welcome) {
        *self.welcome.borrow_mut() = welcome;
    }

    /// The launcher (and the panel with it) out of sight, or back: `hideOutsideOfficeHours`.
    pub fn set_hidden(&self, hidden: bool) {
        // `display`, not the `hidden` attribute: the shadow root's `:host` rule sets a display, which wins over it.
        // Unreachable failure: a known property with a valid value.
        let style = self.host.style();
        if hidden {
            style.set_property("display", "none").unwrap_throw();
        } else {
            style.remove_property("display").unwrap_throw();
        }
    }

    /// Puts focus where the visitor will act next: the composer in a conversation, else the
    /// "New conversation" button.
    pub fn focus_screen(&self, screen: ScreenKind) {
        let contents = self.contents();
        match screen {
            ScreenKind::Conversation => contents.composer.focus(),
            ScreenKind::List => contents.sessions.focus(),
        };
        if self.root.active_element().is_none() {
            contents.header.focus_close();
        }
    }

    /// While the page is hidden and replies are unread, its title starts with their count (`(2) Title`);
    /// once it is shown again (or nothing is unread), the page's own title comes back.
    pub fn show_unread_in_title(&self, unread: u32) {
        let document = &self.doc.0;
        let mut original = self.page_title.borrow_mut();
        if document.hidden() && unread > 0 {
            let base = original.get_or_insert_with(|| document.title()).clone();
            let mut title = String::from("(");
            title.push_str(&crate::text::decimal(i64::from(unread)));
            title.push_str(") ");
            title.push_str(&base);
            document.set_title(&title);
        } else if let Some(base) = original.take() {
            document.set_title(&base);
        }
    }

    /// `showNewMessage`: the composer holds `text` (the panel is open on a new conversation).
    pub fn set_composer(&self, text: &str) {
        self.contents().composer.set_text(text);
    }

    /// A short tone for a new reply (`sound: true`).
    pub fn chime(&self) {
        sound::chime();
    }

    /// Says `text` to screen readers through the polite live region.
    pub fn announce(&self, text: &str) {
        self.live.set_text_content(Some(text));
    }

    /// Fills the panel if it is still empty: a notice is rare (the widget's set-up is wrong), and it
    /// must be there when the visitor opens the panel.
    pub fn set_notice(&self, text: Option<&str>) {
        let notice = &self.contents().notice;
        notice.set_hidden(text.is_none());
        notice.set_text_content(text);
    }

    pub fn host(&self) -> &HtmlElement {
        &self.host
    }

    /// The chips of the chosen files, above the composer.
    pub fn render_chips(&self, chips: &[crate::attach::ChipView]) {
        if let Some(contents) = self.contents.get() {
            contents.composer.render_chips(chips);
        }
    }

    /// How much of chip `key`'s upload is sent (0–100).
    pub fn chip_progress(&self, key: u32, percent: u8) {
        if let Some(contents) = self.contents.get() {
            contents.composer.chip_progress(key, percent);
        }
    }

    /// The bytes of an attachment a thumbnail asked for ([`ViewEvent::Fetch`]), or `None` when they could not be
    /// had.
    pub fn show_blob(&self, id: &str, blob: Option<&web_sys::Blob>) {
        if let Some(contents) = self.contents.get() {
            contents.conversation.show_blob(id, blob);
        }
    }

    /// Saves a downloaded file under `name`: a `blob:` URL on an `<a download>`, clicked, revoked a minute
    /// later (revoking at once can cut the download short).
    pub fn save(&self, blob: &web_sys::Blob, name: &str) {
        let url = object_url(blob);
        let a = self.doc.element("a", "");
        set_attributes(&a, &[("href", &url), ("download", name)]);
        a.click();
        gloo_timers::callback::Timeout::new(60_000, move || revoke(&url)).forget();
    }
}

/// The files of a picker, a drop or a paste.
fn files(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let mut files = Vec::new();
    if let Some(list) = list {
        for i in 0..list.length() {
            if let Some(file) = list.get(i) {
                files.push(file);
            }
        }
    }
    files
}

/// Unreachable failure: `createObjectURL` of a `Blob` throws only in a context without URLs.
fn object_url(blob: &web_sys::Blob) -> String {
    web_sys::Url::create_object_url_with_blob(blob).unwrap_throw()
}

/// Unreachable failure: revoking any string is allowed.
fn revoke(url: &str) {
    web_sys::Url::revoke_object_url(url).unwrap_throw();
}

impl Drop for View {
    fn drop(&mut self) {
        if let Some(title) = self.page_title.borrow_mut().take() {
            self.doc.0.set_title(&title);
        }
        self.host.remove();
    }
}

fn direction(right_to_left: bool) -> &'static str {
    if right_to_left {
        "rtl"
    } else {
        "ltr"
    }
}

fn container_class(position: Position) -> &'static str {
    match position {
        Position::Right => "root",
        Position::Left => "root left",
    }
}

/// The widget's stylesheet, adopted by `root` (in place of any other): with attaching the shadow root,
/// the steps a page can make fail.
fn adopt_style(root: &ShadowRoot) -> Result<(), DomError> {
    let sheet = web_sys::CssStyleSheet::new().map_err(dom_error("stylesheet"))?;
    sheet.replace_sync(STYLE).map_err(dom_error("stylesheet"))?;
    root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    Ok(())
}

/// The page's document, and the element constructors every component uses.
#[derive(Clone)]
struct Doc(Document);

impl Doc {
    fn of_page() -> Result<Doc, DomError> {
        web_sys::window()
            .and_then(|w| w.document())
            .map(Doc)
            .ok_or_else(|| DomError("no document (is this running in a page?)".into()))
    }

    /// A new `<tag class="class">`. Unreachable failure: tags are constants of this module.
    pub fn element(&self, tag: &str, class: &str) -> HtmlElement {
        let element: HtmlElement = self.0.create_element(tag).unwrap_throw().unchecked_into();
        if !class.is_empty() {
            element.set_class_name(class);
        }
        element
    }

    /// A new element showing `text` as text.
    pub fn text(&self, tag: &str, class: &str, text: &str) -> HtmlElement {
        let element = self.element(tag, class);
        element.set_text_content(Some(text));
        element
    }

    /// A `type="button"` button labelled `label`.
    pub fn button(&self, class: &str, label: &str) -> HtmlElement {
        let element = self.text("button", class, label);
        set_attributes(&element, &[("type", "button")]);
        element
    }

    pub fn text_node(&self, text: &str) -> web_sys::Text {
        self.0.create_text_node(text)
    }

    /// An SVG element (the launcher's icon). Unreachable failure: constant tags.
    pub fn svg(&self, tag: &str) -> Element {
        self.0
            .create_element_ns(Some("http://www.w3.org/2000/svg"), tag)
            .unwrap_throw()
    }
}

/// Unreachable failure: attribute names are constants of this module, so valid.
fn set_attributes(element: &Element, attributes: &[(&str, &str)]) {
    for (name, value) in attributes {
        element.set_attribute(name, value).unwrap_throw();
    }
}

/// Unreachable failure: appending a new, detached node (no cycle, no second parent).
fn append(parent: &web_sys::Node, children: &[&web_sys::Node]) {
    for child in children {
        parent.append_child(child).unwrap_throw();
    }
}

/// Unreachable failure: `focus()` is declared as throwing but does not.
fn focus(element: &HtmlElement) {
    element.focus().unwrap_throw();
}

/// A listener that maps `event` on `target` to a [`ViewEvent`], when there is one.
fn on(
    target: &web_sys::EventTarget,
    event: &'static str,
    dispatch: &Dispatch,
    event_for: impl Fn(&web_sys::Event) -> Option<ViewEvent> + 'static,
) -> EventListener {
    let dispatch = dispatch.clone();
    EventListener::new(target, event, move |e| {
        if let Some(view_event) = event_for(e) {
            dispatch(view_event)
        }
    })
}

/// The `data-*` value of the nearest element carrying `attribute` at or above the event's target:
/// how a click in a list finds its row. Unreachable failure: `closest` throws only for an invalid
/// selector, and the attribute names are constants.
/// `attribute` is given twice, as the name and as the selector `[name]`, so no string is built per click.
fn closest_data(event: &web_sys::Event, attribute: &str, selector: &str) -> Option<String> {
    let target = event.target()?;
    let item = target
        .dyn_ref::<Element>()?
        .closest(selector)
        .unwrap_throw()?;
    item.get_attribute(attribute)
}
