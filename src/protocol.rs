//! The widget's side of the wire format of `docs/api.md`. The types, header names and error codes are
//! the `frontdesk-protocol` crate's (shared with the server, re-exported here); this module decodes
//! answers into them, encodes request bodies, and says which headers go out. Pure: `api` does the I/O.

use crate::value::{write_json_string, Value};

pub use frontdesk_protocol::headers::{
    DEVICE as DEVICE_HEADER, EXTERNAL_ID as EXTERNAL_ID_HEADER, WIDGET_TOKEN as WIDGET_TOKEN_HEADER,
};
pub use frontdesk_protocol::{
    limits, Author, ErrorBody, ErrorCode, Message, MessagePage, Session, Updates,
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

fn field<'a>(object: &'a Value, key: &str) -> Result<&'a Value, DecodeError> {
    object
        .get(key)
        .ok_or_else(|| DecodeError(format!("missing `{key}`")))
}

fn string_field(object: &Value, key: &str) -> Result<String, DecodeError> {
    match field(object, key)? {
        Value::String(s) => Ok(s.clone()),
        _ => Err(DecodeError(format!("`{key}` is not a string"))),
    }
}

fn optional_string_field(object: &Value, key: &str) -> Result<Option<String>, DecodeError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DecodeError(format!("`{key}` is not a string"))),
    }
}

fn integer_field(object: &Value, key: &str) -> Result<i64, DecodeError> {
    match field(object, key)? {
        Value::Number(text) => crate::text::parse_decimal(text)
            .ok_or_else(|| DecodeError(format!("`{key}` is not an integer"))),
        _ => Err(DecodeError(format!("`{key}` is not a number"))),
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
        _ => Err(DecodeError(format!("`{key}` is not a list"))),
    }
}

impl Decode for Message {
    fn decode(value: &Value) -> Result<Message, DecodeError> {
        Ok(Message {
            id: integer_field(value, "id")?,
            session_id: string_field(value, "session_id")?,
            client_id: optional_string_field(value, "client_id")?,
            author: Author::parse(&string_field(value, "author")?)
                .ok_or_else(|| DecodeError("`author` is neither visitor nor agent".into()))?,
            author_name: optional_string_field(value, "author_name")?,
            content: string_field(value, "content")?,
            created_at: string_field(value, "created_at")?,
        })
    }
}

impl Decode for Session {
    fn decode(value: &Value) -> Result<Session, DecodeError> {
        Ok(Session {
            id: string_field(value, "id")?,
            created_at: string_field(value, "created_at")?,
            verified: matches!(field(value, "verified")?, Value::Bool(true)),
            last_message: value.get("last_message").map(Message::decode).transpose()?,
        })
    }
}

impl Decode for Updates {
    fn decode(value: &Value) -> Result<Updates, DecodeError> {
        Ok(Updates {
            messages: list_field(value, "messages")?,
            cursor: integer_field(value, "cursor")?,
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
            next_before: match value.get("next_before") {
                Some(_) => Some(integer_field(value, "next_before")?),
                None => None,
            },
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
    Verified { user_token: &'a str },
    Device { device_id: &'a str },
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
    }
    if let Some(external_id) = external_id {
        headers.push((EXTERNAL_ID_HEADER, external_id.to_owned()));
    }
    headers
}

/// Body of `POST /widget/v1/sessions`. `client_id` is the chat's first message's: a retried start (its
/// answer lost) gets the session it created instead of a second, empty one. The visitor's claims go only
/// with a device identity; a verified contact is whatever its token says.
pub fn start_session_body(client_id: &str, visitor: Option<&crate::config::VisitorData>) -> String {
    let mut out = String::from("{\"client_id\":");
    write_json_string(client_id, &mut out);
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

/// Body of `POST /widget/v1/sessions/{id}/messages`.
pub fn send_message_body(client_id: &str, content: &str) -> String {
    let mut out = String::from("{\"client_id\":");
    write_json_string(client_id, &mut out);
    out.push_str(",\"content\":");
    write_json_string(content, &mut out);
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
        assert_eq!(start_session_body("c_1", None), r#"{"client_id":"c_1"}"#);
        let visitor = VisitorData {
            name: Some("Ann \"A\"".into()),
            email: None,
            avatar_url: Some("https://a.b/c.png".into()),
            custom_data: Some(r#"{"plan":"pro"}"#.into()),
        };
        let body = start_session_body("c_1", Some(&visitor));
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
        let body = send_message_body("c_1", "<b>hi</b>\n\"x\"");
        let parsed: wire::SendMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed,
            wire::SendMessage {
                client_id: Some("c_1".into()),
                content: Some("<b>hi</b>\n\"x\"".into()),
            }
        );
    }

    fn value(json: &str) -> Value {
        crate::value::from_json(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn sessions_and_errors_decode_from_the_documented_shape() {
        let sessions = decode_session_list(&value(
            r#"{"sessions":[{"id":"s1","external_id":null,"created_at":"t","verified":true,"last_message":null}]}"#,
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
        assert_eq!(err, DecodeError("missing `sessions`".into()));
    }

    #[test]
    fn a_page_of_history_decodes_with_or_without_a_next_page() {
        let json = r#"{"messages":[{"id":7,"session_id":"s","client_id":"c_12345678","author":"visitor",
            "author_name":null,"content":"hi","created_at":"2026-11-24T10:00:00Z"}],"next_before":7}"#;
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
            "author_name":"Ada","content":"hi","created_at":"2026-11-24T10:00:00Z"}],"cursor":7}"#;
        let updates = Updates::decode(&value(json)).unwrap();
        assert_eq!(updates.cursor, 7);
        assert_eq!(updates.messages[0].author, Author::Agent);
        assert_eq!(updates.messages[0].author_name.as_deref(), Some("Ada"));
    }
}
