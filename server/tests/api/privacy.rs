//! Privacy (docs/operations.md "Deleting and exporting a visitor's data", "Retention"): deleting a contact or a
//! device leaves no row of it in any table (every table of the schema is searched), exporting gives a contact's
//! data and nobody else's, and the retention period deletes only resolved chats past it.

use frontdesk_protocol::wire::AttachmentEnvelope;
use frontdesk_server::db::Backend;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::{cli_json, cli_on};
use crate::helpers::{backend, spawn_app, spawn_instance_beside, Identity, TestApp};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Every column of every table of the schema (but sqlx's own), with whether it holds text.
async fn columns(app: &TestApp) -> Vec<(String, String, bool)> {
    let rows: Vec<(String, String, String)> = match backend() {
        Backend::Sqlite => sqlx::query_as(
            "SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&app.db)
        .await
        .unwrap(),
        Backend::Postgres => sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&app.db)
        .await
        .unwrap(),
    };
    assert!(rows.len() > 40, "the whole schema: {rows:?}");
    rows.into_iter()
        .map(|(table, column, kind)| {
            let text = kind.eq_ignore_ascii_case("text");
            (table, column, text)
        })
        .collect()
}

/// Where any of `needles` still appears: `table.column` of every text column holding one of them, and of every
/// `contact_id`-like column holding `contact_id`.
async fn traces(app: &TestApp, needles: &[&str], contact_id: Option<i64>) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column, text) in columns(app).await {
        if text {
            for needle in needles {
                let n: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%' || $1 || '%'"
                ))
                .bind(*needle)
                .fetch_one(&app.db)
                .await
                .unwrap();
                if n > 0 {
                    found.push(format!("{table}.{column} holds {needle:?}"));
                }
            }
        }
        let names_contact = column == "contact_id" || (table == "contacts" && column == "id");
        if let (Some(id), true) = (contact_id, names_contact) {
            let n: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
                    .bind(id)
                    .fetch_one(&app.db)
                    .await
                    .unwrap();
            if n > 0 {
                found.push(format!("{table}.{column} = {id}"));
            }
        }
    }
    found
}

/// A chat with everything a chat can own: messages both ways (one with a file), a resolution and a rating.
async fn full_chat(app: &TestApp, who: &Identity, marker: &str) -> String {
    let session = app
        .start_session_with(
            who,
            json!({ "visitor": { "custom_data": { "note": format!("{marker}-custom") } } }),
        )
        .await;
    let session = session.assert_status(201)["session"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = Form::new().part(
        "file",
        Part::bytes(PNG.to_vec())
            .file_name(format!("{marker}-shot.png"))
            .mime_str("image/png")
            .unwrap(),
    );
    let file = app
        .widget_multipart(
            who,
            &format!("/widget/v1/sessions/{session}/attachments"),
            form,
        )
        .await
        .decode::<AttachmentEnvelope>(201)
        .attachment
        .id;
    app.send_with(
        who,
        &session,
        json!({ "client_id": "c_file_1", "content": format!("{marker}-hello"), "attachment_ids": [file] }),
    )
    .await
    .assert_status(201);
    app.agent_reply(&app.org.secret_key, &session, &format!("{marker}-reply"))
        .await
        .assert_status(201);
    app.agent_post(
        &app.org.secret_key,
        &format!("/api/sessions/{session}/resolve"),
        json!({}),
    )
    .await
    .assert_status(200);
    app.widget_post(
        who,
        &format!("/widget/v1/sessions/{session}/rating"),
        json!({ "score": 4, "comment": format!("{marker}-comment") }),
    )
    .await
    .assert_status(201);
    session
}

async fn contact_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM contacts WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn deleting_a_contact_leaves_no_row_of_it_in_any_table_and_its_token_is_refused_everywhere() {
    let app = spawn_app().await;
    let other_instance = spawn_instance_beside(&app).await;
    // A webhook endpoint (never reached: no such host here), so every event of the contact is also queued as a
    // delivery whose payload holds its data: the deletion must take those too.
    app.admin(
        Method::POST,
        "/api/admin/webhooks",
        Some(&app.org.secret_key),
        Some(json!({ "url": "https://hooks.invalid/frontdesk",
                     "events": ["session.created", "message.created", "session.resolved", "csat.submitted", "contact.updated"] })),
    )
    .await
    .assert_status(201);
    let token = app
        .token_for(
            json!({ "email": "gone@example.com", "name": "Gone Person", "phone": "+1 555 0100",
                           "custom_data": { "plan": "gone-plan" } }),
        )
        .await;
    let gone = app.user(&token);
    let gone_id = contact_id(&app, "gone@example.com").await;
    let first = full_chat(&app, &gone, "gonemark").await;
    let second = full_chat(&app, &gone.clone().in_scope("ws_2"), "gonemark2").await;
    let kept = app.verified("kept@example.com").await;
    let kept_session = full_chat(&app, &kept, "keptmark").await;

    let reply = app
        .admin(
            Method::DELETE,
            "/api/admin/contacts?email=Gone@Example.com",
            Some(&app.org.secret_key),
            None,
        )
        .await;
    let deleted = reply.assert_status(200)["deleted"].clone();
    // Per chat: the text, the reply, and the events resolved and rated; one file; one rating.
    assert_eq!(
        deleted,
        json!({ "contact_id": gone_id, "sessions": 2, "messages": 8, "attachments": 2, "ratings": 2 })
    );

    let needles = [
        "gone@example.com",
        "Gone Person",
        "+1 555 0100",
        "gone-plan",
        "gonemark",
        first.as_str(),
        second.as_str(),
    ];
    assert_eq!(
        traces(&app, &needles, Some(gone_id)).await,
        Vec::<String>::new()
    );
    // The other contact is whole.
    let kept_id = contact_id(&app, "kept@example.com").await;
    let kept_traces = traces(&app, &["keptmark", &kept_session], Some(kept_id)).await;
    assert!(
        kept_traces
            .iter()
            .any(|t| t.starts_with("messages.content")),
        "{kept_traces:?}"
    );
    assert!(
        kept_traces.iter().any(|t| t.starts_with("ratings.comment")),
        "{kept_traces:?}"
    );
    assert!(
        kept_traces
            .iter()
            .any(|t| t.starts_with("attachments.name")),
        "{kept_traces:?}"
    );
    assert_eq!(app.session_ids(&kept).await, [kept_session]);

    // Nothing served from memory: the deleted user's token is refused on every instance, not an empty list.
    for instance in [&app, &other_instance] {
        let message = instance
            .sessions(&instance.user(&token))
            .await
            .assert_error(401, "invalid_user_token")
            .to_owned();
        assert!(message.contains("deleted"), "{message}");
        instance
            .agent_messages(&instance.org.secret_key, &first)
            .await
            .assert_error(404, "session_not_found");
    }
    // A new login makes a new, empty contact.
    let back = app.verified("gone@example.com").await;
    assert!(app.session_ids(&back).await.is_empty());

    // The audit entry has ids and counts, no personal data.
    let audit = app
        .admin(
            Method::GET,
            "/api/admin/audit",
            Some(&app.org.secret_key),
            None,
        )
        .await;
    let entry = &audit.assert_status(200)["entries"][0];
    assert_eq!(entry["action"], "contact.deleted");
    assert_eq!(entry["detail"], deleted);
    let again = app
        .admin(
            Method::DELETE,
            &format!("/api/admin/contacts?id={gone_id}"),
            Some(&app.org.secret_key),
            None,
        )
        .await;
    again.assert_error(404, "contact_not_found");
    app.admin(
        Method::DELETE,
        "/api/admin/contacts",
        Some(&app.org.secret_key),
        None,
    )
    .await
    .assert_error(422, "invalid_query");
}

#[tokio::test]
async fn deleting_a_device_by_one_chat_deletes_all_its_chats_and_nothing_else() {
    let app = spawn_app().await;
    let device = app.device();
    let first = full_chat(&app, &device, "devmark").await;
    let second = app.start_session(&device.clone().in_scope("ws_2")).await;
    app.send(&device.clone().in_scope("ws_2"), &second, "devmark-two")
        .await
        .assert_status(201);
    let neighbour = app.device();
    let kept = full_chat(&app, &neighbour, "neighbourmark").await;
    let user = app.verified("user@example.com").await;
    let users_chat = app.start_session(&user).await;

    let deleted = cli_json(
        &app,
        &[
            "session",
            "delete",
            "--org",
            &app.org.widget_token,
            &second,
            "--json",
        ],
    );
    assert_eq!(
        deleted["deleted"],
        json!({ "contact_id": null, "sessions": 2, "messages": 5, "attachments": 1, "ratings": 1 })
    );
    let device_id = device.device.clone().unwrap();
    assert_eq!(
        traces(&app, &["devmark", &first, &second, &device_id], None).await,
        Vec::<String>::new()
    );
    let hash = frontdesk_server::auth::hash_secret(&device_id);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE device_hash = $1")
        .bind(hash)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert!(app.session_ids(&device).await.is_empty());
    assert_eq!(
        app.session_ids(&neighbour).await,
        std::slice::from_ref(&kept)
    );

    // A verified user's chat is the contact's to delete.
    let refused = app
        .admin(
            Method::DELETE,
            &format!("/api/admin/sessions/{users_chat}"),
            Some(&app.org.secret_key),
            None,
        )
        .await;
    assert!(refused
        .assert_error(409, "session_of_contact")
        .contains("contact"));
    let unknown = cli_on(
        &app,
        &["session", "delete", "--org", &app.org.widget_token, &second],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no session"));

    // Over HTTP too, and by the CLI for a contact by id.
    let over_http = app
        .admin(
            Method::DELETE,
            &format!("/api/admin/sessions/{kept}"),
            Some(&app.org.secret_key),
            None,
        )
        .await;
    assert_eq!(over_http.assert_status(200)["deleted"]["sessions"], 1);
    let user_id = contact_id(&app, "user@example.com").await.to_string();
    let by_cli = cli_json(
        &app,
        &[
            "contact",
            "delete",
            "--org",
            &app.org.widget_token,
            "--id",
            &user_id,
            "--json",
        ],
    );
    assert_eq!(by_cli["deleted"]["sessions"], 1);
    let actions: Vec<String> = crate::admin::audit_actions(&app, &app.org.secret_key)
        .await
        .into_iter()
        .map(|(action, actor)| format!("{action} by {}", actor.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            "contact.deleted by cli",
            "device.deleted by secret_key",
            "device.deleted by cli"
        ]
    );
}

#[tokio::test]
async fn an_export_has_the_contacts_chats_messages_and_ratings_and_nobody_elses() {
    let app = spawn_app().await;
    let token = app
        .token_for(
            json!({ "email": "ada@example.com", "name": "Ada", "custom_data": { "plan": "pro" } }),
        )
        .await;
    let ada = app.user(&token);
    let chat = full_chat(&app, &ada, "adamark").await;
    let open = app.start_session(&ada.clone().in_scope("ws_2")).await;
    let bob = app.verified("bob@example.com").await;
    full_chat(&app, &bob, "bobmark").await;
    let device = app.device();
    full_chat(&app, &device, "devicemark").await;

    let reply = app
        .admin(
            Method::GET,
            "/api/admin/contacts/export?email=ada@example.com",
            Some(&app.org.secret_key),
            None,
        )
        .await;
    let export = reply.assert_status(200).clone();
    let text = export.to_string();
    assert!(
        !text.contains("bobmark") && !text.contains("devicemark"),
        "{export:#}"
    );
    assert_eq!(export["contact"]["email"], "ada@example.com");
    assert_eq!(export["contact"]["name"], "Ada");
    assert_eq!(export["contact"]["custom_data"], json!({ "plan": "pro" }));
    let sessions = export["sessions"].as_array().unwrap();
    let ids: Vec<&str> = sessions.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [chat.as_str(), open.as_str()]);
    assert_eq!(sessions[0]["status"], "resolved");
    // What a page says is kept for non-verified visitors only.
    assert_eq!(sessions[0]["non_verified_custom_data"], json!({}));
    let messages = sessions[0]["messages"].as_array().unwrap();
    let kinds: Vec<&str> = messages
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "text", "resolved", "rated"]);
    assert_eq!(messages[0]["content"], "adamark-hello");
    assert_eq!(messages[0]["attachments"][0]["name"], "adamark-shot.png");
    assert_eq!(messages[0]["attachments"][0]["size"], PNG.len());
    assert!(messages[0]["attachments"][0].get("data").is_none());
    assert_eq!(messages[1]["author"], "agent");
    assert_eq!(
        export["ratings"],
        json!([{ "session_id": chat, "score": 4, "comment": "adamark-comment",
                                            "created_at": export["ratings"][0]["created_at"] }])
    );
    assert!(sessions[1]["messages"].as_array().unwrap().is_empty());

    // The CLI prints the same data; a device's export by one of its chats.
    let by_cli = cli_json(
        &app,
        &[
            "contact",
            "export",
            "--org",
            &app.org.widget_token,
            "--email",
            "ada@example.com",
        ],
    );
    assert_eq!(by_cli["sessions"], export["sessions"]);
    let device_chat = app.session_ids(&device).await.remove(0);
    let of_device = app
        .admin(
            Method::GET,
            &format!("/api/admin/sessions/{device_chat}/export"),
            Some(&app.org.secret_key),
            None,
        )
        .await;
    let of_device = of_device.assert_status(200);
    assert_eq!(of_device["contact"], Value::Null);
    assert!(of_device.to_string().contains("devicemark-hello"));
    assert_eq!(
        of_device["sessions"][0]["non_verified_custom_data"],
        json!({ "note": "devicemark-custom" })
    );
    assert!(!of_device.to_string().contains("adamark"));
    let actions: Vec<String> = crate::admin::audit_actions(&app, &app.org.secret_key)
        .await
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert_eq!(
        actions,
        ["device.exported", "contact.exported", "contact.exported"]
    );
}

/// Sets a chat's resolution `days` days back.
async fn resolved_days_ago(app: &TestApp, session: &str, days: i64) {
    let at = time::OffsetDateTime::now_utc().unix_timestamp() - days * 86_400;
    sqlx::query("UPDATE sessions SET resolved_at = $1, created_at = $1 WHERE id = $2")
        .bind(at)
        .bind(session)
        .execute(&app.db)
        .await
        .unwrap();
}

async fn resolve(app: &TestApp, key: &str, session: &str) {
    app.agent_post(key, &format!("/api/sessions/{session}/resolve"), json!({}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn retention_deletes_only_resolved_chats_past_the_period_and_serve_applies_it_at_start() {
    let app = spawn_app().await;
    let key = app.org.secret_key.clone();
    let visitor = app.device();
    let old_resolved = full_chat(&app, &visitor, "oldmark").await;
    resolved_days_ago(&app, &old_resolved, 40).await;
    let recent_resolved = app.start_session(&visitor.clone().in_scope("b")).await;
    resolve(&app, &key, &recent_resolved).await;
    resolved_days_ago(&app, &recent_resolved, 10).await;
    let old_open = app.start_session(&visitor.clone().in_scope("c")).await;
    sqlx::query("UPDATE sessions SET created_at = 0 WHERE id = $1")
        .bind(&old_open)
        .execute(&app.db)
        .await
        .unwrap();
    // Another org keeps everything (no retention set).
    let other = app.create_org(&[]).await;
    let theirs = app.start_session(&app.device_of(&other)).await;
    resolve(&app, &other.secret_key, &theirs).await;
    resolved_days_ago(&app, &theirs, 400).await;

    app.admin(
        Method::PATCH,
        "/api/admin/org",
        Some(&key),
        Some(json!({ "retention_days": 30 })),
    )
    .await
    .assert_status(200);
    // Another instance starting applies it at once.
    let other_instance = spawn_instance_beside(&app).await;
    let mut left = Vec::new();
    for _ in 0..100 {
        left = sqlx::query_scalar::<_, String>("SELECT id FROM sessions ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
        if !left.contains(&old_resolved) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut expected = vec![recent_resolved.clone(), old_open.clone(), theirs.clone()];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(
        traces(&other_instance, &["oldmark", &old_resolved], None).await,
        Vec::<String>::new()
    );

    // Run again (as every instance does hourly): nothing more to delete, nothing more logged.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(frontdesk_server::privacy::apply_retention(&app.db, now)
        .await
        .unwrap()
        .is_empty());
    // Twenty-one days on, the chat resolved ten days ago is past the period too.
    let later = frontdesk_server::privacy::apply_retention(&app.db, now + 21 * 86_400)
        .await
        .unwrap();
    assert_eq!(later, [(app.org.id, 1)]);

    let audit = app
        .admin(Method::GET, "/api/admin/audit", Some(&key), None)
        .await;
    let entries = audit.assert_status(200)["entries"]
        .as_array()
        .unwrap()
        .clone();
    let retention: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "retention.deleted")
        .collect();
    assert_eq!(retention.len(), 2);
    assert!(retention.iter().all(|e| e["actor"] == "retention"));
    assert_eq!(
        retention[1]["detail"],
        json!({ "sessions": 1, "retention_days": 30 })
    );
}
