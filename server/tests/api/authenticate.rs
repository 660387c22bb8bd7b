//! POST /widget/authenticate-user (docs/api.md "Server-to-server").

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn contact_count(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    n
}

/// The contact's fields, as the agent API shows them on a verified session.
async fn contact_as_agents_see_it(app: &TestApp, token: &str) -> Value {
    let session = app.start_session(&app.user(token)).await;
    app.agent_session(&session).await["contact"].clone()
}

#[tokio::test]
async fn answers_200_with_a_token_that_expires_in_24_hours() {
    let app = spawn_app().await;
    let body = json!({
        "email": "john@doe.com", "name": "John Doe", "avatar_url": "https://example.com/avatar.png",
        "phone": "+1234567890", "language": "en", "custom_data": { "org_id": "org_185938572649", "vip": true }
    });
    let reply = app.authenticate_user(body).await;
    let body = reply.assert_status(200);
    assert!(body["token"].as_str().unwrap().starts_with("fdu1."));
    let expires_at = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ttl = expires_at - time::OffsetDateTime::now_utc();
    assert!(
        ttl > time::Duration::hours(24) - time::Duration::minutes(1)
            && ttl <= time::Duration::hours(24),
        "{ttl}"
    );
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn the_same_email_is_the_same_contact_and_the_latest_call_updates_it() {
    let app = spawn_app().await;
    let first = app
        .token_for(
            json!({ "email": "John@Doe.com", "name": "John", "custom_data": { "plan": "free" } }),
        )
        .await;
    let session = app.start_session(&app.user(&first)).await;

    // OpenCX's other spelling; omitted fields (name) are kept, given ones replace.
    let second = app
        .token_for(
            json!({ "email": "john@DOE.com ", "customData": { "plan": "pro", "vip": true } }),
        )
        .await;
    assert_eq!(contact_count(&app).await, 1);
    assert_eq!(
        app.session_ids(&app.user(&second)).await,
        vec![session.clone()]
    );
    let contact = app.agent_session(&session).await["contact"].clone();
    assert_eq!(
        contact,
        json!({ "email": "john@doe.com", "name": "John", "custom_data": { "plan": "pro", "vip": true }, "non_verified_custom_data": null })
    );

    app.token_for(json!({ "email": "john@doe.com", "name": "John Doe" }))
        .await;
    let contact = app.agent_session(&session).await["contact"].clone();
    assert_eq!(
        (contact["name"].as_str(), &contact["custom_data"]["plan"]),
        (Some("John Doe"), &json!("pro"))
    );
}

#[tokio::test]
async fn a_request_with_an_origin_header_is_refused() {
    let app = spawn_app().await;
    let reply = app
        .authenticate_user_with(
            Some(&app.org.secret_key),
            Some("https://shop.example"),
            json!({ "email": "john@doe.com" }),
        )
        .await;
    reply.assert_error(403, "origin_forbidden");
    assert_eq!(contact_count(&app).await, 0);
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401() {
    let app = spawn_app().await;
    let other = app.create_org(&[]).await;
    let body = json!({ "email": "john@doe.com" });
    let agent_key = frontdesk_server::orgs::create_agent(
        &app.db,
        &app.org.widget_token,
        &frontdesk_server::domain::Label::parse("Ada", 200).unwrap(),
        None,
    )
    .await
    .unwrap();
    let wrong_key = format!("sk_{}", "0".repeat(48));
    for key in [
        None,
        Some(wrong_key.as_str()),
        Some(app.org.widget_token.as_str()),
        Some(agent_key.as_str()),
        Some(""),
    ] {
        let message = app
            .authenticate_user_with(key, None, body.clone())
            .await
            .assert_error(401, "invalid_secret_key")
            .to_owned();
        assert!(message.contains("secret key"), "{message}");
    }
    // Another org's key is a valid key, for that org: the contact is created there, not here.
    app.authenticate_user_with(Some(&other.secret_key), None, body)
        .await
        .assert_status(200);
    let (here,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contacts WHERE org_id = $1")
        .bind(app.org.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(here, 0);
}

#[tokio::test]
async fn invalid_bodies_are_422_naming_the_field_and_store_nothing() {
    let app = spawn_app().await;
    let cases = [
        (json!({}), "email: required"),
        (json!({ "email": "" }), "email: required"),
        (json!({ "email": "john" }), "email: not an email address"),
        (json!({ "email": 42 }), "email: invalid type"),
        (
            json!({ "email": "john@doe.com", "custom_data": {}, "customData": {} }),
            "custom_data and customData: give only one",
        ),
        (
            json!({ "email": "john@doe.com", "custom_data": "vip" }),
            "custom_data: must be a JSON object",
        ),
        (
            json!({ "email": "john@doe.com", "customData": [1] }),
            "customData: must be a JSON object",
        ),
        (
            json!({ "email": "john@doe.com", "emial": "x", "nmae": "y" }),
            "unknown fields: emial, nmae",
        ),
        (
            json!({ "email": "john@doe.com", "avatar_url": "javascript:alert(1)" }),
            "avatar_url: not an http:// or https:// URL",
        ),
        (
            json!({ "email": "john@doe.com", "name": "x".repeat(201) }),
            "name: longer than 200 characters",
        ),
        (
            json!({ "email": "john@doe.com", "phone": "1".repeat(33) }),
            "phone: longer than 32 characters",
        ),
        (
            json!([{ "email": "john@doe.com" }]),
            "body: must be a JSON object",
        ),
    ];
    for (body, expected) in cases {
        let reply = app.authenticate_user(body.clone()).await;
        let message = reply.assert_error(422, "invalid_body");
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    assert_eq!(contact_count(&app).await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_our_error_body() {
    let app = spawn_app().await;
    let post = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/widget/authenticate-user"))
            .bearer_auth(&app.org.secret_key)
            .header("Content-Type", content_type)
            .body(body)
    };
    let reply = post("application/json", "{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 422);
    let body: Value = reply.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("body: not valid JSON"),
        "{body}"
    );

    let reply = post("text/plain", "email=john@doe.com")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 415);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");

    let reply = post(
        "application/json; charset=utf-8",
        "{\"email\": \"john@doe.com\"}",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn custom_data_is_stored_as_trusted() {
    let app = spawn_app().await;
    let token = app
        .token_for(
            json!({ "email": "john@doe.com", "custom_data": { "org_id": "org_1", "vip": true } }),
        )
        .await;
    let contact = contact_as_agents_see_it(&app, &token).await;
    assert_eq!(
        contact["custom_data"],
        json!({ "org_id": "org_1", "vip": true })
    );
    assert_eq!(contact["non_verified_custom_data"], Value::Null);
}
