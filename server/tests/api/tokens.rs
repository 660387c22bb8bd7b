//! The identity layer of the widget API: widget token, Origin rule, user tokens, device ids, scope.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use frontdesk_server::auth::{self, UserClaims};
use frontdesk_server::startup::Config;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Identity, TestApp};

/// The claims inside a token (the payload is not secret, only signed).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A user identity whose token is `token`, and whether the API lets it in.
async fn try_token(app: &TestApp, token: &str) -> crate::helpers::Reply {
    app.sessions(&app.user(token)).await
}

#[tokio::test]
async fn a_token_from_authenticate_user_is_accepted() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    assert!(token.starts_with("fdu1."));
    assert_eq!(claims(&token)["org"], app.org.id);
    try_token(&app, &token).await.assert_status(200);
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    let jane = app.token_for(json!({ "email": "jane@doe.com" })).await;
    // John's signature on a payload naming Jane (a valid payload, just not the one signed).
    let forged = format!(
        "fdu1.{}.{}",
        jane.split('.').nth(1).unwrap(),
        token.split('.').nth(2).unwrap()
    );
    let message = try_token(&app, &forged)
        .await
        .assert_error(401, "invalid_user_token")
        .to_owned();
    assert!(message.contains("signature"), "{message}");

    let mut c = claims(&token);
    c["exp"] = json!(c["exp"].as_i64().unwrap() + 365 * 86_400);
    let extended = format!(
        "fdu1.{}.{}",
        URL_SAFE_NO_PAD.encode(c.to_string()),
        token.split('.').nth(2).unwrap()
    );
    try_token(&app, &extended)
        .await
        .assert_error(401, "invalid_user_token");
}

#[tokio::test]
async fn a_tampered_signature_is_refused() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[0] ^= 1;
    try_token(
        &app,
        &format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&bytes)),
    )
    .await
    .assert_error(401, "invalid_user_token");
    try_token(&app, &format!("{signed}."))
        .await
        .assert_error(401, "invalid_user_token");
}

#[tokio::test]
async fn an_expired_token_is_refused_as_expired() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    let c = claims(&token);
    let key = auth::current_signing_key(&app.db).await.unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let past = UserClaims {
        org: app.org.id,
        sub: c["sub"].as_i64().unwrap(),
        exp: now - 1,
        kid: 0,
    };
    let expired = auth::sign_user_token(&key, &past);
    try_token(&app, &expired)
        .await
        .assert_error(401, "user_token_expired");
}

#[tokio::test]
async fn a_token_expires_after_the_configured_ttl() {
    let app = spawn_app_with(Config {
        token_ttl: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let reply = app
        .authenticate_user(json!({ "email": "john@doe.com" }))
        .await;
    let token = reply.assert_status(200)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let expires_at = time::OffsetDateTime::parse(
        reply.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires_at - time::OffsetDateTime::now_utc() <= time::Duration::seconds(1));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    try_token(&app, &token)
        .await
        .assert_error(401, "user_token_expired");
}

#[tokio::test]
async fn another_orgs_token_is_refused() {
    let app = spawn_app().await;
    let other = app.create_org(&[]).await;
    let reply = app
        .authenticate_user_with(
            Some(&other.secret_key),
            None,
            json!({ "email": "john@doe.com" }),
        )
        .await;
    let token = reply.assert_status(200)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = try_token(&app, &token)
        .await
        .assert_error(401, "invalid_user_token")
        .to_owned();
    assert!(message.contains("another site"), "{message}");
    let mut there = app.user(&token);
    there.widget_token = Some(other.widget_token);
    app.sessions(&there).await.assert_status(200);
}

#[tokio::test]
async fn tokens_signed_before_a_rotation_are_refused_and_new_ones_work() {
    let app = spawn_app().await;
    let before = app.token_for(json!({ "email": "john@doe.com" })).await;
    try_token(&app, &before).await.assert_status(200);

    auth::rotate_signing_key(&app.db, None).await.unwrap();
    let message = try_token(&app, &before)
        .await
        .assert_error(401, "invalid_user_token")
        .to_owned();
    assert!(message.contains("rotated"), "{message}");
    let after = app.token_for(json!({ "email": "john@doe.com" })).await;
    assert_ne!(claims(&after)["kid"], claims(&before)["kid"]);
    try_token(&app, &after).await.assert_status(200);
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let app = spawn_app().await;
    for bad in [
        "garbage",
        "fdu1",
        "fdu1.x.y",
        "fdu1..",
        "fdu2.eyJ9.x",
        "fdu1.eyJvcmciOjF9.AAAA",
        "a.b.c.d",
        "Bearer",
    ] {
        try_token(&app, bad)
            .await
            .assert_error(401, "invalid_user_token");
    }
    // Not a bearer credential at all.
    let reply = app
        .client
        .get(app.url("/widget/v1/sessions"))
        .header("X-Frontdesk-Widget-Token", &app.org.widget_token)
        .header("Authorization", "Basic am9objpkb2U=")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_user_token");
}

#[tokio::test]
async fn the_widget_token_is_required_and_must_exist() {
    let app = spawn_app().await;
    let mut browser = app.device();
    browser.widget_token = None;
    app.sessions(&browser)
        .await
        .assert_error(401, "invalid_widget_token");
    browser.widget_token = Some("wt_00000000000000000000000000000000".into());
    app.sessions(&browser)
        .await
        .assert_error(401, "invalid_widget_token");
    browser.widget_token = Some(app.org.secret_key.clone());
    app.sessions(&browser)
        .await
        .assert_error(401, "invalid_widget_token");
}

#[tokio::test]
async fn exactly_one_identity_header_is_required() {
    let app = spawn_app().await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    let mut both = app.user(&token);
    both.device = app.device().device;
    app.sessions(&both)
        .await
        .assert_error(400, "ambiguous_identity");

    let mut neither = app.device();
    neither.device = None;
    app.sessions(&neither)
        .await
        .assert_error(401, "missing_identity");
}

#[tokio::test]
async fn device_ids_and_external_ids_are_checked() {
    let app = spawn_app().await;
    for bad in [
        "short",
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcdeX",
        "",
    ] {
        let mut browser = app.device();
        browser.device = Some(bad.into());
        let message = app
            .sessions(&browser)
            .await
            .assert_error(400, "invalid_device_id")
            .to_owned();
        assert!(message.starts_with("X-Frontdesk-Device:"), "{message}");
    }
    for bad in ["", "has space", "slash/y", &"x".repeat(129)] {
        let message = app
            .sessions(&app.device().in_scope(bad))
            .await
            .assert_error(422, "invalid_external_id")
            .to_owned();
        assert!(message.starts_with("X-Frontdesk-External-Id:"), "{message}");
    }
}

#[tokio::test]
async fn the_origin_rule_applies_to_the_widget_token() {
    let app = spawn_app().await;
    let shop = app
        .create_org(&["https://shop.example", "http://localhost:3000"])
        .await;
    let browser = app.device_of(&shop);

    app.sessions(&browser.clone().with_origin("https://shop.example"))
        .await
        .assert_status(200);
    app.sessions(&browser.clone().with_origin("http://localhost:3000"))
        .await
        .assert_status(200);
    // No Origin (a non-browser client, or a same-origin GET): not refused, the rule is not authentication.
    app.sessions(&browser).await.assert_status(200);
    for evil in [
        "https://evil.example",
        "http://shop.example",
        "https://shop.example:8443",
        "null",
    ] {
        let message = app
            .sessions(&browser.clone().with_origin(evil))
            .await
            .assert_error(403, "origin_not_allowed")
            .to_owned();
        assert!(message.contains(evil), "{message}");
    }
    let refused = app
        .start_session_with(
            &browser.clone().with_origin("https://evil.example"),
            json!({}),
        )
        .await;
    refused.assert_error(403, "origin_not_allowed");
    assert!(app.session_ids(&browser).await.is_empty(), "nothing stored");

    // An org without allowed origins takes any.
    let anywhere: Identity = app.device().with_origin("https://evil.example");
    app.sessions(&anywhere).await.assert_status(200);
}
