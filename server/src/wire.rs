//! The boundary between what is stored and what is sent: rows (`chats`, times in unix seconds) become the
//! protocol crate's wire types (times as RFC 3339 text) here, and only here.
//!
//! **Invariant:** no route serialises a row; every answer body is a type of `frontdesk_protocol::wire` or one
//! of the views below, which are built from those types.

use frontdesk_protocol::wire::{Attachment, Author, Message, MessageKind, Rating, Session};
use serde::Serialize;
use serde_json::Value;

use crate::chats::{self, json_object, MessageRow};

/// Unix seconds as an RFC 3339 UTC time, the form every time in the API takes.
pub fn time(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub fn author(author: chats::Author) -> Author {
    match author {
        chats::Author::Visitor => Author::Visitor,
        chats::Author::Agent => Author::Agent,
    }
}

pub fn message(row: MessageRow) -> Message {
    Message {
        id: row.id,
        session_id: row.session_id,
        client_id: row.client_id,
        author: author(row.author),
        author_name: row.author_name,
        author_avatar_url: row.author_avatar_url,
        // The column's CHECK allows only the kinds the protocol names.
        kind: MessageKind::parse(&row.kind).unwrap_or(MessageKind::Text),
        content: row.content,
        score: row.score.and_then(|s| u8::try_from(s).ok()),
        attachments: row.attachments.into_iter().map(attachment).collect(),
        created_at: time(row.created_at),
    }
}

pub fn attachment(a: chats::AttachmentMeta) -> Attachment {
    Attachment {
        id: a.id,
        name: a.name,
        media_type: a.media_type,
        size: a.size,
    }
}

pub fn messages(rows: Vec<MessageRow>) -> Vec<Message> {
    rows.into_iter().map(message).collect()
}

/// What every audience is told about a chat: the protocol's `Session`.
fn session(s: &chats::Session) -> Session {
    Session {
        id: s.id.clone(),
        created_at: time(s.created_at),
        verified: s.verified(),
        last_message: s.last_message.clone().map(message),
        status: s.status,
        resolved_at: s.resolved_at.map(time),
        rating: s.rating.as_ref().map(|(score, comment)| Rating {
            score: u8::try_from(*score).unwrap_or_default(),
            comment: comment.clone(),
        }),
        seen_by_visitor: s.seen_by_visitor,
        seen_by_agent: s.seen_by_agent,
    }
}

/// A chat as its visitor sees it: the protocol's `Session` and its scope; nothing about who the org thinks
/// the visitor is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WidgetSession {
    #[serde(flatten)]
    pub session: Session,
    pub external_id: Option<String>,
}

impl From<chats::Session> for WidgetSession {
    fn from(s: chats::Session) -> Self {
        Self {
            session: session(&s),
            external_id: s.external_id,
        }
    }
}

/// A chat as an agent sees it: the visitor's view, and who the visitor is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentSession {
    #[serde(flatten)]
    pub session: Session,
    pub external_id: Option<String>,
    pub contact: ContactView,
}

/// Who the visitor is, keeping what the site vouched for (`custom_data`) apart from what the page claimed
/// (`non_verified_custom_data`): exactly one of the two is non-null.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub email: Option<String>,
    pub name: Option<String>,
    /// What the site's backend vouched for (`authenticate-user`): a JSON object, or `null` for a non-verified visitor.
    #[schema(value_type = Option<Object>)]
    pub custom_data: Option<Value>,
    /// What the page said (`visitor.custom_data` of a chat start): a JSON object, or `null` for a verified visitor.
    #[schema(value_type = Option<Object>)]
    pub non_verified_custom_data: Option<Value>,
}

/// Who the visitor of `s` is, as agents (and webhooks) are told.
pub fn contact_view(s: &chats::Session) -> ContactView {
    match &s.contact {
        Some(c) => ContactView {
            email: Some(c.email.clone()),
            name: c.name.clone(),
            custom_data: Some(c.custom_data.clone()),
            non_verified_custom_data: None,
        },
        None => ContactView {
            email: s.visitor.email.clone(),
            name: s.visitor.name.clone(),
            custom_data: None,
            non_verified_custom_data: Some(json_object(s.visitor.custom_data.as_deref())),
        },
    }
}

impl From<chats::Session> for AgentSession {
    fn from(s: chats::Session) -> Self {
        Self {
            session: session(&s),
            contact: contact_view(&s),
            external_id: s.external_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_protocol::wire::Status;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_764_000_000), "2025-11-24T16:00:00Z");
    }

    #[test]
    fn a_widget_session_is_the_protocol_session_and_its_scope() {
        let view = WidgetSession {
            session: Session {
                id: "s1".into(),
                created_at: time(0),
                verified: true,
                last_message: None,
                status: Status::Open,
                resolved_at: None,
                rating: None,
                seen_by_visitor: None,
                seen_by_agent: None,
            },
            external_id: Some("ws_1".into()),
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "id": "s1", "created_at": "1970-01-01T00:00:00Z", "verified": true,
                                "last_message": null, "status": "open", "resolved_at": null, "rating": null,
                                "seen_by_visitor": null, "seen_by_agent": null, "external_id": "ws_1" })
        );
    }
}
