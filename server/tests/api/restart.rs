//! Everything that matters survives a restart: it is in the database, not in memory.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn chats_tokens_and_keys_survive_a_restart() {
    let app = spawn_app().await;
    let token = app
        .token_for(json!({ "email": "john@doe.com", "custom_data": { "vip": true } }))
        .await;
    let john = app.user(&token).in_scope("ws_1");
    let verified_session = app.start_session(&john).await;
    app.send(&john, &verified_session, "before restart")
        .await
        .assert_status(201);
    let browser = app.device();
    let device_session = app.start_session(&browser).await;
    let sent = app
        .send_with(
            &browser,
            &device_session,
            json!({ "client_id": "c_restart_01", "content": "hi" }),
        )
        .await;
    let sent = sent.assert_status(201)["message"].clone();
    app.agent_reply(&app.org.secret_key, &device_session, "hello")
        .await
        .assert_status(201);

    let app = app.restart().await;

    // The same user token (the signing key is in the database), the same device id.
    assert_eq!(app.session_ids(&john).await, vec![verified_session.clone()]);
    assert_eq!(
        app.contents(&john, &verified_session).await,
        ["before restart"]
    );
    assert_eq!(
        app.contents(&browser, &device_session).await,
        ["hi", "hello"]
    );
    // Idempotency survives too: the retry after the restart is the same message.
    let retry = app
        .send_with(
            &browser,
            &device_session,
            json!({ "client_id": "c_restart_01", "content": "hi" }),
        )
        .await;
    assert_eq!(retry.assert_status(200)["message"], sent);
    // Message ids keep growing, so cursors held by open widgets stay valid.
    let after = app.send(&john, &verified_session, "after restart").await;
    assert!(
        after.assert_status(201)["message"]["id"].as_i64().unwrap() > sent["id"].as_i64().unwrap()
    );
    assert_eq!(
        app.agent_session(&verified_session).await["contact"]["custom_data"],
        json!({ "vip": true })
    );
}
