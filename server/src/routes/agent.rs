//! The agent API (`/api/…`, docs/api.md "Agent API"): support staff and bots read every chat of their org and
//! reply.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use frontdesk_protocol::wire::{MessageEnvelope, MessagePage, SendMessage, SessionPage, Updates};
use serde::Deserialize;

use super::{
    message_fields, send_answer, updates_body, visible_session, HistoryQuery, UpdatesQuery,
    UPDATES_LIMIT,
};
use crate::chats::{self, Author, NewMessage, Viewer};
use crate::client_ip::ClientIp;
use crate::domain::ExternalId;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::identity::AgentKey;
use crate::realtime::{Audience, Holder};
use crate::startup::AppState;
use crate::wire::AgentSession;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions", get(list_sessions))
        .route(
            "/api/sessions/{id}/messages",
            get(list_messages).post(reply),
        )
        .route("/api/updates", get(updates))
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
) -> Result<axum::Json<SessionPage<AgentSession>>, ApiError> {
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
    let sessions = sessions.into_iter().map(AgentSession::from).collect();
    Ok(axum::Json(SessionPage {
        sessions,
        next_before,
    }))
}

async fn list_messages(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<axum::Json<MessagePage>, ApiError> {
    super::message_page(&state, Viewer::Org(agent.org_id), &id, &query).await
}

async fn reply(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    // The widget's send body: `client_id` is optional here too, and a retried reply with the same id is stored once.
    Json(body): Json<SendMessage>,
) -> Result<(StatusCode, axum::Json<MessageEnvelope>), ApiError> {
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
) -> Result<axum::Json<Updates>, ApiError> {
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
