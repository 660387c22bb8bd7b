//! The chat as the visitor sees it, as plain data: sessions, loaded conversations, the outbox, the
//! unread count, and what screen is showing. Server data and visitor actions go in; view models come
//! out. Pure: `app` does the I/O and `dom` draws the view models.

use crate::protocol::{Author, Message, Session};
use crate::storage::Pending;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Earlier conversations and "New conversation".
    List,
    /// A conversation; `None` is a new one the server has not created yet (its first message is pending).
    Conversation(Option<String>),
}

#[derive(Debug, Default)]
pub struct ChatState {
    /// Newest activity first.
    pub sessions: Vec<Session>,
    /// Conversations whose messages have been fetched, each sorted by id. A list, not a map: a visitor
    /// opens a handful, and a map type alone costs kilobytes of wasm.
    pub messages: Vec<(String, Vec<Message>)>,
    pub outbox: Vec<Pending>,
    /// The next `after` of the updates long-poll.
    pub cursor: i64,
    /// Highest message id the visitor has had in front of them.
    pub last_read: i64,
    pub unread: u32,
    pub open: bool,
    pub screen: Option<Screen>,
}

/// What applying a batch of server messages changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Agent messages not seen before, in order: announced, and counted when not in view.
    pub new_agent_messages: Vec<Message>,
    /// A message came for a session not in the list (started in another tab or device): refetch the list.
    pub unknown_session: bool,
    pub changed: bool,
}

/// One line of the conversation, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemView {
    /// Stable across the pending → sent change, so the view can update an element in place.
    pub key: String,
    pub author: Author,
    pub author_name: Option<String>,
    pub content: String,
    pub created_at: Option<String>,
    pub status: ItemStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemStatus {
    Sent,
    Pending,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub preview: String,
    pub time: String,
    pub unread: bool,
}

impl ChatState {
    pub fn screen(&self) -> Screen {
        match &self.screen {
            Some(screen) => screen.clone(),
            None if self.sessions.is_empty() => Screen::Conversation(None),
            None => Screen::List,
        }
    }

    /// The session list arrived: the cursor starts after everything it shows, and sessions whose last
    /// message is an unread agent reply count as unread.
    pub fn set_sessions(&mut self, mut sessions: Vec<Session>) {
        sessions.sort_unstable_by(|a, b| activity(b).cmp(&activity(a)));
        let newest = sessions
            .iter()
            .filter_map(|s| s.last_message.as_ref().map(|m| m.id))
            .max()
            .unwrap_or(0);
        self.cursor = self.cursor.max(newest);
        if !self.open {
            self.unread = sessions
                .iter()
                .filter_map(|s| s.last_message.as_ref())
                .filter(|m| m.author == Author::Agent && m.id > self.last_read)
                .count() as u32;
        }
        self.sessions = sessions;
    }

    pub fn add_session(&mut self, session: Session) {
        if !self.sessions.iter().any(|s| s.id == session.id) {
            self.sessions.insert(0, session);
        }
    }

    /// A conversation's full history arrived.
    pub fn set_messages(&mut self, session_id: &str, messages: Vec<Message>) {
        let list = self.conversation_entry(session_id);
        *list = Vec::new();
        for message in messages {
            insert_sorted(list, message);
        }
    }

    /// The loaded messages of a conversation; `None` when they have not been fetched.
    pub fn conversation(&self, session_id: &str) -> Option<&Vec<Message>> {
        self.messages
            .iter()
            .find(|(id, _)| id == session_id)
            .map(|(_, list)| list)
    }

    fn conversation_entry(&mut self, session_id: &str) -> &mut Vec<Message> {
        let index = match self.messages.iter().position(|(id, _)| id == session_id) {
            Some(index) => index,
            None => {
                self.messages.push((session_id.to_owned(), Vec::new()));
                self.messages.len() - 1
            }
        };
        &mut self.messages[index].1
    }

    /// New messages from the long-poll or from a send: deduplicated by id, matched to pending sends
    /// by client id, and counted as unread when the visitor is not looking at their conversation.
    pub fn apply(&mut self, messages: Vec<Message>) -> Applied {
        let mut applied = Applied::default();
        for message in messages {
            self.cursor = self.cursor.max(message.id);
            if let Some(client_id) = &message.client_id {
                self.outbox.retain(|p| &p.client_id != client_id);
            }
            match self
                .sessions
                .iter()
                .position(|s| s.id == message.session_id)
            {
                Some(index) => {
                    let mut session = self.sessions.remove(index);
                    if session
                        .last_message
                        .as_ref()
                        .is_none_or(|m| m.id <= message.id)
                    {
                        session.last_message = Some(message.clone());
                    }
                    self.sessions.insert(0, session);
                }
                None => applied.unknown_session = true,
            }
            let loaded = self
                .messages
                .iter_mut()
                .find(|(id, _)| *id == message.session_id);
            let is_new = match loaded {
                Some((_, list)) => insert_sorted(list, message.clone()),
                // Not loaded: it will come with the history; new if we have not seen its id.
                None => message.id > self.last_read,
            };
            if !is_new {
                continue;
            }
            applied.changed = true;
            if message.author == Author::Agent {
                if self.is_in_view(&message.session_id) {
                    self.last_read = self.last_read.max(message.id);
                } else if message.id > self.last_read {
                    self.unread += 1;
                }
                applied.new_agent_messages.push(message);
            }
        }
        applied
    }

    fn is_in_view(&self, session_id: &str) -> bool {
        self.open && self.screen() == Screen::Conversation(Some(session_id.to_owned()))
    }

    /// The panel opened or the visitor moved to a conversation: what is in view is read.
    pub fn mark_read(&mut self) -> i64 {
        self.unread = 0;
        let newest = self
            .messages
            .iter()
            .flat_map(|(_, list)| list)
            .map(|m| m.id)
            .chain(
                self.sessions
                    .iter()
                    .filter_map(|s| s.last_message.as_ref().map(|m| m.id)),
            )
            .max()
            .unwrap_or(0);
        self.last_read = self.last_read.max(newest);
        self.last_read
    }

    pub fn rows(&self) -> Vec<SessionRow> {
        self.sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id.clone(),
                preview: s
                    .last_message
                    .as_ref()
                    .map(|m| m.content.chars().take(80).collect())
                    .unwrap_or_default(),
                time: s
                    .last_message
                    .as_ref()
                    .map_or(&s.created_at, |m| &m.created_at)
                    .clone(),
                unread: s
                    .last_message
                    .as_ref()
                    .is_some_and(|m| m.author == Author::Agent && m.id > self.last_read),
            })
            .collect()
    }

    /// The conversation's messages followed by what is still in the outbox for it.
    pub fn items(&self, session_id: Option<&str>) -> Vec<ItemView> {
        let sent = session_id
            .and_then(|id| self.conversation(id))
            .into_iter()
            .flatten()
            .map(|m| ItemView {
                key: m.client_id.clone().unwrap_or_else(|| format!("m{}", m.id)),
                author: m.author.clone(),
                author_name: m.author_name.clone(),
                content: m.content.clone(),
                created_at: Some(m.created_at.clone()),
                status: ItemStatus::Sent,
            });
        let pending = self
            .outbox
            .iter()
            .filter(|p| p.session_id.as_deref() == session_id)
            .map(|p| ItemView {
                key: p.client_id.clone(),
                author: Author::Visitor,
                author_name: None,
                content: p.content.clone(),
                created_at: None,
                status: match &p.failed {
                    Some(reason) => ItemStatus::Failed(reason.clone()),
                    None => ItemStatus::Pending,
                },
            });
        sent.chain(pending).collect()
    }

    /// The server created the conversation that was pending as `None`.
    pub fn session_created(&mut self, session: Session) {
        let id = session.id.clone();
        for pending in self.outbox.iter_mut().filter(|p| p.session_id.is_none()) {
            pending.session_id = Some(id.clone());
        }
        self.conversation_entry(&id);
        if self.screen() == Screen::Conversation(None) {
            self.screen = Some(Screen::Conversation(Some(id)));
        }
        self.add_session(session);
    }
}

fn activity(session: &Session) -> (i64, &str) {
    (
        session.last_message.as_ref().map_or(0, |m| m.id),
        &session.created_at,
    )
}

/// Inserts by id unless present; `true` when inserted.
fn insert_sorted(list: &mut Vec<Message>, message: Message) -> bool {
    match list.binary_search_by_key(&message.id, |m| m.id) {
        Ok(_) => false,
        Err(index) => {
            list.insert(index, message);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, session: &str, author: Author, client_id: Option<&str>) -> Message {
        Message {
            id,
            session_id: session.into(),
            client_id: client_id.map(Into::into),
            author,
            author_name: None,
            content: format!("m{id}"),
            created_at: "2026-11-24T10:00:00Z".into(),
        }
    }

    fn session(id: &str, last: Option<Message>) -> Session {
        Session {
            id: id.into(),
            created_at: "2026-11-24T09:00:00Z".into(),
            verified: false,
            last_message: last,
        }
    }

    #[test]
    fn no_sessions_starts_a_new_conversation_screen() {
        let state = ChatState::default();
        assert_eq!(state.screen(), Screen::Conversation(None));
    }

    #[test]
    fn session_list_sets_cursor_order_and_unread() {
        let mut state = ChatState {
            last_read: 3,
            ..Default::default()
        };
        state.set_sessions(vec![
            session("old", Some(message(2, "old", Author::Agent, None))),
            session("new", Some(message(5, "new", Author::Agent, None))),
        ]);
        assert_eq!(state.sessions[0].id, "new");
        assert_eq!(state.cursor, 5);
        assert_eq!(state.unread, 1);
        assert_eq!(state.screen(), Screen::List);
        let rows = state.rows();
        assert!(rows[0].unread && !rows[1].unread);
    }

    #[test]
    fn duplicates_are_applied_once() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session("s", None)]);
        state.set_messages("s", vec![]);
        let reply = message(7, "s", Author::Agent, None);
        let first = state.apply(vec![reply.clone()]);
        let second = state.apply(vec![reply]);
        assert_eq!(first.new_agent_messages.len(), 1);
        assert!(second.new_agent_messages.is_empty() && !second.changed);
        assert_eq!(state.conversation("s").unwrap().len(), 1);
        assert_eq!(state.unread, 1);
    }

    #[test]
    fn replies_in_view_are_not_unread() {
        let mut state = ChatState {
            open: true,
            screen: Some(Screen::Conversation(Some("s".into()))),
            ..Default::default()
        };
        state.set_sessions(vec![session("s", None)]);
        state.set_messages("s", vec![]);
        state.apply(vec![message(4, "s", Author::Agent, None)]);
        assert_eq!(state.unread, 0);
        assert_eq!(state.last_read, 4);
    }

    #[test]
    fn a_stored_message_replaces_its_pending_copy_under_the_same_key() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session("s", None)]);
        state.set_messages("s", vec![]);
        state.outbox.push(Pending {
            client_id: "c_1".into(),
            session_id: Some("s".into()),
            content: "hi".into(),
            failed: None,
        });
        let before = state.items(Some("s"));
        assert_eq!(before[0].status, ItemStatus::Pending);
        state.apply(vec![message(9, "s", Author::Visitor, Some("c_1"))]);
        let after = state.items(Some("s"));
        assert_eq!(after.len(), 1);
        assert_eq!(
            (after[0].key.as_str(), &after[0].status),
            ("c_1", &ItemStatus::Sent)
        );
        assert!(state.outbox.is_empty());
    }

    #[test]
    fn an_unknown_session_asks_for_the_list() {
        let mut state = ChatState::default();
        let applied = state.apply(vec![message(1, "elsewhere", Author::Visitor, None)]);
        assert!(applied.unknown_session);
        assert_eq!(state.cursor, 1);
    }

    #[test]
    fn creating_the_pending_conversation_assigns_its_messages_and_screen() {
        let mut state = ChatState {
            open: true,
            ..Default::default()
        };
        state.outbox.push(Pending {
            client_id: "c_1".into(),
            session_id: None,
            content: "hi".into(),
            failed: None,
        });
        assert_eq!(state.items(None).len(), 1);
        state.session_created(session("s", None));
        assert_eq!(state.screen(), Screen::Conversation(Some("s".into())));
        assert_eq!(state.outbox[0].session_id.as_deref(), Some("s"));
        assert_eq!(state.items(Some("s")).len(), 1);
    }

    #[test]
    fn mark_read_clears_unread() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session(
            "s",
            Some(message(3, "s", Author::Agent, None)),
        )]);
        assert_eq!(state.unread, 1);
        assert_eq!(state.mark_read(), 3);
        assert_eq!(state.unread, 0);
    }
}
