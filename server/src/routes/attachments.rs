//! Attachments (docs/api.md "Attachments"): uploads from either side, downloads by whoever sees the chat, and the
//! org's rules for the widget. Uploads have a router of their own, outside the 64 KiB limit of JSON bodies.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use frontdesk_protocol::wire::{
    AttachmentEnvelope, AttachmentRules, ErrorEnvelope, OfficeHoursNow, WidgetSettings,
};

use super::visible_session;
use crate::auth::Agent;
use crate::chats::{self, Author, NewAttachment, Session, Viewer};
use crate::domain::attachment;
use crate::error::ApiError;
use crate::identity::{AgentKey, WidgetOrg, WidgetVisitor};
use crate::startup::AppState;

/// The upload routes (their body limit is set by `startup::app`).
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/widget/v1/sessions/{id}/attachments", post(visitor_upload))
        .route("/api/sessions/{id}/attachments", post(agent_upload))
}

/// Downloads and the widget's settings (attachment rules, greeting, suggested questions, office hours).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/widget/v1/attachments/{id}", get(visitor_download))
        .route("/api/attachments/{id}", get(agent_download))
        .route("/widget/v1/settings", get(settings))
}

/// An upload's form, for the OpenAPI document: one part named `file` (read by [`read_file`]).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Upload {
    /// The file: its name and declared `Content-Type` are checked against its content and the org's rules.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The one part named `file`: its name, declared type and bytes, read to the end within the upload timeout and
/// refused as soon as it passes the org's largest file (the rest is not read).
async fn read_file(
    state: &AppState,
    mut form: Multipart,
    max_bytes: i64,
) -> Result<(String, String, Vec<u8>), ApiError> {
    let deadline = tokio::time::Instant::now() + state.config.upload_read_timeout;
    let timed_out = || ApiError::BodyTimeout(state.config.upload_read_timeout.as_secs());
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::InvalidBody(format!("file: {}", e.body_text()))
    };
    let one_part = || {
        ApiError::InvalidBody(
            "file: required (send one form part named file, and nothing else)".into(),
        )
    };
    let mut file = None;
    loop {
        let next = tokio::time::timeout_at(deadline, form.next_field())
            .await
            .map_err(|_| timed_out())?
            .map_err(unreadable)?;
        let Some(mut field) = next else { break };
        if field.name() != Some("file") || file.is_some() {
            return Err(one_part());
        }
        let name = attachment::file_name(field.file_name().unwrap_or_default())
            .map_err(|why| ApiError::InvalidBody(format!("file: {why}")))?;
        let declared = field.content_type().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        loop {
            let chunk = tokio::time::timeout_at(deadline, field.chunk())
                .await
                .map_err(|_| timed_out())?
                .map_err(unreadable)?;
            let Some(chunk) = chunk else { break };
            if (bytes.len() + chunk.len()) as i64 > max_bytes {
                return Err(attachment::Refused::TooLarge {
                    name,
                    max: max_bytes,
                }
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, declared, bytes));
    }
    match file {
        Some((_, _, bytes)) if bytes.is_empty() => Err(ApiError::InvalidBody(
            "file: empty (a file of 0 bytes)".into(),
        )),
        Some(file) => Ok(file),
        None => Err(one_part()),
    }
}

/// Reads, checks and stores the upload of `by` to `session`, charging its bytes to the org's hourly allowance.
async fn upload(
    state: &AppState,
    session: &Session,
    by: Author,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, axum::Json<AttachmentEnvelope>), ApiError> {
    let form = form.map_err(|e| {
        ApiError::InvalidBody(format!(
            "file: send multipart/form-data with one part named file ({})",
            e.body_text()
        ))
    })?;
    let rules = crate::orgs::attachment_rules(&state.db, session.org_id).await?;
    let (name, declared, bytes) = read_file(state, form, rules.max_bytes).await?;
    let media_type = attachment::check(&rules, &name, &declared, &bytes)?;
    let kib = u32::try_from(bytes.len().div_ceil(1024)).unwrap_or(u32::MAX);
    state
        .upload_quota
        .check_n(session.org_id, kib)
        .map_err(|wait| ApiError::AttachmentQuota {
            mib: u64::from(state.upload_quota.limit().burst) / 1024,
            retry_after_secs: crate::rate_limit::retry_secs(wait),
        })?;
    let stored = chats::store_attachment(
        &state.db,
        session,
        by,
        NewAttachment {
            name,
            media_type,
            data: bytes,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AttachmentEnvelope {
            attachment: crate::wire::attachment(stored),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/widget/v1/sessions/{id}/attachments",
    tag = "widget",
    summary = "Upload a file to send with a message",
    params(("id" = String, Path, description = "The session id")),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The file, checked and stored; send its id in `attachment_ids`", body = AttachmentEnvelope),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 408, description = "`body_timeout`", body = ErrorEnvelope),
        (status = 413, description = "`attachment_too_large`, `body_too_large`", body = ErrorEnvelope),
        (status = 415, description = "`attachment_type_not_allowed`", body = ErrorEnvelope),
        (status = 422, description = "`invalid_body`, `attachment_type_mismatch`", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`, `attachment_quota`; `Retry-After`", body = ErrorEnvelope),
    )
)]
async fn visitor_upload(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, axum::Json<AttachmentEnvelope>), ApiError> {
    let session = visible_session(&state, Viewer::from(&visitor), &id).await?;
    // An upload counts as a message against the visitor's bucket: it is as much work and more bytes.
    super::visitor_rate_limit(&state, &visitor)?;
    upload(&state, &session, Author::Visitor, form).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/attachments",
    tag = "agent",
    summary = "Upload a file to send with a reply",
    params(("id" = String, Path, description = "The session id")),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The file, checked and stored; send its id in `attachment_ids`", body = AttachmentEnvelope),
        (status = 404, description = "`session_not_found`", body = ErrorEnvelope),
        (status = 408, description = "`body_timeout`", body = ErrorEnvelope),
        (status = 413, description = "`attachment_too_large`, `body_too_large`", body = ErrorEnvelope),
        (status = 415, description = "`attachment_type_not_allowed`", body = ErrorEnvelope),
        (status = 422, description = "`invalid_body`, `attachment_type_mismatch`", body = ErrorEnvelope),
        (status = 429, description = "`attachment_quota`; `Retry-After`", body = ErrorEnvelope),
    )
)]
async fn agent_upload(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, axum::Json<AttachmentEnvelope>), ApiError> {
    let Agent { org_id, .. } = agent;
    let session = visible_session(&state, Viewer::Org(org_id), &id).await?;
    upload(&state, &session, Author::Agent, form).await
}

/// The file as a browser must never run it: its checked type, no sniffing, a sandbox, and a download for anything
/// but an image.
fn file_response(file: chats::AttachmentFile) -> Response {
    let disposition = if attachment::is_inline_image(&file.media_type) {
        "inline".to_owned()
    } else {
        format!(
            "attachment; filename*=UTF-8''{}",
            percent_encode(&file.name)
        )
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_str(&file.media_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    (headers, file.data).into_response()
}

/// RFC 5987 encoding of a file name for `filename*`.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

async fn download(state: &AppState, viewer: Viewer<'_>, id: &str) -> Result<Response, ApiError> {
    // Ids are 32 hex characters; anything else is no attachment, without a query.
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::AttachmentNotFound);
    }
    let file = chats::attachment_file(&state.db, viewer, id)
        .await?
        .ok_or(ApiError::AttachmentNotFound)?;
    Ok(file_response(file))
}

#[utoipa::path(
    get,
    path = "/widget/v1/attachments/{id}",
    tag = "widget",
    summary = "Download a file of a chat the caller sees",
    params(("id" = String, Path, description = "The attachment id (32 lowercase hex characters)")),
    responses(
        (status = 200, description = "The file, with its checked type; `Content-Disposition: attachment` for anything but an image", content_type = "*/*", body = Vec<u8>),
        (status = 404, description = "`attachment_not_found`", body = ErrorEnvelope),
    )
)]
async fn visitor_download(
    State(state): State<AppState>,
    WidgetVisitor(visitor): WidgetVisitor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    download(&state, Viewer::from(&visitor), &id).await
}

#[utoipa::path(
    get,
    path = "/api/attachments/{id}",
    tag = "agent",
    summary = "Download a file of the org's chats",
    params(("id" = String, Path, description = "The attachment id (32 lowercase hex characters)")),
    responses(
        (status = 200, description = "The file, with its checked type; `Content-Disposition: attachment` for anything but an image", content_type = "*/*", body = Vec<u8>),
        (status = 404, description = "`attachment_not_found`", body = ErrorEnvelope),
    )
)]
async fn agent_download(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    download(&state, Viewer::Org(agent.org_id), &id).await
}

/// Needs no visitor: a visitor who has never written (no device id yet) sees the greeting too.
#[utoipa::path(
    get,
    path = "/widget/v1/settings",
    tag = "widget",
    summary = "What the org allows and shows before a chat (no identity needed)",
    responses((status = 200, description = "The org's attachment rules, greeting, suggested questions and office hours now", body = WidgetSettings))
)]
async fn settings(
    State(state): State<AppState>,
    WidgetOrg(org): WidgetOrg,
) -> Result<axum::Json<WidgetSettings>, ApiError> {
    let rules = org.attachments;
    let texts = crate::orgs::widget_texts(&state.db, org.id).await?;
    let rfc3339 = |t: jiff::Timestamp| t.to_string();
    Ok(axum::Json(WidgetSettings {
        attachments: AttachmentRules {
            max_bytes: rules.max_bytes,
            max_per_message: rules.max_per_message,
            types: rules.types,
        },
        greeting: texts.greeting,
        suggested_questions: texts.suggested_questions,
        office_hours: texts.office_hours.map(|hours| {
            let now = hours.at(jiff::Timestamp::now());
            OfficeHoursNow {
                open: now.open,
                time_zone: hours.time_zone().to_owned(),
                next_open_at: now.next_open_at.map(rfc3339),
                next_close_at: now.next_close_at.map(rfc3339),
            }
        }),
    }))
}
