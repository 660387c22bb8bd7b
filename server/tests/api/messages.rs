//! Starting chats and sending messages: idempotency, validation, limits, and nothing half-stored on errors.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Identity, TestApp};

async fn message_count(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages")
        .fetch_one(&app.db)
        .await
        .unwrap();
    n
}

async fn chat(app: &TestApp) -> (Identity, String) {
    let browser = app.device();
    let session = app.start_session(&browser).await;
    (browser, session)
}

#[tokio::test]
async fn a_started_session_and_a_sent_message_have_the_documented_shape() {
    let app = spawn_app().await;
    let browser = app.device().in_scope("ws_1");
    let reply = app
        .start_session_with(&browser, json!({ "visitor": { "name": "John" } }))
        .await;
    let session = reply.assert_status(201)["session"].clone();
    let id = session["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{id}"
    );
    assert_eq!(session["external_id"], "ws_1");
    assert_eq!(session["verified"], false);
    assert_eq!(session["last_message"], Value::Null);
    assert!(session["created_at"].as_str().unwrap().ends_with('Z'));

    let reply = app
        .send_with(
            &browser,
            &id,
            json!({ "client_id": "c_3f9a2b7e1d", "content": "Hello" }),
        )
        .await;
    let message = reply.assert_status(201)["message"].clone();
    assert_eq!(message["session_id"], id.as_str());
    assert_eq!(message["client_id"], "c_3f9a2b7e1d");
    assert_eq!(message["author"], "visitor");
    assert_eq!(message["author_name"], Value::Null);
    assert_eq!(message["content"], "Hello");

    let listed = app.sessions(&browser).await;
    assert_eq!(
        listed.assert_status(200)["sessions"][0]["last_message"],
        message
    );
}

#[tokio::test]
async fn a_posted_session_with_no_body_at_all_is_fine() {
    let app = spawn_app().await;
    let browser = app.device();
    let request = app
        .client
        .post(app.url("/widget/v1/sessions"))
        .header("X-Frontdesk-Widget-Token", &app.org.widget_token)
        .header("X-Frontdesk-Device", browser.device.as_deref().unwrap());
    assert_eq!(request.send().await.unwrap().status(), 201);
}

#[tokio::test]
async fn sending_the_same_client_id_twice_stores_one_message() {
    let app = spawn_app().await;
    let (browser, session) = chat(&app).await;
    let body = json!({ "client_id": "c_retry_0001", "content": "Hello" });
    let first = app.send_with(&browser, &session, body.clone()).await;
    let first = first.assert_status(201)["message"].clone();
    let retry = app.send_with(&browser, &session, body).await;
    assert_eq!(retry.assert_status(200)["message"], first);
    assert_eq!(app.contents(&browser, &session).await, ["Hello"]);

    // The id is per session: another chat may use the same one.
    let other = app.start_session(&browser).await;
    app.send_with(
        &browser,
        &other,
        json!({ "client_id": "c_retry_0001", "content": "Hello" }),
    )
    .await
    .assert_status(201);
    assert_eq!(message_count(&app).await, 2);
}

#[tokio::test]
async fn concurrent_retries_store_one_message() {
    let app = spawn_app().await;
    let (browser, session) = chat(&app).await;
    let body = json!({ "client_id": "c_race_00001", "content": "Hello" });
    let send = || app.send_with(&browser, &session, body.clone());
    // Polled together: the five requests are in flight at once.
    let (a, b, c, d, e) = tokio::join!(send(), send(), send(), send(), send());
    let replies = [a, b, c, d, e];
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 201]);
    assert!(replies
        .iter()
        .all(|r| r.body["message"]["id"] == replies[0].body["message"]["id"]));
    assert_eq!(message_count(&app).await, 1);
}

#[tokio::test]
async fn content_over_4000_characters_is_413_and_not_stored() {
    let app = spawn_app().await;
    let (browser, session) = chat(&app).await;
    let message = app
        .send(&browser, &session, &"é".repeat(4001))
        .await
        .assert_error(413, "message_too_large")
        .to_owned();
    assert!(message.contains("4000"), "{message}");
    assert_eq!(message_count(&app).await, 0);
    app.send(&browser, &session, &"é".repeat(4000))
        .await
        .assert_status(201);
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_with_our_error_body() {
    let app = spawn_app().await;
    let (browser, session) = chat(&app).await;
    let huge = json!({ "client_id": "c_huge_00001", "content": "a".repeat(70 * 1024) });
    app.send_with(&browser, &session, huge.clone())
        .await
        .assert_error(413, "body_too_large");

    // Without a Content-Length (chunked), the limit is hit while the handler reads: same answer.
    let payload = huge.to_string();
    let request = format!(
        "POST /widget/v1/sessions/{session}/messages HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         X-Frontdesk-Widget-Token: {}\r\nX-Frontdesk-Device: {}\r\n\r\n{:x}\r\n{payload}\r\n0\r\n\r\n",
        app.org.widget_token,
        browser.device.as_deref().unwrap(),
        payload.len(),
    );
    let response = raw_http(&app, &request).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains(r#""code":"body_too_large""#),
        "{response}"
    );
    assert_eq!(message_count(&app).await, 0);
}

/// Sends `request` as is over a new connection and returns everything the server answers.
async fn raw_http(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer before reading everything; a failed write then is expected, the answer is what counts.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn invalid_messages_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (browser, session) = chat(&app).await;
    let cases = [
        (json!({ "client_id": "c_000000001" }), "content: required"),
        (json!({ "content": " \n " }), "content: must not be empty"),
        (
            json!({ "content": "hi", "client_id": "short" }),
            "client_id: shorter than 8 characters",
        ),
        (
            json!({ "content": "hi", "client_id": "has spaces in it" }),
            "client_id: may only contain",
        ),
        (json!({ "content": 5 }), "content: invalid type"),
        (
            json!({ "content": "hi", "author": "agent" }),
            "unknown field: author",
        ),
    ];
    for (body, expected) in cases {
        let reply = app.send_with(&browser, &session, body.clone()).await;
        let message = reply.assert_error(422, "invalid_body");
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    assert_eq!(message_count(&app).await, 0);
}

#[tokio::test]
async fn visitor_fields_are_validated_and_nothing_is_stored_when_they_are_wrong() {
    let app = spawn_app().await;
    let browser = app.device();
    let cases = [
        (
            json!({ "visitor": { "email": "john" } }),
            "visitor.email: not an email address",
        ),
        (
            json!({ "visitor": { "avatar_url": "javascript:alert(1)" } }),
            "visitor.avatar_url: not an http:// or https:// URL",
        ),
        (
            json!({ "visitor": { "avatar_url": "ftp://example.com/a.png" } }),
            "visitor.avatar_url: not an http:// or https:// URL",
        ),
        (
            json!({ "visitor": { "custom_data": "pro" } }),
            "visitor.custom_data: must be a JSON object",
        ),
        (
            json!({ "visitor": { "name": "x".repeat(201) } }),
            "visitor.name: longer than 200 characters",
        ),
        (
            json!({ "visitor": { "customData": {} } }),
            "unknown field: visitor.customData",
        ),
        (json!({ "user": {} }), "unknown field: user"),
    ];
    for (body, expected) in cases {
        let reply = app.start_session_with(&browser, body.clone()).await;
        let message = reply.assert_error(422, "invalid_body");
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    assert!(app.session_ids(&browser).await.is_empty());
}

#[tokio::test]
async fn more_than_30_messages_in_10_seconds_is_429_and_not_stored() {
    let app = spawn_app().await;
    let browser = app.device();
    // The session itself costs one token of the 30.
    let session = app.start_session(&browser).await;
    let mut accepted = 0;
    let limited = loop {
        let reply = app
            .send_with(
                &browser,
                &session,
                json!({ "client_id": format!("c_rate_{accepted:04}"), "content": "spam" }),
            )
            .await;
        if reply.status == 429 {
            break reply;
        }
        reply.assert_status(201);
        accepted += 1;
        assert!(accepted <= 60, "no limit after {accepted} messages");
    };
    assert!(accepted >= 29, "limited too early, after {accepted}");
    limited.assert_error(429, "rate_limited");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    assert_eq!(message_count(&app).await, accepted);

    // A retry of a stored message is still answered (it stores nothing), and other visitors are unaffected.
    let retry = app
        .send_with(
            &browser,
            &session,
            json!({ "client_id": "c_rate_0000", "content": "spam" }),
        )
        .await;
    retry.assert_status(200);
    let (other, other_session) = chat(&app).await;
    app.send(&other, &other_session, "hello")
        .await
        .assert_status(201);
}

#[tokio::test]
async fn a_retried_start_with_the_same_client_id_returns_the_same_session() {
    let app = spawn_app().await;
    let browser = app.device();
    let body = json!({ "client_id": "c_first_message_1", "visitor": { "name": "Ann" } });
    let first = app.start_session_with(&browser, body.clone()).await;
    let id = first.assert_status(201)["session"]["id"].clone();
    let retry = app.start_session_with(&browser, body).await;
    assert_eq!(retry.assert_status(200)["session"]["id"], id);
    assert_eq!(app.session_ids(&browser).await.len(), 1);

    // The same client id from anyone else does not reveal that session: it starts the stranger's own chat.
    let stranger = app.device();
    let reply = app
        .start_session_with(&stranger, json!({ "client_id": "c_first_message_1" }))
        .await;
    assert_ne!(reply.assert_status(201)["session"]["id"], id);
    assert_eq!(app.session_ids(&stranger).await.len(), 1);

    // The same identity reusing it in another scope is told it is taken (its own chat, nothing to hide).
    let reply = app
        .start_session_with(
            &browser.clone().in_scope("ws_2"),
            json!({ "client_id": "c_first_message_1" }),
        )
        .await;
    let message = reply.assert_error(422, "invalid_body");
    assert!(message.starts_with("client_id: already used"), "{message}");

    // Without a client id every start is a new chat, as before.
    app.start_session(&browser).await;
    assert_eq!(app.session_ids(&browser).await.len(), 2);
}

#[tokio::test]
async fn a_malformed_start_client_id_is_refused_by_name() {
    let app = spawn_app().await;
    let reply = app
        .start_session_with(&app.device(), json!({ "client_id": "no spaces allowed" }))
        .await;
    let message = reply.assert_error(422, "invalid_body");
    assert!(message.starts_with("client_id:"), "{message}");
}
