//! What a render costs the pure core in a long conversation: `ChatState::view_model()` for a chat of
//! 1,000 (and 10,000) messages, once per new message, as the controller calls it.
//! `cargo run --release --example render_model` (native; a measurement, not a test).

use frontdesk::protocol::{Author, Message, MessageKind, MessagePage, Session, Status};
use frontdesk::state::{ChatState, Screen, ScreenView};
use std::hint::black_box;
use std::time::Instant;

fn message(id: i64) -> Message {
    Message {
        id,
        session_id: "s".into(),
        client_id: (id % 2 == 0).then(|| format!("c{id:020}")),
        author: if id % 2 == 0 {
            Author::Visitor
        } else {
            Author::Agent
        },
        author_name: (id % 2 == 1).then(|| "Ada from support".to_owned()),
        author_avatar_url: None,
        kind: MessageKind::Text,
        content: "Thanks, that helps: the order number is 12345 and it shipped on Monday."
            .repeat(2),
        score: None,
        attachments: Vec::new(),
        created_at: "2026-11-30T09:00:00Z".into(),
    }
}

fn main() {
    for size in [1_000, 10_000] {
        let mut state = ChatState::default();
        state.set_sessions(vec![Session {
            id: "s".into(),
            created_at: "2026-11-30T09:00:00Z".into(),
            verified: false,
            last_message: None,
            status: Status::Open,
            resolved_at: None,
            rating: None,
            seen_by_visitor: None,
            seen_by_agent: Some(size - 1),
        }]);
        // Held whole, as after scrolling back to the start page by page.
        let page = MessagePage {
            messages: (1..=size).map(message).collect(),
            next_before: None,
        };
        state.add_page("s", None, page);
        state.set_screen(Screen::Conversation(Some("s".into())));
        state.set_open(true);
        let rounds = 200;
        let started = Instant::now();
        for round in 0..rounds {
            let id = size + 1 + round;
            state.receive(vec![message(id)], id);
            let model = state.view_model();
            let ScreenView::Conversation(items) = &model.screen else {
                panic!("the conversation is on screen")
            };
            black_box(items.len());
        }
        let per_render = started.elapsed() / rounds as u32;
        println!("{size} messages: a new message and its view model, {per_render:?} per render");
    }
}
