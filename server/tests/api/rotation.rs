//! Rotation without downtime (docs/operations.md "Rotating keys"): the signing key, the widget token and the secret
//! key each replaced with an overlap; the old one works during its grace, on every instance, and is refused once
//! retired, once its grace has ended, or at once with `--now`. Every rotation is in the audit log.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::{audit_actions, cli_json, cli_on};
use crate::helpers::{spawn_app, spawn_instance_beside, Identity, TestApp};

fn kid(token: &str) -> i64 {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["kid"].as_i64().unwrap()
}

#[track_caller]
fn cli_ok(app: &TestApp, args: &[&str]) -> String {
    let output = cli_on(app, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn refused_as_rotated(app: &TestApp, who: &Identity) {
    let message = app
        .sessions(who)
        .await
        .assert_error(401, "invalid_user_token")
        .to_owned();
    assert!(message.contains("rotated"), "{message}");
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn a_token_signed_before_a_signing_key_rotation_works_during_the_grace_and_is_refused_after_retirement(
) {
    let app = spawn_app().await;
    let other = spawn_instance_beside(&app).await;
    let before = app.token_for(json!({ "email": "ada@example.com" })).await;

    let said = cli_ok(&app, &["signing-key", "rotate"]);
    assert!(said.contains("24 h"), "{said}");
    let after = app.token_for(json!({ "email": "ada@example.com" })).await;
    assert!(kid(&after) > kid(&before));
    for instance in [&app, &other] {
        instance
            .sessions(&instance.user(&before))
            .await
            .assert_status(200);
        instance
            .sessions(&instance.user(&after))
            .await
            .assert_status(200);
    }
    let keys = cli_json(&app, &["signing-key", "list", "--json"]);
    let keys = keys["signing_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0]["id"].as_i64(), &keys[0]["current"]),
        (Some(kid(&after)), &json!(true))
    );
    assert_eq!(
        (keys[1]["id"].as_i64(), &keys[1]["current"]),
        (Some(kid(&before)), &json!(false))
    );
    assert!(!keys[0].to_string().contains("secret"));

    cli_ok(&app, &["signing-key", "retire"]);
    for instance in [&app, &other] {
        refused_as_rotated(instance, &instance.user(&before)).await;
        instance
            .sessions(&instance.user(&after))
            .await
            .assert_status(200);
    }

    let audit = cli_json(&app, &["audit", "list", "--json"]);
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries[0]["action"], "signing_key.retired");
    assert_eq!(entries[0]["detail"]["key_ids"], json!([kid(&before)]));
    assert_eq!(entries[1]["action"], "signing_key.rotated");
    assert_eq!(entries[1]["org_id"], Value::Null);
    assert_eq!(entries[1]["detail"]["grace_secs"], 86_400);
    // An org's own list shows the installation's changes too: its tokens depend on them.
    let actions = audit_actions(&app, &app.org.secret_key).await;
    assert_eq!(actions[0].0, "signing_key.retired");
}

#[tokio::test]
async fn a_token_of_the_old_signing_key_is_refused_when_the_grace_ends_and_at_once_with_now() {
    let app = spawn_app().await;
    let before = app.token_for(json!({ "email": "ada@example.com" })).await;
    cli_ok(&app, &["signing-key", "rotate", "--grace-hours", "2"]);
    app.sessions(&app.user(&before)).await.assert_status(200);
    // Two hours later.
    sqlx::query("UPDATE signing_keys SET retires_at = $1 WHERE slot IS NULL")
        .bind(now() - 1)
        .execute(&app.db)
        .await
        .unwrap();
    refused_as_rotated(&app, &app.user(&before)).await;

    let second = app.token_for(json!({ "email": "ada@example.com" })).await;
    app.sessions(&app.user(&second)).await.assert_status(200);
    let said = cli_ok(&app, &["signing-key", "rotate", "--now"]);
    assert!(said.contains("now refused"), "{said}");
    refused_as_rotated(&app, &app.user(&second)).await;
    let keys = cli_json(&app, &["signing-key", "list", "--json"]);
    assert_eq!(keys["signing_keys"].as_array().unwrap().len(), 1);

    let both = cli_on(
        &app,
        &["signing-key", "rotate", "--now", "--grace-hours", "3"],
    );
    assert!(!both.status.success());
}

async fn rotate(app: &TestApp, what: &str, key: &str, body: Value) -> Value {
    let reply = app
        .admin(
            Method::POST,
            &format!("/api/admin/{what}/rotate"),
            Some(key),
            Some(body),
        )
        .await;
    reply.assert_status(200).clone()
}

async fn retire(app: &TestApp, what: &str, key: &str) -> bool {
    let reply = app
        .admin(
            Method::POST,
            &format!("/api/admin/{what}/retire"),
            Some(key),
            None,
        )
        .await;
    reply.assert_status(200)["retired"].as_bool().unwrap()
}

#[tokio::test]
async fn the_old_widget_token_maps_to_the_org_during_the_grace_and_is_refused_after() {
    let app = spawn_app().await;
    let other = spawn_instance_beside(&app).await;
    let key = app.org.secret_key.clone();
    let old = app.org.widget_token.clone();
    let visitor = app.device();
    let session = app.start_session(&visitor).await;

    let rotated = rotate(&app, "widget-token", &key, json!({})).await;
    let new = rotated["key"].as_str().unwrap().to_owned();
    assert!(new.starts_with("wt_") && new != old);
    assert_eq!(rotated["previous"]["id"], old.as_str());
    assert!(rotated["previous"]["retires_at"].is_string());
    let on_new_page = visitor.clone().with_widget_token(&new);
    for instance in [&app, &other] {
        // A page cached with the old token and one with the new: the same org, the same chats.
        assert_eq!(
            instance.session_ids(&visitor).await,
            std::slice::from_ref(&session)
        );
        assert_eq!(
            instance.session_ids(&on_new_page).await,
            std::slice::from_ref(&session)
        );
    }
    let org = crate::admin::admin_get(&app, "org").await;
    assert_eq!(
        org.assert_status(200)["org"]["previous_widget_token"]["id"],
        old.as_str()
    );

    assert!(retire(&app, "widget-token", &key).await);
    assert!(
        !retire(&app, "widget-token", &key).await,
        "nothing left to retire"
    );
    for instance in [&app, &other] {
        instance
            .sessions(&visitor)
            .await
            .assert_error(401, "invalid_widget_token");
        instance.sessions(&on_new_page).await.assert_status(200);
    }

    // A grace that ends.
    let third = rotate(&app, "widget-token", &key, json!({ "grace_hours": 1 })).await;
    let third = third["key"].as_str().unwrap().to_owned();
    app.sessions(&on_new_page).await.assert_status(200);
    sqlx::query("UPDATE orgs SET previous_widget_token_retires_at = $1 WHERE id = $2")
        .bind(now() - 1)
        .bind(app.org.id)
        .execute(&app.db)
        .await
        .unwrap();
    app.sessions(&on_new_page)
        .await
        .assert_error(401, "invalid_widget_token");

    // --now: the replaced token is refused at once.
    let on_third = visitor.clone().with_widget_token(&third);
    app.sessions(&on_third).await.assert_status(200);
    let fourth = rotate(&app, "widget-token", &key, json!({ "now": true })).await;
    assert_eq!(fourth["previous"], Value::Null);
    app.sessions(&on_third)
        .await
        .assert_error(401, "invalid_widget_token");

    for (body, named) in [
        (json!({ "grace_hours": 0 }), "grace_hours"),
        (json!({ "grace_hours": 100_000 }), "grace_hours"),
        (json!({ "now": true, "grace_hours": 2 }), "give only one"),
    ] {
        let reply = app
            .admin(
                Method::POST,
                "/api/admin/widget-token/rotate",
                Some(&key),
                Some(body),
            )
            .await;
        assert!(reply.assert_error(422, "invalid_body").contains(named));
    }
    let actions: Vec<String> = audit_actions(&app, &key)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "widget_token.rotated",
            "widget_token.rotated",
            "widget_token.retired",
            "widget_token.rotated"
        ]
    );
}

#[tokio::test]
async fn the_old_secret_key_works_during_the_grace_and_is_refused_once_retired() {
    let app = spawn_app().await;
    let old = app.org.secret_key.clone();
    let rotated = cli_json(
        &app,
        &[
            "org",
            "rotate-secret-key",
            "--org",
            &app.org.widget_token,
            "--json",
        ],
    );
    let new = rotated["key"].as_str().unwrap().to_owned();
    let new_id = rotated["id"].as_str().unwrap().to_owned();
    assert!(new.starts_with("sk_") && new != old);
    let old_id = rotated["previous"]["id"].as_str().unwrap().to_owned();
    assert_ne!(old_id, new_id);

    for key in [&old, &new] {
        app.authenticate_user_with(Some(key), None, json!({ "email": "ada@example.com" }))
            .await
            .assert_status(200);
        app.agent_sessions(key, None).await.assert_status(200);
    }
    let org = app
        .admin(Method::GET, "/api/admin/org", Some(&old), None)
        .await;
    let org = org.assert_status(200)["org"].clone();
    assert_eq!(org["secret_key_id"], new_id.as_str());
    assert_eq!(org["previous_secret_key"]["id"], old_id.as_str());

    // The audit log names each key by its id.
    app.admin(
        Method::PATCH,
        "/api/admin/org",
        Some(&old),
        Some(json!({ "name": "By old" })),
    )
    .await
    .assert_status(200);
    app.admin(
        Method::PATCH,
        "/api/admin/org",
        Some(&new),
        Some(json!({ "name": "By new" })),
    )
    .await
    .assert_status(200);
    let actions = audit_actions(&app, &new).await;
    assert_eq!(
        actions,
        [
            ("org.updated".to_owned(), format!("secret_key:{new_id}")),
            ("org.updated".to_owned(), format!("secret_key:{old_id}")),
            ("secret_key.rotated".to_owned(), "cli".to_owned()),
        ]
    );

    assert!(retire(&app, "secret-key", &new).await);
    app.admin(Method::GET, "/api/admin/org", Some(&old), None)
        .await
        .assert_error(401, "invalid_secret_key");
    app.authenticate_user_with(Some(&old), None, json!({ "email": "ada@example.com" }))
        .await
        .assert_error(401, "invalid_secret_key");
    app.agent_sessions(&old, None)
        .await
        .assert_error(401, "invalid_api_key");
    app.agent_sessions(&new, None).await.assert_status(200);

    // Over HTTP with --now: the key that called is refused from the next request on.
    let newest = rotate(&app, "secret-key", &new, json!({ "now": true })).await;
    let newest = newest["key"].as_str().unwrap().to_owned();
    app.admin(Method::GET, "/api/admin/org", Some(&new), None)
        .await
        .assert_error(401, "invalid_secret_key");
    let actions = audit_actions(&app, &newest).await;
    assert_eq!(actions[0].0, "secret_key.rotated");
    assert_eq!(actions[1].0, "secret_key.retired");
}

#[tokio::test]
async fn the_cli_rotates_and_retires_the_widget_token() {
    let app = spawn_app().await;
    let old = app.org.widget_token.clone();
    let visitor = app.device();
    let said = cli_ok(
        &app,
        &[
            "org",
            "rotate-widget-token",
            "--org",
            &old,
            "--grace-hours",
            "48",
        ],
    );
    assert!(said.starts_with("new widget token: wt_"), "{said}");
    app.sessions(&visitor).await.assert_status(200);
    // The old token still names the org for the CLI during its grace.
    let said = cli_ok(&app, &["org", "retire-widget-token", "--org", &old]);
    assert!(said.contains("retired"), "{said}");
    app.sessions(&visitor)
        .await
        .assert_error(401, "invalid_widget_token");
    let gone = cli_on(&app, &["org", "show", "--org", &old]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no org has the widget token"));
}
