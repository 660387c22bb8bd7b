//! Managing an org (docs/api.md "Admin API", "Server CLI"): settings, agents and their revocation, the secret-key
//! check of `/api/admin/…`, other orgs' resources as 404, and the audit log of every change, over HTTP and the CLI.

use std::process::{Command, Output};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_instance_beside, Reply, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-server");

/// Runs the CLI on `app`'s database.
pub fn cli_on(app: &TestApp, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("FRONTDESK_DATABASE", &app.db_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("binary runs")
}

/// Runs the CLI and reads its stdout as JSON, failing with its stderr.
#[track_caller]
pub fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let output = cli_on(app, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

/// `GET /api/admin/{path}` with the app org's secret key.
pub async fn admin_get(app: &TestApp, path: &str) -> Reply {
    app.admin(
        Method::GET,
        &format!("/api/admin/{path}"),
        Some(&app.org.secret_key),
        None,
    )
    .await
}

/// The actions of the audit log's entries for the app's org, newest first, as the admin API lists them.
pub async fn audit_actions(app: &TestApp, key: &str) -> Vec<(String, String)> {
    let reply = app
        .admin(Method::GET, "/api/admin/audit", Some(key), None)
        .await;
    reply.assert_status(200)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn settings_change_through_the_admin_api_take_effect_and_are_audited() {
    let app = spawn_app().await;
    let shown = admin_get(&app, "org").await;
    let org = shown.assert_status(200)["org"].clone();
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["widget_token"], app.org.widget_token.as_str());
    assert_eq!(org["allowed_origins"], json!([]));
    assert_eq!(org["retention_days"], Value::Null);
    let key_id = org["secret_key_id"].as_str().unwrap().to_owned();
    assert_eq!(key_id.len(), 12);
    assert!(!shown.body.to_string().contains(&app.org.secret_key));

    let patched = app
        .admin(
            Method::PATCH,
            "/api/admin/org",
            Some(&app.org.secret_key),
            Some(json!({ "name": "Acme Shop", "allowed_origins": ["https://shop.example/", "https://www.shop.example"],
                         "retention_days": 30 })),
        )
        .await;
    let org = patched.assert_status(200)["org"].clone();
    assert_eq!(org["name"], "Acme Shop");
    assert_eq!(
        org["allowed_origins"],
        json!(["https://shop.example", "https://www.shop.example"])
    );
    assert_eq!(org["retention_days"], 30);

    // The new list is the rule at once.
    let visitor = app.device();
    app.sessions(&visitor.clone().with_origin("https://shop.example"))
        .await
        .assert_status(200);
    app.sessions(&visitor.with_origin("https://old.example"))
        .await
        .assert_error(403, "origin_not_allowed");

    let audit = app
        .admin(
            Method::GET,
            "/api/admin/audit",
            Some(&app.org.secret_key),
            None,
        )
        .await;
    let entry = &audit.assert_status(200)["entries"][0];
    assert_eq!(entry["action"], "org.updated");
    assert_eq!(entry["actor"], format!("secret_key:{key_id}"));
    assert_eq!(entry["org_id"], app.org.id);
    assert_eq!(entry["detail"]["name"], "Acme Shop");
    assert_eq!(entry["detail"]["retention_days"], 30);
    assert!(entry["at"].as_str().unwrap().ends_with('Z'));
    assert!(!audit.body.to_string().contains(&app.org.secret_key));
}

#[tokio::test]
async fn bad_settings_are_refused_by_name_and_nothing_is_stored() {
    let app = spawn_app().await;
    let key = Some(app.org.secret_key.as_str());
    for (body, named) in [
        (
            json!({ "name": "Acme 2", "allowed_origins": ["https://ok.example", "shop.example"] }),
            "allowed_origins[1]",
        ),
        (json!({ "retention_days": -1 }), "retention_days"),
        (json!({ "name": "" }), "name"),
        (json!({ "nmae": "x" }), "nmae"),
    ] {
        let reply = app
            .admin(Method::PATCH, "/api/admin/org", key, Some(body))
            .await;
        let message = reply.assert_error(422, "invalid_body");
        assert!(message.contains(named), "{message}");
    }
    let org = admin_get(&app, "org").await.assert_status(200)["org"].clone();
    assert_eq!(
        (org["name"].as_str(), org["allowed_origins"].clone()),
        (Some("Acme"), json!([]))
    );
    assert!(audit_actions(&app, &app.org.secret_key).await.is_empty());
}

#[tokio::test]
async fn a_wrong_or_missing_secret_key_is_401_and_a_browser_is_403() {
    let app = spawn_app().await;
    let agent = app
        .admin(
            Method::POST,
            "/api/admin/agents",
            Some(&app.org.secret_key),
            Some(json!({ "name": "Ada" })),
        )
        .await;
    let agent_key = agent.assert_status(201)["agent_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = format!("sk_{}", "0".repeat(48));
    for key in [
        None,
        Some(wrong.as_str()),
        Some(agent_key.as_str()),
        Some(app.org.widget_token.as_str()),
    ] {
        for path in ["/api/admin/org", "/api/admin/agents", "/api/admin/audit"] {
            let message = app
                .admin(Method::GET, path, key, None)
                .await
                .assert_error(401, "invalid_secret_key")
                .to_owned();
            assert!(message.contains("Bearer sk_"), "{message}");
        }
    }
    let from_browser = app
        .client
        .get(app.url("/api/admin/org"))
        .bearer_auth(&app.org.secret_key)
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(from_browser.status(), 403);
}

#[tokio::test]
async fn agents_are_created_listed_and_revoked_and_a_revoked_key_is_refused_at_once_on_every_instance(
) {
    let app = spawn_app().await;
    let other_instance = spawn_instance_beside(&app).await;
    let key = Some(app.org.secret_key.as_str());
    let made = app
        .admin(
            Method::POST,
            "/api/admin/agents",
            key,
            Some(json!({ "name": "Ada", "avatar_url": "https://cdn.example/ada.png" })),
        )
        .await;
    let made = made.assert_status(201).clone();
    let agent_key = made["agent_key"].as_str().unwrap().to_owned();
    let agent_id = made["agent"]["id"].as_i64().unwrap();
    assert_eq!(made["agent"]["revoked_at"], Value::Null);
    for instance in [&app, &other_instance] {
        instance
            .agent_sessions(&agent_key, None)
            .await
            .assert_status(200);
    }

    let listed = app.admin(Method::GET, "/api/admin/agents", key, None).await;
    let agents = listed.assert_status(200)["agents"].clone();
    assert_eq!(agents.as_array().unwrap().len(), 1);
    assert_eq!(agents[0]["name"], "Ada");
    assert_eq!(agents[0]["avatar_url"], "https://cdn.example/ada.png");
    assert!(!listed.body.to_string().contains(&agent_key));

    let revoked = app
        .admin(
            Method::POST,
            &format!("/api/admin/agents/{agent_id}/revoke"),
            key,
            None,
        )
        .await;
    assert!(revoked.assert_status(200)["agent"]["revoked_at"].is_string());
    for instance in [&app, &other_instance] {
        instance
            .agent_sessions(&agent_key, None)
            .await
            .assert_error(401, "invalid_api_key");
    }
    // Revoking again changes nothing and writes nothing.
    app.admin(
        Method::POST,
        &format!("/api/admin/agents/{agent_id}/revoke"),
        key,
        None,
    )
    .await
    .assert_status(200);
    let actions: Vec<String> = audit_actions(&app, &app.org.secret_key)
        .await
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert_eq!(actions, ["agent.revoked", "agent.created"]);

    let refused = app
        .admin(
            Method::POST,
            "/api/admin/agents",
            key,
            Some(json!({ "avatar_url": "ftp://x" })),
        )
        .await;
    assert!(refused.assert_error(422, "invalid_body").contains("name"));
}

#[tokio::test]
async fn a_long_poll_held_by_an_agent_when_it_is_revoked_gets_no_later_message() {
    let app = spawn_app().await;
    let key = Some(app.org.secret_key.as_str());
    let made = app
        .admin(
            Method::POST,
            "/api/admin/agents",
            key,
            Some(json!({ "name": "Ada" })),
        )
        .await;
    let made = made.assert_status(201).clone();
    let agent_key = made["agent_key"].as_str().unwrap().to_owned();
    let agent_id = made["agent"]["id"].as_i64().unwrap();
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let cursor = app.agent_updates(&agent_key, 0, 0).await.assert_status(200)["cursor"]
        .as_i64()
        .unwrap();
    let polling = app.agent_updates(&agent_key, cursor, 3);
    let revoking_then_writing = async {
        // Lets the poll reach its wait first; the order, not the time, is what is checked.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        app.admin(
            Method::POST,
            &format!("/api/admin/agents/{agent_id}/revoke"),
            key,
            None,
        )
        .await
        .assert_status(200);
        app.send(&visitor, &session, "after the revocation")
            .await
            .assert_status(201);
    };
    let (polled, ()) = tokio::join!(polling, revoking_then_writing);
    assert_eq!(polled.assert_status(200)["messages"], json!([]));
    app.agent_updates(&agent_key, cursor, 0)
        .await
        .assert_error(401, "invalid_api_key");
}

#[tokio::test]
async fn another_orgs_agents_contacts_and_sessions_are_404() {
    let app = spawn_app().await;
    let other = app.create_org(&[]).await;
    let theirs = app
        .admin(
            Method::POST,
            "/api/admin/agents",
            Some(&other.secret_key),
            Some(json!({ "name": "Bob" })),
        )
        .await;
    let their_agent = theirs.assert_status(201)["agent"]["id"].as_i64().unwrap();
    let their_visitor = app.device_of(&other);
    let their_session = app.start_session(&their_visitor).await;
    let key = Some(app.org.secret_key.as_str());

    app.admin(
        Method::POST,
        &format!("/api/admin/agents/{their_agent}/revoke"),
        key,
        None,
    )
    .await
    .assert_error(404, "agent_not_found");
    app.admin(Method::POST, "/api/admin/agents/x1/revoke", key, None)
        .await
        .assert_error(404, "agent_not_found");
    app.admin(
        Method::DELETE,
        &format!("/api/admin/sessions/{their_session}"),
        key,
        None,
    )
    .await
    .assert_error(404, "session_not_found");
    app.admin(
        Method::GET,
        &format!("/api/admin/sessions/{their_session}/export"),
        key,
        None,
    )
    .await
    .assert_error(404, "session_not_found");
    // A contact of theirs, by email and by id.
    let token = app
        .authenticate_user_with(
            Some(&other.secret_key),
            None,
            json!({ "email": "eve@example.com" }),
        )
        .await;
    token.assert_status(200);
    let contact_id: i64 =
        sqlx::query_scalar("SELECT id FROM contacts WHERE email = 'eve@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    for query in [
        "email=eve@example.com".to_owned(),
        format!("id={contact_id}"),
    ] {
        app.admin(
            Method::DELETE,
            &format!("/api/admin/contacts?{query}"),
            key,
            None,
        )
        .await
        .assert_error(404, "contact_not_found");
        app.admin(
            Method::GET,
            &format!("/api/admin/contacts/export?{query}"),
            key,
            None,
        )
        .await
        .assert_error(404, "contact_not_found");
    }
    // Theirs still stand.
    app.agent_sessions(&other.secret_key, None)
        .await
        .assert_status(200);
    assert_eq!(app.session_ids(&their_visitor).await, [their_session]);
}

#[tokio::test]
async fn the_cli_manages_orgs_and_agents_and_audit_list_prints_every_change() {
    let app = spawn_app().await;
    let made = cli_json(&app, &["org", "create", "--name", "Shop", "--json"]);
    let token = made["widget_token"].as_str().unwrap().to_owned();

    let listed = cli_json(&app, &["org", "list", "--json"]);
    let names: Vec<&str> = listed["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme", "Shop"]);
    assert!(!listed
        .to_string()
        .contains(made["secret_key"].as_str().unwrap()));

    let updated = cli_json(
        &app,
        &[
            "org",
            "update",
            "--org",
            &token,
            "--name",
            "Shop 2",
            "--allowed-origin",
            "https://a.example",
            "--allowed-origin",
            "https://b.example",
            "--retention-days",
            "30",
            "--json",
        ],
    );
    assert_eq!(updated["name"], "Shop 2");
    assert_eq!(
        updated["allowed_origins"],
        json!(["https://a.example", "https://b.example"])
    );
    assert_eq!(updated["retention_days"], 30);
    let shown = cli_json(&app, &["org", "show", "--org", &token, "--json"]);
    assert_eq!(shown, updated);
    let cleared = cli_json(
        &app,
        &[
            "org",
            "update",
            "--org",
            &token,
            "--any-origin",
            "--retention-days",
            "0",
            "--json",
        ],
    );
    assert_eq!(
        (
            cleared["allowed_origins"].clone(),
            cleared["retention_days"].clone()
        ),
        (json!([]), Value::Null)
    );

    let agent = cli_json(
        &app,
        &[
            "agent",
            "create",
            "--org",
            &token,
            "--name",
            "Ada",
            "--avatar-url",
            "https://cdn.example/a.png",
            "--json",
        ],
    );
    let agent_id = agent["agent"]["id"].as_i64().unwrap().to_string();
    assert!(agent["agent_key"].as_str().unwrap().starts_with("ak_"));
    let agents = cli_json(&app, &["agent", "list", "--org", &token, "--json"]);
    assert_eq!(agents["agents"][0]["name"], "Ada");
    let revoked = cli_on(&app, &["agent", "revoke", "--org", &token, &agent_id]);
    assert!(revoked.status.success());
    let agents = cli_json(&app, &["agent", "list", "--org", &token, "--json"]);
    assert!(agents["agents"][0]["revoked_at"].is_string());
    let missing = cli_on(&app, &["agent", "revoke", "--org", &token, "999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no agent 999"));

    let audit = cli_json(&app, &["audit", "list", "--org", &token, "--json"]);
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "agent.revoked",
            "agent.created",
            "org.updated",
            "org.updated",
            "org.created"
        ]
    );
    assert!(entries.iter().all(|e| e["actor"] == "cli"));
    assert_eq!(
        entries[2]["detail"],
        json!({ "allowed_origins": [], "retention_days": 0 })
    );
    assert_eq!(
        entries[3]["detail"],
        json!({ "name": "Shop 2", "allowed_origins": ["https://a.example", "https://b.example"], "retention_days": 30 })
    );
    let limited = cli_json(
        &app,
        &["audit", "list", "--org", &token, "--limit", "2", "--json"],
    );
    assert_eq!(limited["entries"].as_array().unwrap().len(), 2);
    let text = cli_on(&app, &["audit", "list", "--org", &token]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        text.lines().next().unwrap().contains("agent.revoked"),
        "{text}"
    );
}
