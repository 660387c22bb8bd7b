//! Several instances on one database, as behind a load balancer: live delivery from one instance to another's
//! long-polls (Postgres: LISTEN/NOTIFY), and idempotency decided by the database when instances race.

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{backend, spawn_app, spawn_instance_beside, Identity, TestApp};
use frontdesk_server::db::Backend;

/// Cross-instance wake-ups need Postgres: two servers on one SQLite file would store correctly but hear nothing
/// of each other (docs/deploy.md: several instances means Postgres).
fn postgres_only(test: &str) -> bool {
    if backend() == Backend::Postgres {
        return true;
    }
    eprintln!("{test}: runs in the Postgres pass (FRONTDESK_TEST_BACKEND=postgres)");
    false
}

/// Replies `n` times through `replier` while `visitor` long-polls `poller`; returns what the polls received.
async fn replies_across(poller: &TestApp, replier: &TestApp, visitor: &Identity, n: usize) {
    let session = poller.start_session(visitor).await;
    let expected: Vec<String> = (0..n).map(|i| format!("reply {i}")).collect();
    let polling = async {
        let mut cursor = 0;
        let mut received: Vec<(i64, String)> = Vec::new();
        while received.len() < n {
            let reply = poller.updates(visitor, cursor, 25).await;
            let body = reply.assert_status(200);
            let messages = body["messages"].as_array().unwrap();
            // The replies keep coming until the last one: a poll that waited out its 25 s heard of none of them.
            assert!(
                !messages.is_empty(),
                "a long-poll on one instance timed out while the other stored replies ({} of {n} received)",
                received.len()
            );
            for m in messages {
                received.push((
                    m["id"].as_i64().unwrap(),
                    m["content"].as_str().unwrap().to_owned(),
                ));
            }
            cursor = body["cursor"].as_i64().unwrap();
        }
        received
    };
    let replying = async {
        for content in &expected {
            replier
                .agent_reply(&replier.org.secret_key, &session, content)
                .await
                .assert_status(201);
        }
    };
    let (received, ()) = tokio::join!(polling, replying);
    let contents: Vec<&str> = received.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(contents, expected, "every reply once, in order");
    assert!(received.windows(2).all(|w| w[0].0 < w[1].0), "ids grow");
}

#[tokio::test]
async fn a_long_poll_on_one_instance_gets_200_replies_stored_through_another_in_order_once() {
    if !postgres_only("cross-instance delivery") {
        return;
    }
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    replies_across(&a, &b, &a.device(), 200).await;
    // And the other way round, for a verified user.
    let user = a.verified("ada@example.com").await;
    replies_across(&b, &a, &user, 200).await;
}

#[tokio::test]
async fn the_agents_long_poll_on_one_instance_hears_a_visitor_writing_to_another() {
    if !postgres_only("cross-instance delivery to agents") {
        return;
    }
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    let visitor = a.device();
    let session = a.start_session(&visitor).await;
    let key = a.org.secret_key.clone();
    let (polled, sent) = tokio::join!(a.agent_updates(&key, 0, 25), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        b.send(&visitor, &session, "hello from instance B").await
    });
    sent.assert_status(201);
    let body = polled.assert_status(200);
    assert_eq!(body["messages"][0]["content"], "hello from instance B");
}

#[tokio::test]
async fn fifty_racing_sends_of_one_client_id_over_two_instances_store_one_message() {
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    let visitor = a.device();
    let session = a.start_session(&visitor).await;
    let body = json!({ "client_id": "c_race_000001", "content": "only once" });
    let replies = join_all((0..50).map(|i| {
        let instance = if i % 2 == 0 { &a } else { &b };
        instance.send_with(&visitor, &session, body.clone())
    }))
    .await;
    let mut created = 0;
    let mut ids = Vec::new();
    for reply in &replies {
        let status = reply.status.as_u16();
        assert!(status == 201 || status == 200, "{reply:#?}");
        created += usize::from(status == 201);
        ids.push(
            reply.assert_status(status)["message"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(created, 1, "one send stored it, the others found it");
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same message");
    assert_eq!(a.contents(&visitor, &session).await, ["only once"]);
    assert_eq!(b.contents(&visitor, &session).await, ["only once"]);
}

#[tokio::test]
async fn fifty_racing_chat_starts_of_one_client_id_over_two_instances_start_one_chat() {
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    let visitor = a.device();
    let body = json!({ "client_id": "c_race_start_01" });
    let replies = join_all((0..50).map(|i| {
        let instance = if i % 2 == 0 { &a } else { &b };
        instance.start_session_with(&visitor, body.clone())
    }))
    .await;
    let mut ids: Vec<String> = replies
        .iter()
        .map(|r| {
            let status = r.status.as_u16();
            assert!(status == 201 || status == 200, "{r:#?}");
            r.assert_status(status)["session"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "every start names the same chat");
    assert_eq!(a.session_ids(&visitor).await, ids);
}

#[tokio::test]
async fn when_the_listening_connection_drops_held_long_polls_still_get_the_message() {
    if !postgres_only("listener reconnect") {
        return;
    }
    use sqlx::Connection;
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    let visitor = a.device();
    let session = a.start_session(&visitor).await;
    let mut admin = sqlx::AnyConnection::connect(&a.db_url).await.unwrap();
    // Cut every instance's listening connection, as a database restart or a network blip would.
    let cut = "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE datname = current_database() AND query LIKE 'LISTEN%'";
    let (polled, ()) = tokio::join!(a.updates(&visitor, 0, 25), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let cut: i64 = sqlx::query_scalar(cut).fetch_one(&mut admin).await.unwrap();
        assert_eq!(cut, 2, "both instances were listening");
        // Stored at once, before instance A can be listening again: its notification may be lost.
        b.agent_reply(&b.org.secret_key, &session, "while you were away")
            .await
            .assert_status(201);
    });
    let body = polled.assert_status(200);
    assert_eq!(body["messages"][0]["content"], "while you were away");

    // Listening again: the next message through B wakes A's long-poll.
    let cursor = body["cursor"].as_i64().unwrap();
    let (polled, ()) = tokio::join!(a.updates(&visitor, cursor, 25), async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        b.agent_reply(&b.org.secret_key, &session, "back again")
            .await
            .assert_status(201);
    });
    assert_eq!(
        polled.assert_status(200)["messages"][0]["content"],
        "back again"
    );
}

/// Runs the real binary's `args` on `app`'s database and returns its stdout.
fn cli(app: &TestApp, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args(args)
        .args(["--database", &app.db_url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_key_rotation_and_a_new_agent_take_effect_on_every_instance_at_once() {
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    let token = a.token_for(json!({ "email": "ada@example.com" })).await;
    // A token issued by one instance is good on the other: one signing key, in the database.
    b.sessions(&b.user(&token)).await.assert_status(200);

    cli(&a, &["signing-key", "rotate", "--now"]);
    for instance in [&a, &b] {
        let message = instance
            .sessions(&instance.user(&token))
            .await
            .assert_error(401, "invalid_user_token")
            .to_owned();
        assert!(message.contains("rotated"), "{message}");
    }

    // An agent key made by the CLI works on both instances without a restart.
    let made = cli(
        &a,
        &[
            "agent",
            "create",
            "--org",
            &a.org.widget_token,
            "--name",
            "Ada",
            "--json",
        ],
    );
    let key: serde_json::Value = serde_json::from_str(&made).unwrap();
    let key = key["agent_key"].as_str().unwrap();
    for instance in [&a, &b] {
        instance.agent_sessions(key, None).await.assert_status(200);
    }
}

#[tokio::test]
async fn an_agents_cursor_misses_nothing_while_two_instances_store_concurrently() {
    if !postgres_only("concurrent stores across instances") {
        return;
    }
    let a = spawn_app().await;
    let b = spawn_instance_beside(&a).await;
    let visitors: Vec<(Identity, String)> = join_all((0..20).map(|i| {
        let instance = if i % 2 == 0 { &a } else { &b };
        async move {
            let visitor = instance.device();
            let session = instance.start_session(&visitor).await;
            (visitor, session)
        }
    }))
    .await;
    let key = a.org.secret_key.clone();
    let total = visitors.len() * 10;
    // The agent follows the org with a cursor (ids are handed out before commit, so a cursor that moved past an id
    // still in flight would skip it for good) while every visitor sends 10 messages through both instances at once.
    let following = async {
        let mut cursor = 0;
        let mut seen = Vec::new();
        while seen.len() < total {
            let body = a.agent_updates(&key, cursor, 25).await;
            let body = body.assert_status(200);
            for m in body["messages"].as_array().unwrap() {
                seen.push(m["id"].as_i64().unwrap());
            }
            assert!(
                !body["messages"].as_array().unwrap().is_empty(),
                "{} of {total}",
                seen.len()
            );
            cursor = body["cursor"].as_i64().unwrap();
        }
        seen
    };
    let sending = join_all(visitors.iter().enumerate().map(|(i, (visitor, session))| {
        let (a, b) = (&a, &b);
        async move {
            for n in 0..10 {
                let instance = if (i + n) % 2 == 0 { a } else { b };
                instance
                    .send(visitor, session, &format!("{i}.{n}"))
                    .await
                    .assert_status(201);
            }
        }
    }));
    let (seen, _) = tokio::join!(following, sending);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, seen, "in order, each once");
    assert_eq!(
        seen.len(),
        total,
        "every message reached the agent's cursor"
    );
}

#[tokio::test]
async fn typing_and_status_changes_on_one_instance_reach_long_polls_held_on_another() {
    let a = spawn_app().await;
    if !postgres_only("typing_and_status_changes_on_one_instance_reach_long_polls_held_on_another")
    {
        return;
    }
    let b = spawn_instance_beside(&a).await;
    let visitor = a.device();
    let session = a.start_session(&visitor).await;
    let key = a.org.secret_key.clone();
    // The widget's long-poll is held on b; the agent types and then resolves on a.
    let held = b.widget_get(
        &visitor,
        "/widget/v1/updates?after=0&signals_after=0&wait=20",
    );
    let typing = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        a.agent_post(
            &key,
            &format!("/api/sessions/{session}/typing"),
            json!({ "typing": true }),
        )
        .await
        .assert_status(204);
    };
    let (heard, ()) = tokio::join!(held, typing);
    let signals = heard.assert_status(200)["signals"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(
        (&signals[0]["kind"], &signals[0]["author_name"]),
        (&json!("typing"), &json!("Support"))
    );
    let signals_at = heard.body["signals_at"].as_i64().unwrap();
    let next = format!("/widget/v1/updates?after=0&signals_after={signals_at}&wait=20");
    let held = b.widget_get(&visitor, &next);
    let resolving = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        a.agent_post(&key, &format!("/api/sessions/{session}/resolve"), json!({}))
            .await
            .assert_status(200);
    };
    let (heard, ()) = tokio::join!(held, resolving);
    let messages = heard.assert_status(200)["messages"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["kind"], "resolved");
}
