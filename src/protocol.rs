//! The widget's side of the wire format of `docs/api.md`. The types, header names and error codes are
//! the `frontdesk-protocol` crate's (shared with the server, re-exported here); this module decodes
//! answers into them, encodes request bodies, and says which headers go out. Pure: `api` does the I/O.

use crate::value::{write_json_string, Value};

pub use frontdesk_protocol::headers::{
    DEVICE as DEVICE_HEADER, EXTERNAL_ID as EXTERNAL_ID_HEADER, WIDGET_TOKEN as WIDGET_TOKEN_HEADER,
};
pub use frontdesk_protocol::wire::{
    AttachmentRules, MessageKind, OfficeHoursNow, Rating, Signal, SignalKind, Status,
    WidgetSettings,
};
pub use frontdesk_protocol::{
    limits, Attachment, Author, ErrorBody, ErrorCode, Message, MessagePage, Session, Updates,
};

// Decoding is written out over `Value` (the same tree the options use) rather than derived with
// serde: serde's error paths format floats, and that machinery alone is ~15 KB of wasm.

/// A field of the answer was missing or of the wrong type: the server speaks another version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

/// A wire type read from the tree of a parsed answer.
pub trait Decode: Sized {
    fn decode(value: &Value) -> Result<Self, DecodeError>;
}

/// "`key` is not …", put together by hand: each `format!` is its own code in the wasm.
fn wrong(key: &str, what: &str) -> DecodeError {
    let mut text = String::from("`");
    text.push_str(key);
    text.push_str("` ");
    text.push_str(what);
    DecodeError(text)
}

fn field<'a>(object: &'a Value, key: &str) -> Result<&'a Value, DecodeError> {
    object.get(key).ok_or_else(|| wrong(key, "is missing"))
}

fn string_field(object: &Value, key: &str) -> Result<String, DecodeError> {
    match field(object, key)? {
        Value::String(s) => Ok(s.clone()),
        _ => Err(wrong(key, "is not a string")),
    }
}

fn optional_string_field(object: &Value, key: &str) -> Result<Option<String>, DecodeError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong(key, "is not a string")),
    }
}

fn integer_field(object: &Value, key: &str) -> Result<i64, DecodeError> {
    match field(object, key)? {
        Value::Number(text) => {
            crate::text::parse_decimal(text).ok_or_else(|| wrong(key, "is not an integer"))
        }
        _ => Err(wrong(key, "is not a number")),
    }
}

fn optional_integer_field(object: &Value, key: &str) -> Result<Option<i64>, DecodeError> {
    match object.get(key) {
        None => Ok(None),
        Some(_) => integer_field(object, key).map(Some),
    }
}

fn author_field(object: &Value) -> Result<Author, DecodeError> {
    Author::parse(&string_field(object, "author")?)
        .ok_or_else(|| DecodeError("`author` is neither visitor nor agent".into()))
}

/// A score of 1 to 5 (`None` when absent); anything else is another version's answer.
fn score_field(object: &Value) -> Result<Option<u8>, DecodeError> {
    match optional_integer_field(object, "score")? {
        None => Ok(None),
        Some(score @ 1..=5) => Ok(Some(score as u8)),
        Some(_) => Err(DecodeError("`score` is not 1 to 5".into())),
    }
}

fn list_field<T: Decode>(object: &Value, key: &str) -> Result<Vec<T>, DecodeError> {
    match field(object, key)? {
        // A loop rather than `collect::<Result<Vec<_>, _>>()`, whose adapter cost ~0.3 KB per type.
        Value::Array(items) => {
            let mut decoded = Vec::with_capacity(items.len());
            for item in items {
                decoded.push(T::decode(item)?);
            }
            Ok(decoded)
        }
        _ => Err(wrong(key, "is not a list")),
    }
}

impl Decode for Message {
    fn decode(value: &Value) -> Result<Message, DecodeError> {
        Ok(Message {
            id: integer_field(value, "id")?,
            session_id: string_field(value, "session_id")?,
            client_id: optional_string_field(value, "client_id")?,
            author: author_field(value)?,
            author_name: optional_string_field(value, "author_name")?,
            author_avatar_url: optional_string_field(value, "author_avatar_url")?,
            kind: MessageKind::parse(&string_field(value, "kind")?)
                .ok_or_else(|| DecodeError("`kind` is not a known kind".into()))?,
            content: string_field(value, "content")?,
            score: score_field(value)?,
            // Absent from a server older than attachments: none.
            attachments: match value.get("attachments") {
                Some(_) => list_field(value, "attachments")?,
                None => Vec::new(),
            },
            created_at: string_field(value, "created_at")?,
        })
    }
}

impl Decode for Attachment {
    fn decode(value: &Value) -> Result<Attachment, DecodeError> {
        Ok(Attachment {
            id: string_field(value, "id")?,
            name: string_field(value, "name")?,
            media_type: string_field(value, "type")?,
            size: integer_field(value, "size")?,
        })
    }
}

/// `{ "attachment": Attachment }`: an upload's answer.
pub fn decode_attachment_envelope(value: &Value) -> Result<Attachment, DecodeError> {
    Attachment::decode(field(value, "attachment")?)
}

/// `GET /widget/v1/settings`: `{ "attachments": { "max_bytes", "max_per_message", "types" }, "greeting",
/// "suggested_questions", "office_hours" }`. The lists and hours are absent from an older server: none.
pub fn decode_settings(value: &Value) -> Result<WidgetSettings, DecodeError> {
    let rules = field(value, "attachments")?;
    let hours = match value.get("office_hours") {
        None | Some(Value::Null) => None,
        Some(hours) => Some(OfficeHoursNow {
            open: matches!(field(hours, "open")?, Value::Bool(true)),
            time_zone: string_field(hours, "time_zone")?,
            next_open_at: optional_string_field(hours, "next_open_at")?,
            next_close_at: optional_string_field(hours, "next_close_at")?,
        }),
    };
    Ok(WidgetSettings {
        attachments: AttachmentRules {
            max_bytes: integer_field(rules, "max_bytes")?,
            max_per_message: integer_field(rules, "max_per_message")?,
            types: strings(rules, "types")?,
        },
        greeting: strings(value, "greeting").unwrap_or_default(),
        suggested_questions: strings(value, "suggested_questions").unwrap_or_default(),
        office_hours: hours,
    })
}

/// A list of strings; other items are skipped.
fn strings(object: &Value, key: &str) -> Result<Vec<String>, DecodeError> {
    match field(object, key)? {
        Value::Array(items) => Ok(items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect()),
        _ => Err(wrong(key, "is not a list")),
    }
}

impl Decode for Session {
    fn decode(value: &Value) -> Result<Session, DecodeError> {
        Ok(Session {
            id: string_field(value, "id")?,
            created_at: string_field(value, "created_at")?,
            verified: matches!(field(value, "verified")?, Value::Bool(true)),
            last_message: value.get("last_message").map(Message::decode).transpose()?,
            status: Status::parse(&string_field(value, "status")?)
                .ok_or_else(|| DecodeError("`status` is neither open nor resolved".into()))?,
            resolved_at: optional_string_field(value, "resolved_at")?,
            rating: match value.get("rating") {
                Some(rating) => Some(Rating {
                    score: score_field(rating)?
                        .ok_or_else(|| DecodeError("missing `score`".into()))?,
                    comment: optional_string_field(rating, "comment")?,
                }),
                None => None,
            },
            seen_by_visitor: optional_integer_field(value, "seen_by_visitor")?,
            seen_by_agent: optional_integer_field(value, "seen_by_agent")?,
        })
    }
}

impl Decode for Updates {
    fn decode(value: &Value) -> Result<Updates, DecodeError> {
        Ok(Updates {
            messages: list_field(value, "messages")?,
            cursor: integer_field(value, "cursor")?,
            signals: list_field(value, "signals")?,
            signals_at: integer_field(value, "signals_at")?,
        })
    }
}

impl Decode for Signal {
    fn decode(value: &Value) -> Result<Signal, DecodeError> {
        Ok(Signal {
            kind: SignalKind::parse(&string_field(value, "kind")?)
                .ok_or_else(|| DecodeError("`kind` is not a known signal".into()))?,
            session_id: string_field(value, "session_id")?,
            author: author_field(value)?,
            author_name: optional_string_field(value, "author_name")?,
            typing: value
                .get("typing")
                .map(|typing| matches!(typing, Value::Bool(true))),
            message_id: optional_integer_field(value, "message_id")?,
            at: integer_field(value, "at")?,
        })
    }
}

impl Decode for ErrorBody {
    /// `{ "error": { "code", "message" } }`
    fn decode(value: &Value) -> Result<ErrorBody, DecodeError> {
        let error = field(value, "error")?;
        Ok(ErrorBody {
            code: string_field(error, "code")?,
            message: string_field(error, "message")?,
        })
    }
}

/// `{ "message": Message }`
pub fn decode_message_envelope(value: &Value) -> Result<Message, DecodeError> {
    Message::decode(field(value, "message")?)
}

impl Decode for MessagePage {
    /// `{ "messages": [Message…], "next_before": n | null }`
    fn decode(value: &Value) -> Result<MessagePage, DecodeError> {
        Ok(MessagePage {
            messages: list_field(value, "messages")?,
            next_before: optional_integer_field(value, "next_before")?,
        })
    }
}

/// `{ "session": Session }`
pub fn decode_session_envelope(value: &Value) -> Result<Session, DecodeError> {
    Session::decode(field(value, "session")?)
}

/// `{ "sessions": [Session…] }`
pub fn decode_session_list(value: &Value) -> Result<Vec<Session>, DecodeError> {
    list_field(value, "sessions")
}

/// Who is asking, as the headers say it. Exactly one of user token and device id goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireIdentity<'a> {
    Verified {
        user_token: &'a str,
    },
    Device {
        device_id: &'a str,
    },
    /// None: only the org's public settings are asked for.
    Org,
}

/// The headers of every widget request, in the order they are set.
pub fn identity_headers(
    widget_token: &str,
    identity: &WireIdentity<'_>,
    external_id: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![(WIDGET_TOKEN_HEADER, widget_token.to_owned())];
    match identity {
        WireIdentity::Verified { user_token } => {
            headers.push(("Authorization", format!("Bearer {user_token}")))
        }
        WireIdentity::Device { device_id } => {
            headers.push((DEVICE_HEADER, (*device_id).to_owned()))
        }
        WireIdentity::Org => {}
    }
    if let Some(external_id) = external_id {
        headers.push((EXTERNAL_ID_HEADER, external_id.to_owned()));
    }
    headers
}

/// Body of `POST /widget/v1/sessions/{id}/email`.
pub fn email_body(email: &str) -> String {
    let mut out = String::from("{\"email\":");
    write_json_string(email, &mut out);
    out.push('}');
    out
}

/// Body of `POST /widget/v1/sessions`. `client_id` is the chat's first message's: a retried start (its
/// answer lost) gets the session it created instead of a second, empty one. The visitor's claims go only
/// with a device identity; a verified contact is whatever its token says.
pub fn start_session_body(
    client_id: &str,
    visitor: Option<&crate::config::VisitorData>,
    greeting: &[String],
) -> String {
    let mut out = String::from("{\"client_id\":");
    write_json_string(client_id, &mut out);
    // The bubbles the visitor saw before writing: stored ahead of the first message.
    if !greeting.is_empty() {
        out.push_str(",\"greeting\":[");
        for (i, line) in greeting.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_string(line, &mut out);
        }
        out.push(']');
    }
    let Some(visitor) = visitor else {
        out.push('}');
        return out;
    };
    out.push_str(",\"visitor\":{");
    let mut first = true;
    let mut field = |out: &mut String, key: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        write_json_string(key, out);
        out.push(':');
    };
    for (key, value) in [
        ("name", &visitor.name),
        ("email", &visitor.email),
        ("avatar_url", &visitor.avatar_url),
    ] {
        if let Some(value) = value {
            field(&mut out, key);
            write_json_string(value, &mut out);
        }
    }
    if let Some(json) = &visitor.custom_data {
        field(&mut out, "custom_data");
        out.push_str(json);
    }
    out.push_str("}}");
    out
}

/// Body of `POST /widget/v1/sessions/{id}/messages`: with files, their ids, and `content` (maybe empty) is
/// their caption.
pub fn send_message_body(client_id: &str, content: &str, attachments: &[Attachment]) -> String {
    let mut out = String::from("{\"client_id\":");
    write_json_string(client_id, &mut out);
    out.push_str(",\"content\":");
    write_json_string(content, &mut out);
    if !attachments.is_empty() {
        out.push_str(",\"attachment_ids\":[");
        for (i, attachment) in attachments.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_json_string(&attachment.id, &mut out);
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// Body of `POST /widget/v1/sessions/{id}/rating`: `comment` only when the visitor wrote one.
pub fn rating_body(score: u8, comment: &str) -> String {
    let mut out = String::from("{\"score\":");
    out.push(char::from(b'0' + score));
    if !comment.trim().is_empty() {
        out.push_str(",\"comment\":");
        write_json_string(comment.trim(), &mut out);
    }
    out.push('}');
    out
}

/// Body of `POST …/typing`.
pub fn typing_body(typing: bool) -> &'static str {
    if typing {
        "{\"typing\":true}"
    } else {
        "{\"typing\":false}"
    }
}

/// Body of `POST …/seen`.
pub fn seen_body(message_id: i64) -> String {
    let mut out = String::from("{\"message_id\":");
    out.push_str(&crate::text::decimal(message_id));
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::VisitorData;
    use frontdesk_protocol::wire;

    #[test]
    fn verified_requests_carry_the_token_and_no_device() {
        let headers = identity_headers(
            "wt_1",
            &WireIdentity::Verified {
                user_token: "fdu1.a.b",
            },
            Some("ws_1"),
        );
        assert_eq!(
            headers,
            vec![
                (WIDGET_TOKEN_HEADER, "wt_1".to_owned()),
                ("Authorization", "Bearer fdu1.a.b".to_owned()),
                (EXTERNAL_ID_HEADER, "ws_1".to_owned()),
            ]
        );
    }

    #[test]
    fn device_requests_carry_the_device_and_no_authorization() {
        let headers = identity_headers("wt_1", &WireIdentity::Device { device_id: "ab12" }, None);
        assert_eq!(
            headers,
            vec![
                (WIDGET_TOKEN_HEADER, "wt_1".to_owned()),
                (DEVICE_HEADER, "ab12".to_owned()),
            ]
        );
    }

    #[test]
    fn start_session_body_sends_visitor_claims_as_json() {
        assert_eq!(
            start_session_body("c_1", None, &[]),
            r#"{"client_id":"c_1"}"#
        );
        assert_eq!(
            start_session_body("c_1", None, &["Hi \"you\"".into(), "Ask".into()]),
            r#"{"client_id":"c_1","greeting":["Hi \"you\"","Ask"]}"#
        );
        let visitor = VisitorData {
            name: Some("Ann \"A\"".into()),
            email: None,
            avatar_url: Some("https://a.b/c.png".into()),
            custom_data: Some(r#"{"plan":"pro"}"#.into()),
        };
        let body = start_session_body("c_1", Some(&visitor), &[]);
        assert_eq!(
            body,
            r#"{"client_id":"c_1","visitor":{"name":"Ann \"A\"","avatar_url":"https://a.b/c.png","custom_data":{"plan":"pro"}}}"#
        );
        // What the server reads it into: the protocol's request type (serde is on for tests only).
        let parsed: wire::StartSession<serde_json::Value> = serde_json::from_str(&body).unwrap();
        let fields = parsed.visitor.unwrap();
        assert_eq!(fields.name.as_deref(), Some("Ann \"A\""));
        assert_eq!(fields.custom_data.unwrap()["plan"], "pro");
    }

    #[test]
    fn send_body_escapes_content() {
        let body = send_message_body("c_1", "<b>hi</b>\n\"x\"", &[]);
        let parsed: wire::SendMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed,
            wire::SendMessage {
                client_id: Some("c_1".into()),
                content: Some("<b>hi</b>\n\"x\"".into()),
                attachment_ids: None,
            }
        );
    }

    fn attachment(id: &str, name: &str, media_type: &str, size: i64) -> Attachment {
        Attachment {
            id: id.into(),
            name: name.into(),
            media_type: media_type.into(),
            size,
        }
    }

    #[test]
    fn a_message_with_files_sends_their_ids_and_an_optional_caption() {
        let files = [
            attachment("a1", "shot.png", "image/png", 10),
            attachment("b2", "bill \"1\".pdf", "application/pdf", 20),
        ];
        let body = send_message_body("c_1", "", &files);
        assert_eq!(
            body,
            r#"{"client_id":"c_1","content":"","attachment_ids":["a1","b2"]}"#
        );
        let parsed: wire::SendMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed.attachment_ids, Some(vec!["a1".into(), "b2".into()]));
        let parsed: wire::SendMessage =
            serde_json::from_str(&send_message_body("c_2", "see", &files[1..])).unwrap();
        assert_eq!(
            (parsed.content.as_deref(), parsed.attachment_ids),
            (Some("see"), Some(vec!["b2".into()]))
        );
    }

    #[test]
    fn attachments_uploads_and_settings_decode_as_the_server_writes_them() {
        let file = attachment("a1", "<b>x</b>.png", "image/png", 48213);
        let json = serde_json::to_string(&wire::AttachmentEnvelope {
            attachment: file.clone(),
        })
        .unwrap();
        assert!(json.contains(r#""type":"image/png""#));
        assert_eq!(decode_attachment_envelope(&value(&json)).unwrap(), file);
        let rules = AttachmentRules {
            max_bytes: 1024,
            max_per_message: 2,
            types: vec!["image/png".into(), "text/plain".into()],
        };
        let settings = wire::WidgetSettings {
            attachments: rules.clone(),
            greeting: vec!["Hi!".into()],
            suggested_questions: vec!["Where is my order?".into()],
            office_hours: Some(wire::OfficeHoursNow {
                open: false,
                time_zone: "Europe/Paris".into(),
                next_open_at: Some("2026-12-07T08:00:00Z".into()),
                next_close_at: None,
            }),
        };
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(decode_settings(&value(&json)).unwrap(), settings);
        // An older server sends only the rules.
        let old = decode_settings(&value(
            r#"{"attachments":{"max_bytes":1024,"max_per_message":2,"types":["image/png","text/plain"]}}"#,
        ))
        .unwrap();
        assert_eq!(old.attachments, rules);
        assert!(old.greeting.is_empty() && old.office_hours.is_none());
        let err = decode_settings(&value(r#"{"attachments":{"max_bytes":1}}"#)).unwrap_err();
        assert_eq!(err, DecodeError("`max_per_message` is missing".into()));
        // A message without the field (an older server) has none; a wrong one is an error.
        let message = r#"{"id":1,"session_id":"s","client_id":null,"author":"agent","author_name":null,
            "author_avatar_url":null,"kind":"text","content":"","score":null,"created_at":"t""#;
        let old = Message::decode(&value(&[message, "}"].concat())).unwrap();
        assert!(old.attachments.is_empty());
        let with = [message, r#","attachments":[{"id":"a1","name":"<b>x</b>.png","type":"image/png","size":48213}]}"#].concat();
        assert_eq!(Message::decode(&value(&with)).unwrap().attachments, [file]);
        let bad = [
            message,
            r#","attachments":[{"id":"a1","name":"n","type":"image/png","size":"1"}]}"#,
        ]
        .concat();
        assert!(Message::decode(&value(&bad)).is_err());
    }

    fn value(json: &str) -> Value {
        crate::value::from_json(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn sessions_and_errors_decode_from_the_documented_shape() {
        let sessions = decode_session_list(&value(
            r#"{"sessions":[{"id":"s1","external_id":null,"created_at":"t","verified":true,"last_message":null,
                "status":"open","resolved_at":null,"rating":null,"seen_by_visitor":null,"seen_by_agent":null}]}"#,
        ))
        .unwrap();
        assert_eq!(sessions[0].id, "s1");
        assert!(sessions[0].verified && sessions[0].last_message.is_none());
        let error = ErrorBody::decode(&value(
            r#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
        ))
        .unwrap();
        assert_eq!(error.code, "rate_limited");
    }

    #[test]
    fn a_changed_shape_is_an_error_naming_the_field() {
        let err = Message::decode(&value(r#"{"id":"7","session_id":"s"}"#)).unwrap_err();
        assert_eq!(err, DecodeError("`id` is not a number".into()));
        let err = decode_session_list(&value(r#"{"items":[]}"#)).unwrap_err();
        assert_eq!(err, DecodeError("`sessions` is missing".into()));
    }

    #[test]
    fn a_page_of_history_decodes_with_or_without_a_next_page() {
        let json = r#"{"messages":[{"id":7,"session_id":"s","client_id":"c_12345678","author":"visitor",
            "author_name":null,"author_avatar_url":null,"kind":"text","content":"hi","score":null,
            "created_at":"2026-11-24T10:00:00Z"}],"next_before":7}"#;
        let page = MessagePage::decode(&value(json)).unwrap();
        assert_eq!((page.messages[0].id, page.next_before), (7, Some(7)));
        let last = MessagePage::decode(&value(r#"{"messages":[],"next_before":null}"#)).unwrap();
        assert_eq!(last, MessagePage::default());
        let err = MessagePage::decode(&value(r#"{"messages":[],"next_before":"7"}"#)).unwrap_err();
        assert_eq!(err, DecodeError("`next_before` is not a number".into()));
    }

    #[test]
    fn messages_decode_from_the_documented_shape() {
        let json = r#"{"messages":[{"id":7,"session_id":"s","client_id":null,"author":"agent",
            "author_name":"Ada","author_avatar_url":"https://a.b/ada.png","kind":"text","content":"hi",
            "score":null,"created_at":"2026-11-24T10:00:00Z"}],"cursor":7,"signals":[],"signals_at":0}"#;
        let updates = Updates::decode(&value(json)).unwrap();
        assert_eq!(updates.cursor, 7);
        assert_eq!(updates.messages[0].author, Author::Agent);
        assert_eq!(updates.messages[0].author_name.as_deref(), Some("Ada"));
        assert_eq!(
            updates.messages[0].author_avatar_url.as_deref(),
            Some("https://a.b/ada.png")
        );
        assert_eq!(updates.messages[0].kind, MessageKind::Text);
    }

    /// The server's own encoding of the new shapes (serde, as the server writes them) reads back the same.
    #[test]
    fn events_ratings_and_signals_decode_as_the_server_writes_them() {
        let event = Message {
            id: 9,
            session_id: "s".into(),
            client_id: None,
            author: Author::Visitor,
            author_name: None,
            author_avatar_url: None,
            kind: MessageKind::Rated,
            content: "Quick".into(),
            score: Some(4),
            attachments: vec![attachment("a1", "a.pdf", "application/pdf", 3)],
            created_at: "t".into(),
        };
        let session = Session {
            id: "s".into(),
            created_at: "t".into(),
            verified: false,
            last_message: Some(event.clone()),
            status: Status::Resolved,
            resolved_at: Some("t".into()),
            rating: Some(Rating {
                score: 4,
                comment: Some("Quick".into()),
            }),
            seen_by_visitor: Some(8),
            seen_by_agent: None,
        };
        let json = serde_json::to_string(&wire::SessionEnvelope {
            session: session.clone(),
        })
        .unwrap();
        assert_eq!(decode_session_envelope(&value(&json)).unwrap(), session);
        let updates = Updates {
            messages: vec![event],
            cursor: 9,
            signals: vec![
                Signal {
                    kind: SignalKind::Typing,
                    session_id: "s".into(),
                    author: Author::Agent,
                    author_name: Some("Ada".into()),
                    typing: Some(false),
                    message_id: None,
                    at: 1_764_000_000_123,
                },
                Signal {
                    kind: SignalKind::Seen,
                    session_id: "s".into(),
                    author: Author::Agent,
                    author_name: None,
                    typing: None,
                    message_id: Some(9),
                    at: 1_764_000_000_124,
                },
            ],
            signals_at: 1_764_000_000_124,
        };
        let json = serde_json::to_string(&updates).unwrap();
        assert_eq!(Updates::decode(&value(&json)).unwrap(), updates);
    }

    #[test]
    fn a_score_out_of_range_or_an_unknown_kind_is_an_error() {
        let message = |kind: &str, score: &str| {
            value(&format!(
                r#"{{"id":1,"session_id":"s","client_id":null,"author":"visitor","author_name":null,
                "author_avatar_url":null,"kind":"{kind}","content":"","score":{score},"created_at":"t"}}"#
            ))
        };
        assert!(Message::decode(&message("rated", "5")).is_ok());
        assert_eq!(
            Message::decode(&message("rated", "6")).unwrap_err(),
            DecodeError("`score` is not 1 to 5".into())
        );
        assert!(Message::decode(&message("deleted", "null")).is_err());
    }

    #[test]
    fn the_new_bodies_read_as_the_protocol_types() {
        let rating: wire::RateSession =
            serde_json::from_str(&rating_body(4, " Quick \"and\" kind ")).unwrap();
        assert_eq!(
            rating,
            wire::RateSession {
                score: Some(4),
                comment: Some("Quick \"and\" kind".into()),
            }
        );
        assert_eq!(rating_body(1, "  "), r#"{"score":1}"#);
        let typing: wire::TypingBody = serde_json::from_str(typing_body(true)).unwrap();
        assert_eq!(typing.typing, Some(true));
        let typing: wire::TypingBody = serde_json::from_str(typing_body(false)).unwrap();
        assert_eq!(typing.typing, Some(false));
        let seen: wire::SeenBody = serde_json::from_str(&seen_body(42)).unwrap();
        assert_eq!(seen.message_id, Some(42));
    }
}
