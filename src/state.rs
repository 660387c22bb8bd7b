//! The chat as the visitor sees it, as plain data: sessions, loaded conversations, the outbox, the
//! unread count, and what screen is showing. Server data and visitor actions go in; view models come
//! out. Pure: `app` does the I/O and `dom` draws the view models.

use crate::protocol::limits::{TYPING_REFRESH_SECS, TYPING_SHOWN_SECS};
use crate::protocol::{
    Attachment, Author, Message, MessageKind, MessagePage, Rating, Session, Signal, SignalKind,
    Status,
};
use crate::storage::Pending;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Earlier conversations and "New conversation".
    List,
    /// A conversation; `None` is a new one the server has not created yet (its first message is pending).
    Conversation(Option<String>),
}

/// Every field is private: the methods below are the only writers, so the invariants hold —
/// a message is shown once (by id, or by client id while pending), `cursor` only moves forward, and
/// the outbox is looked up by client id in one place ([`ChatState::pending_mut`]).
#[derive(Debug, Default)]
pub struct ChatState {
    /// Newest activity first.
    sessions: Vec<Session>,
    /// Conversations whose latest page has been fetched. A list, not a map: a visitor opens a
    /// handful, and a map type alone costs kilobytes of wasm.
    messages: Vec<Loaded>,
    /// Messages the server has not stored yet, in the order the visitor wrote them.
    outbox: Vec<Pending>,
    /// The next `after` of the updates long-poll; written only by [`ChatState::advance_cursor`].
    cursor: i64,
    /// Highest message id the visitor has had in front of them.
    last_read: i64,
    unread: u32,
    open: bool,
    /// `None` until the visitor or the session list decides; written only by [`ChatState::set_screen`].
    screen: Option<Screen>,
    /// The long-poll's next `signals_after`: the `signals_at` of its last answer.
    signals_at: i64,
    /// Agents typing now, one per chat. Times here are the caller's clock in milliseconds (`now`), never
    /// the server's: the two need not agree.
    typing: Vec<Typing>,
    /// When the visitor's last `typing: true` went out; `None` while none is showing on the other side.
    typing_sent: Option<i64>,
}

#[derive(Debug)]
struct Typing {
    session_id: String,
    name: Option<String>,
    /// Shown until then, unless a fresh signal moves it.
    until: i64,
}
/// A conversation's messages the widget holds: its latest page, the older pages the visitor scrolled
/// to, and what arrived since. Every message from the oldest held one to the newest is held (a page is
/// the messages just below the oldest held one), so a conversation has no gaps, only a start not yet
/// loaded.
#[derive(Debug)]
struct Loaded {
    session_id: String,
    /// Sorted by id.
    list: Vec<Message>,
    /// The `before` that asks for the page below `list`; `None` once `list` starts with the first message.
    older: Option<i64>,
}

/// What applying a batch of server messages changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Every message not seen before (the visitor's too), in order: the handle's events.
    pub new_messages: Vec<Message>,
    /// Agent messages not seen before, in order: announced, and counted when not in view.
    pub new_agent_messages: Vec<Message>,
    /// A message came for a session not in the list (started in another tab or device): refetch the list.
    pub unknown_session: bool,
    pub changed: bool,
}

/// One line of the conversation, ready to draw. It borrows from the state, so a render copies no
/// message: building the view of a long conversation costs a pointer per line, not its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemView<'a> {
    /// Stable across the pending → sent change, so the view can update an element in place.
    pub key: ItemKey<'a>,
    pub author: Author,
    pub author_name: Option<&'a str>,
    pub content: &'a str,
    pub created_at: Option<&'a str>,
    pub status: ItemStatus<'a>,
    /// A text, or an event of the chat drawn as a divider line.
    pub kind: MessageKind,
    pub score: Option<u8>,
    /// The visitor's last message that the agents have read: "Seen" goes under it.
    pub seen: bool,
    /// Its files (`content` is then their caption, maybe empty).
    pub attachments: &'a [Attachment],
}

/// What identifies a line across renders: the client id the widget gave it (while pending, and after
/// the server stored it), or else the server's message id (a reply, or a message from another device
/// that came without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKey<'a> {
    Client(&'a str),
    Message(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus<'a> {
    Sent,
    Pending,
    Failed(&'a str),
}

/// One chat of the list. It borrows from the state, like [`ItemView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow<'a> {
    pub id: &'a str,
    /// The last message: its text (its start, see [`preview`]) or its event is the row's line.
    pub last: Option<&'a Message>,
    pub time: &'a str,
    pub unread: bool,
    pub resolved: bool,
}

/// Which of the two screens shows: what the view needs to place focus and hide the other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKind {
    List,
    Conversation,
}

/// Everything the view draws, derived from [`ChatState`] in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewModel<'a> {
    pub screen: ScreenView<'a>,
    pub unread: u32,
    /// The chat on screen; all empty on the list and in a chat not created yet.
    pub chat: ChatView<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenView<'a> {
    List(Vec<SessionRow<'a>>),
    Conversation(Vec<ItemView<'a>>),
}

/// What the header, the rating prompt and the typing line show of the chat on screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatView<'a> {
    /// Open and with messages: the visitor may end it.
    pub can_end: bool,
    pub rating: RatingView,
    /// An agent is typing: its name, `""` when it has none.
    pub typing: Option<&'a str>,
    /// The agent's message that last answered: its name and avatar head the chat.
    pub agent: Option<&'a Message>,
}

/// The rating prompt of a resolved chat: asked until its current resolution is rated, then thanked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RatingView {
    #[default]
    Hidden,
    Ask,
    Thanks,
}

impl ScreenView<'_> {
    pub fn kind(&self) -> ScreenKind {
        match self {
            ScreenView::List(_) => ScreenKind::List,
            ScreenView::Conversation(_) => ScreenKind::Conversation,
        }
    }
}

impl Screen {
    pub fn kind(&self) -> ScreenKind {
        match self {
            Screen::List => ScreenKind::List,
            Screen::Conversation(_) => ScreenKind::Conversation,
        }
    }
}

impl ChatState {
    /// The state a page load starts from: what this device kept (unsent messages, the read marker).
    pub fn restore(outbox: Vec<Pending>, last_read: i64) -> ChatState {
        ChatState {
            outbox,
            last_read,
            ..ChatState::default()
        }
    }

    /// `logout()`: everything goes but whether the panel is open.
    pub fn forget(&mut self) {
        *self = ChatState {
            open: self.open,
            ..ChatState::default()
        };
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    pub fn set_open(&mut self, open: bool) {
        self.open = open;
    }

    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    pub fn last_read(&self) -> i64 {
        self.last_read
    }

    pub fn unread(&self) -> u32 {
        self.unread
    }

    pub fn outbox(&self) -> &[Pending] {
        &self.outbox
    }

    pub fn signals_at(&self) -> i64 {
        self.signals_at
    }

    /// The only writer of `cursor`: it never moves back, so a late or repeated batch cannot make the
    /// long-poll ask again for what it already has.
    fn advance_cursor(&mut self, seen: i64) {
        self.cursor = self.cursor.max(seen);
    }

    /// The only writer of `screen`.
    pub fn set_screen(&mut self, screen: Screen) {
        self.screen = Some(screen);
    }

    pub fn screen(&self) -> Screen {
        match &self.screen {
            Some(screen) => screen.clone(),
            None if self.sessions.is_empty() => Screen::Conversation(None),
            None => Screen::List,
        }
    }

    /// The session list arrived: the cursor starts after everything it shows (unless a loaded
    /// conversation may still lack some of it: the long-poll must bring that), and sessions
    /// whose last message is an unread agent reply count as unread.
    pub fn set_sessions(&mut self, mut sessions: Vec<Session>) {
        sort_by_activity(&mut sessions);
        // Loops rather than iterator chains here and below: each chain is its own code in the wasm.
        let (mut newest, mut unread) = (0, 0);
        for m in sessions.iter().filter_map(|s| s.last_message.as_ref()) {
            newest = newest.max(m.id);
            if is_unread(m, self.last_read) {
                unread += 1;
            }
        }
        if sessions.iter().all(|s| self.is_caught_up(s)) {
            self.advance_cursor(newest);
        }
        if !self.open {
            self.unread = unread;
        }
        self.sessions = sessions;
    }

    /// Whether moving the cursor past `session`'s last message loses nothing: its conversation is not
    /// loaded (opening it fetches the history), or the long-poll already brought everything in it. A
    /// loaded conversation may hold a later message from a send's answer while an earlier reply is still
    /// to come, so holding the last message is not enough.
    fn is_caught_up(&self, session: &Session) -> bool {
        match (self.conversation(&session.id), &session.last_message) {
            (Some(_), Some(last)) => last.id <= self.cursor,
            _ => true,
        }
    }

    fn add_session(&mut self, session: Session) {
        if self.session_index(&session.id).is_none() {
            self.sessions.insert(0, session);
        }
    }

    /// Where `session_id` is in the list. One loop that every lookup by id shares (and the same for
    /// conversations, [`ChatState::loaded_index`]): each `find`/`position`/`any` closure is its own code in
    /// the wasm.
    fn session_index(&self, session_id: &str) -> Option<usize> {
        let mut i = 0;
        while i < self.sessions.len() {
            if self.sessions[i].id == session_id {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    fn loaded_index(&self, session_id: &str) -> Option<usize> {
        let mut i = 0;
        while i < self.messages.len() {
            if self.messages[i].session_id == session_id {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// A page of a conversation arrived: its latest messages when it opens (`before` is `None`), or the
    /// page below what is held (`before` from [`ChatState::older_page`]). Merged by id, so a page that
    /// overlaps what the long-poll brought meanwhile (or a page fetched twice) shows each message once.
    pub fn add_page(&mut self, session_id: &str, before: Option<i64>, page: MessagePage) {
        let was_loaded = self.conversation(session_id).is_some();
        if before.is_some() && !was_loaded {
            // Forgotten (`logout`) while the page was on its way: alone it would be a gap.
            return;
        }
        let loaded = self.conversation_entry(session_id);
        // The page comes sorted (the server's order); what was held is newer, so each of its messages
        // lands at the end and nothing is shifted.
        let mut list = page.messages;
        for message in std::mem::take(&mut loaded.list) {
            insert_sorted(&mut list, message);
        }
        loaded.list = list;
        // A latest page fetched again (two opens racing) says nothing about what lies below.
        if before.is_some() || !was_loaded {
            loaded.older = page.next_before;
        }
    }

    /// The `before` of the page below the messages held for `session_id`; `None` when they are not
    /// loaded or start with the conversation's first message.
    pub fn older_page(&self, session_id: &str) -> Option<i64> {
        self.loaded(session_id)?.older
    }

    /// The loaded messages of a conversation, sorted by id; `None` when none has been fetched.
    pub fn conversation(&self, session_id: &str) -> Option<&Vec<Message>> {
        self.loaded(session_id).map(|loaded| &loaded.list)
    }

    fn loaded(&self, session_id: &str) -> Option<&Loaded> {
        self.loaded_index(session_id).map(|i| &self.messages[i])
    }

    fn conversation_entry(&mut self, session_id: &str) -> &mut Loaded {
        let index = match self.loaded_index(session_id) {
            Some(index) => index,
            None => {
                self.messages.push(Loaded {
                    session_id: session_id.to_owned(),
                    list: Vec::new(),
                    older: None,
                });
                self.messages.len() - 1
            }
        };
        &mut self.messages[index]
    }

    /// New messages from the long-poll or from a send: deduplicated by id, matched to pending sends
    /// by client id, and counted as unread when the visitor is not looking at their conversation.
    fn apply(&mut self, messages: Vec<Message>) -> Applied {
        let mut applied = Applied::default();
        for message in messages {
            if let Some(client_id) = &message.client_id {
                if let Some(index) = self.pending_index(client_id) {
                    self.outbox.remove(index);
                }
            }
            match self.session_index(&message.session_id) {
                Some(index) => {
                    let mut session = self.sessions.remove(index);
                    if session
                        .last_message
                        .as_ref()
                        .is_none_or(|m| m.id <= message.id)
                    {
                        follow(&mut session, &message);
                    }
                    self.sessions.insert(0, session);
                }
                None => {
                    // Listed at once (the refetched list replaces it), so the conversation is known
                    // to have history: `session_created` must not then declare it empty.
                    applied.unknown_session = true;
                    let mut session = Session {
                        id: message.session_id.clone(),
                        created_at: message.created_at.clone(),
                        verified: false,
                        last_message: None,
                        status: Status::Open,
                        resolved_at: None,
                        rating: None,
                        seen_by_visitor: None,
                        seen_by_agent: None,
                    };
                    follow(&mut session, &message);
                    self.sessions.insert(0, session);
                }
            }
            let is_new = match self.loaded_index(&message.session_id) {
                Some(i) => insert_sorted(&mut self.messages[i].list, message.clone()),
                // Not loaded: it will come with the history; new if we have not seen its id.
                None => message.id > self.last_read,
            };
            if !is_new {
                continue;
            }
            applied.changed = true;
            applied.new_messages.push(message.clone());
            if message.author == Author::Agent {
                // Whatever an agent sends ends its "is typing…".
                self.drop_typing(Some(&message.session_id), 0);
                if self.is_in_view(&message.session_id) {
                    self.last_read = self.last_read.max(message.id);
                } else if is_unread(&message, self.last_read) {
                    self.unread += 1;
                }
                applied.new_agent_messages.push(message);
            }
        }
        applied
    }

    fn is_in_view(&self, session_id: &str) -> bool {
        self.open && matches!(self.screen(), Screen::Conversation(Some(id)) if id == session_id)
    }

    /// The panel opened or the visitor moved to a conversation: what is in view is read.
    pub fn mark_read(&mut self) -> i64 {
        self.unread = 0;
        let mut newest = 0;
        for loaded in &self.messages {
            // Sorted: the newest is the last, so this does not grow with the conversation.
            if let Some(m) = loaded.list.last() {
                newest = newest.max(m.id);
            }
        }
        for m in self.sessions.iter().filter_map(|s| s.last_message.as_ref()) {
            newest = newest.max(m.id);
        }
        self.last_read = self.last_read.max(newest);
        self.last_read
    }

    pub fn rows(&self) -> Vec<SessionRow<'_>> {
        let mut rows = Vec::with_capacity(self.sessions.len());
        for s in &self.sessions {
            let last = s.last_message.as_ref();
            rows.push(SessionRow {
                id: &s.id,
                last,
                time: last.map_or(&s.created_at, |m| &m.created_at),
                unread: last.is_some_and(|m| is_unread(m, self.last_read)),
                resolved: s.status == Status::Resolved,
            });
        }
        rows
    }

    fn session(&self, session_id: &str) -> Option<&Session> {
        self.session_index(session_id).map(|i| &self.sessions[i])
    }

    fn session_mut(&mut self, session_id: &str) -> Option<&mut Session> {
        self.session_index(session_id)
            .map(|i| &mut self.sessions[i])
    }

    /// What the header, rating prompt and typing line show of `session_id`.
    pub fn chat(&self, session_id: Option<&str>) -> ChatView<'_> {
        let mut chat = ChatView::default();
        let Some(session) = session_id.and_then(|id| self.session(id)) else {
            return chat;
        };
        chat.can_end = session.status == Status::Open && session.last_message.is_some();
        chat.rating = match (session.status, &session.rating) {
            (Status::Open, _) => RatingView::Hidden,
            (Status::Resolved, None) => RatingView::Ask,
            (Status::Resolved, Some(_)) => RatingView::Thanks,
        };
        for t in &self.typing {
            if t.session_id == session.id {
                chat.typing = Some(t.name.as_deref().unwrap_or(""));
            }
        }
        chat.agent = self.last_answer(session);
        chat
    }

    /// The agent's text that answered last in `session`: from the loaded messages, else the list's last one.
    fn last_answer<'a>(&'a self, session: &'a Session) -> Option<&'a Message> {
        let held = self
            .conversation(&session.id)
            .map_or(&[][..], |l| l.as_slice());
        for m in held.iter().rev() {
            if m.author == Author::Agent && m.kind == MessageKind::Text {
                return Some(m);
            }
        }
        session
            .last_message
            .as_ref()
            .filter(|m| m.author == Author::Agent && m.kind == MessageKind::Text)
    }

    /// The conversation's messages followed by what is still in the outbox for it.
    pub fn items(&self, session_id: Option<&str>) -> Vec<ItemView<'_>> {
        let sent = session_id
            .and_then(|id| self.conversation(id))
            .map_or(&[][..], |list| list.as_slice());
        // The visitor's last message at or below what the agents read.
        let read = session_id
            .and_then(|id| self.session(id))
            .and_then(|s| s.seen_by_agent)
            .unwrap_or(0);
        let mut seen = 0;
        for m in sent.iter().rev() {
            if m.id <= read && m.author == Author::Visitor && m.kind == MessageKind::Text {
                seen = m.id;
                break;
            }
        }
        let mut items = Vec::with_capacity(sent.len() + self.outbox.len());
        for m in sent {
            items.push(ItemView {
                key: match &m.client_id {
                    Some(client_id) => ItemKey::Client(client_id),
                    None => ItemKey::Message(m.id),
                },
                author: m.author.clone(),
                author_name: m.author_name.as_deref(),
                content: &m.content,
                created_at: Some(&m.created_at),
                status: ItemStatus::Sent,
                kind: m.kind,
                score: m.score,
                seen: m.id == seen,
                attachments: &m.attachments,
            });
        }
        for p in &self.outbox {
            if p.session_id.as_deref() == session_id {
                items.push(ItemView {
                    key: ItemKey::Client(&p.client_id),
                    author: Author::Visitor,
                    author_name: None,
                    content: &p.content,
                    created_at: None,
                    status: match &p.failed {
                        Some(reason) => ItemStatus::Failed(reason),
                        None => ItemStatus::Pending,
                    },
                    kind: MessageKind::Text,
                    score: None,
                    seen: false,
                    attachments: &p.attachments,
                });
            }
        }
        items
    }

    /// A long-poll batch: its messages, then its cursor. Only a batch moves the cursor past a message
    /// (a batch holds every message up to its cursor); a send's answer does not, or a reply stored just
    /// before it, still on its way in a long-poll that failed and is asked again, would be skipped.
    pub fn receive(&mut self, messages: Vec<Message>, cursor: i64) -> Applied {
        let newest = messages.iter().map(|m| m.id).max().unwrap_or(0);
        let applied = self.apply(messages);
        self.advance_cursor(cursor.max(newest));
        applied
    }

    /// The visitor wrote `content` (with `attachments`, already uploaded, it is their caption): it joins the
    /// outbox for the conversation on screen (a new one from the list), and that conversation stays on screen.
    pub fn enqueue(&mut self, client_id: String, content: String, attachments: Vec<Attachment>) {
        let session_id = match self.screen() {
            Screen::Conversation(id) => id,
            Screen::List => None,
        };
        self.set_screen(Screen::Conversation(session_id.clone()));
        self.outbox.push(Pending {
            client_id,
            session_id,
            content,
            failed: None,
            attachments,
        });
    }

    /// Another tab changed this device's outbox: its copy is the newer one.
    pub fn replace_outbox(&mut self, outbox: Vec<Pending>) {
        self.outbox = outbox;
    }

    /// The oldest message still to send (failed ones wait for the visitor's Retry).
    pub fn next_to_send(&self) -> Option<&Pending> {
        self.outbox.iter().find(|p| p.failed.is_none())
    }

    /// The server stored a message this device sent: it leaves the outbox and joins its conversation.
    pub fn ack(&mut self, message: Message) -> Applied {
        self.apply(vec![message])
    }

    /// The server refused a send for good: it stays in the outbox, shown with `reason` and Retry.
    pub fn mark_failed(&mut self, client_id: &str, reason: String) {
        if let Some(pending) = self.pending_mut(client_id) {
            pending.failed = Some(reason);
        }
    }

    /// The visitor asked to send a failed message again.
    pub fn retry(&mut self, client_id: &str) {
        if let Some(pending) = self.pending_mut(client_id) {
            pending.failed = None;
        }
    }

    fn pending_index(&self, client_id: &str) -> Option<usize> {
        self.outbox.iter().position(|p| p.client_id == client_id)
    }

    fn pending_mut(&mut self, client_id: &str) -> Option<&mut Pending> {
        let index = self.pending_index(client_id)?;
        Some(&mut self.outbox[index])
    }

    /// What the view draws now.
    pub fn view_model(&self) -> ViewModel<'_> {
        let (screen, chat) = match &self.screen() {
            Screen::List => (ScreenView::List(self.rows()), ChatView::default()),
            Screen::Conversation(id) => (
                ScreenView::Conversation(self.items(id.as_deref())),
                self.chat(id.as_deref()),
            ),
        };
        ViewModel {
            screen,
            unread: self.unread,
            chat,
        }
    }

    /// The server's answer to ending or rating a chat: the chat as it is now, unless the long-poll already
    /// brought something newer of it.
    pub fn session_changed(&mut self, session: Session) {
        if let Some(known) = self.session_mut(&session.id) {
            if activity(known).0 <= activity(&session).0 {
                *known = session;
            }
        }
    }

    /// A long-poll answer's signals: agents typing or not, and what they read. The visitor's own side's
    /// (another tab's) say nothing new here. `now` is the caller's clock in milliseconds. `true` when
    /// something shown changed.
    pub fn receive_signals(&mut self, signals: Vec<Signal>, signals_at: i64, now: i64) -> bool {
        self.signals_at = signals_at;
        let mut changed = false;
        for signal in signals {
            if signal.author != Author::Agent {
                continue;
            }
            match signal.kind {
                SignalKind::Typing => {
                    self.drop_typing(Some(&signal.session_id), 0);
                    if signal.typing == Some(true) {
                        self.typing.push(Typing {
                            session_id: signal.session_id,
                            name: signal.author_name,
                            until: now + i64::from(TYPING_SHOWN_SECS) * 1000,
                        });
                    }
                    changed = true;
                }
                SignalKind::Seen => {
                    if let Some(session) = self.session_mut(&signal.session_id) {
                        if session.seen_by_agent < signal.message_id {
                            session.seen_by_agent = signal.message_id;
                            changed = true;
                        }
                    }
                }
            }
        }
        changed
    }

    /// Drops the typing whose time ran out by `now`; `true` when one did.
    pub fn expire_typing(&mut self, now: i64) -> bool {
        self.drop_typing(None, now)
    }

    /// Drops the typing in `session_id`, or with `None` what ran out by `now`; `true` when one went. One
    /// loop for the three uses rather than a `retain` each (each closure is its own copy in the wasm).
    fn drop_typing(&mut self, session_id: Option<&str>, now: i64) -> bool {
        let mut dropped = false;
        let mut i = 0;
        while i < self.typing.len() {
            let t = &self.typing[i];
            if session_id.map_or(t.until <= now, |id| t.session_id == id) {
                self.typing.swap_remove(i);
                dropped = true;
            } else {
                i += 1;
            }
        }
        dropped
    }

    /// The visitor's text in the composer changed (`has_text`: it is not empty), or was sent (`false`):
    /// the `typing` report due for the chat on screen, if any — `true` at most once every
    /// `TYPING_REFRESH_SECS` while there is text, `false` once when it is cleared or sent.
    pub fn composer_input(&mut self, has_text: bool, now: i64) -> Option<(String, bool)> {
        let Screen::Conversation(Some(id)) = self.screen() else {
            return None;
        };
        let typing = match (has_text, self.typing_sent) {
            (true, Some(at)) if now - at < i64::from(TYPING_REFRESH_SECS) * 1000 => return None,
            (true, _) => {
                self.typing_sent = Some(now);
                true
            }
            (false, Some(_)) => {
                self.typing_sent = None;
                false
            }
            (false, None) => return None,
        };
        Some((id, typing))
    }

    /// The newest agent message of the chat on screen, when the panel is open and the visitor has not
    /// reported it yet: reported from here on (the caller sends it, and only while the page is visible).
    pub fn take_seen_report(&mut self) -> Option<(String, i64)> {
        let Screen::Conversation(Some(id)) = self.screen() else {
            return None;
        };
        if !self.open {
            return None;
        }
        let mut newest = None;
        for m in self.conversation(&id)?.iter().rev() {
            if m.author == Author::Agent {
                newest = Some(m.id);
                break;
            }
        }
        let session = self.session_mut(&id)?;
        if newest <= session.seen_by_visitor {
            return None;
        }
        session.seen_by_visitor = newest;
        Some((id, newest?))
    }

    /// The server created the conversation that was pending as `None`. It starts empty, unless it is
    /// already listed: then an answer got lost, the conversation may have history by now (an agent's
    /// reply), and opening it loads that.
    pub fn session_created(&mut self, session: Session) {
        let id = session.id.clone();
        for pending in self.outbox.iter_mut().filter(|p| p.session_id.is_none()) {
            pending.session_id = Some(id.clone());
        }
        if self.session_index(&id).is_none() {
            self.conversation_entry(&id);
        }
        if matches!(self.screen(), Screen::Conversation(None)) {
            self.set_screen(Screen::Conversation(Some(id)));
        }
        self.add_session(session);
    }
}

/// A message newer than anything known of its chat: it is the chat's last, and an event (or the
/// visitor writing, which reopens a resolved chat) moves the chat's status and rating with it.
fn follow(session: &mut Session, message: &Message) {
    match (message.kind, &message.author) {
        (MessageKind::Resolved, _) => {
            session.status = Status::Resolved;
            session.resolved_at = Some(message.created_at.clone());
            session.rating = None;
        }
        (MessageKind::Reopened, _) | (MessageKind::Text, Author::Visitor) => {
            session.status = Status::Open;
            session.resolved_at = None;
            session.rating = None;
        }
        (MessageKind::Rated, _) => {
            if let Some(score) = message.score {
                session.rating = Some(Rating {
                    score,
                    comment: (!message.content.is_empty()).then(|| message.content.clone()),
                });
            }
        }
        (MessageKind::Text | MessageKind::Greeting, Author::Agent) | (MessageKind::Greeting, _) => {
        }
    }
    session.last_message = Some(message.clone());
}

/// An agent's text the visitor has not had in front of them: what the unread count counts (events are
/// not replies).
fn is_unread(message: &Message, last_read: i64) -> bool {
    message.author == Author::Agent && message.kind == MessageKind::Text && message.id > last_read
}

/// A list row's line for a text: its first 80 characters.
pub fn preview(content: &str) -> &str {
    match content.char_indices().nth(80) {
        Some((end, _)) => &content[..end],
        None => content,
    }
}

fn activity(session: &Session) -> (i64, &str) {
    (
        session.last_message.as_ref().map_or(0, |m| m.id),
        &session.created_at,
    )
}

/// Most recent activity first. An insertion sort rather than the standard library's (1.4 KB of wasm):
/// the server sends at most 200 sessions, already newest first, so this is one pass in practice.
fn sort_by_activity(sessions: &mut [Session]) {
    for i in 1..sessions.len() {
        let mut j = i;
        while j > 0 && activity(&sessions[j - 1]) < activity(&sessions[j]) {
            sessions.swap(j - 1, j);
            j -= 1;
        }
    }
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties;

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
            author_avatar_url: None,
            kind: MessageKind::Text,
            content: format!("m{id}"),
            score: None,
            attachments: Vec::new(),
            created_at: "2026-11-24T10:00:00Z".into(),
        }
    }

    fn page(messages: Vec<Message>, next_before: Option<i64>) -> MessagePage {
        MessagePage {
            messages,
            next_before,
        }
    }

    fn session(id: &str, last: Option<Message>) -> Session {
        Session {
            id: id.into(),
            created_at: "2026-11-24T09:00:00Z".into(),
            verified: false,
            last_message: last,
            status: Status::Open,
            resolved_at: None,
            rating: None,
            seen_by_visitor: None,
            seen_by_agent: None,
        }
    }

    #[test]
    fn no_sessions_starts_a_new_conversation_screen() {
        let state = ChatState::default();
        assert_eq!(state.screen(), Screen::Conversation(None));
    }

    #[test]
    fn session_list_sets_cursor_order_and_unread() {
        let mut state = ChatState::restore(Vec::new(), 3);
        state.set_sessions(vec![
            session("old", Some(message(2, "old", Author::Agent, None))),
            session("new", Some(message(5, "new", Author::Agent, None))),
        ]);
        assert_eq!(state.cursor(), 5);
        assert_eq!(state.unread(), 1);
        assert_eq!(state.screen(), Screen::List);
        let rows = state.rows();
        assert_eq!(rows[0].id, "new");
        assert!(rows[0].unread && !rows[1].unread);
    }

    #[test]
    fn sessions_are_listed_by_latest_message_whatever_order_they_come_in() {
        let mut state = ChatState::default();
        let ids = ["c", "none", "i", "a", "g", "e"];
        let last = [Some(3), None, Some(9), Some(1), Some(7), Some(5)];
        state.set_sessions(
            ids.iter()
                .zip(last)
                .map(|(id, m)| session(id, m.map(|m| message(m, id, Author::Visitor, None))))
                .collect(),
        );
        let rows: Vec<&str> = state.rows().into_iter().map(|r| r.id).collect();
        assert_eq!(rows, ["i", "g", "e", "c", "a", "none"]);
    }

    #[test]
    fn duplicates_are_applied_once() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session("s", None)]);
        state.add_page("s", None, MessagePage::default());
        let reply = message(7, "s", Author::Agent, None);
        let first = state.receive(vec![reply.clone()], 7);
        let second = state.receive(vec![reply], 7);
        assert_eq!(first.new_agent_messages.len(), 1);
        assert!(second.new_agent_messages.is_empty() && !second.changed);
        assert_eq!(state.conversation("s").unwrap().len(), 1);
        assert_eq!(state.unread(), 1);
    }

    #[test]
    fn replies_in_view_are_not_unread() {
        let mut state = ChatState::default();
        state.set_open(true);
        state.set_screen(Screen::Conversation(Some("s".into())));
        state.set_sessions(vec![session("s", None)]);
        state.add_page("s", None, MessagePage::default());
        state.receive(vec![message(4, "s", Author::Agent, None)], 4);
        assert_eq!(state.unread(), 0);
        assert_eq!(state.last_read(), 4);
    }

    #[test]
    fn a_stored_message_replaces_its_pending_copy_under_the_same_key() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session("s", None)]);
        state.add_page("s", None, MessagePage::default());
        state.set_screen(Screen::Conversation(Some("s".into())));
        state.enqueue("c_1".into(), "hi".into(), Vec::new());
        let before = state.items(Some("s"));
        assert_eq!(before[0].status, ItemStatus::Pending);
        state.ack(message(9, "s", Author::Visitor, Some("c_1")));
        let after = state.items(Some("s"));
        assert_eq!(after.len(), 1);
        assert_eq!(
            (after[0].key, after[0].status),
            (ItemKey::Client("c_1"), ItemStatus::Sent)
        );
        assert!(state.outbox().is_empty());
    }

    #[test]
    fn files_show_with_their_pending_message_and_then_with_the_stored_one() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session("s", None)]);
        state.add_page("s", None, MessagePage::default());
        state.set_screen(Screen::Conversation(Some("s".into())));
        let file = Attachment {
            id: "a1".into(),
            name: "shot.png".into(),
            media_type: "image/png".into(),
            size: 10,
        };
        state.enqueue("c_1".into(), String::new(), vec![file.clone()]);
        assert_eq!(state.outbox()[0].attachments, std::slice::from_ref(&file));
        assert_eq!(
            state.items(Some("s"))[0].attachments,
            std::slice::from_ref(&file)
        );
        state.ack(Message {
            attachments: vec![file.clone()],
            content: String::new(),
            ..message(9, "s", Author::Visitor, Some("c_1"))
        });
        let items = state.items(Some("s"));
        assert_eq!((items.len(), items[0].status), (1, ItemStatus::Sent));
        assert_eq!(items[0].attachments, [file]);
    }

    #[test]
    fn an_unknown_session_asks_for_the_list() {
        let mut state = ChatState::default();
        let applied = state.receive(vec![message(1, "elsewhere", Author::Visitor, None)], 1);
        assert!(applied.unknown_session);
        assert_eq!(state.cursor(), 1);
    }

    #[test]
    fn creating_the_pending_conversation_assigns_its_messages_and_screen() {
        let mut state = ChatState::default();
        state.set_open(true);
        state.enqueue("c_1".into(), "hi".into(), Vec::new());
        assert_eq!(state.items(None).len(), 1);
        state.session_created(session("s", None));
        assert_eq!(state.screen(), Screen::Conversation(Some("s".into())));
        assert_eq!(state.outbox()[0].session_id.as_deref(), Some("s"));
        assert_eq!(state.items(Some("s")).len(), 1);
    }

    #[test]
    fn mark_read_clears_unread() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session(
            "s",
            Some(message(3, "s", Author::Agent, None)),
        )]);
        assert_eq!(state.unread(), 1);
        assert_eq!(state.mark_read(), 3);
        assert_eq!(state.unread(), 0);
    }

    #[test]
    fn a_refused_send_stays_failed_until_retried_and_the_cursor_never_moves_back() {
        let mut state = ChatState::default();
        state.enqueue("c_1".into(), "one".into(), Vec::new());
        state.enqueue("c_2".into(), "two".into(), Vec::new());
        state.mark_failed("c_1", "too long".into());
        assert_eq!(state.next_to_send().unwrap().client_id, "c_2");
        assert_eq!(state.items(None)[0].status, ItemStatus::Failed("too long"));
        state.retry("c_1");
        assert_eq!(state.next_to_send().unwrap().client_id, "c_1");
        state.advance_cursor(9);
        state.receive(Vec::new(), 4);
        assert_eq!(state.cursor(), 9);
    }

    // The three below are what the property test in `properties` found; each lost an agent's reply.

    #[test]
    fn a_send_answer_does_not_move_the_cursor_past_a_reply_still_to_come() {
        let mut state = ChatState::default();
        state.enqueue("c_1".into(), "hi".into(), Vec::new());
        state.session_created(session("s", None));
        // Reply 1 is stored, then the visitor's message 2; the long-poll that had reply 1 failed.
        state.ack(message(2, "s", Author::Visitor, Some("c_1")));
        assert_eq!(
            state.cursor(),
            0,
            "the next long-poll still asks from before reply 1"
        );
        state.receive(
            vec![
                message(1, "s", Author::Agent, None),
                message(2, "s", Author::Visitor, Some("c_1")),
            ],
            2,
        );
        let ids: Vec<i64> = state
            .conversation("s")
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [1, 2]);
    }

    #[test]
    fn a_listed_conversation_whose_creation_answer_was_lost_is_not_declared_empty() {
        let mut state = ChatState::default();
        state.enqueue("c_1".into(), "hi".into(), Vec::new());
        // The server created "s" but its answer was lost; an agent replied; the long-poll brought it.
        state.receive(vec![message(1, "s", Author::Agent, None)], 1);
        state.session_created(session("s", None));
        assert_eq!(state.screen(), Screen::Conversation(Some("s".into())));
        assert!(
            state.conversation("s").is_none(),
            "opening it loads the history with the reply"
        );
    }

    #[test]
    fn a_refreshed_list_does_not_skip_replies_a_loaded_conversation_still_lacks() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session(
            "s",
            Some(message(1, "s", Author::Visitor, None)),
        )]);
        state.add_page(
            "s",
            None,
            page(vec![message(1, "s", Author::Visitor, None)], None),
        );
        assert_eq!(state.cursor(), 1);
        // Reply 2 and message 3 (a send's answer) are stored; the list is fetched again.
        state.ack(message(3, "s", Author::Visitor, Some("c_3")));
        state.set_sessions(vec![session(
            "s",
            Some(message(3, "s", Author::Visitor, None)),
        )]);
        assert_eq!(state.cursor(), 1, "the long-poll must still bring reply 2");
    }

    fn ids(state: &ChatState, session: &str) -> Vec<i64> {
        state
            .conversation(session)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect()
    }

    /// Messages `from..=to` of conversation "s", agent replies.
    fn replies(from: i64, to: i64) -> Vec<Message> {
        (from..=to)
            .map(|id| message(id, "s", Author::Agent, None))
            .collect()
    }

    #[test]
    fn a_long_conversation_opens_on_its_latest_page_and_grows_upwards_without_gaps_or_repeats() {
        let mut state = ChatState::default();
        state.set_open(true);
        state.set_sessions(vec![session(
            "s",
            Some(message(120, "s", Author::Agent, None)),
        )]);
        state.set_screen(Screen::Conversation(Some("s".into())));
        assert_eq!(
            state.older_page("s"),
            None,
            "nothing loaded, nothing to page"
        );
        state.add_page("s", None, page(replies(71, 120), Some(71)));
        assert_eq!(state.items(Some("s")).len(), 50);
        assert_eq!(state.older_page("s"), Some(71));
        // A reply arrives live while the visitor reads back.
        state.receive(replies(121, 121), 121);
        state.add_page("s", Some(71), page(replies(21, 70), Some(21)));
        assert_eq!(state.older_page("s"), Some(21));
        state.add_page("s", Some(21), page(replies(1, 20), None));
        assert_eq!(state.older_page("s"), None, "the first message is held");
        assert_eq!(ids(&state, "s"), (1..=121).collect::<Vec<_>>());
        let items = state.items(Some("s"));
        assert_eq!(
            (items.len(), items[0].key, items[120].key),
            (121, ItemKey::Message(1), ItemKey::Message(121))
        );
    }

    #[test]
    fn a_page_that_overlaps_what_is_held_adds_each_message_once() {
        let mut state = ChatState::default();
        state.add_page("s", None, page(replies(11, 20), Some(11)));
        // The same older page twice (a retry), then one reaching into what is held.
        state.add_page("s", Some(11), page(replies(6, 10), Some(6)));
        state.add_page("s", Some(11), page(replies(6, 10), Some(6)));
        state.add_page("s", Some(13), page(replies(3, 12), Some(3)));
        assert_eq!(ids(&state, "s"), (3..=20).collect::<Vec<_>>());
        assert_eq!(state.older_page("s"), Some(3));
    }

    #[test]
    fn a_latest_page_fetched_again_keeps_the_place_reached_below() {
        let mut state = ChatState::default();
        state.add_page("s", None, page(replies(11, 20), Some(11)));
        state.add_page("s", Some(11), page(replies(1, 10), None));
        state.add_page("s", None, page(replies(11, 21), Some(11)));
        assert_eq!(state.older_page("s"), None);
        assert_eq!(ids(&state, "s"), (1..=21).collect::<Vec<_>>());
    }

    #[test]
    fn an_older_page_of_a_forgotten_conversation_is_dropped_not_shown_alone() {
        let mut state = ChatState::default();
        state.add_page("s", None, page(replies(11, 20), Some(11)));
        state.forget();
        state.add_page("s", Some(11), page(replies(1, 10), None));
        assert!(state.conversation("s").is_none());
    }

    #[test]
    fn the_view_model_is_the_screen_and_the_unread_count() {
        let mut state = ChatState::default();
        state.enqueue("c_1".into(), "hi".into(), Vec::new());
        let model = state.view_model();
        assert_eq!(model.screen.kind(), ScreenKind::Conversation);
        assert_eq!(model.unread, 0);
        state.set_sessions(vec![session(
            "s",
            Some(message(2, "s", Author::Agent, None)),
        )]);
        state.set_screen(Screen::List);
        let model = state.view_model();
        assert_eq!(model.unread, 1);
        assert!(matches!(&model.screen, ScreenView::List(rows) if rows.len() == 1));
    }

    // A chat's status, rating, typing and seen state.

    fn event(id: i64, kind: MessageKind, author: Author) -> Message {
        Message {
            kind,
            content: String::new(),
            author_name: (author == Author::Agent).then(|| "Ada".into()),
            score: (kind == MessageKind::Rated).then_some(4),
            ..message(id, "s", author, None)
        }
    }

    fn signal(kind: SignalKind, author: Author, typing: Option<bool>, seen: Option<i64>) -> Signal {
        Signal {
            kind,
            session_id: "s".into(),
            author,
            author_name: Some("Ada".into()),
            typing,
            message_id: seen,
            at: 1,
        }
    }

    /// Chat "s" on screen, the panel open, its history `list` loaded.
    fn chat_on_screen(list: Vec<Message>) -> ChatState {
        let mut state = ChatState::default();
        state.set_open(true);
        // The state the server's list shows is the one the chat's events lead to.
        let mut listed = session("s", None);
        for m in &list {
            follow(&mut listed, m);
        }
        state.set_sessions(vec![listed]);
        state.set_screen(Screen::Conversation(Some("s".into())));
        state.add_page("s", None, page(list, None));
        state
    }

    fn chat(state: &ChatState) -> ChatView<'_> {
        state.view_model().chat
    }

    #[test]
    fn a_resolved_event_resolves_the_chat_and_asks_for_a_rating() {
        let mut state = chat_on_screen(vec![message(1, "s", Author::Visitor, None)]);
        assert_eq!(chat(&state).rating, RatingView::Hidden);
        assert!(chat(&state).can_end);
        state.receive(vec![event(2, MessageKind::Resolved, Author::Agent)], 2);
        assert_eq!(chat(&state).rating, RatingView::Ask);
        assert!(!chat(&state).can_end, "a resolved chat is not ended again");
        assert!(state.rows()[0].resolved);
        let items = state.items(Some("s"));
        assert_eq!(
            (items[1].kind, items[1].author_name),
            (MessageKind::Resolved, Some("Ada"))
        );
    }

    #[test]
    fn reopening_or_a_visitor_writing_opens_the_chat_again() {
        let mut state = chat_on_screen(vec![
            message(1, "s", Author::Visitor, None),
            event(2, MessageKind::Resolved, Author::Visitor),
        ]);
        assert_eq!(chat(&state).rating, RatingView::Ask);
        state.receive(vec![event(3, MessageKind::Reopened, Author::Agent)], 3);
        assert_eq!(chat(&state).rating, RatingView::Hidden);
        assert!(chat(&state).can_end && !state.rows()[0].resolved);
        state.receive(vec![event(4, MessageKind::Resolved, Author::Agent)], 4);
        // The visitor writes in the resolved chat: the send's answer is enough to show it open.
        state.enqueue("c_1".into(), "one more thing".into(), Vec::new());
        state.ack(message(6, "s", Author::Visitor, Some("c_1")));
        assert_eq!(chat(&state).rating, RatingView::Hidden);
        assert!(!state.rows()[0].resolved);
        // The server's `reopened` event (5, just before the message) comes later and changes nothing.
        state.receive(
            vec![
                event(5, MessageKind::Reopened, Author::Visitor),
                message(6, "s", Author::Visitor, Some("c_1")),
            ],
            6,
        );
        assert!(!state.rows()[0].resolved);
    }

    #[test]
    fn a_rating_thanks_once_per_resolution_and_a_new_resolution_asks_again() {
        let mut state = chat_on_screen(vec![
            message(1, "s", Author::Visitor, None),
            event(2, MessageKind::Resolved, Author::Agent),
        ]);
        state.receive(vec![event(3, MessageKind::Rated, Author::Visitor)], 3);
        assert_eq!(chat(&state).rating, RatingView::Thanks);
        assert_eq!(state.items(Some("s"))[2].score, Some(4));
        state.receive(
            vec![
                event(4, MessageKind::Reopened, Author::Agent),
                event(5, MessageKind::Resolved, Author::Agent),
            ],
            5,
        );
        assert_eq!(chat(&state).rating, RatingView::Ask);
    }

    #[test]
    fn an_event_older_than_what_the_list_says_changes_nothing() {
        let mut resolved = session("s", Some(event(3, MessageKind::Rated, Author::Visitor)));
        resolved.status = Status::Resolved;
        resolved.rating = Some(Rating {
            score: 4,
            comment: None,
        });
        let mut state = ChatState::default();
        state.set_sessions(vec![resolved]);
        state.set_screen(Screen::Conversation(Some("s".into())));
        assert_eq!(chat(&state).rating, RatingView::Thanks);
        // A long-poll from an older cursor brings the resolution again.
        state.receive(vec![event(2, MessageKind::Resolved, Author::Agent)], 3);
        assert_eq!(chat(&state).rating, RatingView::Thanks);
    }

    #[test]
    fn the_answer_to_ending_or_rating_shows_at_once_unless_the_long_poll_brought_newer() {
        let mut state = chat_on_screen(vec![message(1, "s", Author::Visitor, None)]);
        let mut ended = session("s", Some(event(2, MessageKind::Resolved, Author::Visitor)));
        ended.status = Status::Resolved;
        state.session_changed(ended.clone());
        assert_eq!(chat(&state).rating, RatingView::Ask);
        state.receive(vec![event(3, MessageKind::Reopened, Author::Agent)], 3);
        state.session_changed(ended);
        assert_eq!(
            chat(&state).rating,
            RatingView::Hidden,
            "a late answer does not undo the reopening"
        );
    }

    #[test]
    fn only_agent_texts_are_unread() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session(
            "s",
            Some(event(2, MessageKind::Resolved, Author::Agent)),
        )]);
        assert_eq!(state.unread(), 0);
        assert!(!state.rows()[0].unread);
        state.receive(
            vec![
                event(3, MessageKind::Reopened, Author::Agent),
                message(4, "s", Author::Agent, None),
                event(5, MessageKind::Resolved, Author::Agent),
            ],
            5,
        );
        assert_eq!(state.unread(), 1);
    }

    #[test]
    fn an_agent_types_until_it_stops_writes_or_goes_quiet_for_six_seconds() {
        let mut state = chat_on_screen(vec![message(1, "s", Author::Visitor, None)]);
        let typing = |on| signal(SignalKind::Typing, Author::Agent, Some(on), None);
        assert!(state.receive_signals(vec![typing(true)], 10, 1_000));
        assert_eq!(chat(&state).typing, Some("Ada"));
        assert_eq!(state.signals_at(), 10);
        state.receive_signals(vec![typing(false)], 11, 2_000);
        assert_eq!(chat(&state).typing, None);
        // A reply ends it.
        state.receive_signals(vec![typing(true)], 12, 3_000);
        state.receive(vec![message(2, "s", Author::Agent, None)], 2);
        assert_eq!(chat(&state).typing, None);
        // Six seconds without a refresh end it; a refresh moves the six seconds.
        state.receive_signals(vec![typing(true)], 13, 10_000);
        state.receive_signals(vec![typing(true)], 14, 12_000);
        assert!(!state.expire_typing(16_500));
        assert_eq!(chat(&state).typing, Some("Ada"));
        assert!(state.expire_typing(18_000));
        assert_eq!(chat(&state).typing, None);
    }

    #[test]
    fn the_visitors_own_signals_say_nothing_here() {
        let mut state = chat_on_screen(vec![message(1, "s", Author::Visitor, None)]);
        let own = vec![
            signal(SignalKind::Typing, Author::Visitor, Some(true), None),
            signal(SignalKind::Seen, Author::Visitor, None, Some(1)),
        ];
        assert!(!state.receive_signals(own, 5, 0));
        assert_eq!(chat(&state).typing, None);
        assert!(!state.items(Some("s"))[0].seen);
        assert_eq!(state.signals_at(), 5);
    }

    #[test]
    fn seen_goes_under_the_visitors_last_message_the_agents_read() {
        let mut state = chat_on_screen(vec![
            message(1, "s", Author::Visitor, None),
            message(2, "s", Author::Agent, None),
            message(3, "s", Author::Visitor, None),
            message(4, "s", Author::Visitor, None),
        ]);
        let seen = |state: &ChatState| -> Vec<i64> {
            let mut ids = Vec::new();
            for item in state.items(Some("s")) {
                if item.seen {
                    ids.push(match item.key {
                        ItemKey::Message(id) => id,
                        ItemKey::Client(_) => 0,
                    });
                }
            }
            ids
        };
        assert!(seen(&state).is_empty());
        state.receive_signals(
            vec![signal(SignalKind::Seen, Author::Agent, None, Some(3))],
            1,
            0,
        );
        assert_eq!(seen(&state), [3]);
        // An older report does not move it back; the list's `seen_by_agent` says the same as signals.
        state.receive_signals(
            vec![signal(SignalKind::Seen, Author::Agent, None, Some(2))],
            2,
            0,
        );
        assert_eq!(seen(&state), [3]);
        let mut listed = session("s", Some(message(4, "s", Author::Visitor, None)));
        listed.seen_by_agent = Some(4);
        state.set_sessions(vec![listed]);
        assert_eq!(seen(&state), [4]);
    }

    #[test]
    fn typing_is_reported_at_most_every_two_seconds_and_its_end_once() {
        let mut state = chat_on_screen(Vec::new());
        let report = |state: &mut ChatState, has_text, now| {
            state
                .composer_input(has_text, now)
                .map(|(_, typing)| typing)
        };
        assert_eq!(report(&mut state, false, 0), None, "nothing to stop yet");
        assert_eq!(report(&mut state, true, 1_000), Some(true));
        assert_eq!(report(&mut state, true, 2_500), None);
        assert_eq!(report(&mut state, true, 3_000), Some(true));
        assert_eq!(report(&mut state, false, 3_100), Some(false));
        assert_eq!(report(&mut state, false, 3_200), None);
        assert_eq!(report(&mut state, true, 3_300), Some(true), "typing again");
        // A chat not created yet has nobody to tell.
        state.set_screen(Screen::Conversation(None));
        assert_eq!(report(&mut state, true, 9_000), None);
    }

    #[test]
    fn what_the_visitor_saw_is_reported_once_it_is_on_screen_and_only_when_it_grows() {
        let mut state = chat_on_screen(vec![
            message(1, "s", Author::Agent, None),
            message(2, "s", Author::Visitor, None),
        ]);
        assert_eq!(state.take_seen_report(), Some(("s".into(), 1)));
        assert_eq!(state.take_seen_report(), None);
        state.set_open(false);
        state.receive(vec![message(3, "s", Author::Agent, None)], 3);
        assert_eq!(state.take_seen_report(), None, "the panel is closed");
        state.set_open(true);
        state.set_screen(Screen::List);
        assert_eq!(state.take_seen_report(), None, "the list is on screen");
        state.set_screen(Screen::Conversation(Some("s".into())));
        assert_eq!(state.take_seen_report(), Some(("s".into(), 3)));
        state.receive(vec![message(4, "s", Author::Visitor, None)], 4);
        assert_eq!(state.take_seen_report(), None, "only agent messages count");
    }

    #[test]
    fn the_header_names_the_agent_who_answered_last() {
        let mut state = chat_on_screen(vec![message(1, "s", Author::Visitor, None)]);
        assert_eq!(chat(&state).agent, None);
        let mut reply = message(2, "s", Author::Agent, None);
        reply.author_name = Some("Ada".into());
        reply.author_avatar_url = Some("https://example.com/ada.png".into());
        state.receive(
            vec![reply, event(3, MessageKind::Resolved, Author::Agent)],
            3,
        );
        let agent = chat(&state).agent.unwrap();
        assert_eq!(
            (agent.id, agent.author_avatar_url.as_deref()),
            (2, Some("https://example.com/ada.png"))
        );
    }

    #[test]
    fn an_empty_chat_cannot_be_ended_and_the_list_has_no_chat_view() {
        let mut state = ChatState::default();
        state.set_sessions(vec![session("s", None)]);
        state.set_screen(Screen::Conversation(Some("s".into())));
        assert!(!chat(&state).can_end);
        state.set_screen(Screen::List);
        assert_eq!(chat(&state), ChatView::default());
    }

    #[test]
    fn a_rows_line_is_the_start_of_its_text() {
        assert_eq!(preview("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(preview(&long).chars().count(), 80);
    }
}
