//! docs/api.md "Who sees which chats", row by row. A session the identity does not see is 404 on read and on send.

use serde_json::json;

use crate::helpers::{spawn_app, Identity, TestApp};

/// Asserts that `who` neither lists nor reads nor writes `session`.
async fn assert_cannot_reach(app: &TestApp, who: &Identity, session: &str) {
    assert!(
        !app.session_ids(who).await.contains(&session.to_owned()),
        "listed"
    );
    app.messages(who, session)
        .await
        .assert_error(404, "session_not_found");
    app.send(who, session, "let me in")
        .await
        .assert_error(404, "session_not_found");
    let stored: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM messages WHERE content = 'let me in'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored.0, 0, "a refused send stores nothing");
}

#[tokio::test]
async fn a_verified_user_sees_its_verified_chats_from_a_second_device() {
    let app = spawn_app().await;
    let laptop = app.verified("john@doe.com").await;
    let session = app.start_session(&laptop).await;
    app.send(&laptop, &session, "hello from the laptop")
        .await
        .assert_status(201);

    // Another browser: another login by the site's backend, another token, no shared storage.
    let phone = app.verified("JOHN@doe.com").await;
    assert_eq!(app.session_ids(&phone).await, vec![session.clone()]);
    assert_eq!(
        app.contents(&phone, &session).await,
        vec!["hello from the laptop"]
    );
    app.send(&phone, &session, "and from the phone")
        .await
        .assert_status(201);
    assert_eq!(
        app.contents(&laptop, &session).await,
        vec!["hello from the laptop", "and from the phone"]
    );
}

#[tokio::test]
async fn verified_chats_stay_in_their_external_id_scope() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    let in_ws1 = app.user(&token).in_scope("workspace_1");
    let session = app.start_session(&in_ws1).await;

    assert_eq!(app.session_ids(&in_ws1).await, vec![session.clone()]);
    assert_cannot_reach(&app, &app.user(&token).in_scope("workspace_2"), &session).await;
    assert_cannot_reach(&app, &app.user(&token), &session).await;
}

#[tokio::test]
async fn a_verified_user_does_not_see_another_contacts_chats() {
    let app = spawn_app().await;
    let john = app.verified("john@doe.com").await;
    let session = app.start_session(&john).await;
    assert_cannot_reach(&app, &app.verified("jane@doe.com").await, &session).await;
}

#[tokio::test]
async fn a_device_sees_only_the_chats_started_from_it() {
    let app = spawn_app().await;
    let visitor = json!({ "visitor": { "email": "john@doe.com", "name": "John" } });
    let browser_a = app.device().in_scope("workspace_42");
    let browser_b = app.device().in_scope("workspace_42");
    // Same page data, same workspace: only the device secret tells them apart.
    let a = app
        .start_session_with(&browser_a, visitor.clone())
        .await
        .assert_status(201)["session"]["id"]
        .clone();
    let b = app
        .start_session_with(&browser_b, visitor)
        .await
        .assert_status(201)["session"]["id"]
        .clone();
    let (a, b) = (a.as_str().unwrap(), b.as_str().unwrap());

    assert_eq!(app.session_ids(&browser_a).await, vec![a.to_owned()]);
    assert_eq!(app.session_ids(&browser_b).await, vec![b.to_owned()]);
    assert_cannot_reach(&app, &browser_b, a).await;
    assert_cannot_reach(&app, &browser_a, b).await;
}

#[tokio::test]
async fn device_chats_stay_in_their_external_id_scope() {
    let app = spawn_app().await;
    let browser = app.device().in_scope("workspace_1");
    let session = app.start_session(&browser).await;
    assert_eq!(app.session_ids(&browser).await, vec![session.clone()]);
    assert_cannot_reach(&app, &browser.clone().in_scope("workspace_2"), &session).await;
    let mut default_scope = browser.clone();
    default_scope.external_id = None;
    assert_cannot_reach(&app, &default_scope, &session).await;
}

#[tokio::test]
async fn a_device_claiming_a_verified_users_email_sees_none_of_their_chats() {
    let app = spawn_app().await;
    let john = app.verified("john@doe.com").await;
    let session = app.start_session(&john).await;
    app.send(&john, &session, "my invoice is overdue")
        .await
        .assert_status(201);

    let impostor = app.device();
    let claimed = json!({ "visitor": { "email": "john@doe.com", "name": "John Doe" } });
    app.start_session_with(&impostor, claimed)
        .await
        .assert_status(201);
    assert_cannot_reach(&app, &impostor, &session).await;
    let updates = app.updates(&impostor, 0, 0).await;
    assert!(updates.assert_status(200)["messages"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn verified_and_device_chats_do_not_mix_even_in_one_browser() {
    let app = spawn_app().await;
    let as_device = app.device();
    let device_session = app.start_session(&as_device).await;
    let as_user = app.verified("john@doe.com").await;
    let user_session = app.start_session(&as_user).await;

    // The visitor logs in on the same browser: its anonymous chat does not become a verified chat, nor back.
    assert_cannot_reach(&app, &as_user, &device_session).await;
    assert_cannot_reach(&app, &as_device, &user_session).await;
    assert_eq!(app.session_ids(&as_user).await, vec![user_session]);
    assert_eq!(app.session_ids(&as_device).await, vec![device_session]);
}

#[tokio::test]
async fn another_orgs_session_is_not_found_even_with_the_same_device_and_email() {
    let app = spawn_app().await;
    let other = app.create_org(&[]).await;
    let there = app.device_of(&other);
    let session = app.start_session(&there).await;

    let here = there.clone().with_widget_token(&app.org.widget_token);
    assert_cannot_reach(&app, &here, &session).await;

    app.agent_messages(&app.org.secret_key, &session)
        .await
        .assert_error(404, "session_not_found");
    app.agent_reply(&app.org.secret_key, &session, "hi")
        .await
        .assert_error(404, "session_not_found");
    let listed = app.agent_sessions(&app.org.secret_key, None).await;
    assert!(listed.assert_status(200)["sessions"]
        .as_array()
        .unwrap()
        .is_empty());
    app.agent_messages(&other.secret_key, &session)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn malformed_and_unknown_session_ids_are_not_found() {
    let app = spawn_app().await;
    let browser = app.device();
    for id in [
        "nope",
        "0123456789abcdef0123456789abcdef",
        "%27%20OR%201%3D1",
        "0123456789ABCDEF0123456789ABCDEF",
    ] {
        app.messages(&browser, id)
            .await
            .assert_error(404, "session_not_found");
        app.send(&browser, id, "x")
            .await
            .assert_error(404, "session_not_found");
    }
}

#[tokio::test]
async fn updates_carry_only_what_the_identity_sees() {
    let app = spawn_app().await;
    let mine = app.device();
    let theirs = app.device();
    let my_session = app.start_session(&mine).await;
    let their_session = app.start_session(&theirs).await;
    app.send(&theirs, &their_session, "theirs")
        .await
        .assert_status(201);
    let mine_sent = app.send(&mine, &my_session, "mine").await;
    let my_id = mine_sent.assert_status(201)["message"]["id"]
        .as_i64()
        .unwrap();

    let reply = app.updates(&mine, 0, 0).await;
    let body = reply.assert_status(200);
    let contents: Vec<_> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(contents, vec![json!("mine")]);
    assert_eq!(body["cursor"], my_id);
}
