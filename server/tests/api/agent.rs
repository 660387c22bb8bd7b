//! The agent API (docs/api.md "Agent API"), and how it keeps trusted and page-supplied data apart.

use frontdesk_server::domain::Label;
use frontdesk_server::orgs;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn agent_key(app: &TestApp, name: &str) -> String {
    orgs::create_agent(
        &app.db,
        &app.org.widget_token,
        &Label::parse(name, 200).unwrap(),
        None,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_verified_session_shows_the_contacts_trusted_data_only() {
    let app = spawn_app().await;
    let token = app
        .token_for(json!({ "email": "john@doe.com", "name": "John Doe", "custom_data": { "vip": true, "plan": "pro" } }))
        .await;
    // The page also tries to say things about the user: ignored for a verified session.
    let page_says = json!({ "visitor": { "name": "Mallory", "email": "mallory@evil.example", "custom_data": { "vip": false, "admin": true } } });
    let reply = app.start_session_with(&app.user(&token), page_says).await;
    let session = reply.assert_status(201)["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let seen = app.agent_session(&session).await;
    assert_eq!(seen["verified"], true);
    assert_eq!(
        seen["contact"],
        json!({ "email": "john@doe.com", "name": "John Doe", "custom_data": { "vip": true, "plan": "pro" }, "non_verified_custom_data": null })
    );
}

#[tokio::test]
async fn a_non_verified_session_shows_page_data_as_non_verified_only() {
    let app = spawn_app().await;
    let page_says = json!({ "visitor": { "name": "John", "email": "john@doe.com", "avatar_url": "https://example.com/a.png", "custom_data": { "plan": "pro" } } });
    let reply = app
        .start_session_with(&app.device().in_scope("ws_1"), page_says)
        .await;
    let session = reply.assert_status(201)["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let seen = app.agent_session(&session).await;
    assert_eq!(seen["verified"], false);
    assert_eq!(seen["external_id"], "ws_1");
    assert_eq!(
        seen["contact"],
        json!({ "email": "john@doe.com", "name": "John", "custom_data": null, "non_verified_custom_data": { "plan": "pro" } })
    );

    let anonymous = app.start_session(&app.device()).await;
    let seen = app.agent_session(&anonymous).await;
    assert_eq!(
        seen["contact"],
        json!({ "email": null, "name": null, "custom_data": null, "non_verified_custom_data": {} })
    );
}

#[tokio::test]
async fn non_verified_custom_data_is_never_merged_into_the_contact() {
    let app = spawn_app().await;
    let token = app
        .token_for(json!({ "email": "john@doe.com", "custom_data": { "vip": true } }))
        .await;
    let claim = json!({ "visitor": { "email": "john@doe.com", "custom_data": { "vip": false, "credit": 1000 } } });
    app.start_session_with(&app.device(), claim)
        .await
        .assert_status(201);

    let verified = app.start_session(&app.user(&token)).await;
    assert_eq!(
        app.agent_session(&verified).await["contact"]["custom_data"],
        json!({ "vip": true })
    );
    let (stored,): (String,) = sqlx::query_as("SELECT custom_data FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&stored).unwrap(),
        json!({ "vip": true })
    );
}

#[tokio::test]
async fn sessions_are_listed_newest_first_and_filtered_by_external_id() {
    let app = spawn_app().await;
    let first = app.start_session(&app.device().in_scope("ws_1")).await;
    let second = app.start_session(&app.device().in_scope("ws_2")).await;
    let third = app.start_session(&app.device().in_scope("ws_1")).await;
    let fourth = app.start_session(&app.device()).await;

    let ids = |reply: crate::helpers::Reply| -> Vec<String> {
        reply.assert_status(200)["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = ids(app.agent_sessions(&app.org.secret_key, None).await);
    assert_eq!(all, [fourth, third.clone(), second.clone(), first.clone()]);
    assert_eq!(
        ids(app.agent_sessions(&app.org.secret_key, Some("ws_1")).await),
        vec![third, first]
    );
    assert_eq!(
        ids(app.agent_sessions(&app.org.secret_key, Some("ws_2")).await),
        vec![second]
    );
    app.agent_sessions(&app.org.secret_key, Some("bad id"))
        .await
        .assert_error(422, "invalid_external_id");
}

#[tokio::test]
async fn an_agent_reads_a_chat_oldest_first_and_replies() {
    let app = spawn_app().await;
    let browser = app.device();
    let session = app.start_session(&browser).await;
    app.send(&browser, &session, "first")
        .await
        .assert_status(201);
    app.send(&browser, &session, "second")
        .await
        .assert_status(201);

    let ada = agent_key(&app, "Ada").await;
    let reply = app.agent_reply(&ada, &session, "  Hi, Ada here  ").await;
    let message = reply.assert_status(201)["message"].clone();
    assert_eq!(
        (message["author"].as_str(), message["author_name"].as_str()),
        (Some("agent"), Some("Ada"))
    );
    assert_eq!(message["content"], "Hi, Ada here");
    let reply = app
        .agent_reply(&app.org.secret_key, &session, "Support here")
        .await;
    assert_eq!(
        reply.assert_status(201)["message"]["author_name"],
        "Support"
    );

    let reply = app.agent_messages(&ada, &session).await;
    let messages = reply.assert_status(200)["messages"]
        .as_array()
        .unwrap()
        .clone();
    let seen: Vec<_> = messages
        .iter()
        .map(|m| {
            (
                m["author"].as_str().unwrap(),
                m["content"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("visitor", "first"),
            ("visitor", "second"),
            ("agent", "Hi, Ada here"),
            ("agent", "Support here")
        ]
    );
    for m in &messages {
        assert!(
            m["id"].is_i64() && m["created_at"].as_str().unwrap().ends_with('Z'),
            "{m}"
        );
    }
    // The visitor sees the replies without anything else happening.
    assert_eq!(
        app.contents(&browser, &session).await,
        ["first", "second", "Hi, Ada here", "Support here"]
    );
    let last = &app.agent_session(&session).await["last_message"];
    assert_eq!(last["content"], "Support here");
}

#[tokio::test]
async fn the_agent_api_needs_a_secret_or_agent_key_of_the_org() {
    let app = spawn_app().await;
    let session = app.start_session(&app.device()).await;
    for key in ["", "sk_nope", "ak_nope", app.org.widget_token.as_str()] {
        app.agent_sessions(key, None)
            .await
            .assert_error(401, "invalid_api_key");
        app.agent_messages(key, &session)
            .await
            .assert_error(401, "invalid_api_key");
        app.agent_reply(key, &session, "hi")
            .await
            .assert_error(401, "invalid_api_key");
        app.agent_updates(key, 0, 0)
            .await
            .assert_error(401, "invalid_api_key");
    }
    let reply = app
        .client
        .get(app.url("/api/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
}

#[tokio::test]
async fn an_agent_reply_is_validated_like_a_visitor_message() {
    let app = spawn_app().await;
    let session = app.start_session(&app.device()).await;
    let key = &app.org.secret_key;
    app.agent_reply(key, &session, "   ")
        .await
        .assert_error(422, "invalid_body");
    app.agent_reply(key, &session, &"a".repeat(4001))
        .await
        .assert_error(413, "message_too_large");
    let url = app.url(&format!("/api/sessions/{session}/messages"));
    let reply = app
        .client
        .post(&url)
        .bearer_auth(key)
        .json(&json!({ "text": "hi" }))
        .send()
        .await
        .unwrap();
    let body: Value = reply.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "unknown field: text (check the spelling)"
    );
    let reply = app.agent_messages(key, &session).await;
    assert!(reply.assert_status(200)["messages"]
        .as_array()
        .unwrap()
        .is_empty());
}
