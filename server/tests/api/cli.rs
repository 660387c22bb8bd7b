//! The built binary (docs/api.md "Server CLI"): keys printed by `org create` / `agent create` work against a served instance.

use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::helpers::{spawn_app_on, TestDatabase, TestOrg};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-server");

fn run(args: &[&str], database: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("FRONTDESK_DATABASE", database)
        .env("RUST_LOG", "warn")
        .output()
        .expect("binary runs")
}

#[track_caller]
fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

#[tokio::test]
async fn keys_printed_by_the_cli_work_against_the_server() {
    let test_database = TestDatabase::fresh().await;
    let database = test_database.url.clone();

    // --database given explicitly here (the env var is set to somewhere else to prove the flag wins).
    let org = Command::new(BIN)
        .args([
            "org",
            "create",
            "--name",
            "Acme",
            "--allowed-origin",
            "https://shop.example/",
            "--json",
            "--database",
            &database,
        ])
        .env("FRONTDESK_DATABASE", "sqlite:///nonexistent-dir/never.db")
        .output()
        .unwrap();
    let org = stdout_json(&org);
    let widget_token = org["widget_token"].as_str().unwrap().to_owned();
    let secret_key = org["secret_key"].as_str().unwrap().to_owned();
    assert!(
        widget_token.starts_with("wt_") && widget_token.len() == 35,
        "{widget_token}"
    );
    assert!(
        secret_key.starts_with("sk_") && secret_key.len() == 51,
        "{secret_key}"
    );
    assert_eq!(org.as_object().unwrap().len(), 2);

    let agent = stdout_json(&run(
        &[
            "agent",
            "create",
            "--org",
            &widget_token,
            "--name",
            "Ada",
            "--json",
        ],
        &database,
    ));
    let agent_key = agent["agent_key"].as_str().unwrap().to_owned();
    assert!(agent_key.starts_with("ak_"));

    let app = spawn_app_on(
        test_database,
        TestOrg {
            id: 1,
            widget_token,
            secret_key,
        },
    )
    .await;
    let token = app.token_for(json!({ "email": "john@doe.com" })).await;
    let browser = app.user(&token).with_origin("https://shop.example");
    let session = app.start_session(&browser).await;
    app.sessions(&app.user(&token).with_origin("https://evil.example"))
        .await
        .assert_error(403, "origin_not_allowed");

    let reply = app
        .agent_reply(&agent_key, &session, "Hello from Ada")
        .await;
    assert_eq!(reply.assert_status(201)["message"]["author_name"], "Ada");
    assert_eq!(app.contents(&browser, &session).await, ["Hello from Ada"]);

    // `signing-key rotate` from the CLI takes effect on the running server at once.
    let rotated = run(&["signing-key", "rotate", "--now"], &database);
    assert!(rotated.status.success());
    app.sessions(&browser)
        .await
        .assert_error(401, "invalid_user_token");
}

#[test]
fn org_create_prints_human_lines_without_json() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("cli.db").display());
    let output = run(&["org", "create", "--name", "Acme"], &database);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("widget token: wt_"), "{stdout}");
    assert!(lines[1].starts_with("secret key: sk_"), "{stdout}");
    assert!(
        dir.path().join("cli.db").exists(),
        "the database is created if missing"
    );
}

#[test]
fn cli_mistakes_fail_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("cli.db").display());

    let output = run(
        &["agent", "create", "--org", "wt_unknown", "--name", "Ada"],
        &database,
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no org has the widget token"));

    let output = run(
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--allowed-origin",
            "shop.example",
        ],
        &database,
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allowed-origin"));

    let output = run(
        &["org", "create", "--name", "Acme"],
        "mysql://localhost/frontdesk",
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected a sqlite:// URL"));
}

#[tokio::test]
async fn org_update_changes_the_attachment_rules_and_names_a_type_it_cannot_check() {
    let test_database = TestDatabase::fresh().await;
    let database = test_database.url.clone();
    let org = stdout_json(&run(
        &["org", "create", "--name", "Files", "--json"],
        &database,
    ));
    let token = org["widget_token"].as_str().unwrap();
    let updated = stdout_json(&run(
        &[
            "org",
            "update",
            "--org",
            token,
            "--max-attachment-mib",
            "2",
            "--max-attachments-per-message",
            "3",
            "--attachment-types",
            "image/png,application/pdf",
            "--json",
        ],
        &database,
    ));
    assert_eq!(
        updated["attachments"],
        json!({ "max_bytes": 2 * 1024 * 1024, "max_per_message": 3,
                "types": ["image/png", "application/pdf"] })
    );
    let refused = run(
        &[
            "org",
            "update",
            "--org",
            token,
            "--attachment-types",
            "image/png,application/zip",
        ],
        &database,
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("application/zip"), "{stderr}");
    let too_big = run(
        &[
            "org",
            "update",
            "--org",
            token,
            "--max-attachment-mib",
            "51",
        ],
        &database,
    );
    assert!(!too_big.status.success());
    let unknown = run(
        &[
            "org",
            "update",
            "--org",
            "wt_nope",
            "--max-attachment-mib",
            "1",
        ],
        &database,
    );
    assert!(!unknown.status.success());
}
