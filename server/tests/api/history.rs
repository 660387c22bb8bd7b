//! A chat's history, page by page (`GET …/sessions/{id}/messages?before=&limit=`): every message once, oldest first
//! within a page, for the widget and the agent alike, and only for whoever sees the chat.

use frontdesk_protocol::wire::{Message, MessagePage};

use crate::helpers::{spawn_app, TestApp};

/// Stores `n` agent replies in `session` in one statement (no HTTP, no rate limit): `m1` … `m{n}`, oldest first.
async fn seed(app: &TestApp, session: &str, n: i64) {
    sqlx::query(
        "WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $2)
         INSERT INTO messages (session_id, author, author_name, content, created_at)
         SELECT $1, 'agent', 'Ada', 'm' || i, 0 FROM seq",
    )
    .bind(session)
    .bind(n)
    .execute(&app.db)
    .await
    .unwrap();
}

fn contents(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.content.clone()).collect()
}

/// Reads a chat backwards with `page(before)` until `next_before` is null; the pages in reading order.
async fn read_back<F, Fut>(mut page: F) -> Vec<MessagePage>
where
    F: FnMut(Option<i64>) -> Fut,
    Fut: std::future::Future<Output = MessagePage>,
{
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let next: MessagePage = page(before).await;
        before = next.next_before;
        pages.push(next);
        if before.is_none() {
            return pages;
        }
    }
}

/// The pages put back together, oldest first.
fn joined(pages: &[MessagePage]) -> Vec<String> {
    pages
        .iter()
        .rev()
        .flat_map(|p| contents(&p.messages))
        .collect()
}

#[tokio::test]
async fn a_long_chat_reads_back_page_by_page_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let other = app.start_session(&app.device()).await;
    // Two chats whose messages interleave, so one chat's ids are not consecutive.
    for i in 1..=23 {
        app.agent_reply(&app.org.secret_key, &session, &format!("m{i}"))
            .await
            .assert_status(201);
        app.agent_reply(&app.org.secret_key, &other, &format!("other {i}"))
            .await
            .assert_status(201);
    }
    let expected: Vec<String> = (1..=23).map(|i| format!("m{i}")).collect();

    let pages = read_back(|before| {
        let query = match before {
            Some(before) => format!("limit=10&before={before}"),
            None => "limit=10".to_owned(),
        };
        let (app, visitor, session) = (&app, &visitor, &session);
        async move { app.history(visitor, session, &query).await.decode(200) }
    })
    .await;
    assert_eq!(
        pages.iter().map(|p| p.messages.len()).collect::<Vec<_>>(),
        [10, 10, 3]
    );
    assert_eq!(contents(&pages[0].messages), expected[13..]);
    assert_eq!(
        pages[0].next_before,
        Some(pages[0].messages[0].id),
        "the next page is asked for below the oldest message of this one"
    );
    assert_eq!(joined(&pages), expected);

    // The agent's route pages the same chat the same way.
    let agent_pages = read_back(|before| {
        let query = format!("limit=10&before={}", before.unwrap_or(i64::MAX));
        let (app, session) = (&app, &session);
        async move {
            app.agent_history(&app.org.secret_key, session, &query)
                .await
                .decode(200)
        }
    })
    .await;
    assert_eq!(agent_pages, pages);

    // Without parameters: everything up to the default limit, the last page.
    let all: MessagePage = app.messages(&visitor, &session).await.decode(200);
    assert_eq!((contents(&all.messages), all.next_before), (expected, None));
}

#[tokio::test]
async fn a_page_that_ends_exactly_at_the_first_message_says_so() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    seed(&app, &session, 20).await;
    let latest: MessagePage = app
        .history(&visitor, &session, "limit=10")
        .await
        .decode(200);
    let before = latest.next_before.expect("ten more below");
    let rest: MessagePage = app
        .history(&visitor, &session, &format!("limit=10&before={before}"))
        .await
        .decode(200);
    assert_eq!(rest.messages.len(), 10);
    assert_eq!(rest.next_before, None, "no empty page to ask for");
    let none: MessagePage = app
        .history(
            &visitor,
            &session,
            &format!("before={}", rest.messages[0].id),
        )
        .await
        .decode(200);
    assert_eq!(none, MessagePage::default());
}

#[tokio::test]
async fn a_page_holds_at_most_1000_and_without_a_limit_the_latest_1000() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    seed(&app, &session, 1003).await;
    let latest: MessagePage = app.messages(&visitor, &session).await.decode(200);
    assert_eq!(latest.messages.len(), 1000);
    assert_eq!(
        (
            latest.messages[0].content.as_str(),
            latest.messages[999].content.as_str()
        ),
        ("m4", "m1003")
    );
    let before = latest.next_before.unwrap();
    let first: MessagePage = app
        .agent_history(
            &app.org.secret_key,
            &session,
            &format!("before={before}&limit=1000"),
        )
        .await
        .decode(200);
    assert_eq!(
        (contents(&first.messages), first.next_before),
        (vec!["m1".to_owned(), "m2".into(), "m3".into()], None)
    );
}

#[tokio::test]
async fn paging_parameters_out_of_range_or_not_numbers_are_refused_by_name() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    for (query, named) in [
        ("before=abc", "before: "),
        ("before=0", "before: "),
        ("before=-4", "before: "),
        ("before=1.5", "before: "),
        ("limit=0", "limit: "),
        ("limit=1001", "limit: "),
        ("limit=-1", "limit: "),
        ("limit=ten", "limit: "),
    ] {
        let widget = app.history(&visitor, &session, query).await;
        let message = widget.assert_error(422, "invalid_query");
        assert!(message.starts_with(named), "{query}: {message}");
        let agent = app
            .agent_history(&app.org.secret_key, &session, query)
            .await;
        let message = agent.assert_error(422, "invalid_query");
        assert!(message.starts_with(named), "{query}: {message}");
    }
}

#[tokio::test]
async fn a_page_shows_only_a_chat_the_caller_sees() {
    let app = spawn_app().await;
    let owner = app.device();
    let session = app.start_session(&owner).await;
    seed(&app, &session, 5).await;
    let other = app.device();
    let others_chat = app.start_session(&other).await;
    seed(&app, &others_chat, 5).await;

    // Another device, in the same org, with any paging: the same 404 as without.
    app.history(&other, &session, "limit=2&before=4")
        .await
        .assert_error(404, "session_not_found");
    // Another org's agent.
    let other_org = app.create_org(&[]).await;
    app.agent_history(&other_org.secret_key, &session, "limit=2")
        .await
        .assert_error(404, "session_not_found");
    // `before` is only a bound: an id from another chat brings nothing of that chat.
    let all_of_other: MessagePage = app.history(&other, &others_chat, "").await.decode(200);
    let past_everything = all_of_other.messages.last().unwrap().id + 1;
    let page: MessagePage = app
        .history(&owner, &session, &format!("before={past_everything}"))
        .await
        .decode(200);
    assert_eq!(contents(&page.messages), ["m1", "m2", "m3", "m4", "m5"]);
    assert!(page.messages.iter().all(|m| m.session_id == session));
}
