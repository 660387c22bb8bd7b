//! Identities that look alike are not alike: the email rule folds ASCII letters only, and invisible characters
//! (controls, bidirectional controls, zero-width characters) are refused in emails, names and external ids with
//! an error naming the character (docs/api.md, "Input rules").

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_kelvin_sign_address_is_not_kates_and_sees_none_of_her_chats() {
    let app = spawn_app().await;
    let kate = app.verified("kate@x.com").await;
    let chat = app.start_session(&kate).await;
    app.send(&kate, &chat, "my order number is 1234")
        .await
        .assert_status(201);

    // U+212A KELVIN SIGN: Unicode lower-casing (and NFC) would turn it into an ASCII k, and so into kate.
    let forged = app.verified("\u{212A}ate@x.com").await;
    assert!(app.session_ids(&forged).await.is_empty());
    app.messages(&forged, &chat)
        .await
        .assert_error(404, "session_not_found");
    app.send(&forged, &chat, "hi")
        .await
        .assert_error(404, "session_not_found");
    let updates = app.updates(&forged, 0, 0).await;
    assert_eq!(updates.assert_status(200)["messages"], json!([]));

    let emails: Vec<(String,)> = sqlx::query_as("SELECT email FROM contacts ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let emails: Vec<&str> = emails.iter().map(|(e,)| e.as_str()).collect();
    assert_eq!(emails, ["kate@x.com", "\u{212A}ate@x.com"]);

    // ASCII case still folds: KATE@X.COM is kate, on any device.
    let kate_again = app.verified("KATE@X.com").await;
    assert_eq!(app.session_ids(&kate_again).await, [chat]);
}

#[tokio::test]
async fn invisible_characters_in_emails_and_names_are_refused_naming_the_field_and_character() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "email": "\u{202E}moc.x@etak" }),
            "email: contains U+202E, a bidirectional control character",
        ),
        (
            json!({ "email": "kate\u{200B}@x.com" }),
            "email: contains U+200B, a zero-width character",
        ),
        (
            json!({ "email": "kate@x.com", "name": "Kate\u{2066}" }),
            "name: contains U+2066, a bidirectional control character",
        ),
        (
            json!({ "email": "kate@x.com", "name": "Ka\u{FEFF}te" }),
            "name: contains U+FEFF, a zero-width character",
        ),
    ];
    for (body, expected) in cases {
        let reply = app.authenticate_user(body.clone()).await;
        let message = reply.assert_error(422, "invalid_body");
        assert!(message.starts_with(expected), "{body}: {message}");
    }
    let (contacts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(contacts, 0, "nothing stored half-way");

    let visitor = app.device();
    for (visitor_fields, expected) in [
        (
            json!({ "name": "Support\u{202E}" }),
            "visitor.name: contains U+202E",
        ),
        (
            json!({ "email": "a@x\u{200D}.com" }),
            "visitor.email: contains U+200D",
        ),
    ] {
        let reply = app
            .start_session_with(&visitor, json!({ "visitor": visitor_fields }))
            .await;
        let message = reply.assert_error(422, "invalid_body");
        assert!(message.starts_with(expected), "{message}");
    }
}

#[tokio::test]
async fn external_ids_name_a_non_ascii_or_invisible_character() {
    let app = spawn_app().await;
    let reply = app.sessions(&app.device().in_scope("wś")).await;
    let message = reply.assert_error(422, "invalid_external_id");
    assert_eq!(
        message,
        "X-Frontdesk-External-Id: contains U+015B (ś), which is not ASCII; may only contain letters, digits and _ . : @ -"
    );
    let reply = app.sessions(&app.device().in_scope("ws\u{202E}1")).await;
    let message = reply.assert_error(422, "invalid_external_id");
    assert!(
        message.starts_with("X-Frontdesk-External-Id: contains U+202E, a bidirectional control"),
        "{message}"
    );
    let reply = app
        .agent_sessions(&app.org.secret_key, Some("ws\u{200B}"))
        .await;
    let message = reply.assert_error(422, "invalid_external_id");
    assert!(
        message.starts_with("external_id: contains U+200B, a zero-width character"),
        "{message}"
    );
}

#[tokio::test]
async fn a_message_of_only_zero_width_characters_is_refused_like_an_empty_one() {
    let app = spawn_app().await;
    let visitor = app.device();
    let chat = app.start_session(&visitor).await;
    for blank in [
        "\u{200B}",
        "\u{200B} \u{200D}\n\u{FEFF}",
        "\u{2060}\u{2060}",
    ] {
        let reply = app.send(&visitor, &chat, blank).await;
        assert_eq!(
            reply.assert_error(422, "invalid_body"),
            "content: must not be empty",
            "{blank:?}"
        );
    }
    assert!(app.contents(&visitor, &chat).await.is_empty());
    // Joiners inside real text stay: an emoji family is one glyph made with U+200D.
    app.send(&visitor, &chat, "👨\u{200D}👩\u{200D}👧")
        .await
        .assert_status(201);
}

#[tokio::test]
async fn the_email_rule_decides_the_cases_the_widget_and_server_disagreed_on() {
    let app = spawn_app().await;
    let long_label = format!("a@{}.com", "b".repeat(64));
    for refused in [
        "a,b@x.com",
        "a(b)@x.com",
        "a;b@x.com",
        "\"ab\"@x.com",
        long_label.as_str(),
    ] {
        let reply = app.authenticate_user(json!({ "email": refused })).await;
        assert_eq!(
            reply.assert_error(422, "invalid_body"),
            "email: not an email address",
            "{refused}"
        );
        let reply = app
            .start_session_with(&app.device(), json!({ "visitor": { "email": refused } }))
            .await;
        assert_eq!(
            reply.assert_error(422, "invalid_body"),
            "visitor.email: not an email address",
            "{refused}"
        );
    }
    // A Unicode local part is an address (RFC 6531); limits count characters, so 40 × é (80 bytes) fits.
    let accented = format!("{}@x.com", "é".repeat(40));
    app.authenticate_user(json!({ "email": accented }))
        .await
        .assert_status(200);
    let (stored,): (String,) = sqlx::query_as("SELECT email FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, accented);
}
