//! The only module that touches the DOM.
//!
//! It builds the widget inside a Shadow DOM root on one host element, so the page's CSS cannot
//! reach in and ours cannot leak out. Styles go through a constructable stylesheet
//! (`adoptedStyleSheets`), which a strict Content-Security-Policy without `unsafe-inline` allows,
//! where a `<style>` element would be blocked. Every listener is a `gloo_events::EventListener`
//! owned by [`View`]: dropping the view removes them all, and the host with them.
//!
//! Text from visitors, agents and the page is only ever set with `textContent` (and links only as
//! http(s) anchors built from `text::runs`): nothing here parses HTML.

use crate::config::{Position, UiOptions};
use crate::i18n::Strings;
use crate::protocol::Author;
use crate::state::{ItemStatus, ItemView, SessionRow};
use crate::text::{self, Run};
use gloo_events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{
    Document, Element, HtmlElement, HtmlTextAreaElement, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

/// The host element's attribute, so a page (or a test) can find the widget.
pub const HOST_ATTRIBUTE: &str = "data-frontdesk";
/// The most a visitor can type: the server's limit (docs/api.md).
pub const MAX_MESSAGE_CHARS: u32 = 4000;

const STYLE: &str = include_str!("style.css");
const CHAT_ICON: &str = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

/// What the visitor did, as the view reports it to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewEvent {
    Open,
    Close,
    Back,
    NewConversation,
    SelectSession(String),
    Send(String),
    Retry(String),
}

/// A DOM call failed where the browser documents no failure for valid input: turned into a message
/// at once, so no `JsValue` travels further.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKind {
    List,
    Conversation,
}

pub struct View {
    document: Document,
    strings: &'static Strings,
    host: HtmlElement,
    root: ShadowRoot,
    launcher: HtmlElement,
    badge: HtmlElement,
    panel: HtmlElement,
    back_button: HtmlElement,
    close_button: HtmlElement,
    notice: HtmlElement,
    list_screen: HtmlElement,
    new_button: HtmlElement,
    session_list: HtmlElement,
    empty_list: HtmlElement,
    conversation_screen: HtmlElement,
    greeting: HtmlElement,
    message_list: HtmlElement,
    composer: HtmlElement,
    textarea: HtmlTextAreaElement,
    live: HtmlElement,
    /// `Intl.DateTimeFormat(...).format`, built once, on first use: building one per message was a fifth of
    /// the time it took to open a 1,000-message chat, and building them at start-up was a quarter of it
    /// (ICU loads its data), for visitors who may never open the panel.
    language_code: String,
    time_format: std::cell::OnceCell<js_sys::Function>,
    date_time_format: std::cell::OnceCell<js_sys::Function>,
    /// What the message list shows, by item, so a new message appends instead of redrawing all.
    rendered: RefCell<Vec<ItemView>>,
    /// Held only so the listeners live as long as the view; dropping removes them.
    _listeners: Vec<EventListener>,
}

impl View {
    /// Builds the launcher and the (closed) panel and attaches them to `<body>`.
    pub fn mount(
        ui: &UiOptions,
        strings: &'static Strings,
        language_code: &str,
        right_to_left: bool,
        dispatch: Rc<dyn Fn(ViewEvent)>,
    ) -> Result<View, DomError> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| DomError("no document (is this running in a page?)".into()))?;
        let body = document
            .body()
            .ok_or_else(|| DomError("the page has no <body> yet; call init after load".into()))?;
        // Creating elements of constant tags and setting constant attribute names cannot fail, so they
        // are not threaded through `Result` (each error path costs wasm bytes for nothing).
        let make = |tag: &str, class: &str| -> HtmlElement {
            let element: HtmlElement = document
                .create_element(tag)
                .expect_throw("unreachable: constant tag")
                .unchecked_into();
            if !class.is_empty() {
                element.set_class_name(class);
            }
            element
        };
        let button = |class: &str, label: &str| -> HtmlElement {
            let element = make("button", class);
            set_attributes(&element, &[("type", "button")]);
            element.set_text_content(Some(label));
            element
        };

        let host = make("div", "");
        set_attributes(
            &host,
            &[
                (HOST_ATTRIBUTE, ""),
                ("lang", language_code),
                ("dir", if right_to_left { "rtl" } else { "ltr" }),
            ],
        );
        let root = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .map_err(dom_error("shadow root"))?;
        let sheet = web_sys::CssStyleSheet::new().map_err(dom_error("stylesheet"))?;
        sheet.replace_sync(STYLE).map_err(dom_error("stylesheet"))?;
        root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        let container = make(
            "div",
            match ui.position {
                Position::Right => "root",
                Position::Left => "root left",
            },
        );
        // CSSOM property writes are allowed under a strict CSP, unlike a style attribute in markup.
        container
            .style()
            .set_property("--fd-color", &ui.color)
            .expect_throw("unreachable: a custom property accepts any value");

        let panel = make("section", "panel");
        panel.set_hidden(true);
        set_attributes(&panel, &[("role", "dialog"), ("aria-label", strings.title)]);

        let header = make("div", "header");
        let back_button = button("", "‹");
        set_attributes(&back_button, &[("aria-label", strings.back)]);
        back_button.set_hidden(true);
        let title = make("h2", "");
        title.set_text_content(Some(strings.title));
        let close_button = button("", "×");
        set_attributes(&close_button, &[("aria-label", strings.close_chat)]);
        append(&header, &[&back_button, &title, &close_button]);

        let body_area = make("div", "body");
        let notice = make("p", "notice error");
        set_attributes(&notice, &[("role", "alert")]);
        notice.set_hidden(true);

        let list_screen = make("div", "screen");
        let new_button = button("primary", strings.new_conversation);
        let list_heading = make("h3", "sr-only");
        list_heading.set_text_content(Some(strings.earlier_conversations));
        let session_list = make("ul", "sessions");
        set_attributes(
            &session_list,
            &[("aria-label", strings.earlier_conversations)],
        );
        let empty_list = make("p", "notice");
        empty_list.set_text_content(Some(strings.no_conversations));
        append(
            &list_screen,
            &[&new_button, &list_heading, &session_list, &empty_list],
        );

        let conversation_screen = make("div", "screen");
        let greeting = make("p", "notice");
        greeting.set_text_content(Some(strings.greeting));
        let message_list = make("ul", "messages");
        set_attributes(&message_list, &[("aria-label", strings.title)]);
        append(&conversation_screen, &[&greeting, &message_list]);
        append(&body_area, &[&notice, &list_screen, &conversation_screen]);

        let composer = make("div", "composer");
        let textarea: HtmlTextAreaElement = make("textarea", "").unchecked_into();
        textarea.set_rows(1);
        textarea.set_max_length(MAX_MESSAGE_CHARS as i32);
        set_attributes(
            &textarea,
            &[
                ("aria-label", strings.message),
                ("placeholder", strings.message),
            ],
        );
        let send_button = button("", strings.send);
        append(&composer, &[&textarea, &send_button]);

        let live = make("div", "sr-only");
        set_attributes(&live, &[("aria-live", "polite"), ("aria-atomic", "true")]);

        append(&panel, &[&header, &body_area, &composer]);

        let launcher = make("button", "launcher");
        set_attributes(
            &launcher,
            &[
                ("type", "button"),
                ("aria-label", strings.open_chat),
                ("aria-expanded", "false"),
            ],
        );
        let svg = Some("http://www.w3.org/2000/svg");
        let icon = document
            .create_element_ns(svg, "svg")
            .expect_throw("unreachable: constant tag");
        set_attributes(
            &icon,
            &[
                ("viewBox", "0 0 24 24"),
                ("aria-hidden", "true"),
                ("focusable", "false"),
            ],
        );
        let path = document
            .create_element_ns(svg, "path")
            .expect_throw("unreachable: constant tag");
        set_attributes(&path, &[("d", CHAT_ICON)]);
        append(&icon, &[&path]);
        let badge = make("span", "badge");
        badge.set_hidden(true);
        append(&launcher, &[&icon, &badge]);

        append(&container, &[&panel, &launcher, &live]);
        root.append_child(&container)
            .expect_throw("unreachable: a new element appends");
        body.append_child(&host).map_err(dom_error("host"))?;

        let on =
            |target: &HtmlElement,
             event: &'static str,
             event_for: fn(&web_sys::Event, &HtmlElement) -> Option<ViewEvent>| {
                let dispatch = dispatch.clone();
                let target_clone = target.clone();
                EventListener::new(target, event, move |e| {
                    if let Some(view_event) = event_for(e, &target_clone) {
                        dispatch(view_event)
                    }
                })
            };
        let mut listeners = vec![
            {
                let panel = panel.clone();
                let dispatch = dispatch.clone();
                EventListener::new(&launcher, "click", move |_| {
                    dispatch(if panel.hidden() {
                        ViewEvent::Open
                    } else {
                        ViewEvent::Close
                    })
                })
            },
            on(&close_button, "click", |_, _| Some(ViewEvent::Close)),
            on(&back_button, "click", |_, _| Some(ViewEvent::Back)),
            on(&new_button, "click", |_, _| {
                Some(ViewEvent::NewConversation)
            }),
            on(&session_list, "click", |e, _| {
                let target: Element = e.target()?.dyn_into().ok()?;
                let item = target.closest("[data-session]").ok()??;
                Some(ViewEvent::SelectSession(
                    item.get_attribute("data-session")?,
                ))
            }),
            on(&message_list, "click", |e, _| {
                let target: Element = e.target()?.dyn_into().ok()?;
                let item = target.closest("[data-retry]").ok()??;
                Some(ViewEvent::Retry(item.get_attribute("data-retry")?))
            }),
        ];
        {
            let textarea = textarea.clone();
            let dispatch = dispatch.clone();
            listeners.push(EventListener::new(&send_button, "click", move |_| {
                if let Some(text) = take_text(&textarea) {
                    dispatch(ViewEvent::Send(text))
                }
                textarea.focus().ok();
            }));
        }
        {
            let textarea_clone = textarea.clone();
            let dispatch = dispatch.clone();
            listeners.push(EventListener::new_with_options(
                &textarea,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |e| {
                    let key: &web_sys::KeyboardEvent = e.unchecked_ref();
                    // Enter sends, Shift+Enter is a new line; an IME composition's Enter is neither.
                    if key.key() == "Enter" && !key.shift_key() && !key.is_composing() {
                        e.prevent_default();
                        if let Some(text) = take_text(&textarea_clone) {
                            dispatch(ViewEvent::Send(text))
                        }
                    }
                },
            ));
        }
        {
            let dispatch = dispatch.clone();
            listeners.push(EventListener::new_with_options(
                &panel,
                "keydown",
                EventListenerOptions::run_in_capture_phase(),
                move |e| {
                    if e.unchecked_ref::<web_sys::KeyboardEvent>().key() == "Escape" {
                        dispatch(ViewEvent::Close)
                    }
                },
            ));
        }

        Ok(View {
            language_code: language_code.to_owned(),
            time_format: std::cell::OnceCell::new(),
            date_time_format: std::cell::OnceCell::new(),
            document,
            strings,
            host,
            root,
            launcher,
            badge,
            panel,
            back_button,
            close_button,
            notice,
            list_screen,
            new_button,
            session_list,
            empty_list,
            conversation_screen,
            greeting,
            message_list,
            composer,
            textarea,
            live,
            rendered: RefCell::new(Vec::new()),
            _listeners: listeners,
        })
    }

    pub fn is_open(&self) -> bool {
        !self.panel.hidden()
    }

    /// Shows the panel; the caller then moves focus with [`View::focus_screen`].
    pub fn open(&self) {
        self.panel.set_hidden(false);
        set_attributes(&self.launcher, &[("aria-expanded", "true")]);
        self.scroll_to_end();
    }

    /// Hides the panel; focus goes back to the launcher only when it was inside the widget, so closing
    /// from the page's own code does not steal the visitor's focus.
    pub fn close(&self) {
        let focus_was_inside = self.root.active_element().is_some();
        self.panel.set_hidden(true);
        set_attributes(&self.launcher, &[("aria-expanded", "false")]);
        if focus_was_inside {
            self.launcher.focus().ok();
        }
    }

    pub fn show_screen(&self, screen: ScreenKind) {
        let conversation = screen == ScreenKind::Conversation;
        self.list_screen.set_hidden(conversation);
        self.conversation_screen.set_hidden(!conversation);
        self.composer.set_hidden(!conversation);
        self.back_button.set_hidden(!conversation);
    }

    /// Puts focus where the visitor will act next: the composer in a conversation, else the
    /// "New conversation" button.
    pub fn focus_screen(&self, screen: ScreenKind) {
        match screen {
            ScreenKind::Conversation => self.textarea.focus().ok(),
            ScreenKind::List => self.new_button.focus().ok(),
        };
        if self.root.active_element().is_none() {
            self.close_button.focus().ok();
        }
    }

    pub fn render_sessions(&self, rows: &[SessionRow]) {
        self.session_list.set_text_content(None);
        self.empty_list.set_hidden(!rows.is_empty());
        for row in rows {
            let Ok(item) = self.document.create_element("li") else {
                continue;
            };
            let Ok(button) = self.document.create_element("button") else {
                continue;
            };
            button.set_attribute("type", "button").ok();
            button.set_attribute("data-session", &row.id).ok();
            let preview = self.text_element(
                "span",
                "preview",
                if row.preview.is_empty() {
                    self.strings.new_conversation
                } else {
                    &row.preview
                },
            );
            let when = self.text_element("span", "when", &self.format_time(&row.time, true));
            button.append_child(&preview).ok();
            button.append_child(&when).ok();
            if row.unread {
                button
                    .append_child(&self.text_element("span", "sr-only", self.strings.new_reply))
                    .ok();
            }
            item.append_child(&button).ok();
            self.session_list.append_child(&item).ok();
        }
    }

    /// Draws the conversation. When the items only grew (the usual case: a new message), the new ones
    /// are appended and changed ones replaced; the list is redrawn only when its order changed.
    pub fn render_conversation(&self, items: &[ItemView]) {
        self.greeting.set_hidden(!items.is_empty());
        let mut rendered = self.rendered.borrow_mut();
        let same_order = rendered.len() <= items.len()
            && rendered
                .iter()
                .zip(items)
                .all(|(old, new)| old.key == new.key);
        if !same_order {
            self.message_list.set_text_content(None);
            rendered.clear();
        }
        let mut changed = !same_order;
        let children = self.message_list.children();
        for (index, item) in items.iter().enumerate() {
            match rendered.get(index) {
                Some(old) if old == item => {}
                Some(_) => {
                    changed = true;
                    if let Some(old_element) = children.item(index as u32) {
                        old_element
                            .replace_with_with_node_1(&self.message_element(item))
                            .ok();
                    }
                }
                None => {
                    changed = true;
                    self.message_list
                        .append_child(&self.message_element(item))
                        .ok();
                }
            }
        }
        if changed {
            *rendered = items.to_vec();
            // Reading scrollHeight forces a layout of the whole list: only when there is something new to
            // show, and only when it is on screen (`open` scrolls when the panel appears).
            if self.is_open() {
                self.scroll_to_end();
            }
        }
    }

    fn scroll_to_end(&self) {
        if let Some(scroller) = self
            .message_list
            .parent_element()
            .and_then(|p| p.parent_element())
        {
            scroller.set_scroll_top(scroller.scroll_height());
        }
    }

    fn message_element(&self, item: &ItemView) -> Element {
        let li = self
            .document
            .create_element("li")
            .expect_throw("unreachable: li is a valid tag");
        let author = match item.author {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
        };
        let status = match item.status {
            ItemStatus::Sent => "",
            ItemStatus::Pending => " pending",
            ItemStatus::Failed(_) => " failed",
        };
        li.set_class_name(&format!("msg {author}{status}"));
        let who = match (&item.author, &item.author_name) {
            (Author::Visitor, _) => self.strings.you,
            (Author::Agent, Some(name)) => name,
            (Author::Agent, None) => self.strings.support,
        };
        li.append_child(&self.text_element("span", "sr-only", &format!("{who}: ")))
            .ok();
        for run in text::runs(&item.content) {
            match run {
                Run::Text(t) => {
                    li.append_child(&self.document.create_text_node(t)).ok();
                }
                Run::Link(url) => {
                    let a = self.text_element("a", "", url);
                    a.set_attribute("href", url).ok();
                    a.set_attribute("target", "_blank").ok();
                    a.set_attribute("rel", "noopener noreferrer nofollow").ok();
                    li.append_child(&a).ok();
                }
            }
        }
        let meta = match (&item.status, &item.created_at) {
            (ItemStatus::Pending, _) => self.strings.pending.to_owned(),
            (ItemStatus::Failed(_), _) => String::new(),
            (ItemStatus::Sent, Some(at)) => match item.author {
                Author::Agent => format!("{who} · {}", self.format_time(at, false)),
                Author::Visitor => self.format_time(at, false),
            },
            (ItemStatus::Sent, None) => String::new(),
        };
        if !meta.is_empty() {
            li.append_child(&self.text_element("span", "meta", &meta))
                .ok();
        }
        if let ItemStatus::Failed(reason) = &item.status {
            li.append_child(&self.text_element("span", "meta", reason))
                .ok();
            let retry = self.text_element("button", "retry", self.strings.failed_retry);
            retry.set_attribute("type", "button").ok();
            retry.set_attribute("data-retry", &item.key).ok();
            li.append_child(&retry).ok();
        }
        li
    }

    fn text_element(&self, tag: &str, class: &str, text: &str) -> Element {
        let element = self
            .document
            .create_element(tag)
            .expect_throw("unreachable: the tag is a constant");
        if !class.is_empty() {
            element.set_class_name(class);
        }
        element.set_text_content(Some(text));
        element
    }

    fn format_time(&self, iso: &str, with_date: bool) -> String {
        let date = js_sys::Date::new(&JsValue::from_str(iso));
        if date.get_time().is_nan() {
            return String::new();
        }
        let format = if with_date {
            &self.date_time_format
        } else {
            &self.time_format
        }
        .get_or_init(|| date_formatter(&self.language_code, with_date));
        format
            .call1(&JsValue::NULL, &date)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default()
    }

    pub fn set_unread(&self, count: u32) {
        self.badge.set_hidden(count == 0);
        let count_text = if count > 99 {
            "99+".to_owned()
        } else {
            count.to_string()
        };
        self.badge.set_text_content(Some(&count_text));
        let label = if count == 0 {
            self.strings.open_chat.to_owned()
        } else {
            format!(
                "{} ({count_text} {})",
                self.strings.open_chat, self.strings.unread
            )
        };
        set_attributes(&self.launcher, &[("aria-label", &label)]);
    }

    /// Says `text` to screen readers through the polite live region.
    pub fn announce(&self, text: &str) {
        self.live.set_text_content(Some(text));
    }

    pub fn set_notice(&self, text: Option<&str>) {
        self.notice.set_hidden(text.is_none());
        self.notice.set_text_content(text);
    }

    pub fn host(&self) -> &HtmlElement {
        &self.host
    }
}

impl Drop for View {
    fn drop(&mut self) {
        self.host.remove();
    }
}

/// The bound `format` of an `Intl.DateTimeFormat` for `locale`: hours and minutes, and the day when asked.
fn date_formatter(locale: &str, with_date: bool) -> js_sys::Function {
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| js_sys::Reflect::set(&options, &k.into(), &v.into()).ok();
    set("hour", "2-digit");
    set("minute", "2-digit");
    if with_date {
        set("month", "short");
        set("day", "numeric");
    }
    js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&locale.into()), &options).format()
}

fn take_text(textarea: &HtmlTextAreaElement) -> Option<String> {
    let value = textarea.value();
    if value.trim().is_empty() {
        return None;
    }
    textarea.set_value("");
    Some(value.trim().to_owned())
}

/// Attribute names are constants of this module: valid, so setting them cannot fail.
fn set_attributes(element: &Element, attributes: &[(&str, &str)]) {
    for (name, value) in attributes {
        element
            .set_attribute(name, value)
            .expect_throw("unreachable: constant attribute name");
    }
}

/// Appending a new, detached element cannot fail.
fn append(parent: &Element, children: &[&Element]) {
    for child in children {
        parent
            .append_child(child)
            .expect_throw("unreachable: a new element appends");
    }
}
