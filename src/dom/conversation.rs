//! The conversation screen: the greeting and the messages, drawn from `ItemView`s.

use super::time::Clock;
use super::{append, closest_data, on, set_attributes, Dispatch, Doc};
use crate::i18n::Strings;
use crate::protocol::Author;
use crate::state::{ItemKey, ItemStatus, ItemView, ScreenView, ViewModel};
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
    /// What each element of the message list shows that can change in place (its key and status), so
    /// a new message appends one element and a status change replaces one, without keeping a copy of
    /// the conversation.
    rendered: RefCell<Vec<Shown>>,
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
            closest_data(e, "data-retry", "[data-retry]").map(super::ViewEvent::Retry)
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
    /// Only what changed is touched: a new line is inserted where it belongs (appended, or before the
    /// visitor's pending lines when an agent's reply comes first), a line whose status changed is
    /// replaced, a line that left is removed. The list is drawn anew only for another conversation
    /// (its first line differs).
    pub fn render(&self, model: &ViewModel) -> bool {
        let ScreenView::Conversation(items) = &model.screen else {
            self.screen.set_hidden(true);
            return false;
        };
        self.screen.set_hidden(false);
        self.greeting.set_hidden(!items.is_empty());
        let mut rendered = self.rendered.borrow_mut();
        let mut changed = false;
        if rendered
            .first()
            .is_some_and(|first| items.first().is_none_or(|item| !first.key.is(item.key)))
        {
            self.list.set_text_content(None);
            rendered.clear();
            changed = true;
        }
        let children = self.list.children();
        for (index, item) in items.iter().enumerate() {
            // Lines drawn before that are no longer there (a pending line stored in another order).
            while rendered.get(index).is_some_and(|shown| {
                !shown.key.is(item.key) && rendered[index..].iter().any(|s| s.key.is(item.key))
            }) {
                rendered.remove(index);
                if let Some(element) = children.item(index as u32) {
                    element.remove();
                }
                changed = true;
            }
            match rendered.get_mut(index) {
                Some(shown) if shown.key.is(item.key) => {
                    if !shown.status.is(item.status) {
                        *shown = Shown::of(item);
                        if let Some(element) = children.item(index as u32) {
                            // Unreachable: a child of the list, replaced by a new element.
                            element
                                .replace_with_with_node_1(&self.message_element(item))
                                .unwrap_throw();
                        }
                        changed = true;
                    }
                }
                _ => {
                    rendered.insert(index, Shown::of(item));
                    let before = children.item(index as u32);
                    // Unreachable: a new element, before a child of the list or at its end.
                    self.list
                        .insert_before(&self.message_element(item), before.as_deref())
                        .unwrap_throw();
                    changed = true;
                }
            }
        }
        for _ in items.len()..rendered.len() {
            if let Some(element) = children.item(items.len() as u32) {
                element.remove();
            }
            changed = true;
        }
        rendered.truncate(items.len());
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
        self.append_content(&li, item.content);
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
        // Only the outbox fails, and its lines are keyed by client id.
        if let (ItemStatus::Failed(reason), ItemKey::Client(client_id)) = (item.status, item.key) {
            let retry = self.doc.button("retry", self.strings.failed_retry);
            set_attributes(&retry, &[("data-retry", client_id)]);
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

/// What one element of the list was drawn from and can change in place, kept owned between renders.
struct Shown {
    key: ShownKey,
    status: ShownStatus,
}

enum ShownKey {
    Client(String),
    Message(i64),
}

enum ShownStatus {
    Sent,
    Pending,
    Failed(String),
}

impl Shown {
    fn of(item: &ItemView) -> Shown {
        Shown {
            key: match item.key {
                ItemKey::Client(id) => ShownKey::Client(id.to_owned()),
                ItemKey::Message(id) => ShownKey::Message(id),
            },
            status: match item.status {
                ItemStatus::Sent => ShownStatus::Sent,
                ItemStatus::Pending => ShownStatus::Pending,
                ItemStatus::Failed(reason) => ShownStatus::Failed(reason.to_owned()),
            },
        }
    }
}

impl ShownKey {
    fn is(&self, key: ItemKey) -> bool {
        match (self, key) {
            (ShownKey::Client(shown), ItemKey::Client(id)) => shown == id,
            (ShownKey::Message(shown), ItemKey::Message(id)) => *shown == id,
            _ => false,
        }
    }
}

impl ShownStatus {
    fn is(&self, status: ItemStatus) -> bool {
        match (self, status) {
            (ShownStatus::Sent, ItemStatus::Sent) | (ShownStatus::Pending, ItemStatus::Pending) => {
                true
            }
            (ShownStatus::Failed(shown), ItemStatus::Failed(reason)) => shown == reason,
            _ => false,
        }
    }
}
