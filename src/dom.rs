//! The only module that touches the DOM.
//!
//! It builds the widget inside a Shadow DOM root on one host element, so the page's CSS cannot
//! reach in and ours cannot leak out. Styles go through a constructable stylesheet
//! (`adoptedStyleSheets`), which a strict Content-Security-Policy without `unsafe-inline` allows,
//! where a `<style>` element would be blocked. Every listener is a `gloo_events::EventListener`
//! owned by [`View`]: dropping the view removes them all, and `destroy` removes the host.
//!
//! Text from visitors, agents and the page is only ever set with `textContent`.

use crate::config::{Position, UiOptions};
use crate::i18n::Strings;
use gloo_events::{EventListener, EventListenerOptions};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{Document, Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

/// The host element's attribute, so a page (or a test) can find the widget.
pub const HOST_ATTRIBUTE: &str = "data-frontdesk";

const STYLE: &str = include_str!("style.css");
const CHAT_ICON: &str = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

/// What the visitor did, as the view reports it to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewEvent {
    Open,
    Close,
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
    move |err| {
        let detail = err
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "unknown error".into());
        DomError(format!("{context}: {detail}"))
    }
}

pub struct View {
    document: Document,
    host: HtmlElement,
    root: ShadowRoot,
    launcher: HtmlElement,
    panel: HtmlElement,
    close_button: HtmlElement,
    /// Held only so the listeners live as long as the view; dropping removes them.
    _listeners: Vec<EventListener>,
}

impl View {
    /// Builds the launcher (and the closed panel) and attaches it to `<body>`.
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

        let host: HtmlElement = element(&document, "div")?;
        host.set_attribute(HOST_ATTRIBUTE, "")
            .map_err(dom_error("host"))?;
        host.set_attribute("lang", language_code)
            .map_err(dom_error("host"))?;
        host.set_attribute("dir", if right_to_left { "rtl" } else { "ltr" })
            .map_err(dom_error("host"))?;
        let init = ShadowRootInit::new(ShadowRootMode::Open);
        let root = host
            .attach_shadow(&init)
            .map_err(dom_error("shadow root"))?;

        let sheet = web_sys::CssStyleSheet::new().map_err(dom_error("stylesheet"))?;
        sheet.replace_sync(STYLE).map_err(dom_error("stylesheet"))?;
        root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        let container: HtmlElement = element(&document, "div")?;
        container.set_class_name(match ui.position {
            Position::Right => "root",
            Position::Left => "root left",
        });
        // CSSOM property writes are allowed under a strict CSP, unlike a style attribute in markup.
        container
            .style()
            .set_property("--fd-color", &ui.color)
            .map_err(dom_error("colour"))?;

        let panel: HtmlElement = element(&document, "section")?;
        panel.set_class_name("panel");
        panel.set_hidden(true);
        set_attributes(&panel, &[("role", "dialog"), ("aria-label", strings.title)])?;
        let header: HtmlElement = element(&document, "div")?;
        header.set_class_name("header");
        let title: HtmlElement = element(&document, "h2")?;
        title.set_text_content(Some(strings.title));
        let close_button: HtmlElement = element(&document, "button")?;
        set_attributes(
            &close_button,
            &[("type", "button"), ("aria-label", strings.close_chat)],
        )?;
        close_button.set_text_content(Some("×"));
        append(&header, &[&title, &close_button])?;
        let body_area: HtmlElement = element(&document, "div")?;
        body_area.set_class_name("body");
        let greeting: HtmlElement = element(&document, "p")?;
        greeting.set_class_name("notice");
        greeting.set_text_content(Some(strings.greeting));
        append(&body_area, &[&greeting])?;
        append(&panel, &[&header, &body_area])?;

        let launcher: HtmlElement = element(&document, "button")?;
        launcher.set_class_name("launcher");
        set_attributes(
            &launcher,
            &[
                ("type", "button"),
                ("aria-label", strings.open_chat),
                ("aria-expanded", "false"),
            ],
        )?;
        let icon = document
            .create_element_ns(Some("http://www.w3.org/2000/svg"), "svg")
            .map_err(dom_error("icon"))?;
        set_attributes(
            &icon,
            &[
                ("viewBox", "0 0 24 24"),
                ("aria-hidden", "true"),
                ("focusable", "false"),
            ],
        )?;
        let path = document
            .create_element_ns(Some("http://www.w3.org/2000/svg"), "path")
            .map_err(dom_error("icon"))?;
        path.set_attribute("d", CHAT_ICON)
            .map_err(dom_error("icon"))?;
        icon.append_child(&path).map_err(dom_error("icon"))?;
        launcher.append_child(&icon).map_err(dom_error("icon"))?;

        append(&container, &[&panel, &launcher])?;
        root.append_child(&container).map_err(dom_error("root"))?;
        body.append_child(&host).map_err(dom_error("host"))?;

        let mut listeners = Vec::new();
        {
            let panel = panel.clone();
            let dispatch = dispatch.clone();
            listeners.push(EventListener::new(&launcher, "click", move |_| {
                dispatch(if panel.hidden() {
                    ViewEvent::Open
                } else {
                    ViewEvent::Close
                })
            }));
        }
        {
            let dispatch = dispatch.clone();
            listeners.push(EventListener::new(&close_button, "click", move |_| {
                dispatch(ViewEvent::Close)
            }));
        }
        {
            let dispatch = dispatch.clone();
            let options = EventListenerOptions::run_in_capture_phase();
            listeners.push(EventListener::new_with_options(
                &panel,
                "keydown",
                options,
                move |event| {
                    let key = event.unchecked_ref::<web_sys::KeyboardEvent>().key();
                    if key == "Escape" {
                        dispatch(ViewEvent::Close)
                    }
                },
            ));
        }

        Ok(View {
            document,
            host,
            root,
            launcher,
            panel,
            close_button,
            _listeners: listeners,
        })
    }

    pub fn is_open(&self) -> bool {
        !self.panel.hidden()
    }

    /// Shows the panel and moves focus into it, so keyboard and screen-reader users land there.
    pub fn open(&self) {
        self.panel.set_hidden(false);
        set_attributes(&self.launcher, &[("aria-expanded", "true")]).ok();
        self.close_button.focus().ok();
    }

    /// Hides the panel; focus goes back to the launcher only when it was inside the widget, so closing
    /// from the page's own code does not steal the visitor's focus.
    pub fn close(&self) {
        let focus_was_inside = self.root.active_element().is_some();
        self.panel.set_hidden(true);
        set_attributes(&self.launcher, &[("aria-expanded", "false")]).ok();
        if focus_was_inside {
            self.launcher.focus().ok();
        }
    }

    pub fn host(&self) -> &HtmlElement {
        &self.host
    }

    pub fn document(&self) -> &Document {
        &self.document
    }
}

impl Drop for View {
    fn drop(&mut self) {
        self.host.remove();
    }
}

fn element<T: JsCast>(document: &Document, tag: &str) -> Result<T, DomError> {
    let created = document.create_element(tag).map_err(dom_error("element"))?;
    Ok(created.unchecked_into::<T>())
}

fn set_attributes(element: &Element, attributes: &[(&str, &str)]) -> Result<(), DomError> {
    for (name, value) in attributes {
        element
            .set_attribute(name, value)
            .map_err(dom_error("attribute"))?;
    }
    Ok(())
}

fn append(parent: &Element, children: &[&Element]) -> Result<(), DomError> {
    for child in children {
        parent.append_child(child).map_err(dom_error("append"))?;
    }
    Ok(())
}

/// The widget's host element, if one is on the page.
pub fn find_host(document: &Document) -> Option<Element> {
    document
        .query_selector(&format!("[{HOST_ATTRIBUTE}]"))
        .expect_throw("unreachable: the selector is a constant and valid")
}
