//! `migrate-data`: a database made on SQLite, copied into Postgres with the real binary, serves the same widgets,
//! tokens and agent keys.

use std::process::{Command, Output};

use frontdesk_server::db::Backend;
use frontdesk_server::startup::Config;
use serde_json::json;

use crate::helpers::{backend, spawn_app_in, spawn_app_on, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-server");

fn migrate(from: &str, to: &str, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["migrate-data", "--from", from, "--to", to])
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_sqlite_database_copied_into_postgres_serves_the_same_widgets_tokens_and_keys() {
    if backend() != Backend::Postgres {
        eprintln!("migrate-data: runs in the Postgres pass (FRONTDESK_TEST_BACKEND=postgres)");
        return;
    }
    // A SQLite installation with some history: device chats, a verified user's chats, an agent, agent replies.
    let sqlite = TestDatabase::fresh_on(Backend::Sqlite).await;
    let mut old = spawn_app_in(sqlite.clone(), Config::default()).await;
    let device = old.device();
    let device_chat = old.start_session(&device).await;
    let user_token = old
        .token_for(json!({ "email": "ada@example.com", "name": "Ada" }))
        .await;
    let user = old.user(&user_token);
    let user_chat = old.start_session(&user).await;
    for i in 0..12 {
        old.send(&device, &device_chat, &format!("device {i}"))
            .await
            .assert_status(201);
        old.send(&user, &user_chat, &format!("user {i}"))
            .await
            .assert_status(201);
    }
    let key = old.org.secret_key.clone();
    let last = old
        .agent_reply(&key, &device_chat, "an agent's answer")
        .await
        .assert_status(201)["message"]["id"]
        .as_i64()
        .unwrap();
    let device_before = old.contents(&device, &device_chat).await;
    let user_sessions_before = old.session_ids(&user).await;
    let agent_list_before = old
        .agent_sessions(&key, None)
        .await
        .assert_status(200)
        .clone();
    let org = old.org.clone();
    old.shutdown().await;

    let postgres = TestDatabase::fresh_on(Backend::Postgres).await;
    let copied = migrate(&sqlite.url, &postgres.url, &[]);
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let stdout = String::from_utf8(copied.stdout).unwrap();
    // 1 org; 2 chats; 25 messages; 1 contact; the signing key.
    for line in [
        "orgs: 1",
        "sessions: 2",
        "messages: 25",
        "contacts: 1",
        "signing_keys: 1",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in {stdout}");
    }
    assert!(String::from_utf8_lossy(&copied.stderr).contains("messages: 25 rows copied"));

    // A second copy into the now non-empty target is refused, and changes nothing.
    let again = migrate(&sqlite.url, &postgres.url, &[]);
    assert!(!again.status.success());
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(
        message.contains("already holds data (orgs: 1,") && message.contains("--replace"),
        "{message}"
    );
    // Unless told to replace it.
    let replaced = migrate(&sqlite.url, &postgres.url, &["--replace"]);
    assert!(
        replaced.status.success(),
        "{}",
        String::from_utf8_lossy(&replaced.stderr)
    );

    // The same device id, user token and keys work on Postgres, and see what they saw.
    let new = spawn_app_on(postgres.clone(), org).await;
    assert_eq!(new.contents(&device, &device_chat).await, device_before);
    assert_eq!(new.session_ids(&user).await, user_sessions_before);
    assert_eq!(new.contents(&user, &user_chat).await.len(), 12);
    assert_eq!(
        new.agent_sessions(&key, None).await.assert_status(200),
        &agent_list_before
    );
    // The cursor carries on: nothing is new after the last id, and the next message comes after it.
    let polled = new.updates(&device, last, 0).await;
    assert_eq!(polled.assert_status(200)["messages"], json!([]));
    let next = new.send(&device, &device_chat, "after the move").await;
    assert!(next.assert_status(201)["message"]["id"].as_i64().unwrap() > last);
    // A new chat takes the top of the agents' list (the activity order continues too).
    let newest = new.start_session(&new.device()).await;
    let list = new.agent_sessions(&key, None).await;
    assert_eq!(
        list.assert_status(200)["sessions"][0]["id"],
        newest.as_str()
    );
}

#[tokio::test]
async fn migrate_data_names_a_wrong_url() {
    let out = migrate("postgres://x/y", "postgres://x/z", &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--from postgres://x/y: expected a sqlite:// URL"));
    let out = migrate("sqlite://x.db", "sqlite://y.db", &[]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--to sqlite://y.db: expected a postgres:// URL"));
}
