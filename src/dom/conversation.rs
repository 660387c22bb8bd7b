//! The conversation screen: the greeting, the messages (a chat's events as divider lines) drawn from
//! `ItemView`s, and under them the rating prompt of a resolved chat.

use super::csat::Csat;
use super::time::Clock;
use super::{append, closest_data, on, set_attributes, Dispatch, Doc, ViewEvent};
use crate::attach::{is_image, size_text};
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
    /// What each element of the message list was drawn from (its key and status), so a render finds
    /// what changed without keeping a copy of the conversation.
    rendered: RefCell<Vec<Shown>>,
    csat: Csat,
    dispatch: Dispatch,
    /// The `blob:` URLs of the thumbnails drawn, by attachment id (empty while its bytes are on their way):
    /// revoked when another conversation is drawn, or the widget goes.
    blobs: RefCell<Vec<(String, String)>>,
    _retry: EventListener,
    _download: EventListener,
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
        let csat = Csat::new(doc, strings, dispatch);
        append(&screen, &[&greeting, &list, csat.element()]);
        let _retry = on(&list, "click", dispatch, |e| {
            closest_data(e, "data-retry", "[data-retry]").map(ViewEvent::Retry)
        });
        let _download = on(&list, "click", dispatch, |e| {
            let id = closest_data(e, "data-file", "[data-file]")?;
            let name = closest_data(e, "data-name", "[data-name]")?;
            Some(ViewEvent::Download(id, name))
        });
        Conversation {
            doc: doc.clone(),
            strings,
            clock,
            screen,
            greeting,
            list,
            rendered: RefCell::new(Vec::new()),
            csat,
            dispatch: dispatch.clone(),
            blobs: RefCell::new(Vec::new()),
            _retry,
            _download,
        }
    }

    /// An attachment's bytes arrived: the thumbnails of it show them, and open them full size. Too late (another
    /// conversation is drawn by now) they are dropped.
    pub fn show_blob(&self, id: &str, blob: Option<&web_sys::Blob>) {
        let mut blobs = self.blobs.borrow_mut();
        let Some(index) = blobs
            .iter()
            .position(|(shown, url)| shown == id && url.is_empty())
        else {
            return;
        };
        let Some(blob) = blob else {
            blobs.remove(index);
            return;
        };
        let entry = &mut blobs[index];
        entry.1 = super::object_url(blob);
        let links = self.list.get_elements_by_class_name("thumb");
        for i in 0..links.length() {
            let Some(link) = links.item(i) else { continue };
            if link.get_attribute("data-img").as_deref() == Some(id) {
                set_attributes(&link, &[("href", &entry.1)]);
                if let Some(img) = link.first_element_child() {
                    set_attributes(&img, &[("src", &entry.1)]);
                }
            }
        }
    }

    /// Images as thumbnails (a link that opens them full size in a new tab), other files as a row that
    /// downloads; names and types as text only.
    fn append_attachments(&self, li: &HtmlElement, item: &ItemView) {
        for attachment in item.attachments {
            if is_image(&attachment.media_type) {
                let mut blobs = self.blobs.borrow_mut();
                let url = match blobs.iter().find(|(id, _)| *id == attachment.id) {
                    Some((_, url)) => url.clone(),
                    None => {
                        blobs.push((attachment.id.clone(), String::new()));
                        (self.dispatch)(ViewEvent::Fetch(attachment.id.clone()));
                        String::new()
                    }
                };
                let link = self.doc.element("a", "thumb");
                let img = self.doc.element("img", "");
                let mut attributes = vec![
                    ("data-img", attachment.id.as_str()),
                    ("target", "_blank"),
                    ("rel", "noopener noreferrer"),
                ];
                if !url.is_empty() {
                    attributes.push(("href", &url));
                }
                set_attributes(&link, &attributes);
                attributes.clear();
                attributes.push(("alt", &attachment.name));
                if !url.is_empty() {
                    attributes.push(("src", &url));
                }
                set_attributes(&img, &attributes);
                append(&link, &[&img]);
                append(li, &[&link]);
            } else {
                let row = self.doc.button("file", "");
                set_attributes(
                    &row,
                    &[
                        ("data-file", &attachment.id),
                        ("data-name", &attachment.name),
                    ],
                );
                let mut meta = attachment.media_type.clone();
                meta.push_str(" · ");
                meta.push_str(&size_text(attachment.size));
                append(
                    &row,
                    &[
                        &self.doc.text("span", "name", &attachment.name),
                        &self.doc.text("span", "type", &meta),
                    ],
                );
                append(li, &[&row]);
            }
        }
    }

    fn revoke_all(&self) {
        // An empty URL (bytes still on their way) revokes nothing.
        for (_, url) in self.blobs.take() {
            super::revoke(&url);
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.screen
    }

    /// Draws the conversation when it is the screen, else hides; `true` when lines were added or changed
    /// at the end, where the newest are (the caller then scrolls there).
    ///
    /// Only what changed is touched. The lines that are the same at the start and at the end (same key,
    /// same status) stay; what is between is removed and drawn anew. So a new message adds one line, a
    /// status change replaces one, a page of older messages adds its lines at the top (keeping what the
    /// visitor sees in place), a reply that comes before the visitor's pending lines goes before them,
    /// and another conversation (nothing in common) is drawn anew.
    pub fn render(&self, model: &ViewModel) -> bool {
        let ScreenView::Conversation(items) = &model.screen else {
            self.screen.set_hidden(true);
            return false;
        };
        self.screen.set_hidden(false);
        self.greeting.set_hidden(!items.is_empty());
        self.csat.render(model.chat.rating);
        let mut rendered = self.rendered.borrow_mut();
        let same = |shown: &Shown, item: &ItemView| {
            shown.key.is(item.key) && shown.status.is(item.status) && shown.seen == item.seen
        };
        let mut start = 0;
        while start < items.len().min(rendered.len()) && same(&rendered[start], &items[start]) {
            start += 1;
        }
        let mut end = 0;
        while end < (items.len() - start).min(rendered.len() - start)
            && same(
                &rendered[rendered.len() - 1 - end],
                &items[items.len() - 1 - end],
            )
        {
            end += 1;
        }
        if start + end == items.len() && start + end == rendered.len() {
            return false;
        }
        // Lines added above what stays: the visitor's view keeps its distance from the bottom.
        let above = start == 0 && end > 0;
        let scroller = self.screen.parent_element();
        let from_bottom = match (&scroller, above) {
            (Some(s), true) => s.scroll_height() - s.scroll_top(),
            _ => 0,
        };
        let children = self.list.children();
        if start == 0 && end == 0 {
            self.list.set_text_content(None);
            self.revoke_all();
        } else {
            for _ in start..rendered.len() - end {
                if let Some(element) = children.item(start as u32) {
                    element.remove();
                }
            }
        }
        let before = children.item(start as u32);
        let kept = rendered.len() - end;
        let mut tail = rendered.split_off(kept);
        rendered.truncate(start);
        for item in &items[start..items.len() - end] {
            // Unreachable: a new element, before a child of the list or at its end.
            self.list
                .insert_before(&self.message_element(item), before.as_deref())
                .unwrap_throw();
            rendered.push(Shown::of(item));
        }
        rendered.append(&mut tail);
        match scroller {
            Some(s) if above => {
                s.set_scroll_top(s.scroll_height() - from_bottom);
                false
            }
            _ => true,
        }
    }

    /// Scrolls the panel's body (the list's scrolling ancestor) to the newest message.
    pub fn scroll_to_end(&self) {
        if let Some(scroller) = self.screen.parent_element() {
            scroller.set_scroll_top(scroller.scroll_height());
        }
    }

    fn message_element(&self, item: &ItemView) -> HtmlElement {
        let time = || {
            item.created_at
                .map_or(String::new(), |at| self.clock.format(at, false))
        };
        if let Some(mut line) =
            self.strings
                .event(item.kind, &item.author, item.author_name, item.score)
        {
            let time = time();
            if !time.is_empty() {
                line.push_str(" · ");
                line.push_str(&time);
            }
            return self.doc.text("li", "event", &line);
        }
        // Strings put together by hand rather than with `format!`: this runs for every line drawn.
        let (class, who) = match item.author {
            Author::Agent => (
                "msg agent",
                item.author_name.unwrap_or(self.strings.support),
            ),
            // Only the visitor's own lines wait in the outbox.
            Author::Visitor => (
                match item.status {
                    ItemStatus::Sent => "msg visitor",
                    ItemStatus::Pending => "msg visitor pending",
                    ItemStatus::Failed(_) => "msg visitor failed",
                },
                self.strings.you,
            ),
        };
        let li = self.doc.element("li", class);
        let mut label = String::from(who);
        label.push_str(": ");
        append(&li, &[&self.doc.text("span", "sr-only", &label)]);
        self.append_content(&li, item.content);
        self.append_attachments(&li, item);
        let mut meta = String::new();
        match (item.status, item.created_at) {
            (ItemStatus::Pending, _) => meta.push_str(self.strings.pending),
            (ItemStatus::Sent, Some(_)) => {
                if item.author == Author::Agent {
                    meta.push_str(who);
                    meta.push_str(" · ");
                }
                meta.push_str(&time());
            }
            _ => {}
        }
        if !meta.is_empty() {
            append(&li, &[&self.doc.text("span", "meta", &meta)]);
        }
        if item.seen {
            append(&li, &[&self.doc.text("span", "seen", self.strings.seen)]);
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

impl Drop for Conversation {
    fn drop(&mut self) {
        self.revoke_all();
    }
}

/// What one element of the list was drawn from and can change in place, kept owned between renders.
struct Shown {
    key: ShownKey,
    status: ShownStatus,
    seen: bool,
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
            seen: item.seen,
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
