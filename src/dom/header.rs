//! The panel's title bar: Back (in a conversation), the agent who last answered (name and avatar), End
//! chat with its inline confirmation, and Close.

use super::{append, closest_data, focus, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::state::{ScreenKind, ViewModel};
use gloo_events::EventListener;
use std::cell::OnceCell;
use wasm_bindgen::UnwrapThrowExt;
use web_sys::HtmlElement;

pub struct Header {
    doc: Doc,
    element: HtmlElement,
    back: HtmlElement,
    /// Made for the first agent with an avatar: a chat without one has no `<img>` at all.
    avatar: OnceCell<HtmlElement>,
    title: HtmlElement,
    end: HtmlElement,
    /// "End this chat?" End / Cancel, a row of the bar of its own; hidden until End chat is pressed.
    confirm: HtmlElement,
    close: HtmlElement,
    strings: &'static Strings,
    /// One listener for every button of the bar, told apart by `data-act`: each listener is its own
    /// code in the wasm.
    _click: EventListener,
}

impl Header {
    pub fn new(doc: &Doc, strings: &'static Strings, dispatch: &Dispatch) -> Header {
        let element = doc.element("div", "header");
        let back = doc.button("", "‹");
        set_attributes(&back, &[("aria-label", strings.back), ("data-act", "back")]);
        back.set_hidden(true);
        let title = doc.text("h2", "", strings.title);
        let end = doc.button("end", strings.end_chat);
        set_attributes(&end, &[("data-act", "end")]);
        end.set_hidden(true);
        let close = doc.button("", "×");
        set_attributes(
            &close,
            &[("aria-label", strings.close_chat), ("data-act", "close")],
        );
        let confirm = doc.element("div", "confirm");
        set_attributes(
            &confirm,
            &[("role", "group"), ("aria-label", strings.end_confirm)],
        );
        confirm.set_hidden(true);
        let yes = doc.button("primary", strings.end);
        set_attributes(&yes, &[("data-act", "yes")]);
        let cancel = doc.button("", strings.cancel);
        set_attributes(&cancel, &[("data-act", "cancel")]);
        append(
            &confirm,
            &[&doc.text("p", "", strings.end_confirm), &yes, &cancel],
        );
        append(&element, &[&back, &title, &end, &close, &confirm]);
        let _click = {
            let (dispatch, confirm, end) = (dispatch.clone(), confirm.clone(), end.clone());
            EventListener::new(&element, "click", move |e| {
                let act = closest_data(e, "data-act", "[data-act]");
                let act = act.as_deref().unwrap_or("");
                // The confirmation shows only after End chat, with focus on Cancel, the choice that loses
                // nothing (chatwoot 5241: chats ended by mistake).
                if !act.is_empty() {
                    confirm.set_hidden(act != "end");
                }
                match act {
                    "back" => dispatch(ViewEvent::Back),
                    "close" => dispatch(ViewEvent::Close),
                    "end" => focus(&cancel),
                    "cancel" => focus(&end),
                    "yes" => dispatch(ViewEvent::EndChat),
                    _ => {}
                }
            })
        };
        Header {
            doc: doc.clone(),
            element,
            back,
            avatar: OnceCell::new(),
            title,
            end,
            confirm,
            close,
            strings,
            _click,
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.element
    }

    /// Back shows only in a conversation, End chat only in an open one with messages; the title is the
    /// agent who last answered there.
    pub fn render(&self, model: &ViewModel) {
        self.back
            .set_hidden(model.screen.kind() != ScreenKind::Conversation);
        let chat = &model.chat;
        self.end.set_hidden(!chat.can_end);
        if !chat.can_end {
            self.confirm.set_hidden(true);
        }
        let agent = chat.agent;
        self.title.set_text_content(Some(
            agent
                .and_then(|m| m.author_name.as_deref())
                .unwrap_or(self.strings.title),
        ));
        // Only http(s): the URL is the agent's, set by the site owner, but an `<img>` is no place for others.
        let avatar = agent
            .and_then(|m| m.author_avatar_url.as_deref())
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
        let Some(url) = avatar else {
            if let Some(img) = self.avatar.get() {
                img.set_hidden(true);
            }
            return;
        };
        let img = self.avatar.get_or_init(|| {
            // Decorative: the name beside it says who it is.
            let img = self.doc.element("img", "");
            set_attributes(&img, &[("alt", ""), ("referrerpolicy", "no-referrer")]);
            // Unreachable failure: a new element, before a child of the bar.
            self.element
                .insert_before(&img, Some(&self.title))
                .unwrap_throw();
            img
        });
        img.set_hidden(false);
        // Set only when it changes: setting `src` again would ask for a broken image again.
        if img.get_attribute("src").as_deref() != Some(url) {
            set_attributes(img, &[("src", url)]);
        }
    }

    pub fn focus_close(&self) {
        focus(&self.close);
    }
}
