//! HTTP routes, one module a resource; each exposes `router()`, merged in `startup::app`.

pub mod admin;
pub mod agent;
pub mod attachments;
pub mod authenticate;
pub mod console;
pub mod health;
pub mod webhooks;
pub mod widget;

use std::time::Duration;

use axum::http::StatusCode;
use axum::Json;
use frontdesk_protocol::limits::MESSAGE_PAGE_MAX;
use frontdesk_protocol::wire::{
    self, MessageEnvelope, MessagePage, SessionEnvelope, Signal, SignalKind, Updates,
};
use serde::Deserialize;

use crate::chats::{MessageRow, Session, Stored};
use crate::domain::{ClientId, Invalid, MessageContent, SessionId};
use crate::error::ApiError;
use crate::realtime::Audience;
use crate::startup::AppState;

/// The session a path's id names, if `viewer` sees it. Anything else (a malformed id, another device's,
/// another org's, no such session) is the same 404 `session_not_found`, so ids cannot be probed.
async fn visible_session(
    state: &AppState,
    viewer: crate::chats::Viewer<'_>,
    raw_id: &str,
) -> Result<Session, ApiError> {
    let id = SessionId::parse(raw_id).map_err(|_| ApiError::SessionNotFound)?;
    crate::chats::find_session(&state.db, viewer, &id)
        .await?
        .ok_or(ApiError::SessionNotFound)
}

/// `?before=ID&limit=N` of a chat's history (docs/api.md): the page below message `before`, or the latest.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// The page below this message id (the previous page's `next_before`); absent = the latest messages.
    #[param(minimum = 1)]
    before: Option<i64>,
    /// Messages in the page, 1–1000 (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

impl HistoryQuery {
    /// `before` and `limit` checked, the limit defaulted: a 422 `invalid_query` names the parameter.
    fn checked(&self) -> Result<(Option<i64>, i64), ApiError> {
        if self.before.is_some_and(|before| before < 1) {
            return Err(ApiError::InvalidQuery(
                "before: must be a message id (1 or more)".into(),
            ));
        }
        let limit = match self.limit {
            None => MESSAGE_PAGE_MAX,
            Some(n @ 1..=MESSAGE_PAGE_MAX) => n,
            Some(_) => {
                return Err(ApiError::InvalidQuery(format!(
                    "limit: must be between 1 and {MESSAGE_PAGE_MAX}"
                )))
            }
        };
        Ok((self.before, limit))
    }
}

/// `GET …/sessions/{id}/messages` for any viewer: a page of the session's messages if the viewer sees it, else 404.
async fn message_page(
    state: &AppState,
    viewer: crate::chats::Viewer<'_>,
    raw_id: &str,
    query: &HistoryQuery,
) -> Result<Json<MessagePage>, ApiError> {
    let (before, limit) = query.checked()?;
    let session = visible_session(state, viewer, raw_id).await?;
    let (rows, next_before) = crate::chats::messages(&state.db, &session, before, limit).await?;
    Ok(Json(MessagePage {
        messages: crate::wire::messages(rows),
        next_before,
    }))
}

/// `content` and `client_id` of a send, checked. With attachments the text is an optional caption.
fn message_fields(
    content: Option<&str>,
    client_id: Option<&str>,
    with_attachments: bool,
) -> Result<(MessageContent, Option<ClientId>), ApiError> {
    let content = match MessageContent::parse(content.unwrap_or_default()) {
        Ok(content) => content,
        Err(Invalid::Empty) if with_attachments => MessageContent::none(),
        Err(Invalid::TooLong { .. }) => return Err(ApiError::MessageTooLarge),
        Err(Invalid::Empty) if content.is_none() => {
            return Err(ApiError::InvalidBody("content: required".into()))
        }
        Err(other) => return Err(ApiError::field("content", other)),
    };
    let client_id = client_id
        .map(ClientId::parse)
        .transpose()
        .map_err(|e| ApiError::field("client_id", e))?;
    Ok((content, client_id))
}

/// `attachment_ids` of a send by `by` in `session`, checked against the org's rules and the uploads: each an upload
/// of this chat by the same side, not sent yet, at most the org's files per message, none twice.
async fn attachment_ids(
    state: &AppState,
    session: &Session,
    by: crate::chats::Author,
    ids: Option<Vec<String>>,
) -> Result<Vec<String>, ApiError> {
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Ok(ids);
    }
    let rules = crate::orgs::attachment_rules(&state.db, session.org_id).await?;
    if ids.len() as i64 > rules.max_per_message {
        return Err(ApiError::InvalidBody(format!(
            "attachment_ids: at most {} files in one message",
            rules.max_per_message
        )));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(ApiError::InvalidBody(format!(
                "attachment_ids: {id}: given twice"
            )));
        }
    }
    if let Some(problem) = crate::chats::check_attachments(&state.db, session, by, &ids).await? {
        return Err(ApiError::InvalidBody(format!("attachment_ids: {problem}")));
    }
    Ok(ids)
}

/// The answer to a send: 201 with a new message, after waking everyone who sees the session; 200 with the message
/// a retry had already stored (nobody is woken twice for it).
fn send_answer(
    state: &AppState,
    session: &Session,
    stored: Stored,
) -> (StatusCode, Json<MessageEnvelope>) {
    let (status, row) = match stored {
        Stored::Created(row) => {
            state.notifier.publish(&Audience::of_session(session));
            (StatusCode::CREATED, row)
        }
        Stored::AlreadyThere(row) => (StatusCode::OK, row),
    };
    let message = crate::wire::message(row);
    (status, Json(MessageEnvelope { message }))
}

/// Counts a long-poll against its holder's and its address's caps, or refuses it with 429 `too_many_long_polls`.
fn hold_long_poll(
    state: &AppState,
    holder: crate::realtime::Holder,
    address: std::net::IpAddr,
) -> Result<crate::realtime::PollPermit<'_>, ApiError> {
    use crate::realtime::{Holder, PollCapReached};
    let per = match holder {
        Holder::Agent { .. } => "agent",
        _ => "visitor",
    };
    state
        .polls
        .hold(holder, address)
        .map_err(|reached| match reached {
            PollCapReached::Identity(max) => ApiError::TooManyLongPolls { per, max },
            PollCapReached::Address(max) => ApiError::TooManyLongPolls {
                per: "client address",
                max,
            },
        })
}

/// `?after=ID&signals_after=N&wait=SECONDS` of the long-poll routes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UpdatesQuery {
    /// The `cursor` of the previous answer: messages after this id (default 0).
    after: Option<i64>,
    /// The `signals_at` of the previous answer: signals after this stamp (default 0).
    signals_after: Option<i64>,
    /// Seconds to hold the request while nothing is new, 0–30 (default 25; more is clamped to 30).
    #[param(minimum = 0)]
    wait: Option<u64>,
}

/// Longest a long-poll is held, and how long when the client does not say.
const MAX_WAIT: u64 = 30;
const DEFAULT_WAIT: u64 = 25;
/// Most messages one long-poll answer carries; the client asks again from the returned cursor for the rest.
const UPDATES_LIMIT: i64 = 200;

impl UpdatesQuery {
    fn after(&self) -> i64 {
        self.after.unwrap_or(0).max(0)
    }

    fn signals_after(&self) -> i64 {
        self.signals_after.unwrap_or(0)
    }

    fn wait(&self) -> Duration {
        Duration::from_secs(self.wait.unwrap_or(DEFAULT_WAIT).min(MAX_WAIT))
    }
}

/// The long-poll answer: the messages and the cursor to pass as the next `after`; the signals and the stamp to
/// pass as the next `signals_after`.
fn updates_body(query: &UpdatesQuery, rows: Vec<MessageRow>, signals: Vec<Signal>) -> Updates {
    let cursor = rows.last().map_or(query.after(), |m| m.id);
    let mut signals_at = query.signals_after();
    for signal in &signals {
        signals_at = signals_at.max(signal.at);
    }
    Updates {
        messages: crate::wire::messages(rows),
        cursor,
        signals,
        signals_at,
    }
}

/// A long-poll for `audience`: the messages `query` finds after the cursor, or the signals after `signals_after`.
async fn long_poll<F, Fut>(
    state: &AppState,
    audience: Audience,
    query: &UpdatesQuery,
    read: F,
) -> Result<Json<Updates>, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<MessageRow>, sqlx::Error>>,
{
    let (rows, signals) = state
        .notifier
        .long_poll_with_signals(audience, query.wait(), query.signals_after(), read)
        .await?;
    Ok(Json(updates_body(query, rows, signals)))
}

/// `session` as `viewer` sees it now (after a change of status or a rating), in its envelope.
async fn session_answer<S: From<Session>>(
    state: &AppState,
    viewer: crate::chats::Viewer<'_>,
    session: &Session,
) -> Result<Json<SessionEnvelope<S>>, ApiError> {
    let id = SessionId::parse(&session.id).map_err(|_| ApiError::SessionNotFound)?;
    let now = crate::chats::find_session(&state.db, viewer, &id)
        .await?
        .ok_or(ApiError::SessionNotFound)?;
    Ok(Json(SessionEnvelope {
        session: S::from(now),
    }))
}

/// Wakes everyone who sees `session` after an event was stored in it (other instances hear of it from the
/// database's own notification).
fn published(state: &AppState, session: &Session) {
    state.notifier.publish(&Audience::of_session(session));
}

/// A body with no fields (`{}` or none): what a request that only names its session sends.
/// (Unknown fields are refused by name by `extract::Json`.)
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NoFields {}

/// `POST …/seen` for either side: stores how far `by` saw the chat and tells the other side.
async fn mark_seen(
    state: &AppState,
    holder: crate::realtime::Holder,
    session: &Session,
    by: crate::chats::Author,
    body: wire::SeenBody,
) -> Result<StatusCode, ApiError> {
    let message_id = body
        .message_id
        .ok_or_else(|| ApiError::InvalidBody("message_id: required".into()))?;
    signal_rate_limit(state, holder, session, SignalKind::Seen)?;
    if !crate::chats::mark_seen(&state.db, session, by, message_id).await? {
        return Err(ApiError::InvalidBody(
            "message_id: not a message of this chat".into(),
        ));
    }
    send_signal(
        state,
        session,
        SignalKind::Seen,
        crate::wire::author(by),
        None,
        None,
        Some(message_id),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is sending a signal, for its rate limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignalKey {
    holder: crate::realtime::Holder,
    session_id: String,
    kind: &'static str,
}

/// Checks the signal limit of `holder` in `session` (docs/api.md "Limits").
fn signal_rate_limit(
    state: &AppState,
    holder: crate::realtime::Holder,
    session: &Session,
    kind: SignalKind,
) -> Result<(), ApiError> {
    let key = SignalKey {
        holder,
        session_id: session.id.clone(),
        kind: kind.as_str(),
    };
    take_token(&state.signal_limiter, key)
}

/// Takes a token of `limiter` for `key`, or refuses with 429 `rate_limited` naming the bucket's size.
fn take_token<K: std::hash::Hash + Eq>(
    limiter: &crate::rate_limit::RateLimiter<K>,
    key: K,
) -> Result<(), ApiError> {
    limiter.check(key).map_err(|retry_after| {
        let limit = limiter.limit();
        ApiError::RateLimited {
            burst: limit.burst,
            window_secs: limit.window.as_secs(),
            retry_after_secs: crate::rate_limit::retry_secs(retry_after),
        }
    })
}

/// A visitor's message bucket (messages, chat starts, status changes, ratings, uploads).
fn visitor_rate_limit(state: &AppState, visitor: &crate::chats::Visitor) -> Result<(), ApiError> {
    take_token(
        &state.rate_limiter,
        crate::rate_limit::RateKey::from(visitor),
    )
}

/// `POST …/typing` for either side: tells everyone who sees the chat that `author` started or stopped typing.
async fn report_typing(
    state: &AppState,
    holder: crate::realtime::Holder,
    session: &Session,
    author: wire::Author,
    author_name: Option<String>,
    body: wire::TypingBody,
) -> Result<StatusCode, ApiError> {
    let typing = body
        .typing
        .ok_or_else(|| ApiError::InvalidBody("typing: required".into()))?;
    signal_rate_limit(state, holder, session, SignalKind::Typing)?;
    send_signal(
        state,
        session,
        SignalKind::Typing,
        author,
        author_name,
        Some(typing),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a typing or seen signal to everyone who sees `session`: through the database's notifications on Postgres
/// (so every instance's long-polls hear it, this one's included), straight to this instance's long-polls on SQLite.
async fn send_signal(
    state: &AppState,
    session: &Session,
    kind: SignalKind,
    author: wire::Author,
    author_name: Option<String>,
    typing: Option<bool>,
    message_id: Option<i64>,
) -> Result<(), ApiError> {
    let signal = Signal {
        kind,
        session_id: session.id.clone(),
        author,
        author_name,
        typing,
        message_id,
        at: state.notifier.next_signal_at(),
    };
    match crate::db::backend(&state.db) {
        crate::db::Backend::Sqlite => {
            state
                .notifier
                .push_signal(Audience::of_session(session), signal);
        }
        crate::db::Backend::Postgres => {
            let payload = crate::pg_listen::signal_payload(session, &signal);
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(crate::pg_listen::SIGNAL_CHANNEL)
                .bind(payload)
                .execute(&state.db)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_parameters_default_and_name_what_is_wrong() {
        let q = |before, limit| HistoryQuery { before, limit }.checked();
        assert_eq!(q(None, None).unwrap(), (None, MESSAGE_PAGE_MAX));
        assert_eq!(q(Some(1), Some(1)).unwrap(), (Some(1), 1));
        assert_eq!(q(Some(99), Some(1000)).unwrap(), (Some(99), 1000));
        for (before, limit, named) in [
            (Some(0), None, "before: "),
            (Some(-3), None, "before: "),
            (None, Some(0), "limit: "),
            (None, Some(1001), "limit: "),
        ] {
            match q(before, limit) {
                Err(ApiError::InvalidQuery(message)) => {
                    assert!(message.starts_with(named), "{message}")
                }
                other => panic!("{before:?} {limit:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn long_poll_parameters_default_and_clamp() {
        let q = |after, wait| UpdatesQuery {
            after,
            signals_after: None,
            wait,
        };
        assert_eq!(
            (q(None, None).after(), q(None, None).wait()),
            (0, Duration::from_secs(25))
        );
        assert_eq!(q(Some(-5), Some(3600)).wait(), Duration::from_secs(30));
        assert_eq!(q(Some(-5), Some(0)).after(), 0);
    }
}
