//! The list screen: "New conversation" and the visitor's earlier conversations.

use super::time::Clock;
use super::{append, closest_data, focus, on, set_attributes, Dispatch, Doc, ViewEvent};
use crate::i18n::Strings;
use crate::state::{preview, ScreenView, SessionRow, ViewModel};
use gloo_events::EventListener;
use std::rc::Rc;
use web_sys::HtmlElement;

pub struct SessionList {
    doc: Doc,
    strings: &'static Strings,
    clock: Rc<Clock>,
    screen: HtmlElement,
    new_button: HtmlElement,
    list: HtmlElement,
    empty: HtmlElement,
    _listeners: [EventListener; 2],
}

impl SessionList {
    pub fn new(
        doc: &Doc,
        strings: &'static Strings,
        clock: Rc<Clock>,
        dispatch: &Dispatch,
    ) -> SessionList {
        let screen = doc.element("div", "screen");
        let new_button = doc.button("primary", strings.new_conversation);
        let heading = doc.text("h3", "sr-only", strings.earlier_conversations);
        let list = doc.element("ul", "sessions");
        set_attributes(&list, &[("aria-label", strings.earlier_conversations)]);
        let empty = doc.text("p", "notice", strings.no_conversations);
        append(&screen, &[&new_button, &heading, &list, &empty]);
        let _listeners = [
            on(&new_button, "click", dispatch, |_| {
                Some(ViewEvent::NewConversation)
            }),
            on(&list, "click", dispatch, |e| {
                closest_data(e, "data-session", "[data-session]").map(ViewEvent::SelectSession)
            }),
        ];
        SessionList {
            doc: doc.clone(),
            strings,
            clock,
            screen,
            new_button,
            list,
            empty,
            _listeners,
        }
    }

    pub fn element(&self) -> &HtmlElement {
        &self.screen
    }

    pub fn focus(&self) {
        focus(&self.new_button);
    }

    /// Shows the rows when the list is the screen, else hides.
    pub fn render(&self, model: &ViewModel) {
        let ScreenView::List(rows) = &model.screen else {
            self.screen.set_hidden(true);
            return;
        };
        self.screen.set_hidden(false);
        self.list.set_text_content(None);
        self.empty.set_hidden(!rows.is_empty());
        for row in rows {
            let item = self.doc.element("li", "");
            append(&item, &[&self.row_button(row)]);
            append(&self.list, &[&item]);
        }
    }

    fn row_button(&self, row: &SessionRow) -> HtmlElement {
        let button = self.doc.element("button", "");
        set_attributes(&button, &[("type", "button"), ("data-session", row.id)]);
        // A text's start, an event's line, a file's name, or for a chat with nothing yet, what it is.
        let event = row.last.and_then(|m| {
            self.strings
                .event(m.kind, &m.author, m.author_name.as_deref(), m.score)
        });
        let line = match (row.last, &event) {
            (_, Some(event)) => event,
            (Some(m), None) if !m.content.is_empty() => preview(&m.content),
            // Files without a caption: the first one's name.
            (Some(m), None) if !m.attachments.is_empty() => preview(&m.attachments[0].name),
            _ => self.strings.new_conversation,
        };
        let line = self.doc.text("span", "preview", line);
        let when = self
            .doc
            .text("span", "when", &self.clock.format(row.time, true));
        append(&button, &[&line, &when]);
        if row.resolved {
            append(
                &when,
                &[
                    &self.doc.text_node(" · "),
                    &self.doc.text("span", "status", self.strings.resolved),
                ],
            );
        }
        if row.unread {
            append(
                &button,
                &[&self.doc.text("span", "sr-only", self.strings.new_reply)],
            );
        }
        button
    }
}
