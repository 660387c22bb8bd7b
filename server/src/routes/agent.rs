//! The agent API (`/api/…`, docs/api.md "Agent API"): support staff and bots read every chat of their org and
//! reply.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use frontdesk_protocol::wire::{
    self, ErrorEnvelope, MessageEnvelope, MessagePage, SeenBody, SendMessage, SessionEnvelope,
    SessionPage, TypingBody, Updates,
};
use serde::{Deserialize, Serialize};

use super::{
    message_fields, published, send_answer, session_answer, visible_session, HistoryQuery,
    NoFields, UpdatesQuery, UPDATES_LIMIT,
};
use crate::auth::Agent;
use crate::chats::{self, Author, EventAuthor, NewMessage, Status, Viewer};
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
        .route("/api/sessions/{id}/resolve", post(resolve))
        .route("/api/sessions/{id}/reopen", post(reopen))
        .route("/api/sessions/{id}/typing", post(typing))
        .route("/api/sessions/{id}/seen", post(seen))
        .route("/api/updates", get(updates))
        .route("/api/csat", get(csat))
}

/// `?external_id=&before=&limit=` of the session list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this scope (absent = every scope); 1–128 characters of `[A-Za-z0-9_.:@-]`.
    external_id: Option<String>,
    /// The `next_before` of the previous page.
    before: Option<i64>,
    /// Chats in the page, 1–200 (default 200).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "agent",
    summary = "The org's chats, latest activity first",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of chats; `next_before` asks for the next", body = SessionPage<AgentSession>),
        (status = 422, description = "`invalid_external_id`", body = ErrorEnvelope),
    )
)]
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

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages",
    tag = "agent",
    summary = "A page of a chat's messages",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)"), HistoryQuery),
    responses(
        (status = 200, description = "The latest messages below `before`, oldest first", body = MessagePage),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
    )
)]
async fn list_messages(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<axum::Json<MessagePage>, ApiError> {
    super::message_page(&state, Viewer::Org(agent.org_id), &id, &query).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages",
    tag = "agent",
    summary = "Reply in a chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = SendMessage,
    responses(
        (status = 201, description = "The reply, stored and delivered", body = MessageEnvelope),
        (status = 200, description = "The reply a send with the same `client_id` already stored (a retry)", body = MessageEnvelope),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 413, description = "`message_too_large`", body = ErrorEnvelope),
    )
)]
async fn reply(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    // The widget's send body: `client_id` is optional here too, and a retried reply with the same id is stored once.
    Json(body): Json<SendMessage>,
) -> Result<(StatusCode, axum::Json<MessageEnvelope>), ApiError> {
    let session = visible_session(&state, Viewer::Org(agent.org_id), &id).await?;
    let with_attachments = body
        .attachment_ids
        .as_ref()
        .is_some_and(|ids| !ids.is_empty());
    let (content, client_id) = message_fields(
        body.content.as_deref(),
        body.client_id.as_deref(),
        with_attachments,
    )?;
    if let Some(client_id) = &client_id {
        if let Some(existing) = chats::message_by_client_id(&state.db, &session, client_id).await? {
            return Ok(send_answer(
                &state,
                &session,
                chats::Stored::AlreadyThere(existing),
            ));
        }
    }
    let attachment_ids =
        super::attachment_ids(&state, &session, Author::Agent, body.attachment_ids).await?;
    let message = NewMessage {
        client_id,
        author: Author::Agent,
        author_name: Some(agent.name),
        author_avatar_url: agent.avatar_url,
        content,
        attachment_ids,
    };
    let stored = chats::insert_message(&state.db, &session, message).await?;
    Ok(send_answer(&state, &session, stored))
}

#[utoipa::path(
    get,
    path = "/api/updates",
    tag = "agent",
    summary = "Real time for every chat of the org: a long-poll",
    params(UpdatesQuery),
    responses(
        (status = 200, description = "The messages after `after` and the signals after `signals_after`, or none when `wait` ran out", body = Updates),
        (status = 429, description = "`too_many_long_polls`; `Retry-After: 10`", body = ErrorEnvelope),
    )
)]
async fn updates(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AgentKey(agent): AgentKey,
    headers: axum::http::HeaderMap,
    Query(query): Query<UpdatesQuery>,
) -> Result<axum::Json<Updates>, ApiError> {
    let holder = Holder::Agent {
        org_id: agent.org_id,
        name: agent.name.clone(),
    };
    let _held = super::hold_long_poll(&state, holder, ip)?;
    let after = query.after();
    // The key is checked again before every read of a held poll: one revoked (or retired) while the poll waits
    // gets no message stored after that, and its next request is refused.
    let key = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::auth::bearer(Some(v)))
        .unwrap_or_default()
        .to_owned();
    let (state_ref, key) = (&state, key.as_str());
    super::long_poll(
        &state,
        Audience::Org(agent.org_id),
        &query,
        move || async move {
            if crate::auth::agent_for_key(&state_ref.db, key)
                .await?
                .is_none()
            {
                return Ok(Vec::new());
            }
            chats::messages_after(
                &state_ref.db,
                Viewer::Org(agent.org_id),
                after,
                UPDATES_LIMIT,
            )
            .await
        },
    )
    .await
}

fn event_author(agent: &Agent) -> EventAuthor {
    EventAuthor {
        author: Author::Agent,
        name: Some(agent.name.clone()),
        avatar_url: agent.avatar_url.clone(),
    }
}

async fn change_status(
    state: AppState,
    agent: Agent,
    id: String,
    to: Status,
) -> Result<axum::Json<SessionEnvelope<AgentSession>>, ApiError> {
    let viewer = Viewer::Org(agent.org_id);
    let session = visible_session(&state, viewer, &id).await?;
    if chats::set_status(&state.db, &session, to, &event_author(&agent))
        .await?
        .is_some()
    {
        published(&state, &session);
    }
    session_answer(&state, viewer, &session).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/resolve",
    tag = "agent",
    summary = "Resolve a chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body(content = NoFields, description = "`{}` or no body"),
    responses(
        (status = 200, description = "The chat, resolved", body = SessionEnvelope<AgentSession>),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
    )
)]
async fn resolve(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Json(NoFields {}): Json<NoFields>,
) -> Result<axum::Json<SessionEnvelope<AgentSession>>, ApiError> {
    change_status(state, agent, id, Status::Resolved).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/reopen",
    tag = "agent",
    summary = "Reopen a chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body(content = NoFields, description = "`{}` or no body"),
    responses(
        (status = 200, description = "The chat, open", body = SessionEnvelope<AgentSession>),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
    )
)]
async fn reopen(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Json(NoFields {}): Json<NoFields>,
) -> Result<axum::Json<SessionEnvelope<AgentSession>>, ApiError> {
    change_status(state, agent, id, Status::Open).await
}

fn agent_holder(agent: &Agent) -> Holder {
    Holder::Agent {
        org_id: agent.org_id,
        name: agent.name.clone(),
    }
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/typing",
    tag = "agent",
    summary = "The agent started or stopped typing",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = TypingBody,
    responses(
        (status = 204, description = "Told to everyone who sees the chat"),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`", body = ErrorEnvelope),
    )
)]
async fn typing(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Json(body): Json<TypingBody>,
) -> Result<StatusCode, ApiError> {
    let session = visible_session(&state, Viewer::Org(agent.org_id), &id).await?;
    super::report_typing(
        &state,
        agent_holder(&agent),
        &session,
        wire::Author::Agent,
        Some(agent.name),
        body,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/seen",
    tag = "agent",
    summary = "How far the agents read the chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = SeenBody,
    responses(
        (status = 204, description = "Stored, and told to the visitor"),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`", body = ErrorEnvelope),
    )
)]
async fn seen(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    Json(body): Json<SeenBody>,
) -> Result<StatusCode, ApiError> {
    let session = visible_session(&state, Viewer::Org(agent.org_id), &id).await?;
    super::mark_seen(&state, agent_holder(&agent), &session, Author::Agent, body).await
}

/// `?from=&to=&external_id=` of the CSAT summary.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CsatQuery {
    /// Ratings given at or after this RFC 3339 time.
    from: Option<String>,
    /// Ratings given before this RFC 3339 time.
    to: Option<String>,
    /// Only this scope (absent = every scope).
    external_id: Option<String>,
}

/// `GET /api/csat`: the ratings of a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CsatSummary {
    count: i64,
    /// `null` when there is no rating.
    average: Option<f64>,
    /// How many ratings of each score, `"1"` to `"5"`.
    distribution: std::collections::BTreeMap<String, i64>,
}

fn query_time(name: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|text| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .map_err(|_| {
                ApiError::InvalidQuery(format!(
                    "{name}: expected an RFC 3339 time such as 2026-11-01T00:00:00Z"
                ))
            })
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/api/csat",
    tag = "agent",
    summary = "The ratings of a period",
    params(CsatQuery),
    responses(
        (status = 200, description = "How many ratings, their average and their distribution", body = CsatSummary),
        (status = 422, description = "`invalid_external_id`", body = ErrorEnvelope),
    )
)]
async fn csat(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Query(query): Query<CsatQuery>,
) -> Result<axum::Json<CsatSummary>, ApiError> {
    let from = query_time("from", query.from.as_deref())?;
    let to = query_time("to", query.to.as_deref())?;
    let scope = query
        .external_id
        .as_deref()
        .map(|raw| {
            ExternalId::parse(raw).map_err(|e| ApiError::InvalidExternalId("external_id", e))
        })
        .transpose()?;
    let counts = chats::rating_counts(&state.db, agent.org_id, scope.as_ref(), from, to).await?;
    let mut count = 0;
    let mut total = 0;
    let mut distribution = std::collections::BTreeMap::new();
    for (index, n) in counts.iter().enumerate() {
        let score = index as i64 + 1;
        count += n;
        total += n * score;
        distribution.insert(score.to_string(), *n);
    }
    let average = (count > 0).then(|| (total as f64 / count as f64 * 100.0).round() / 100.0);
    Ok(axum::Json(CsatSummary {
        count,
        average,
        distribution,
    }))
}
