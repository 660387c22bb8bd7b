//! The agent API (`/api/…`, CONTRACT §4): support staff and bots read every chat of their org and reply.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    message_fields, send_answer, updates_body, visible_session, UpdatesQuery, UPDATES_LIMIT,
};
use crate::chats::{self, json_object, Author, Message, NewMessage, Session, Viewer};
use crate::client_ip::ClientIp;
use crate::domain::ExternalId;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::identity::AgentKey;
use crate::realtime::{Audience, Holder};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions", get(list_sessions))
        .route(
            "/api/sessions/{id}/messages",
            get(list_messages).post(reply),
        )
        .route("/api/updates", get(updates))
}

#[derive(Debug, Serialize)]
struct SessionView {
    id: String,
    external_id: Option<String>,
    #[serde(serialize_with = "chats::rfc3339")]
    created_at: i64,
    verified: bool,
    contact: ContactView,
    last_message: Option<Message>,
}

/// Who the visitor is, keeping what the site vouched for (`custom_data`) apart from what the page claimed
/// (`non_verified_custom_data`): exactly one of the two is non-null.
#[derive(Debug, Serialize)]
struct ContactView {
    email: Option<String>,
    name: Option<String>,
    custom_data: Option<Value>,
    non_verified_custom_data: Option<Value>,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        let verified = s.verified();
        let contact = match s.contact {
            Some(c) => ContactView {
                email: Some(c.email),
                name: c.name,
                custom_data: Some(c.custom_data),
                non_verified_custom_data: None,
            },
            None => ContactView {
                email: s.visitor.email,
                name: s.visitor.name,
                custom_data: None,
                non_verified_custom_data: Some(json_object(s.visitor.custom_data.as_deref())),
            },
        };
        Self {
            verified,
            id: s.id,
            external_id: s.external_id,
            created_at: s.created_at,
            contact,
            last_message: s.last_message,
        }
    }
}

/// `?external_id=&before=&limit=` of the session list.
#[derive(Debug, Deserialize)]
struct ListQuery {
    external_id: Option<String>,
    /// The `next_before` of the previous page.
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list_sessions(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let scope = query
        .external_id
        .as_deref()
        .map(|raw| {
            ExternalId::parse(raw).map_err(|e| ApiError::InvalidExternalId("external_id", e))
        })
        .transpose()?;
    let limit = match query.limit {
        None => chats::SESSION_LIST_LIMIT,
        Some(n @ 1..=chats::SESSION_LIST_LIMIT) => n,
        Some(_) => {
            return Err(ApiError::InvalidQuery(format!(
                "limit: must be between 1 and {}",
                chats::SESSION_LIST_LIMIT
            )))
        }
    };
    let sessions = chats::list_sessions_by_activity(
        &state.db,
        agent.org_id,
        scope.as_ref(),
        query.before,
        limit,
    )
    .await?;
    // A full page may have more behind it; a short one is the end.
    let next_before = (sessions.len() as i64 == limit)
        .then(|| sessions.last().map(|s| s.activity_seq))
        .flatten();
    let sessions: Vec<SessionView> = sessions.into_iter().map(SessionView::from).collect();
    Ok(axum::Json(
        json!({ "sessions": sessions, "next_before": next_before }),
    ))
}

async fn list_messages(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let session = visible_session(&state, Viewer::Org(agent.org_id), &id).await?;
    let messages = chats::messages(&state.db, &session).await?;
    Ok(axum::Json(json!({ "messages": messages })))
}

#[derive(Debug, Deserialize)]
struct Reply {
    content: Option<String>,
    /// Optional, as for the widget: a retried reply with the same id is stored once.
    client_id: Option<String>,
}

async fn reply(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Json(body): Json<Reply>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let session = visible_session(&state, Viewer::Org(agent.org_id), &id).await?;
    let (content, client_id) = message_fields(body.content.as_deref(), body.client_id.as_deref())?;
    let message = NewMessage {
        client_id,
        author: Author::Agent,
        author_name: Some(agent.name),
        content,
    };
    let stored = chats::insert_message(&state.db, &session, message).await?;
    Ok(send_answer(&state, &session, stored))
}

async fn updates(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AgentKey(agent): AgentKey,
    Query(query): Query<UpdatesQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let holder = Holder::Agent {
        org_id: agent.org_id,
        name: agent.name.clone(),
    };
    let _held = super::hold_long_poll(&state, holder, ip)?;
    let after = query.after();
    let messages = state
        .notifier
        .long_poll(Audience::Org(agent.org_id), query.wait(), || {
            chats::messages_after(&state.db, Viewer::Org(agent.org_id), after, UPDATES_LIMIT)
        })
        .await?;
    Ok(axum::Json(updates_body(after, messages)))
}
