//! The bodies of `docs/api.md`: what the server answers and what the widget sends. Times are RFC 3339 UTC
//! strings, formatted by the server at its boundary.
//!
//! With the `serde` feature (the server's) every type derives `Serialize` and `Deserialize` with exactly the
//! field names of the wire; without it (the widget's) they are plain structs that the widget decodes by hand.
//! With the `openapi` feature (also the server's only) they derive `utoipa::ToSchema`, for `GET /openapi.json`.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Who wrote a message. (Not `Copy`: the widget's state code clones it, and adding `Copy` would make those
/// clones a lint failure in code that is not this crate's.)
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Author {
    Visitor,
    Agent,
}

impl Author {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<Author> {
        match text {
            "visitor" => Some(Author::Visitor),
            "agent" => Some(Author::Agent),
            _ => None,
        }
    }
}

/// What a stored message is: a visitor's or agent's text, or an event in the chat's life, which travels on the same
/// cursor as the text so that every tab and device learns of it live and after a reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum MessageKind {
    Text,
    /// The chat was resolved by its `author` (an agent, or the visitor ending it). `content` is empty.
    Resolved,
    /// The chat was reopened: by an agent, or by the visitor writing in it. `content` is empty.
    Reopened,
    /// The visitor rated the chat's current resolution: `score`, and the comment as `content` (maybe empty).
    Rated,
    /// A greeting bubble the widget showed before the chat's first message (the org's, or the page's
    /// `initialMessages`), stored when the visitor answered. Authored `agent`, but written by no agent: a claim of the
    /// page, like non-verified data, so the console labels it.
    Greeting,
}

impl MessageKind {
    pub const fn as_str(&self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Resolved => "resolved",
            MessageKind::Reopened => "reopened",
            MessageKind::Rated => "rated",
            MessageKind::Greeting => "greeting",
        }
    }

    pub fn parse(text: &str) -> Option<MessageKind> {
        match text {
            "text" => Some(MessageKind::Text),
            "resolved" => Some(MessageKind::Resolved),
            "reopened" => Some(MessageKind::Reopened),
            "rated" => Some(MessageKind::Rated),
            "greeting" => Some(MessageKind::Greeting),
            _ => None,
        }
    }
}

/// A chat's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Status {
    Open,
    Resolved,
}

impl Status {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "open" => Some(Status::Open),
            "resolved" => Some(Status::Resolved),
            _ => None,
        }
    }
}

/// The visitor's rating of a resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// 1 to 5.
    pub score: u8,
    pub comment: Option<String>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Grows with every message stored anywhere: the long-poll cursor.
    pub id: i64,
    pub session_id: String,
    /// The sender's id for it, if it sent one: a retried send answers with the message already stored.
    pub client_id: Option<String>,
    pub author: Author,
    /// An agent's name; `None` for a visitor.
    pub author_name: Option<String>,
    /// The agent's avatar when it wrote this, if it has one; `None` for a visitor.
    pub author_avatar_url: Option<String>,
    pub kind: MessageKind,
    pub content: String,
    /// 1 to 5 on a `rated` event; `None` on everything else.
    pub score: Option<u8>,
    /// The files sent with it (empty for none); `content` is then its caption, maybe empty.
    pub attachments: Vec<Attachment>,
    pub created_at: String,
}

/// An uploaded file, as the server checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// 32 lowercase hex characters (128 random bits).
    pub id: String,
    /// The file's name as uploaded (its path left out), for showing and downloading.
    pub name: String,
    /// The MIME type the server found in the content, which matched the declared one.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// `{ "attachment": Attachment }`: an upload's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentEnvelope {
    pub attachment: Attachment,
}

/// `GET /widget/v1/settings`: what the org allows, so the widget can refuse a file before uploading it (the server
/// checks again), and what it shows before a chat's first message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetSettings {
    pub attachments: AttachmentRules,
    /// The org's greeting bubbles (empty: none). The page's `initialMessages` option replaces them.
    pub greeting: Vec<String>,
    /// Questions offered before the first message; a click sends one as the visitor's first message.
    pub suggested_questions: Vec<String>,
    /// Whether the team is in now; `None` when the org has set no office hours (always in).
    pub office_hours: Option<OfficeHoursNow>,
}

/// The org's office hours at the moment of the answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct OfficeHoursNow {
    pub open: bool,
    /// The IANA time zone the hours are written in (`Europe/Paris`).
    pub time_zone: String,
    /// When they next open (RFC 3339, UTC), while closed; `None` while open or when no hours are set at all.
    pub next_open_at: Option<String>,
    /// When they next close (RFC 3339, UTC), while open.
    pub next_close_at: Option<String>,
}

/// Body of `POST /widget/v1/sessions/{id}/email`: where a visitor who wrote outside office hours wants the reply.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct LeaveEmail {
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentRules {
    /// Largest file, in bytes.
    pub max_bytes: i64,
    /// Most files in one message.
    pub max_per_message: i64,
    /// The MIME types allowed.
    pub types: Vec<String>,
}

/// A chat, as its visitor sees it. The server's answers also carry the chat's `external_id`
/// (a field the widget does not need: it knows its scope).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub id: String,
    pub created_at: String,
    /// Started by a verified user.
    pub verified: bool,
    pub last_message: Option<Message>,
    pub status: Status,
    /// When the current resolution happened; `None` while open.
    pub resolved_at: Option<String>,
    /// The rating of the current resolution; `None` while open or not rated yet.
    pub rating: Option<Rating>,
    /// The highest message id the visitor reported seeing (`POST …/seen`).
    pub seen_by_visitor: Option<i64>,
    /// The highest message id the org's agents reported reading.
    pub seen_by_agent: Option<i64>,
}

/// The long-poll answer: the messages after the cursor asked for, and the cursor to ask with next; the ephemeral
/// signals newer than `signals_after`, and the `signals_after` to ask with next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Updates {
    pub messages: Vec<Message>,
    pub cursor: i64,
    pub signals: Vec<Signal>,
    pub signals_at: i64,
}

/// What a [`Signal`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum SignalKind {
    /// `author` started (`typing: true`) or stopped (`false`) typing.
    Typing,
    /// `author` saw the chat up to `message_id`.
    Seen,
}

impl SignalKind {
    pub const fn as_str(&self) -> &'static str {
        match self {
            SignalKind::Typing => "typing",
            SignalKind::Seen => "seen",
        }
    }

    pub fn parse(text: &str) -> Option<SignalKind> {
        match text {
            "typing" => Some(SignalKind::Typing),
            "seen" => Some(SignalKind::Seen),
            _ => None,
        }
    }
}

/// Something that happened in a chat and is not stored as a message: kept by the server for a few seconds only,
/// never replayed after that.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signal {
    pub kind: SignalKind,
    pub session_id: String,
    pub author: Author,
    /// The agent's name; `None` for the visitor.
    pub author_name: Option<String>,
    /// On `typing`: started or stopped.
    pub typing: Option<bool>,
    /// On `seen`: the highest message id seen.
    pub message_id: Option<i64>,
    /// Milliseconds since the Unix epoch when the server took it, made unique and increasing by the server that
    /// took it: the `signals_after` that asks for what came after it.
    pub at: i64,
}

/// `{ "message": Message }`: a send's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageEnvelope<M = Message> {
    pub message: M,
}

/// `{ "messages": [Message…], "next_before": n | null }`: one page of a chat's history, the latest
/// messages below `before` (or the latest of all), oldest first. `next_before` is the `before` that asks for
/// the page below this one; `null` when this page starts with the chat's first message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage<M = Message> {
    pub messages: Vec<M>,
    pub next_before: Option<i64>,
}

/// An empty last page (by hand: a derive would ask `M: Default`).
impl<M> Default for MessagePage<M> {
    fn default() -> Self {
        MessagePage {
            messages: Vec::new(),
            next_before: None,
        }
    }
}

/// `{ "session": Session }`: a chat start's answer. Generic so that each audience's view of a chat travels in
/// the same envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionEnvelope<S = Session> {
    pub session: S,
}

/// `{ "sessions": [Session…] }`
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList<S = Session> {
    pub sessions: Vec<S>,
}

/// `{ "sessions": [Session…], "next_before": n | null }`: one page of the agent's session list, latest
/// activity first. `next_before` is the `before` that asks for the next page; `null` on the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionPage<S = Session> {
    pub sessions: Vec<S>,
    pub next_before: Option<i64>,
}

/// `{ "error": { "code", "message" } }`, the body of every error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// An [`ErrorCode`](crate::ErrorCode)'s text; kept as text so that a code added by a newer server still
    /// reaches the caller.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::ErrorCode))]
    pub code: String,
    pub message: String,
}

/// The answer of `POST /widget/authenticate-user`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserToken {
    pub token: String,
    pub expires_at: String,
}

/// Body of `POST /widget/v1/sessions/{id}/messages` (and of an agent's reply). Fields are optional on the wire so
/// that a missing one is reported by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    pub client_id: Option<String>,
    pub content: Option<String>,
    /// Uploads of this chat to send with the message (`content` may then be empty or absent).
    pub attachment_ids: Option<Vec<String>>,
}

/// Body of `POST /widget/v1/sessions/{id}/rating`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateSession {
    pub score: Option<i64>,
    pub comment: Option<String>,
}

/// Body of `POST …/sessions/{id}/typing`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TypingBody {
    pub typing: Option<bool>,
}

/// Body of `POST …/sessions/{id}/seen`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeenBody {
    pub message_id: Option<i64>,
}

/// Body of `POST /widget/v1/sessions`. `J` is a JSON object value (`serde_json::Value` on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartSession<J> {
    /// The client id of the chat's first message: a retried start gets the session it created.
    pub client_id: Option<String>,
    pub visitor: Option<VisitorFields<J>>,
    /// The greeting bubbles the widget showed before this first message, stored as `greeting` messages ahead of
    /// it (at most `limits::GREETING_MAX_MESSAGES`, each at most `limits::GREETING_MAX_CHARS`).
    pub greeting: Option<Vec<String>>,
}

/// The page's `user.data`: what a non-verified visitor says about itself (stored, shown as unverified).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorFields<J> {
    pub name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub custom_data: Option<J>,
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;

    #[test]
    fn messages_read_and_write_the_documented_shape() {
        let json = r#"{"id":7,"session_id":"s","client_id":null,"author":"agent","author_name":"Ada","author_avatar_url":null,"kind":"text","content":"hi","score":null,"attachments":[],"created_at":"2026-11-24T10:00:00Z"}"#;
        let message: Message = serde_json::from_str(json).unwrap();
        assert_eq!(message.author, Author::Agent);
        assert_eq!(serde_json::to_string(&message).unwrap(), json);
    }

    #[test]
    fn a_message_page_says_where_the_next_one_starts_or_null() {
        let page: MessagePage =
            serde_json::from_str(r#"{"messages":[],"next_before":null}"#).unwrap();
        assert_eq!(page, MessagePage::default());
        let json = serde_json::to_string(&MessagePage::<Message> {
            messages: Vec::new(),
            next_before: Some(41),
        })
        .unwrap();
        assert_eq!(json, r#"{"messages":[],"next_before":41}"#);
    }

    #[test]
    fn a_session_without_a_message_says_null() {
        let session = SessionEnvelope {
            session: Session {
                id: "s1".into(),
                created_at: "t".into(),
                verified: false,
                last_message: None,
                status: Status::Resolved,
                resolved_at: Some("t2".into()),
                rating: Some(Rating {
                    score: 4,
                    comment: None,
                }),
                seen_by_visitor: None,
                seen_by_agent: Some(3),
            },
        };
        assert_eq!(
            serde_json::to_string(&session).unwrap(),
            r#"{"session":{"id":"s1","created_at":"t","verified":false,"last_message":null,"status":"resolved","resolved_at":"t2","rating":{"score":4,"comment":null},"seen_by_visitor":null,"seen_by_agent":3}}"#
        );
    }
}
