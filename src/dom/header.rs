//! The panel's title bar: Back (in a conversation) and Close.

use super::{append, focus, on, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::state::{ScreenKind, ViewModel};
use gloo_events::EventListener;
use web_sys::HtmlElement;

pub struct Header {
    element: HtmlElement,
    back: HtmlElement,
    close: HtmlElement,
    _listeners: [EventListener; 2],
}

impl Header {
    pub fn new(doc: &Doc, strings: &'static Strings, dispatch: &Dispatch) -> Header {
        let element = doc.element("div", "header");
        let back = doc.button("", "‹");
        set_attributes(&back, &[("aria-label", strings.back)]);
        back.set_hidden(true);
        let title = doc.text("h2", "", strings.title);
        let close = doc.button("", "×");
        set_attributes(&close, &[("aria-label", strings.close_chat)]);
        append(&element, &[&back, &title, &close]);
        let _listeners = [
            on(&close, "click", dispatch, |_| Some(ViewEvent::Close)),
            on(&back, "click", dispatch, |_| Some(ViewEvent::Back)),
        ];
        Header {
            element,
            back,
            close,
            _listeners,
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.element
    }

    /// Back shows only in a conversation.
    pub fn render(&self, model: &ViewModel) {
        self.back
            .set_hidden(model.screen.kind() != ScreenKind::Conversation);
    }

    pub fn focus_close(&self) {
        focus(&self.close);
    }
}
