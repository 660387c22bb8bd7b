//! The handle's events (`chat.on(name, callback)`): their names and payloads, as plain Rust.
//!
//! The boundary (`js::Listeners`) keeps the callbacks and turns an [`Event`] into the JavaScript object a
//! callback receives; what fires when is decided by `app` from what `state` reports. Pure: native tests.

use crate::protocol::{Attachment, Author, Message, MessageKind};

/// An event a page can listen to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    Ready,
    Open,
    Close,
    Message,
    Unread,
    ConversationStarted,
    ConversationResolved,
    Error,
}

impl EventName {
    pub const ALL: &'static [(&'static str, EventName)] = &[
        ("ready", EventName::Ready),
        ("open", EventName::Open),
        ("close", EventName::Close),
        ("message", EventName::Message),
        ("unread", EventName::Unread),
        ("conversationStarted", EventName::ConversationStarted),
        ("conversationResolved", EventName::ConversationResolved),
        ("error", EventName::Error),
    ];

    /// The event called `name`, or the error `on`/`off` throw: `unknown event "opne"; events: ready, …`.
    pub fn parse(name: &str) -> Result<EventName, String> {
        match EventName::ALL.iter().find(|(n, _)| *n == name) {
            Some((_, event)) => Ok(*event),
            None => {
                let mut message = format!("Frontdesk: unknown event \"{name}\"; events: ");
                for (index, (n, _)) in EventName::ALL.iter().enumerate() {
                    if index > 0 {
                        message.push_str(", ");
                    }
                    message.push_str(n);
                }
                Err(message)
            }
        }
    }
}

/// What a callback receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The widget is on the page and has loaded the visitor's chats (or has none to load).
    Ready,
    Open,
    Close,
    /// A message sent by the visitor (once the server stored it) or received from an agent.
    Message(MessageEvent),
    /// The unread count changed: the new count.
    Unread(u32),
    /// The visitor's first message started a chat: its id.
    ConversationStarted(String),
    /// A chat was resolved (by an agent or by the visitor): its id, and who.
    ConversationResolved {
        session_id: String,
        by: Author,
    },
    /// The text the console got.
    Error(String),
}

impl Event {
    pub fn name(&self) -> EventName {
        match self {
            Event::Ready => EventName::Ready,
            Event::Open => EventName::Open,
            Event::Close => EventName::Close,
            Event::Message(_) => EventName::Message,
            Event::Unread(_) => EventName::Unread,
            Event::ConversationStarted(_) => EventName::ConversationStarted,
            Event::ConversationResolved { .. } => EventName::ConversationResolved,
            Event::Error(_) => EventName::Error,
        }
    }
}

/// A message as a page sees it: `{ id, sessionId, author, authorName, text, attachments, sentAt }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    pub id: i64,
    pub session_id: String,
    pub author: Author,
    /// The agent's name; `None` for the visitor.
    pub author_name: Option<String>,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// RFC 3339, as the server stored it.
    pub sent_at: String,
}

/// The events newly stored messages make, in order: a text is a `message`; a chat resolved is a
/// `conversationResolved`; the other chat events (reopened, rated) make none, nor does a greeting the visitor saw
/// before writing (stored with the chat's first message, it was never news).
pub fn from_messages(messages: &[Message]) -> Vec<Event> {
    let mut events = Vec::new();
    for message in messages {
        match message.kind {
            MessageKind::Text => events.push(Event::Message(MessageEvent {
                id: message.id,
                session_id: message.session_id.clone(),
                author: message.author.clone(),
                author_name: message.author_name.clone(),
                text: message.content.clone(),
                attachments: message.attachments.clone(),
                sent_at: message.created_at.clone(),
            })),
            MessageKind::Resolved => events.push(Event::ConversationResolved {
                session_id: message.session_id.clone(),
                by: message.author.clone(),
            }),
            MessageKind::Reopened | MessageKind::Rated | MessageKind::Greeting => {}
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, author: Author, kind: MessageKind, content: &str) -> Message {
        Message {
            id,
            session_id: "s1".into(),
            client_id: None,
            author_name: (author == Author::Agent).then(|| "Ada".into()),
            author,
            author_avatar_url: None,
            kind,
            content: content.into(),
            score: None,
            attachments: Vec::new(),
            created_at: "2026-11-30T10:00:00Z".into(),
        }
    }

    #[test]
    fn names_parse_and_an_unknown_one_is_named() {
        for (name, event) in EventName::ALL {
            assert_eq!(EventName::parse(name), Ok(*event));
        }
        assert_eq!(
            EventName::parse("opne"),
            Err("Frontdesk: unknown event \"opne\"; events: ready, open, close, message, unread, conversationStarted, conversationResolved, error".into())
        );
        assert!(
            EventName::parse("Open").is_err(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn texts_are_messages_and_a_resolution_is_its_own_event() {
        let events = from_messages(&[
            message(1, Author::Visitor, MessageKind::Text, "Hi"),
            message(2, Author::Agent, MessageKind::Text, "Hello"),
            message(3, Author::Agent, MessageKind::Resolved, ""),
            message(4, Author::Visitor, MessageKind::Rated, ""),
            message(5, Author::Visitor, MessageKind::Reopened, ""),
        ]);
        assert_eq!(events.len(), 3);
        let Event::Message(first) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(
            (
                first.id,
                first.author.clone(),
                first.author_name.as_deref(),
                first.text.as_str()
            ),
            (1, Author::Visitor, None, "Hi")
        );
        assert_eq!(events[1].name(), EventName::Message);
        assert_eq!(
            events[2],
            Event::ConversationResolved {
                session_id: "s1".into(),
                by: Author::Agent
            }
        );
    }
}
