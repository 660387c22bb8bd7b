//! The conversation screen: whether the team is in, the greeting (the org's bubbles and suggested questions, or a
//! line of the widget's own), the messages (a chat's events as divider lines) drawn from
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
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::HtmlElement;

pub struct Conversation {
    doc: Doc,
    strings: &'static Strings,
    clock: Rc<Clock>,
    screen: HtmlElement,
    /// "Usually replies in a few minutes" / "We're away. Back …"; hidden when the org set no office hours.
    availability: HtmlElement,
    /// The widget's own greeting line, shown when the org and the page give none.
    greeting: HtmlElement,
    /// The org's (or the page's) greeting bubbles and suggested questions, before the first message.
    welcome: HtmlElement,
    /// Outside office hours: where the visitor may leave an email for the reply.
    email: HtmlElement,
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
    _question: EventListener,
    _email: EventListener,
}

/// What the conversation shows around its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    pub greeting: Vec<String>,
    /// Who the greeting bubbles are from (the page's `bot.name`); `None`: the widget's word for support.
    pub greeting_from: Option<String>,
    pub questions: Vec<String>,
    /// `None` when the org set no office hours.
    pub availability: Option<Availability>,
    pub email: EmailOffer,
}

/// Whether the team is in: drawn in the visitor's language and time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    In,
    /// Away until this instant (RFC 3339).
    BackAt(String),
    /// Away, with no opening in the coming fortnight.
    Away,
}

impl Default for Welcome {
    fn default() -> Self {
        Welcome {
            greeting: Vec::new(),
            greeting_from: None,
            questions: Vec::new(),
            availability: None,
            email: EmailOffer::Hidden,
        }
    }
}

/// The leave-an-email form's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOffer {
    Hidden,
    /// Asked, with the reason the last try was refused.
    Ask(Option<String>),
    Saved(String),
}

impl Conversation {
    pub fn new(
        doc: &Doc,
        strings: &'static Strings,
        clock: Rc<Clock>,
        dispatch: &Dispatch,
    ) -> Conversation {
        let screen = doc.element("div", "screen");
        let availability = doc.element("p", "notice availability");
        availability.set_hidden(true);
        let greeting = doc.text("p", "notice", strings.greeting);
        let welcome = doc.element("div", "welcome");
        welcome.set_hidden(true);
        let list = doc.element("ul", "messages");
        set_attributes(&list, &[("aria-label", strings.title)]);
        let csat = Csat::new(doc, strings, dispatch);
        let email = doc.element("form", "leave-email");
        email.set_hidden(true);
        append(
            &screen,
            &[
                &availability,
                &greeting,
                &welcome,
                &list,
                &email,
                csat.element(),
            ],
        );
        let _question = on(&welcome, "click", dispatch, |e| {
            closest_data(e, "data-question", "[data-question]").map(ViewEvent::Send)
        });
        let _email = {
            let (dispatch, form) = (dispatch.clone(), email.clone());
            EventListener::new_with_options(
                &email,
                "submit",
                gloo_events::EventListenerOptions::enable_prevent_default(),
                move |e| {
                    // The page never navigates: the address goes to the server by `fetch`.
                    e.prevent_default();
                    let input = form
                        .query_selector("input")
                        .ok()
                        .flatten()
                        .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok());
                    if let Some(input) = input {
                        dispatch(ViewEvent::LeaveEmail(input.value()));
                    }
                },
            )
        };
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
            availability,
            greeting,
            welcome,
            email,
            list,
            rendered: RefCell::new(Vec::new()),
            csat,
            dispatch: dispatch.clone(),
            blobs: RefCell::new(Vec::new()),
            _retry,
            _download,
            _question,
            _email,
        }
    }

    /// The greeting bubbles and the questions (each a button that sends it), drawn again only when they change;
    /// none of either shows the widget's own line instead.
    pub fn set_welcome(&self, greeting: &[String], from: Option<&str>, questions: &[String]) {
        let from = from.unwrap_or(self.strings.support);
        let key = [greeting.join("\n"), questions.join("\n"), from.to_owned()].join("\n\n");
        if self.welcome.get_attribute("data-key").as_deref() == Some(key.as_str()) {
            return;
        }
        set_attributes(&self.welcome, &[("data-key", &key)]);
        self.welcome.set_text_content(None);
        if !greeting.is_empty() {
            let bubbles = self.doc.element("ul", "messages");
            for line in greeting {
                let li = self.doc.element("li", "msg agent");
                let mut label = String::from(from);
                label.push_str(": ");
                append(&li, &[&self.doc.text("span", "sr-only", &label)]);
                self.append_content(&li, line);
                append(&li, &[&self.doc.text("span", "meta", from)]);
                append(&bubbles, &[&li]);
            }
            append(&self.welcome, &[&bubbles]);
        }
        if !questions.is_empty() {
            let group = self.doc.element("div", "questions");
            set_attributes(
                &group,
                &[
                    ("role", "group"),
                    ("aria-label", self.strings.suggested_questions),
                ],
            );
            for question in questions {
                let button = self.doc.button("question", question);
                set_attributes(&button, &[("data-question", question)]);
                append(&group, &[&button]);
            }
            append(&self.welcome, &[&group]);
        }
        let empty = if greeting.is_empty() && questions.is_empty() {
            "1"
        } else {
            ""
        };
        set_attributes(&self.welcome, &[("data-empty", empty)]);
    }

    /// Whether the team is in, as a line at the top; `None` hides it.
    pub fn set_availability(&self, availability: Option<&Availability>) {
        self.availability.set_hidden(availability.is_none());
        let text = match availability {
            None => return,
            Some(Availability::In) => self.strings.replies_soon.to_owned(),
            Some(Availability::BackAt(at)) => self
                .strings
                .back_at
                .replace("{time}", &self.clock.format(at, true)),
            Some(Availability::Away) => self.strings.away.to_owned(),
        };
        if self.availability.text_content().as_deref() != Some(text.as_str()) {
            self.availability.set_text_content(Some(&text));
        }
    }

    /// The leave-an-email form: asked (with the last refusal's reason), thanked for, or not shown.
    pub fn set_email_offer(&self, offer: &EmailOffer) {
        self.email.set_hidden(*offer == EmailOffer::Hidden);
        match offer {
            EmailOffer::Hidden => {}
            EmailOffer::Ask(problem) => {
                if self.email.query_selector("input").ok().flatten().is_none() {
                    self.email.set_text_content(None);
                    let label = self.doc.element("label", "");
                    let input = self.doc.element("input", "");
                    set_attributes(
                        &input,
                        &[
                            ("type", "email"),
                            ("autocomplete", "email"),
                            ("required", ""),
                            ("aria-label", self.strings.your_email),
                            ("placeholder", self.strings.your_email),
                        ],
                    );
                    append(
                        &label,
                        &[
                            &self.doc.text("span", "", self.strings.leave_email_prompt),
                            &input,
                        ],
                    );
                    let save = self.doc.button("primary", self.strings.save_email);
                    set_attributes(&save, &[("type", "submit")]);
                    let error = self.doc.element("p", "notice error");
                    set_attributes(&error, &[("role", "alert")]);
                    append(&self.email, &[&label, &save, &error]);
                }
                if let Some(error) = self.email.query_selector(".error").ok().flatten() {
                    error.set_text_content(problem.as_deref());
                }
            }
            EmailOffer::Saved(email) => {
                let line = self.strings.email_saved.replace("{email}", email);
                self.email.set_text_content(None);
                let p = self.doc.text("p", "notice", &line);
                set_attributes(&p, &[("role", "status")]);
                append(&self.email, &[&p]);
            }
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
        // Before the first message: the org's greeting and questions, else the widget's own line.
        let welcome = self.welcome.get_attribute("data-empty").as_deref() == Some("");
        self.greeting.set_hidden(!items.is_empty() || welcome);
        self.welcome.set_hidden(!items.is_empty() || !welcome);
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
