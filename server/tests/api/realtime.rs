//! Long-polls: a held request answers as soon as a message it may see is stored.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_waiting_widget_receives_an_agent_reply_posted_afterwards() {
    let app = spawn_app().await;
    let browser = app.device();
    let session = app.start_session(&browser).await;
    let sent = app.send(&browser, &session, "anyone there?").await;
    let cursor = sent.assert_status(201)["message"]["id"].as_i64().unwrap();

    let started = Instant::now();
    let poll = app.updates(&browser, cursor, 20);
    let reply = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.agent_reply(&app.org.secret_key, &session, "Yes, hello!")
            .await
    };
    let (polled, replied) = tokio::join!(poll, reply);
    let reply_id = replied.assert_status(201)["message"]["id"]
        .as_i64()
        .unwrap();

    let body = polled.assert_status(200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered on the reply, not at the timeout"
    );
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["content"], "Yes, hello!");
    assert_eq!(body["messages"][0]["author"], "agent");
    assert_eq!(body["messages"][0]["session_id"], session.as_str());
    assert_eq!(body["cursor"], reply_id);
}

#[tokio::test]
async fn the_agent_console_long_poll_sees_a_visitor_message() {
    let app = spawn_app().await;
    let browser = app.verified("john@doe.com").await;
    let session = app.start_session(&browser).await;

    let poll = app.agent_updates(&app.org.secret_key, 0, 20);
    let send = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.send(&browser, &session, "I need help").await
    };
    let (polled, sent) = tokio::join!(poll, send);
    sent.assert_status(201);
    let body = polled.assert_status(200);
    assert_eq!(body["messages"][0]["content"], "I need help");
    assert_eq!(body["messages"][0]["session_id"], session.as_str());
}

#[tokio::test]
async fn a_verified_users_other_device_is_woken_too() {
    let app = spawn_app().await;
    let laptop = app.verified("john@doe.com").await;
    let phone = app.verified("john@doe.com").await;
    let session = app.start_session(&laptop).await;

    let poll = app.updates(&phone, 0, 20);
    let send = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.send(&laptop, &session, "from the laptop").await
    };
    let (polled, _) = tokio::join!(poll, send);
    assert_eq!(
        polled.assert_status(200)["messages"][0]["content"],
        "from the laptop"
    );
}

#[tokio::test]
async fn a_long_poll_answers_at_once_when_there_is_news_and_empty_after_wait_otherwise() {
    let app = spawn_app().await;
    let browser = app.device();
    let session = app.start_session(&browser).await;
    app.send(&browser, &session, "one").await.assert_status(201);
    app.send(&browser, &session, "two").await.assert_status(201);

    let started = Instant::now();
    let reply = app.updates(&browser, 0, 20).await;
    let body = reply.assert_status(200).clone();
    assert!(started.elapsed() < Duration::from_secs(2));
    let contents: Vec<_> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(contents, [json!("one"), json!("two")]);

    let started = Instant::now();
    let reply = app
        .updates(&browser, body["cursor"].as_i64().unwrap(), 1)
        .await;
    assert_eq!(reply.assert_status(200)["messages"], json!([]));
    assert_eq!(reply.body["cursor"], body["cursor"]);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[tokio::test]
async fn another_visitors_message_does_not_answer_a_long_poll() {
    let app = spawn_app().await;
    let mine = app.device();
    let theirs = app.device();
    app.start_session(&mine).await;
    let their_session = app.start_session(&theirs).await;

    let poll = app.updates(&mine, 0, 1);
    let send = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.send(&theirs, &their_session, "not for you").await
    };
    let (polled, _) = tokio::join!(poll, send);
    assert_eq!(polled.assert_status(200)["messages"], json!([]));
}

#[tokio::test]
async fn bad_long_poll_parameters_are_422() {
    let app = spawn_app().await;
    let browser = app.device();
    let url = app.url("/widget/v1/updates?after=abc");
    let request = app
        .client
        .get(url)
        .header("X-Frontdesk-Widget-Token", &app.org.widget_token)
        .header("X-Frontdesk-Device", browser.device.as_deref().unwrap());
    let reply = request.send().await.unwrap();
    assert_eq!(reply.status(), 422);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_query");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("after:"),
        "{body}"
    );
}

#[tokio::test]
async fn shutting_down_answers_held_long_polls_at_once() {
    let mut app = spawn_app().await;
    let browser = app.device();
    app.start_session(&browser).await;
    let poll = app
        .client
        .get(app.url("/widget/v1/updates?after=0&wait=30"))
        .header("X-Frontdesk-Widget-Token", &app.org.widget_token)
        .header("X-Frontdesk-Device", browser.device.as_deref().unwrap())
        .send();
    let poll = tokio::spawn(poll);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    app.shutdown().await;
    let polled = poll.await.unwrap().unwrap();
    assert_eq!(polled.status(), 200);
    assert_eq!(
        polled.json::<serde_json::Value>().await.unwrap()["messages"],
        json!([])
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown did not wait for the 30 s poll"
    );
}
