//! The widget-facing API (`/widget/v1/…`): what the wasm widget calls from the visitor's browser.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use frontdesk_protocol::wire::{
    self, ErrorEnvelope, LeaveEmail, MessageEnvelope, MessagePage, RateSession, SeenBody,
    SendMessage, SessionEnvelope, SessionList, StartSession, TypingBody, Updates, VisitorFields,
};
use serde_json::Value;

use super::{
    message_fields, published, send_answer, session_answer, visible_session, HistoryQuery,
    NoFields, UpdatesQuery, UPDATES_LIMIT,
};
use crate::chats::{
    self, Author, EventAuthor, NewMessage, Status, Stored, Viewer, Visitor, VisitorProfile,
};
use crate::client_ip::ClientIp;
use crate::domain::{AvatarUrl, ClientId, CustomData, Email, Label};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::identity::WidgetVisitor;
use crate::rate_limit::RateKey;
use crate::realtime::{Audience, Holder};
use crate::startup::AppState;
use crate::wire::WidgetSession;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/widget/v1/sessions",
            get(list_sessions).post(start_session),
        )
        .route(
            "/widget/v1/sessions/{id}/messages",
            get(list_messages).post(send_message),
        )
        .route("/widget/v1/sessions/{id}/resolve", post(resolve))
        .route("/widget/v1/sessions/{id}/rating", post(rate))
        .route("/widget/v1/sessions/{id}/typing", post(typing))
        .route("/widget/v1/sessions/{id}/seen", post(seen))
        .route("/widget/v1/sessions/{id}/email", post(leave_email))
        .route("/widget/v1/updates", get(updates))
}

/// The page's `user.data` (`visitor` of a chat start), checked field by field.
fn visitor_profile(fields: VisitorFields<Value>) -> Result<VisitorProfile, ApiError> {
    fn text<T>(
        field: &str,
        raw: Option<String>,
        parse: impl Fn(&str) -> Result<T, crate::domain::Invalid>,
    ) -> Result<Option<T>, ApiError> {
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => parse(s).map(Some).map_err(|e| ApiError::field(field, e)),
        }
    }
    Ok(VisitorProfile {
        name: text("visitor.name", fields.name, |s| {
            Label::parse(s, Label::NAME_MAX)
        })?
        .map(Label::into_string),
        email: text("visitor.email", fields.email, Email::parse)?.map(|e| e.as_str().to_owned()),
        avatar_url: text("visitor.avatar_url", fields.avatar_url, AvatarUrl::parse)?
            .map(AvatarUrl::into_string),
        custom_data: fields
            .custom_data
            .map(|v| CustomData::parse(v).map_err(|e| ApiError::field("visitor.custom_data", e)))
            .transpose()?
            .map(|c| c.to_json()),
    })
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions",
    tag = "widget",
    summary = "Start a chat",
    request_body(content = StartSession<Value>, description = "All optional; an empty body is `{}`."),
    responses(
        (status = 201, description = "A new chat", body = SessionEnvelope<WidgetSession>),
        (status = 200, description = "The chat a start with the same `client_id` already made (a retry)", body = SessionEnvelope<WidgetSession>),
        (status = 429, description = "`rate_limited`, `unverified_data_quota`; `Retry-After` says when to retry", body = ErrorEnvelope),
    )
)]
async fn start_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    WidgetVisitor(visitor): WidgetVisitor,
    Json(body): Json<StartSession<Value>>,
) -> Result<(StatusCode, axum::Json<SessionEnvelope<WidgetSession>>), ApiError> {
    // Parsed (and so validated) for every caller; kept only for a device (see `chats::create_session`).
    let profile = body
        .visitor
        .map(visitor_profile)
        .transpose()?
        .unwrap_or_default();
    let client_id = body
        .client_id
        .as_deref()
        .map(|id| ClientId::parse(id).map_err(|e| ApiError::field("client_id", e)))
        .transpose()?;
    let greeting = chats::Greeting {
        lines: crate::orgs::WidgetTexts::parse_greeting(&body.greeting.unwrap_or_default())
            .map_err(|e| ApiError::InvalidBody(e.to_string()))?,
    };
    let started = |session: chats::Session| {
        axum::Json(SessionEnvelope {
            session: WidgetSession::from(session),
        })
    };
    // A retry is answered before the rate limit, as for messages: it creates nothing.
    if let Some(client_id) = &client_id {
        if let Some(existing) =
            chats::find_session_by_client_id(&state.db, Viewer::from(&visitor), client_id).await?
        {
            return Ok((StatusCode::OK, started(existing)));
        }
    }
    // Sessions count against the same bucket as messages: otherwise one script could create sessions forever.
    super::visitor_rate_limit(&state, &visitor)?;
    // A device id is the client's own pick, so the limits that stop a flood are keyed by what it cannot pick.
    let (new_device, unverified_bytes) = match &visitor {
        Visitor::Device {
            org_id,
            device_hash,
            ..
        } => (
            !chats::device_is_known(&state.db, *org_id, device_hash).await?,
            profile.custom_data.as_ref().map_or(0, String::len),
        ),
        Visitor::Verified { .. } => (false, 0),
    };
    state
        .abuse
        .check_new_session(ip, visitor.org_id(), new_device, unverified_bytes)?;
    match chats::create_session(&state.db, &visitor, profile, client_id.as_ref(), &greeting).await?
    {
        Some(session) => {
            if !greeting.lines.is_empty() {
                super::published(&state, &session);
            }
            Ok((StatusCode::CREATED, started(session)))
        }
        None => {
            // Taken between our look-up and the insert by this visitor's own concurrent retry (then it is theirs
            // to see), or used by this same visitor in another scope. Client ids are unique per owner, so another
            // visitor's chats never conflict and cannot be probed this way.
            let client_id = client_id.expect("unreachable: only a client id can conflict");
            match chats::find_session_by_client_id(&state.db, Viewer::from(&visitor), &client_id)
                .await?
            {
                Some(existing) => Ok((StatusCode::OK, started(existing))),
                None => Err(ApiError::InvalidBody(
                    "client_id: already used to start another conversation; send a new one".into(),
                )),
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/widget/v1/sessions",
    tag = "widget",
    summary = "The caller's chats (the 200 newest)",
    responses((status = 200, description = "The caller's chats", body = SessionList<WidgetSession>))
)]
async fn list_sessions(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
) -> Result<axum::Json<SessionList<WidgetSession>>, ApiError> {
    let sessions = chats::list_sessions(&state.db, Viewer::from(&visitor)).await?;
    let sessions = sessions.into_iter().map(WidgetSession::from).collect();
    Ok(axum::Json(SessionList { sessions }))
}

#[utoipa::path(
    get,
    path = "/widget/v1/sessions/{id}/messages",
    tag = "widget",
    summary = "A page of a chat's messages",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)"), HistoryQuery),
    responses(
        (status = 200, description = "The latest messages below `before`, oldest first", body = MessagePage),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
    )
)]
async fn list_messages(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<axum::Json<MessagePage>, ApiError> {
    super::message_page(&state, Viewer::from(&visitor), &id, &query).await
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/messages",
    tag = "widget",
    summary = "Send a message",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = SendMessage,
    responses(
        (status = 201, description = "The message, stored", body = MessageEnvelope),
        (status = 200, description = "The message a send with the same `client_id` already stored (a retry)", body = MessageEnvelope),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 413, description = "`message_too_large`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`; `Retry-After` says when to retry", body = ErrorEnvelope),
    )
)]
async fn send_message(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Json(body): Json<SendMessage>,
) -> Result<(StatusCode, axum::Json<MessageEnvelope>), ApiError> {
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    let with_attachments = body
        .attachment_ids
        .as_ref()
        .is_some_and(|ids| !ids.is_empty());
    let (content, client_id) = message_fields(
        body.content.as_deref(),
        body.client_id.as_deref(),
        with_attachments,
    )?;
    // A retry is answered before the rate limit: it stores nothing, and a widget retrying after a network error
    // must not be punished for it.
    if let Some(client_id) = &client_id {
        if let Some(existing) = chats::message_by_client_id(&state.db, &session, client_id).await? {
            return Ok(send_answer(
                &state,
                &session,
                Stored::AlreadyThere(existing),
            ));
        }
    }
    super::visitor_rate_limit(&state, &visitor)?;
    let attachment_ids =
        super::attachment_ids(&state, &session, Author::Visitor, body.attachment_ids).await?;
    let message = NewMessage {
        client_id,
        author: Author::Visitor,
        author_name: None,
        author_avatar_url: None,
        content,
        attachment_ids,
    };
    let stored = chats::insert_message(&state.db, &session, message).await?;
    Ok(send_answer(&state, &session, stored))
}

#[utoipa::path(
    get,
    path = "/widget/v1/updates",
    tag = "widget",
    summary = "Real time: a long-poll for new messages and signals",
    params(UpdatesQuery),
    responses(
        (status = 200, description = "The messages after `after` and the signals after `signals_after`, or none when `wait` ran out", body = Updates),
        (status = 429, description = "`too_many_long_polls`; `Retry-After: 10`", body = ErrorEnvelope),
    )
)]
async fn updates(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    WidgetVisitor(visitor): WidgetVisitor,
    Query(query): Query<UpdatesQuery>,
) -> Result<axum::Json<Updates>, ApiError> {
    let _held = super::hold_long_poll(&state, Holder::Visitor(RateKey::from(&visitor)), ip)?;
    let after = query.after();
    super::long_poll(&state, Audience::of_visitor(&visitor), &query, || {
        chats::messages_after(&state.db, Viewer::from(&visitor), after, UPDATES_LIMIT)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/resolve",
    tag = "widget",
    summary = "The visitor ends a chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body(content = NoFields, description = "`{}` or no body"),
    responses(
        (status = 200, description = "The chat, resolved", body = SessionEnvelope<WidgetSession>),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`", body = ErrorEnvelope),
    )
)]
/// The visitor ends the chat (the widget asked them to confirm).
async fn resolve(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Json(NoFields {}): Json<NoFields>,
) -> Result<axum::Json<SessionEnvelope<WidgetSession>>, ApiError> {
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    if session.status == Status::Open {
        super::visitor_rate_limit(&state, &visitor)?;
        if chats::set_status(
            &state.db,
            &session,
            Status::Resolved,
            &EventAuthor::visitor(),
        )
        .await?
        .is_some()
        {
            published(&state, &session);
        }
    }
    session_answer(&state, Viewer::from(&visitor), &session).await
}

/// Where a non-verified visitor wants the reply (offered outside office hours): stored as the chat's unverified
/// email, which agents see as the contact's. A verified visitor's email is their account's, so theirs is refused.
#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/email",
    tag = "widget",
    summary = "Where a non-verified visitor wants the reply (offered outside office hours)",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = LeaveEmail,
    responses(
        (status = 204, description = "Stored as the chat's unverified email"),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`; `Retry-After` says when to retry", body = ErrorEnvelope),
    )
)]
async fn leave_email(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Json(body): Json<LeaveEmail>,
) -> Result<StatusCode, ApiError> {
    let email = body
        .email
        .ok_or_else(|| ApiError::InvalidBody("email: required".into()))?;
    let email = Email::parse(&email).map_err(|e| ApiError::field("email", e))?;
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    if session.verified() {
        return Err(ApiError::InvalidBody(
            "email: a verified visitor is answered at their account's email; nothing to leave"
                .into(),
        ));
    }
    super::visitor_rate_limit(&state, &visitor)?;
    chats::set_visitor_email(&state.db, &session, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `score` 1–5 and an optional comment, checked.
fn rating_fields(body: RateSession) -> Result<(i64, Option<String>), ApiError> {
    use frontdesk_protocol::limits::{
        RATING_COMMENT_MAX_CHARS, RATING_SCORE_MAX, RATING_SCORE_MIN,
    };
    let score = body
        .score
        .ok_or_else(|| ApiError::InvalidBody("score: required".into()))?;
    if !(RATING_SCORE_MIN..=RATING_SCORE_MAX).contains(&score) {
        return Err(ApiError::InvalidBody(format!(
            "score: must be an integer from {RATING_SCORE_MIN} to {RATING_SCORE_MAX}"
        )));
    }
    let comment = body
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if let Some(comment) = &comment {
        if comment.chars().count() > RATING_COMMENT_MAX_CHARS {
            return Err(ApiError::InvalidBody(format!(
                "comment: at most {RATING_COMMENT_MAX_CHARS} characters"
            )));
        }
        // The same rule as a message's text: no control characters, not only invisible ones.
        crate::domain::MessageContent::parse(comment).map_err(|e| ApiError::field("comment", e))?;
    }
    Ok((score, comment))
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/rating",
    tag = "widget",
    summary = "Rate a resolved chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = RateSession,
    responses(
        (status = 201, description = "The chat with its rating", body = SessionEnvelope<WidgetSession>),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 409, description = "`not_resolved`, `already_rated`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`", body = ErrorEnvelope),
    )
)]
async fn rate(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Json(body): Json<RateSession>,
) -> Result<(StatusCode, axum::Json<SessionEnvelope<WidgetSession>>), ApiError> {
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    let (score, comment) = rating_fields(body)?;
    super::visitor_rate_limit(&state, &visitor)?;
    chats::rate(&state.db, &session, score, comment.as_deref()).await?;
    published(&state, &session);
    let answer = session_answer(&state, Viewer::from(&visitor), &session).await?;
    Ok((StatusCode::CREATED, answer))
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/typing",
    tag = "widget",
    summary = "The visitor started or stopped typing",
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
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Json(body): Json<TypingBody>,
) -> Result<StatusCode, ApiError> {
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    super::report_typing(
        &state,
        Holder::Visitor(RateKey::from(&visitor)),
        &session,
        wire::Author::Visitor,
        None,
        body,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/seen",
    tag = "widget",
    summary = "How far the visitor saw the chat",
    params(("id" = String, Path, description = "The session id (32 lowercase hex characters)")),
    request_body = SeenBody,
    responses(
        (status = 204, description = "Stored, and told to the agents"),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`", body = ErrorEnvelope),
    )
)]
async fn seen(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    Json(body): Json<SeenBody>,
) -> Result<StatusCode, ApiError> {
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    super::mark_seen(
        &state,
        Holder::Visitor(RateKey::from(&visitor)),
        &session,
        Author::Visitor,
        body,
    )
    .await
}
