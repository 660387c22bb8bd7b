//! The conversation screen: the greeting and the messages, drawn from `ItemView`s.

use super::time::Clock;
use super::{append, closest_data, on, set_attributes, Dispatch, Doc};
use crate::i18n::Strings;
use crate::protocol::Author;
use crate::state::{ItemStatus, ItemView, ScreenView, ViewModel};
use crate::text::{self, Run};
use gloo_events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::UnwrapThrowExt;
use web_sys::HtmlElement;

pub struct Conversation {
    doc: Doc,
    strings: &'static Strings,
    clock: Rc<Clock>,
    screen: HtmlElement,
    greeting: HtmlElement,
    list: HtmlElement,
    /// What the message list shows, by item, so a new message appends instead of redrawing all.
    rendered: RefCell<Vec<ItemView>>,
    _retry: EventListener,
}

impl Conversation {
    pub fn new(
        doc: &Doc,
        strings: &'static Strings,
        clock: Rc<Clock>,
        dispatch: &Dispatch,
    ) -> Conversation {
        let screen = doc.element("div", "screen");
        let greeting = doc.text("p", "notice", strings.greeting);
        let list = doc.element("ul", "messages");
        set_attributes(&list, &[("aria-label", strings.title)]);
        append(&screen, &[&greeting, &list]);
        let _retry = on(&list, "click", dispatch, |e| {
            closest_data(e, "data-retry").map(super::ViewEvent::Retry)
        });
        Conversation {
            doc: doc.clone(),
            strings,
            clock,
            screen,
            greeting,
            list,
            rendered: RefCell::new(Vec::new()),
            _retry,
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.screen
    }

    /// Draws the conversation when it is the screen, else hides; `true` when something was drawn.
    /// When the items only grew (the usual case: a new message), the new ones are appended and changed
    /// ones replaced; the list is redrawn only when its order changed.
    pub fn render(&self, model: &ViewModel) -> bool {
        let ScreenView::Conversation(items) = &model.screen else {
            self.screen.set_hidden(true);
            return false;
        };
        self.screen.set_hidden(false);
        self.greeting.set_hidden(!items.is_empty());
        let mut rendered = self.rendered.borrow_mut();
        let same_order = rendered.len() <= items.len()
            && rendered
                .iter()
                .zip(items)
                .all(|(old, new)| old.key == new.key);
        if !same_order {
            self.list.set_text_content(None);
            rendered.clear();
        }
        let mut changed = !same_order;
        let children = self.list.children();
        for (index, item) in items.iter().enumerate() {
            match rendered.get(index) {
                Some(old) if old == item => {}
                Some(_) => {
                    changed = true;
                    if let Some(old_element) = children.item(index as u32) {
                        // Unreachable: a child of the list, replaced by a new element.
                        old_element
                            .replace_with_with_node_1(&self.message_element(item))
                            .unwrap_throw();
                    }
                }
                None => {
                    changed = true;
                    append(&self.list, &[&self.message_element(item)]);
                }
            }
        }
        if changed {
            *rendered = items.to_vec();
        }
        changed
    }

    /// Scrolls the panel's body (the list's scrolling ancestor) to the newest message.
    pub fn scroll_to_end(&self) {
        if let Some(scroller) = self.screen.parent_element() {
            scroller.set_scroll_top(scroller.scroll_height());
        }
    }

    fn message_element(&self, item: &ItemView) -> HtmlElement {
        let author = match item.author {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
        };
        let status = match item.status {
            ItemStatus::Sent => "",
            ItemStatus::Pending => " pending",
            ItemStatus::Failed(_) => " failed",
        };
        let li = self.doc.element("li", &format!("msg {author}{status}"));
        let who = match (&item.author, &item.author_name) {
            (Author::Visitor, _) => self.strings.you,
            (Author::Agent, Some(name)) => name,
            (Author::Agent, None) => self.strings.support,
        };
        append(
            &li,
            &[&self.doc.text("span", "sr-only", &format!("{who}: "))],
        );
        self.append_content(&li, &item.content);
        let meta = match (&item.status, &item.created_at) {
            (ItemStatus::Pending, _) => self.strings.pending.to_owned(),
            (ItemStatus::Failed(_), _) => String::new(),
            (ItemStatus::Sent, Some(at)) => match item.author {
                Author::Agent => format!("{who} · {}", self.clock.format(at, false)),
                Author::Visitor => self.clock.format(at, false),
            },
            (ItemStatus::Sent, None) => String::new(),
        };
        if !meta.is_empty() {
            append(&li, &[&self.doc.text("span", "meta", &meta)]);
        }
        if let ItemStatus::Failed(reason) = &item.status {
            let retry = self.doc.button("retry", self.strings.failed_retry);
            set_attributes(&retry, &[("data-retry", &item.key)]);
            append(&li, &[&self.doc.text("span", "meta", reason), &retry]);
        }
        li
    }

    /// The message's text as text nodes, and its http(s) links as anchors.
    fn append_content(&self, li: &HtmlElement, content: &str) {
        for run in text::runs(content) {
            match run {
                Run::Text(t) => append(li, &[&self.doc.text_node(t)]),
                Run::Link(url) => {
                    let a = self.doc.text("a", "", url);
                    set_attributes(
                        &a,
                        &[
                            ("href", url),
                            ("target", "_blank"),
                            ("rel", "noopener noreferrer nofollow"),
                        ],
                    );
                    append(li, &[&a]);
                }
            }
        }
    }
}
