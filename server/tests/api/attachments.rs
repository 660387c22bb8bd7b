//! Attachments (docs/api.md "Attachments"): uploads checked by their content, the org's limits and types,
//! sending with a message, downloads that a browser never runs, the same access rules as messages, deletion.

use frontdesk_protocol::wire::{AttachmentEnvelope, MessageEnvelope, MessagePage};
use frontdesk_server::domain::attachment::{AttachmentRules, SVG};
use frontdesk_server::orgs::{self, OrgUpdate};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::{spawn_app, Identity, Reply, TestApp};

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn form(name: &str, media_type: &str, bytes: &[u8]) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes.to_vec())
            .file_name(name.to_owned())
            .mime_str(media_type)
            .unwrap(),
    )
}

async fn upload(app: &TestApp, who: &Identity, session: &str, form: Form) -> Reply {
    app.widget_multipart(
        who,
        &format!("/widget/v1/sessions/{session}/attachments"),
        form,
    )
    .await
}

async fn uploaded(
    app: &TestApp,
    who: &Identity,
    session: &str,
    name: &str,
    bytes: &[u8],
    media_type: &str,
) -> String {
    let reply = upload(app, who, session, form(name, media_type, bytes)).await;
    reply.decode::<AttachmentEnvelope>(201).attachment.id
}

#[tokio::test]
async fn a_screenshot_and_a_pdf_go_with_a_message_and_come_back_byte_identical() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let reply = upload(
        &app,
        &visitor,
        &session,
        form("C:\\fakepath\\shot.png", "image/png", PNG),
    )
    .await;
    let shot = reply.decode::<AttachmentEnvelope>(201).attachment;
    assert_eq!(
        (shot.name.as_str(), shot.media_type.as_str(), shot.size),
        ("shot.png", "image/png", PNG.len() as i64)
    );
    assert_eq!(shot.id.len(), 32);
    let pdf = uploaded(
        &app,
        &visitor,
        &session,
        "invoice.pdf",
        PDF,
        "application/pdf",
    )
    .await;

    let sent = app
        .send_with(
            &visitor,
            &session,
            json!({ "client_id": "c_files_01", "attachment_ids": [shot.id, pdf] }),
        )
        .await;
    let message = sent.decode::<MessageEnvelope>(201).message;
    assert_eq!(message.content, "", "the caption is optional");
    let names: Vec<&str> = message
        .attachments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["shot.png", "invoice.pdf"]);
    // A retry answers with the same message and its files.
    let again = app
        .send_with(
            &visitor,
            &session,
            json!({ "client_id": "c_files_01", "attachment_ids": [shot.id, pdf] }),
        )
        .await;
    assert_eq!(again.decode::<MessageEnvelope>(200).message, message);
    // The history and the agent see them.
    let page: MessagePage = app.messages(&visitor, &session).await.decode(200);
    assert_eq!(page.messages[0].attachments, message.attachments);
    let agent_page = app.agent_messages(&app.org.secret_key, &session).await;
    assert_eq!(
        agent_page.body["messages"][0]["attachments"][1]["type"],
        "application/pdf"
    );

    // Downloads: the bytes as uploaded, an image inline, anything else as a download, never sniffed or run.
    let image = app
        .widget_download(&visitor, &format!("/widget/v1/attachments/{}", shot.id))
        .await;
    assert_eq!(image.status, 200);
    assert_eq!(image.bytes, PNG);
    assert_eq!(image.header("content-type"), "image/png");
    assert_eq!(image.header("content-disposition"), "inline");
    assert_eq!(image.header("x-content-type-options"), "nosniff");
    assert_eq!(
        image.header("content-security-policy"),
        "sandbox; default-src 'none'"
    );
    let file = app
        .agent_download(&app.org.secret_key, &format!("/api/attachments/{pdf}"))
        .await;
    assert_eq!(file.bytes, PDF);
    assert_eq!(
        file.header("content-disposition"),
        "attachment; filename*=UTF-8''invoice.pdf"
    );

    // An agent attaches an image to a reply: the widget sees it.
    let agent_file = app
        .agent_multipart(
            &app.org.secret_key,
            &format!("/api/sessions/{session}/attachments"),
            form("chart.png", "image/png", PNG),
        )
        .await
        .decode::<AttachmentEnvelope>(201)
        .attachment;
    let reply = app
        .agent_post(
            &app.org.secret_key,
            &format!("/api/sessions/{session}/messages"),
            json!({ "content": "Here is the chart", "attachment_ids": [agent_file.id] }),
        )
        .await;
    reply.assert_status(201);
    let seen = app
        .widget_download(
            &visitor,
            &format!("/widget/v1/attachments/{}", agent_file.id),
        )
        .await;
    assert_eq!(seen.bytes, PNG);
}

#[tokio::test]
async fn the_content_decides_not_the_name_or_the_declared_type() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    for (name, declared, bytes, status, code) in [
        (
            "shot.pdf",
            "application/pdf",
            PNG,
            422,
            "attachment_type_mismatch",
        ),
        (
            "cat.png",
            "image/png",
            &b"<html><script>alert(1)</script></html>"[..],
            422,
            "attachment_type_mismatch",
        ),
        (
            "notes.txt",
            "text/plain",
            &b"<!DOCTYPE html><img src=x onerror=alert(1)>"[..],
            422,
            "attachment_type_mismatch",
        ),
        (
            "logo.svg",
            "image/svg+xml",
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            415,
            "attachment_type_not_allowed",
        ),
        (
            "page.html",
            "text/html",
            &b"<html></html>"[..],
            415,
            "attachment_type_not_allowed",
        ),
        (
            "tool.exe",
            "application/octet-stream",
            &b"MZ\x90\0"[..],
            415,
            "attachment_type_not_allowed",
        ),
    ] {
        let refused = upload(&app, &visitor, &session, form(name, declared, bytes)).await;
        let message = refused.assert_error(status, code);
        assert!(message.contains(name), "{name}: {message}");
    }
    // Nothing of them was stored: none can be sent.
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // An org that names SVG gets SVG, served as a download in a sandbox.
    orgs::update_org(
        &app.db,
        &app.org.widget_token,
        &OrgUpdate {
            attachment_types: Some(vec![SVG.to_owned()]),
            ..OrgUpdate::default()
        },
    )
    .await
    .unwrap();
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let id = uploaded(&app, &visitor, &session, "logo.svg", svg, "image/svg+xml").await;
    let served = app
        .widget_download(&visitor, &format!("/widget/v1/attachments/{id}"))
        .await;
    assert_eq!(served.header("content-type"), "image/svg+xml");
    assert!(served
        .header("content-disposition")
        .starts_with("attachment"));
    assert_eq!(
        served.header("content-security-policy"),
        "sandbox; default-src 'none'"
    );
}

#[tokio::test]
async fn sizes_counts_and_form_shapes_are_refused_by_name() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let (rules, _) = orgs::update_org(
        &app.db,
        &app.org.widget_token,
        &OrgUpdate {
            max_attachment_bytes: Some(1024 * 1024),
            max_attachments_per_message: Some(2),
            ..OrgUpdate::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        rules,
        AttachmentRules {
            max_bytes: 1024 * 1024,
            max_per_message: 2,
            types: AttachmentRules::default().types
        }
    );
    let settings = app.widget_get(&visitor, "/widget/v1/settings").await;
    assert_eq!(
        settings.assert_status(200)["attachments"]["max_bytes"],
        1024 * 1024
    );

    let mut big = PNG.to_vec();
    big.resize(1024 * 1024 + 1, 0);
    let refused = upload(&app, &visitor, &session, form("big.png", "image/png", &big)).await;
    assert!(refused
        .assert_error(413, "attachment_too_large")
        .contains("1048576"));
    let mut fits = PNG.to_vec();
    fits.resize(1024 * 1024, 0);
    uploaded(&app, &visitor, &session, "fits.png", &fits, "image/png").await;

    let empty = upload(
        &app,
        &visitor,
        &session,
        form("empty.png", "image/png", b""),
    )
    .await;
    empty.assert_error(422, "invalid_body");
    let wrong_part = app
        .widget_multipart(
            &visitor,
            &format!("/widget/v1/sessions/{session}/attachments"),
            Form::new().part(
                "upload",
                Part::bytes(PNG.to_vec())
                    .file_name("a.png")
                    .mime_str("image/png")
                    .unwrap(),
            ),
        )
        .await;
    assert!(wrong_part
        .assert_error(422, "invalid_body")
        .starts_with("file: required"));
    let bidi = upload(
        &app,
        &visitor,
        &session,
        form("invoice\u{202e}fdp.exe", "image/png", PNG),
    )
    .await;
    bidi.assert_error(422, "invalid_body");
    let json_body = app
        .widget_post(
            &visitor,
            &format!("/widget/v1/sessions/{session}/attachments"),
            json!({}),
        )
        .await;
    json_body.assert_error(422, "invalid_body");

    let ids: Vec<String> =
        futures_util::future::join_all(
            (0..3).map(|i| {
                let (app, visitor, session) = (&app, &visitor, &session);
                async move {
                    uploaded(app, visitor, session, &format!("{i}.png"), PNG, "image/png").await
                }
            }),
        )
        .await;
    let three = app
        .send_with(&visitor, &session, json!({ "attachment_ids": ids }))
        .await;
    assert_eq!(
        three.assert_error(422, "invalid_body"),
        "attachment_ids: at most 2 files in one message"
    );
    let twice = app
        .send_with(
            &visitor,
            &session,
            json!({ "attachment_ids": [ids[0], ids[0]] }),
        )
        .await;
    assert!(twice
        .assert_error(422, "invalid_body")
        .ends_with("given twice"));
    app.send_with(&visitor, &session, json!({ "attachment_ids": [ids[0]] }))
        .await
        .assert_status(201);
    let resent = app
        .send_with(&visitor, &session, json!({ "attachment_ids": [ids[0]] }))
        .await;
    assert!(resent
        .assert_error(422, "invalid_body")
        .ends_with("already sent"));
    let unknown = app
        .send_with(
            &visitor,
            &session,
            json!({ "attachment_ids": ["00000000000000000000000000000000"] }),
        )
        .await;
    assert!(unknown
        .assert_error(422, "invalid_body")
        .ends_with("not an upload of this chat"));
    // The visitor cannot send the agent's upload, nor an upload of another of its chats.
    let agent_upload = app
        .agent_multipart(
            &app.org.secret_key,
            &format!("/api/sessions/{session}/attachments"),
            form("a.png", "image/png", PNG),
        )
        .await
        .decode::<AttachmentEnvelope>(201)
        .attachment
        .id;
    let theirs = app
        .send_with(
            &visitor,
            &session,
            json!({ "attachment_ids": [agent_upload] }),
        )
        .await;
    theirs.assert_error(422, "invalid_body");
    let other = app.start_session(&visitor).await;
    let elsewhere = app
        .send_with(&visitor, &other, json!({ "attachment_ids": [ids[1]] }))
        .await;
    elsewhere.assert_error(422, "invalid_body");
}

#[tokio::test]
async fn only_identities_that_see_the_chat_upload_or_download() {
    let app = spawn_app().await;
    let owner = app.device().in_scope("ws_a");
    let session = app.start_session(&owner).await;
    let id = uploaded(&app, &owner, &session, "a.png", PNG, "image/png").await;
    app.send_with(&owner, &session, json!({ "attachment_ids": [id] }))
        .await
        .assert_status(201);
    let other_org = app.create_org(&[]).await;
    let strangers = [
        app.device().in_scope("ws_a"),
        Identity {
            device: owner.device.clone(),
            ..app.device().in_scope("ws_b")
        },
        app.verified("ann@example.com").await.in_scope("ws_a"),
        app.device_of(&other_org),
    ];
    for stranger in &strangers {
        let download = app
            .widget_download(stranger, &format!("/widget/v1/attachments/{id}"))
            .await;
        assert_eq!(download.status, 404);
        assert_eq!(download.json()["error"]["code"], "attachment_not_found");
        upload(&app, stranger, &session, form("b.png", "image/png", PNG))
            .await
            .assert_error(404, "session_not_found");
    }
    let foreign = app
        .agent_download(&other_org.secret_key, &format!("/api/attachments/{id}"))
        .await;
    assert_eq!(foreign.status, 404);
    let malformed = app
        .widget_download(&owner, "/widget/v1/attachments/../../etc")
        .await;
    assert_eq!(malformed.status, 404);
    // A verified user's files reach their other devices; a non-verified visitor's other device sees nothing.
    let token = app.token_for(json!({ "email": "bo@example.com" })).await;
    let (laptop, phone) = (app.user(&token), app.user(&token));
    let chat = app.start_session(&laptop).await;
    let file = uploaded(&app, &laptop, &chat, "b.png", PNG, "image/png").await;
    app.send_with(&laptop, &chat, json!({ "attachment_ids": [file] }))
        .await
        .assert_status(201);
    assert_eq!(
        app.widget_download(&phone, &format!("/widget/v1/attachments/{file}"))
            .await
            .bytes,
        PNG
    );
}

#[tokio::test]
async fn deleting_a_session_deletes_its_files_and_unsent_uploads_expire() {
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let sent = uploaded(&app, &visitor, &session, "a.png", PNG, "image/png").await;
    app.send_with(&visitor, &session, json!({ "attachment_ids": [sent] }))
        .await
        .assert_status(201);
    let unsent = uploaded(&app, &visitor, &session, "b.png", PNG, "image/png").await;
    // Unsent and older than a day: swept; sent ones stay.
    sqlx::query("UPDATE attachments SET created_at = created_at - 90000 WHERE id = $1")
        .bind(&unsent)
        .execute(&app.db)
        .await
        .unwrap();
    let swept = frontdesk_server::chats::delete_unsent_attachments(&app.db, 24 * 3600)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    let count = |db: sqlx::AnyPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM attachments")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(count(app.db.clone()).await, 1);
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(&session)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        count(app.db.clone()).await,
        0,
        "the session's files went with it"
    );
}

#[tokio::test]
async fn an_upload_cut_off_half_way_leaves_nothing_behind() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let boundary = "frontdesk-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    // The header promises 2 MB; the client sends 100 KB of it and goes away.
    let request = format!(
        "POST /widget/v1/sessions/{session}/attachments HTTP/1.1\r\nHost: x\r\n\
         X-Frontdesk-Widget-Token: {}\r\nX-Frontdesk-Device: {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 2000000\r\n\r\n{head}%PDF-1.4\n",
        app.org.widget_token,
        visitor.device.as_deref().unwrap(),
    );
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&vec![b' '; 100_000]).await.unwrap();
    socket.flush().await.unwrap();
    drop(socket);
    // The server notices the closed connection; nothing was stored, and it serves on.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    let whole = upload(
        &app,
        &visitor,
        &session,
        form("whole.pdf", "application/pdf", PDF),
    )
    .await;
    whole.assert_status(201);
}
