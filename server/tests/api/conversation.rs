//! The conversation as support teams run it (docs/api.md "Status, ratings and the events of a chat",
//! "Typing and seen signals"): resolve and reopen, ratings and their summary, typing both ways, seen, and the
//! same access rules as messages for all of it.

use frontdesk_protocol::wire::{
    Author, Message, MessageKind, MessagePage, SessionEnvelope, SignalKind, Status, Updates,
};
use frontdesk_server::domain::{AvatarUrl, Label};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Identity, TestApp};

fn path(session: &str, action: &str) -> String {
    format!("/widget/v1/sessions/{session}/{action}")
}

fn api(session: &str, action: &str) -> String {
    format!("/api/sessions/{session}/{action}")
}

async fn history(app: &TestApp, who: &Identity, session: &str) -> Vec<Message> {
    app.messages(who, session)
        .await
        .decode::<MessagePage>(200)
        .messages
}

fn kinds(messages: &[Message]) -> Vec<(MessageKind, Author, Option<String>)> {
    messages
        .iter()
        .map(|m| (m.kind, m.author.clone(), m.author_name.clone()))
        .collect()
}

async fn agent(app: &TestApp, name: &str, avatar: Option<&str>) -> String {
    frontdesk_server::orgs::create_agent(
        &app.db,
        &app.org.widget_token,
        &Label::parse(name, 200).unwrap(),
        avatar.map(|a| AvatarUrl::parse(a).unwrap()).as_ref(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn agents_resolve_and_reopen_and_every_change_is_an_event_on_the_cursor() {
    let app = spawn_app().await;
    let ada = agent(&app, "Ada", Some("https://example.com/ada.png")).await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "my order is late")
        .await
        .assert_status(201);
    let reply = app.agent_reply(&ada, &session, "on it").await;
    let cursor = reply.decode::<Value>(201)["message"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        reply.body["message"]["author_avatar_url"],
        "https://example.com/ada.png"
    );

    let resolved = app
        .agent_post(&ada, &api(&session, "resolve"), json!({}))
        .await;
    let body = resolved.assert_status(200);
    assert_eq!(body["session"]["status"], "resolved");
    assert!(body["session"]["resolved_at"].is_string());
    assert_eq!(body["session"]["rating"], Value::Null);
    // The visitor's widget hears of it on its cursor, as a message of its own kind.
    let updates: Updates = app.updates(&visitor, cursor, 5).await.decode(200);
    assert_eq!(
        kinds(&updates.messages),
        [(MessageKind::Resolved, Author::Agent, Some("Ada".into()))]
    );
    assert_eq!(updates.messages[0].content, "");
    let listed = app.sessions(&visitor).await;
    assert_eq!(listed.body["sessions"][0]["status"], "resolved");

    // Resolving again changes nothing and stores nothing (a retry is safe).
    let again = app
        .agent_post(&ada, &api(&session, "resolve"), json!({}))
        .await;
    assert_eq!(again.assert_status(200)["session"]["status"], "resolved");
    let reopened = app
        .agent_post(&ada, &api(&session, "reopen"), json!({}))
        .await;
    let body = reopened.assert_status(200);
    assert_eq!(body["session"]["status"], "open");
    assert_eq!(body["session"]["resolved_at"], Value::Null);
    assert_eq!(
        kinds(&history(&app, &visitor, &session).await)[2..],
        [
            (MessageKind::Resolved, Author::Agent, Some("Ada".into())),
            (MessageKind::Reopened, Author::Agent, Some("Ada".into())),
        ]
    );
    let unknown = app
        .agent_post(&ada, &api(&session, "resolve"), json!({ "why": "done" }))
        .await;
    assert!(unknown
        .assert_error(422, "invalid_body")
        .contains("unknown field: why"));
}

#[tokio::test]
async fn the_visitor_ends_a_chat_and_writing_in_it_reopens_it() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "thanks, that's all")
        .await
        .assert_status(201);
    let ended = app
        .widget_post(&visitor, &path(&session, "resolve"), json!({}))
        .await;
    let ended: SessionEnvelope = ended.decode(200);
    assert_eq!(ended.session.status, Status::Resolved);
    let agent_view = app.agent_session(&session).await;
    assert_eq!(agent_view["status"], "resolved");

    app.send(&visitor, &session, "one more thing")
        .await
        .assert_status(201);
    let messages = history(&app, &visitor, &session).await;
    assert_eq!(
        kinds(&messages),
        [
            (MessageKind::Text, Author::Visitor, None),
            (MessageKind::Resolved, Author::Visitor, None),
            (MessageKind::Reopened, Author::Visitor, None),
            (MessageKind::Text, Author::Visitor, None),
        ]
    );
    assert_eq!(messages[3].content, "one more thing");
    assert_eq!(app.agent_session(&session).await["status"], "open");
    // A retry of that message is answered with it and reopens nothing twice.
    let retry = app
        .send_with(
            &visitor,
            &session,
            json!({ "client_id": "c_retry_000", "content": "again" }),
        )
        .await;
    retry.assert_status(201);
    app.send_with(
        &visitor,
        &session,
        json!({ "client_id": "c_retry_000", "content": "again" }),
    )
    .await
    .assert_status(200);
    assert_eq!(history(&app, &visitor, &session).await.len(), 5);
}

#[tokio::test]
async fn a_resolution_is_rated_once_with_a_checked_score_and_comment() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "hi").await.assert_status(201);
    let rating = path(&session, "rating");

    let open = app
        .widget_post(&visitor, &rating, json!({ "score": 5 }))
        .await;
    open.assert_error(409, "not_resolved");
    let key = app.org.secret_key.clone();
    app.agent_post(&key, &api(&session, "resolve"), json!({}))
        .await
        .assert_status(200);
    for (body, named) in [
        (json!({}), "score: required"),
        (
            json!({ "score": 0 }),
            "score: must be an integer from 1 to 5",
        ),
        (
            json!({ "score": 6 }),
            "score: must be an integer from 1 to 5",
        ),
        (json!({ "score": "4" }), "score"),
        (json!({ "score": 4.5 }), "score"),
        (
            json!({ "score": 4, "comment": "x".repeat(1001) }),
            "comment: at most 1000 characters",
        ),
        (json!({ "score": 4, "stars": 4 }), "unknown field: stars"),
    ] {
        let refused = app.widget_post(&visitor, &rating, body.clone()).await;
        let message = refused.assert_error(422, "invalid_body");
        assert!(message.contains(named), "{body}: {message}");
    }
    let rated = app
        .widget_post(
            &visitor,
            &rating,
            json!({ "score": 4, "comment": "  Quick and friendly " }),
        )
        .await;
    let rated = rated.assert_status(201);
    assert_eq!(
        rated["session"]["rating"],
        json!({ "score": 4, "comment": "Quick and friendly" })
    );
    let second = app
        .widget_post(&visitor, &rating, json!({ "score": 1 }))
        .await;
    second.assert_error(409, "already_rated");
    let last = history(&app, &visitor, &session).await.pop().unwrap();
    assert_eq!(
        (last.kind, last.score, last.content.as_str()),
        (MessageKind::Rated, Some(4), "Quick and friendly")
    );
    assert_eq!(
        app.agent_session(&session).await["rating"],
        json!({ "score": 4, "comment": "Quick and friendly" })
    );

    // Reopened: no rating shown; resolved again: rated again, and both count in the summary.
    app.agent_post(&key, &api(&session, "reopen"), json!({}))
        .await
        .assert_status(200);
    assert_eq!(app.agent_session(&session).await["rating"], Value::Null);
    app.agent_post(&key, &api(&session, "resolve"), json!({}))
        .await
        .assert_status(200);
    app.widget_post(&visitor, &rating, json!({ "score": 2 }))
        .await
        .assert_status(201);
    let summary = app.agent_get(&key, "/api/csat").await;
    assert_eq!(
        summary.assert_status(200),
        &json!({ "count": 2, "average": 3.0,
                 "distribution": { "1": 0, "2": 1, "3": 0, "4": 1, "5": 0 } })
    );
}

#[tokio::test]
async fn the_csat_summary_filters_by_time_and_workspace_and_names_bad_parameters() {
    let app = spawn_app().await;
    let key = app.org.secret_key.clone();
    for (scope, score) in [("ws_a", 5), ("ws_a", 4), ("ws_b", 1)] {
        let visitor = app.device().in_scope(scope);
        let session = app.start_session(&visitor).await;
        app.agent_post(&key, &api(&session, "resolve"), json!({}))
            .await
            .assert_status(200);
        app.widget_post(
            &visitor,
            &path(&session, "rating"),
            json!({ "score": score }),
        )
        .await
        .assert_status(201);
    }
    let all = app.agent_get(&key, "/api/csat").await;
    assert_eq!(all.assert_status(200)["count"], 3);
    let a = app.agent_get(&key, "/api/csat?external_id=ws_a").await;
    assert_eq!(
        a.assert_status(200),
        &json!({ "count": 2, "average": 4.5,
                 "distribution": { "1": 0, "2": 0, "3": 0, "4": 1, "5": 1 } })
    );
    let future = app
        .agent_get(&key, "/api/csat?from=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(
        future.assert_status(200),
        &json!({ "count": 0, "average": null,
                 "distribution": { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 } })
    );
    let past = app
        .agent_get(
            &key,
            "/api/csat?from=2020-01-01T00:00:00Z&to=2999-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(past.assert_status(200)["count"], 3);
    let bad = app.agent_get(&key, "/api/csat?from=yesterday").await;
    assert!(bad.assert_error(422, "invalid_query").starts_with("from: "));
    let other_org = app.create_org(&[]).await;
    let theirs = app.agent_get(&other_org.secret_key, "/api/csat").await;
    assert_eq!(theirs.assert_status(200)["count"], 0);
}

#[tokio::test]
async fn typing_reaches_the_other_side_as_a_signal_and_is_never_stored() {
    let app = spawn_app().await;
    let ada = agent(&app, "Ada", None).await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "hello")
        .await
        .assert_status(201);
    let before = history(&app, &visitor, &session).await;
    let cursor = before.last().unwrap().id;

    // A console long-poll already waiting is woken by the visitor's typing.
    let console = {
        let (client, url) = (
            reqwest::Client::new(),
            app.url(&format!(
                "/api/updates?after={cursor}&signals_after=0&wait=10"
            )),
        );
        let key = ada.clone();
        tokio::spawn(async move {
            let reply = client.get(url).bearer_auth(key).send().await.unwrap();
            reply.json::<Updates>().await.unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    app.widget_post(
        &visitor,
        &path(&session, "typing"),
        json!({ "typing": true }),
    )
    .await
    .assert_status(204);
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), console)
        .await
        .expect("the typing signal wakes the long-poll")
        .unwrap();
    assert!(heard.messages.is_empty());
    assert_eq!(heard.signals.len(), 1, "{heard:?}");
    let signal = &heard.signals[0];
    assert_eq!(
        (
            signal.kind,
            &signal.author,
            signal.typing,
            signal.session_id.as_str()
        ),
        (
            SignalKind::Typing,
            &Author::Visitor,
            Some(true),
            session.as_str()
        )
    );
    assert_eq!(heard.signals_at, signal.at);
    // Asking from its stamp, the console gets nothing new: held until `wait` ends.
    let after: Updates = app
        .agent_get(
            &ada,
            &format!(
                "/api/updates?after={cursor}&signals_after={}&wait=0",
                heard.signals_at
            ),
        )
        .await
        .decode(200);
    assert!(after.signals.is_empty() && after.messages.is_empty());

    // The agent types back: the widget sees the name.
    app.agent_post(&ada, &api(&session, "typing"), json!({ "typing": true }))
        .await
        .assert_status(204);
    let widget: Updates = app
        .widget_get(
            &visitor,
            &format!(
                "/widget/v1/updates?after={cursor}&signals_after={}&wait=5",
                heard.signals_at
            ),
        )
        .await
        .decode(200);
    let agent_signal = widget
        .signals
        .iter()
        .find(|s| s.author == Author::Agent)
        .expect("the agent's typing");
    assert_eq!(agent_signal.author_name.as_deref(), Some("Ada"));

    // Never a message.
    assert_eq!(history(&app, &visitor, &session).await, before);
    let missing = app
        .widget_post(&visitor, &path(&session, "typing"), json!({}))
        .await;
    assert_eq!(
        missing.assert_error(422, "invalid_body"),
        "typing: required"
    );
}

#[tokio::test]
async fn typing_signals_are_rate_limited_per_sender_and_chat() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let typing = path(&session, "typing");
    for _ in 0..10 {
        app.widget_post(&visitor, &typing, json!({ "typing": true }))
            .await
            .assert_status(204);
    }
    let refused = app
        .widget_post(&visitor, &typing, json!({ "typing": false }))
        .await;
    refused.assert_error(429, "rate_limited");
    assert!(refused.headers.contains_key("retry-after"));
    // Another chat of the same visitor, and messages, are not held back by it.
    let other = app.start_session(&visitor).await;
    app.widget_post(&visitor, &path(&other, "typing"), json!({ "typing": true }))
        .await
        .assert_status(204);
    app.send(&visitor, &session, "still here")
        .await
        .assert_status(201);
}

#[tokio::test]
async fn seen_is_stored_only_growing_and_told_to_the_other_side() {
    let app = spawn_app().await;
    let key = app.org.secret_key.clone();
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let first = app.send(&visitor, &session, "question").await;
    let first = first.decode::<Value>(201)["message"]["id"]
        .as_i64()
        .unwrap();
    let reply = app.agent_reply(&key, &session, "answer").await;
    let reply = reply.decode::<Value>(201)["message"]["id"]
        .as_i64()
        .unwrap();

    app.widget_post(
        &visitor,
        &path(&session, "seen"),
        json!({ "message_id": reply }),
    )
    .await
    .assert_status(204);
    app.widget_post(
        &visitor,
        &path(&session, "seen"),
        json!({ "message_id": first }),
    )
    .await
    .assert_status(204);
    assert_eq!(app.agent_session(&session).await["seen_by_visitor"], reply);
    let told: Updates = app
        .agent_get(
            &key,
            &format!("/api/updates?after={reply}&signals_after=0&wait=0"),
        )
        .await
        .decode(200);
    assert!(told.signals.iter().any(|s| s.kind == SignalKind::Seen
        && s.author == Author::Visitor
        && s.message_id == Some(reply)));

    app.agent_post(&key, &api(&session, "seen"), json!({ "message_id": first }))
        .await
        .assert_status(204);
    let listed = app.sessions(&visitor).await;
    assert_eq!(listed.body["sessions"][0]["seen_by_agent"], first);

    let elsewhere = app.start_session(&visitor).await;
    let foreign = app
        .widget_post(
            &visitor,
            &path(&elsewhere, "seen"),
            json!({ "message_id": reply }),
        )
        .await;
    assert_eq!(
        foreign.assert_error(422, "invalid_body"),
        "message_id: not a message of this chat"
    );
    let missing = app
        .widget_post(&visitor, &path(&session, "seen"), json!({}))
        .await;
    assert_eq!(
        missing.assert_error(422, "invalid_body"),
        "message_id: required"
    );
}

#[tokio::test]
async fn only_identities_that_see_a_chat_change_rate_or_signal_in_it() {
    let app = spawn_app().await;
    let owner = app.device().in_scope("ws_a");
    let session = app.start_session(&owner).await;
    let message = app.send(&owner, &session, "mine").await;
    let message = message.decode::<Value>(201)["message"]["id"]
        .as_i64()
        .unwrap();
    let other_org = app.create_org(&[]).await;
    let strangers = [
        app.device().in_scope("ws_a"),
        Identity {
            device: owner.device.clone(),
            ..app.device().in_scope("ws_b")
        },
        app.verified("john@doe.com").await.in_scope("ws_a"),
        app.device_of(&other_org),
    ];
    for stranger in &strangers {
        for (action, body) in [
            ("resolve", json!({})),
            ("rating", json!({ "score": 5 })),
            ("typing", json!({ "typing": true })),
            ("seen", json!({ "message_id": message })),
        ] {
            let refused = app
                .widget_post(stranger, &path(&session, action), body)
                .await;
            refused.assert_error(404, "session_not_found");
        }
    }
    for action in ["resolve", "reopen"] {
        app.agent_post(&other_org.secret_key, &api(&session, action), json!({}))
            .await
            .assert_error(404, "session_not_found");
    }
    app.agent_post(
        &other_org.secret_key,
        &api(&session, "typing"),
        json!({ "typing": true }),
    )
    .await
    .assert_error(404, "session_not_found");
    assert_eq!(app.agent_session(&session).await["status"], "open");
}

#[tokio::test]
async fn a_verified_visitor_sees_the_status_on_every_device() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "ann@example.com" })).await;
    let laptop = app.user(&token);
    let phone = app.user(&token);
    let session = app.start_session(&laptop).await;
    app.send(&laptop, &session, "hello")
        .await
        .assert_status(201);
    let cursor = history(&app, &phone, &session).await.last().unwrap().id;
    app.widget_post(&laptop, &path(&session, "resolve"), json!({}))
        .await
        .assert_status(200);
    let heard: Updates = app.updates(&phone, cursor, 5).await.decode(200);
    assert_eq!(heard.messages[0].kind, MessageKind::Resolved);
    app.widget_post(&phone, &path(&session, "rating"), json!({ "score": 5 }))
        .await
        .assert_status(201);
    let listed = app.sessions(&laptop).await;
    assert_eq!(listed.body["sessions"][0]["rating"]["score"], 5);
}
