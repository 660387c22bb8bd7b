//! The round button that opens and closes the panel, with the unread badge.

use super::{append, focus, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::state::ViewModel;
use gloo_events::EventListener;
use std::cell::Cell;
use web_sys::HtmlElement;

const CHAT_ICON: &str = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

pub struct Launcher {
    button: HtmlElement,
    badge: HtmlElement,
    strings: &'static Strings,
    /// The count drawn last (0 as built): the button is touched only when it changes.
    shown: Cell<u32>,
    _click: EventListener,
}

impl Launcher {
    /// A click opens `panel` when it is hidden and closes it when it shows.
    pub fn new(
        doc: &Doc,
        strings: &'static Strings,
        panel: &HtmlElement,
        dispatch: &Dispatch,
    ) -> Launcher {
        let button = doc.element("button", "launcher");
        set_attributes(
            &button,
            &[
                ("type", "button"),
                ("aria-label", strings.open_chat),
                ("aria-expanded", "false"),
            ],
        );
        let icon = doc.svg("svg");
        set_attributes(
            &icon,
            &[
                ("viewBox", "0 0 24 24"),
                ("aria-hidden", "true"),
                ("focusable", "false"),
            ],
        );
        let path = doc.svg("path");
        set_attributes(&path, &[("d", CHAT_ICON)]);
        append(&icon, &[&path]);
        let badge = doc.element("span", "badge");
        badge.set_hidden(true);
        append(&button, &[&icon, &badge]);
        let panel = panel.clone();
        let dispatch = dispatch.clone();
        let _click = EventListener::new(&button, "click", move |_| {
            dispatch(if panel.hidden() {
                ViewEvent::Open
            } else {
                ViewEvent::Close
            })
        });
        Launcher {
            button,
            badge,
            strings,
            shown: Cell::new(0),
            _click,
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.button
    }

    pub fn set_expanded(&self, expanded: bool) {
        let value = if expanded { "true" } else { "false" };
        set_attributes(&self.button, &[("aria-expanded", value)]);
    }

    pub fn focus(&self) {
        focus(&self.button);
    }

    /// The unread count, on the badge and in the button's accessible name.
    pub fn render(&self, model: &ViewModel) {
        let count = model.unread;
        if self.shown.replace(count) == count {
            return;
        }
        self.badge.set_hidden(count == 0);
        let count_text = if count > 99 {
            "99+".to_owned()
        } else {
            crate::text::decimal(count.into())
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
        set_attributes(&self.button, &[("aria-label", &label)]);
    }
}
