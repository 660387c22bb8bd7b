//! The panel's title bar: Back (in a conversation), the agent who last answered (name and avatar), End
//! chat with its inline confirmation, and Close.

use super::{append, focus, on, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::state::{ScreenKind, ViewModel};
use gloo_events::EventListener;
use wasm_bindgen::UnwrapThrowExt;
use web_sys::HtmlElement;

pub struct Header {
    element: HtmlElement,
    back: HtmlElement,
    avatar: HtmlElement,
    title: HtmlElement,
    end: HtmlElement,
    /// "End this chat?" End / Cancel, under the bar; hidden until End chat is pressed.
    confirm: HtmlElement,
    close: HtmlElement,
    strings: &'static Strings,
    _listeners: [EventListener; 5],
}

impl Header {
    pub fn new(doc: &Doc, strings: &'static Strings, dispatch: &Dispatch) -> Header {
        let element = doc.element("div", "header");
        let back = doc.button("", "‹");
        set_attributes(&back, &[("aria-label", strings.back)]);
        back.set_hidden(true);
        // Decorative: the name beside it says who it is.
        let avatar = doc.element("img", "");
        set_attributes(&avatar, &[("alt", ""), ("referrerpolicy", "no-referrer")]);
        avatar.set_hidden(true);
        let title = doc.text("h2", "", strings.title);
        let end = doc.button("end", strings.end_chat);
        end.set_hidden(true);
        let close = doc.button("", "×");
        set_attributes(&close, &[("aria-label", strings.close_chat)]);
        append(&element, &[&back, &avatar, &title, &end, &close]);

        let confirm = doc.element("div", "confirm");
        set_attributes(
            &confirm,
            &[("role", "group"), ("aria-label", strings.end_confirm)],
        );
        confirm.set_hidden(true);
        let yes = doc.button("primary", strings.end);
        let cancel = doc.button("", strings.cancel);
        append(
            &confirm,
            &[&doc.text("p", "", strings.end_confirm), &yes, &cancel],
        );
        // Focus goes to Cancel, the choice that loses nothing (chatwoot 5241: chats ended by mistake).
        let ask = {
            let (confirm, cancel) = (confirm.clone(), cancel.clone());
            EventListener::new(&end, "click", move |_| {
                confirm.set_hidden(false);
                focus(&cancel);
            })
        };
        let dismiss = {
            let (confirm, end) = (confirm.clone(), end.clone());
            EventListener::new(&cancel, "click", move |_| {
                confirm.set_hidden(true);
                focus(&end);
            })
        };
        let confirmed = confirm.clone();
        let _listeners = [
            on(&close, "click", dispatch, |_| Some(ViewEvent::Close)),
            on(&back, "click", dispatch, |_| Some(ViewEvent::Back)),
            on(&yes, "click", dispatch, move |_| {
                confirmed.set_hidden(true);
                Some(ViewEvent::EndChat)
            }),
            ask,
            dismiss,
        ];
        Header {
            element,
            back,
            avatar,
            title,
            end,
            confirm,
            close,
            strings,
            _listeners,
        }
    }

    /// The bar, then the confirmation under it.
    pub fn elements(&self) -> [&HtmlElement; 2] {
        [&self.element, &self.confirm]
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
        let name = agent.and_then(|m| m.author_name.as_deref());
        let title = name.unwrap_or(self.strings.title);
        if self.title.text_content().as_deref() != Some(title) {
            self.title.set_text_content(Some(title));
        }
        // Only http(s): the URL is the agent's, set by the site owner, but an `<img>` is no place for others.
        let avatar = agent
            .and_then(|m| m.author_avatar_url.as_deref())
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
        self.avatar.set_hidden(avatar.is_none());
        if let Some(url) = avatar {
            // Set only when it changes: setting `src` again would ask for the image again.
            if self.avatar.get_attribute("src").as_deref() != Some(url) {
                // Unreachable failure: a constant attribute name.
                self.avatar.set_attribute("src", url).unwrap_throw();
            }
        }
    }

    pub fn focus_close(&self) {
        focus(&self.close);
    }
}
