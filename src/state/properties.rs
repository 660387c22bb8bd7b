//! Property: whatever the order of sends, acknowledgements (delivered or lost), refusals, long-poll
//! batches (with repeats and in any order within a batch), pages of older messages and page reloads,
//! once the outbox has drained, the long-poll has caught up and the visitor has scrolled to the start,
//! every conversation shows each of its messages once, in the server's order, and nothing is left
//! pending.
//!
//! The server here is a model of the real one's rules that matter to `ChatState`: ids increase, a
//! `client_id` is stored once (a resend answers the stored message), an updates batch holds the
//! messages after a cursor, and a page of history holds the latest `PAGE` messages below `before`.

use super::*;
use proptest::prelude::*;

/// Small, so that conversations of a few messages already span several pages.
const PAGE: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    /// The visitor writes a message in the conversation on screen (or a new one).
    Write,
    /// An agent answers in conversation `n` (modulo how many the server has): only the long-poll (or a
    /// reload) brings it.
    Reply(usize),
    /// The visitor picks conversation `n` (modulo how many the list has), or the list.
    Open(usize),
    /// The visitor scrolls to the top of the conversation on screen: the page above is loaded.
    Older,
    OpenList,
    /// The outbox sends its next message; the answer reaches the widget or is lost on the way.
    Send {
        answer_arrives: bool,
    },
    /// The server refuses the next message for good; the visitor may press Retry later.
    Refuse,
    RetryAll,
    /// A long-poll batch: from `back` ids before the cursor, up to `ahead` ids past it, shuffled by
    /// `order`, with the first `repeat` messages sent twice.
    Poll {
        back: i64,
        ahead: i64,
        order: u64,
        repeat: usize,
    },
    /// The page reloads: only what storage keeps (outbox, read marker) survives.
    Reload,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Write),
        2 => (0..4usize).prop_map(Step::Reply),
        1 => (0..4usize).prop_map(Step::Open),
        2 => Just(Step::Older),
        1 => Just(Step::OpenList),
        4 => any::<bool>().prop_map(|answer_arrives| Step::Send { answer_arrives }),
        1 => Just(Step::Refuse),
        1 => Just(Step::RetryAll),
        3 => (0..4i64, 0..6i64, any::<u64>(), 0..3usize).prop_map(|(back, ahead, order, repeat)| {
            Step::Poll { back, ahead, order, repeat }
        }),
        1 => Just(Step::Reload),
    ]
}

#[derive(Default)]
struct Server {
    /// (session id, the client id that started it).
    sessions: Vec<(String, String)>,
    /// Every stored message, by id.
    messages: Vec<Message>,
}

impl Server {
    fn start(&mut self, client_id: &str) -> Session {
        let id = match self.sessions.iter().find(|(_, c)| c == client_id) {
            Some((id, _)) => id.clone(),
            None => {
                let id = format!("s{}", self.sessions.len());
                self.sessions.push((id.clone(), client_id.to_owned()));
                id
            }
        };
        self.session(&id)
    }

    fn store(&mut self, pending: &Pending) -> Message {
        if let Some(stored) = self
            .messages
            .iter()
            .find(|m| m.client_id.as_deref() == Some(&pending.client_id))
        {
            return stored.clone();
        }
        let message = Message {
            id: self.messages.len() as i64 + 1,
            session_id: pending.session_id.clone().expect("sent after its session"),
            client_id: Some(pending.client_id.clone()),
            author: Author::Visitor,
            author_name: None,
            author_avatar_url: None,
            kind: MessageKind::Text,
            content: pending.content.clone(),
            score: None,
            attachments: pending.attachments.clone(),
            created_at: "2026-11-24T10:00:00Z".into(),
        };
        self.messages.push(message.clone());
        message
    }

    fn reply(&mut self, n: usize) {
        if self.sessions.is_empty() {
            return;
        }
        let id = self.messages.len() as i64 + 1;
        self.messages.push(Message {
            id,
            session_id: self.sessions[n % self.sessions.len()].0.clone(),
            client_id: None,
            author: Author::Agent,
            author_name: Some("Agent".into()),
            author_avatar_url: None,
            kind: MessageKind::Text,
            content: format!("reply {id}"),
            score: None,
            attachments: Vec::new(),
            created_at: "2026-11-24T10:00:00Z".into(),
        });
    }

    fn session(&self, id: &str) -> Session {
        Session {
            id: id.to_owned(),
            created_at: "2026-11-24T09:00:00Z".into(),
            verified: false,
            last_message: self.history(id).last().cloned(),
            status: Status::Open,
            resolved_at: None,
            rating: None,
            seen_by_visitor: None,
            seen_by_agent: None,
        }
    }

    fn sessions(&self) -> Vec<Session> {
        self.sessions
            .iter()
            .map(|(id, _)| self.session(id))
            .collect()
    }

    /// `GET …/messages?before=&limit=PAGE`: the latest `PAGE` messages below `before`, oldest first.
    fn page(&self, session_id: &str, before: Option<i64>) -> MessagePage {
        let below: Vec<Message> = self
            .history(session_id)
            .into_iter()
            .filter(|m| before.is_none_or(|before| m.id < before))
            .collect();
        let messages = below[below.len().saturating_sub(PAGE)..].to_vec();
        let next_before = (below.len() > PAGE).then(|| messages[0].id);
        MessagePage {
            messages,
            next_before,
        }
    }

    fn history(&self, session_id: &str) -> Vec<Message> {
        self.messages
            .iter()
            .filter(|m| m.session_id == session_id)
            .cloned()
            .collect()
    }

    /// The messages with ids in `(after, to]`, shuffled by `order`, the first `repeat` twice.
    fn batch(&self, after: i64, to: i64, order: u64, repeat: usize) -> Vec<Message> {
        let mut batch: Vec<Message> = self
            .messages
            .iter()
            .filter(|m| m.id > after && m.id <= to)
            .cloned()
            .collect();
        let repeated: Vec<Message> = batch.iter().take(repeat).cloned().collect();
        batch.extend(repeated);
        let mut seed = order;
        for i in (1..batch.len()).rev() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            batch.swap(i, (seed >> 33) as usize % (i + 1));
        }
        batch
    }
}

/// The widget: `ChatState` driven the way `app` and `sync` drive it.
struct Widget {
    state: ChatState,
    written: usize,
}

impl Widget {
    fn new() -> Widget {
        let mut state = ChatState::default();
        state.set_open(true);
        Widget { state, written: 0 }
    }

    fn run(&mut self, server: &mut Server, step: Step) {
        match step {
            Step::Write => {
                self.written += 1;
                let n = self.written;
                self.state
                    .enqueue(format!("c_{n}"), format!("message {n}"), Vec::new());
            }
            Step::Reply(n) => server.reply(n),
            Step::Open(n) => {
                let rows = self.state.rows();
                if let Some(row) = rows.get(n % rows.len().max(1)) {
                    let id = row.id.to_owned();
                    self.state
                        .set_screen(Screen::Conversation(Some(id.clone())));
                    self.load(server, &id);
                }
            }
            Step::Older => {
                if let Screen::Conversation(Some(id)) = self.state.screen() {
                    self.older(server, &id);
                }
            }
            Step::OpenList => self.state.set_screen(Screen::List),
            Step::Send { answer_arrives } => self.send(server, answer_arrives),
            Step::Refuse => {
                if let Some(next) = self.state.next_to_send().cloned() {
                    self.state.mark_failed(&next.client_id, "refused".into());
                }
            }
            Step::RetryAll => {
                let ids: Vec<String> = self
                    .state
                    .outbox()
                    .iter()
                    .map(|p| p.client_id.clone())
                    .collect();
                for id in ids {
                    self.state.retry(&id);
                }
            }
            Step::Poll {
                back,
                ahead,
                order,
                repeat,
            } => {
                let cursor = self.state.cursor();
                let to = (cursor + ahead).min(server.messages.len() as i64);
                let batch = server.batch((cursor - back).max(0), to, order, repeat);
                let applied = self.state.receive(batch, to.max(cursor));
                if applied.unknown_session {
                    self.state.set_sessions(server.sessions());
                }
            }
            Step::Reload => {
                let (outbox, last_read) = (self.state.outbox().to_vec(), self.state.last_read());
                self.state = ChatState::restore(outbox, last_read);
                self.state.set_open(true);
                self.state.set_sessions(server.sessions());
            }
        }
    }

    /// What `app` does when a conversation opens and its history is not loaded: its latest page.
    fn load(&mut self, server: &Server, id: &str) {
        if self.state.conversation(id).is_none() {
            self.state.add_page(id, None, server.page(id, None));
        }
    }

    /// What `app` does when the visitor scrolls to the top: the page above what is held, if any.
    /// `false` when there is none.
    fn older(&mut self, server: &Server, id: &str) -> bool {
        let Some(before) = self.state.older_page(id) else {
            return false;
        };
        self.state
            .add_page(id, Some(before), server.page(id, Some(before)));
        true
    }

    fn send(&mut self, server: &mut Server, answer_arrives: bool) {
        let Some(next) = self.state.next_to_send().cloned() else {
            return;
        };
        if next.session_id.is_none() {
            let session = server.start(&next.client_id);
            if answer_arrives {
                self.state.session_created(session);
                // As `app` does: a conversation that is listed but not loaded loads when it shows.
                if let Screen::Conversation(Some(id)) = self.state.screen() {
                    self.load(server, &id);
                }
            }
            return;
        }
        let stored = server.store(&next);
        if answer_arrives {
            self.state.ack(stored);
        }
    }

    /// The network settles: every refusal retried, the outbox drained, the long-poll caught up.
    fn settle(&mut self, server: &mut Server) {
        self.run(server, Step::RetryAll);
        while self.state.next_to_send().is_some() {
            self.send(server, true);
        }
        let everything = server.messages.len() as i64;
        self.run(
            server,
            Step::Poll {
                back: 0,
                ahead: everything,
                order: 0,
                repeat: 0,
            },
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_message_shows_once_in_server_order(steps in proptest::collection::vec(step(), 0..60)) {
        let mut server = Server::default();
        let mut widget = Widget::new();
        for step in steps {
            widget.run(&mut server, step);
            for (id, _) in &server.sessions {
                if let Some(list) = widget.state.conversation(id) {
                    prop_assert!(list.windows(2).all(|w| w[0].id < w[1].id), "sorted, no repeat");
                }
            }
        }
        widget.settle(&mut server);

        prop_assert!(widget.state.outbox().is_empty(), "nothing left pending");
        prop_assert_eq!(widget.state.cursor(), server.messages.len() as i64);
        let visitor_messages = server.messages.iter().filter(|m| m.author == Author::Visitor).count();
        prop_assert_eq!(visitor_messages, widget.written, "each message stored once");
        for (id, _) in server.sessions.clone() {
            widget.load(&server, &id);
            while widget.older(&server, &id) {}
            let shown: Vec<String> = widget
                .state
                .items(Some(&id))
                .into_iter()
                .map(|item| {
                    assert_eq!(item.status, ItemStatus::Sent);
                    item.content.to_owned()
                })
                .collect();
            let stored: Vec<String> = server.history(&id).into_iter().map(|m| m.content).collect();
            prop_assert_eq!(shown, stored);
        }
    }
}
