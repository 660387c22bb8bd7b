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
    /// A click opens `panel` when it is hidden and closes it when it shows. `drawn` is the closed
    /// launcher the script-tag loader already drew (`www/widget.js`, the same button as the one drawn
    /// here): it is adopted as it is, without its badge, which is added.
    pub fn new(
        doc: &Doc,
        strings: &'static Strings,
        panel: &HtmlElement,
        dispatch: &Dispatch,
        drawn: Option<HtmlElement>,
    ) -> Launcher {
        let button = drawn.unwrap_or_else(|| {
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
            append(&button, &[&icon]);
            button
        });
        let badge = doc.element("span", "badge");
        badge.set_hidden(true);
        append(&button, &[&badge]);
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

    /// Names the button in these words.
    pub fn set_strings(&mut self, strings: &'static Strings) {
        self.strings = strings;
        self.label(self.shown.get());
    }

    /// The unread count, on the badge and in the button's accessible name.
    pub fn render(&self, model: &ViewModel) {
        let count = model.unread;
        if self.shown.replace(count) == count {
            return;
        }
        self.label(count);
    }

    fn label(&self, count: u32) {
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
            let unread =
                crate::locale::count(&self.strings.unread, self.strings.code, count, &count_text);
            format!("{} ({unread})", self.strings.open_chat)
        };
        set_attributes(&self.button, &[("aria-label", &label)]);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Language;

    /// The script-tag loader draws this same launcher before the wasm arrives, with its own copies of the
    /// icon, of the language codes (in this order, the right-to-left ones last) and of the English name
    /// (`www/widget.js`); the styles it gets from `style.css` at build time.
    #[test]
    fn the_loaders_launcher_has_the_same_icon_languages_name_and_direction() {
        let loader = include_str!("../../www/widget.js");
        assert!(
            loader.contains(super::CHAT_ICON),
            "widget.js lacks the icon"
        );
        let codes: Vec<&str> = Language::ALL.iter().map(|(code, _)| *code).collect();
        let first_rtl = Language::ALL
            .iter()
            .position(|(_, l)| l.is_right_to_left())
            .unwrap();
        assert!(
            Language::ALL[first_rtl..]
                .iter()
                .all(|(_, l)| l.is_right_to_left()),
            "the right-to-left languages come last"
        );
        let expected = [
            format!("var languages = \"{}\".split(\" \");", codes.join(" ")),
            format!("host.dir = i > {} ? \"rtl\"", first_rtl - 1),
            format!(
                "setAttribute(\"aria-label\", \"{}\")",
                crate::i18n::ENGLISH.open_chat
            ),
        ];
        for line in expected {
            assert!(loader.contains(&line), "widget.js lacks {line}");
        }
    }
}
