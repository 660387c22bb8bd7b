//! The one error type of the HTTP API, and the one body every error has:
//! `{ "error": { "code": "…", "message": "…" } }`.
//!
//! Messages are written for the site owner who reads them in a browser console or a curl output: they name the
//! header or field at fault and say what is expected. Internal failures are the exception: their cause goes to the
//! server log, and the body says only that something failed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use frontdesk_protocol::wire::{ErrorBody, ErrorEnvelope};
use frontdesk_protocol::{headers, ErrorCode};

use crate::auth::TokenRejection;
use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `invalid_widget_token`
    #[error(
        "{}: missing or unknown; use the widget token printed by `frontdesk-server org create`",
        headers::WIDGET_TOKEN
    )]
    InvalidWidgetToken,
    /// 403 `origin_not_allowed`
    #[error("Origin {0} is not one of this widget token's allowed origins (those given to `org create --allowed-origin`)")]
    OriginNotAllowed(String),
    /// 400 `ambiguous_identity`
    #[error("send either Authorization (a verified user token) or X-Frontdesk-Device (a non-verified visitor), not both")]
    AmbiguousIdentity,
    /// 401 `missing_identity`
    #[error("send Authorization: Bearer <user token> for a verified user, or X-Frontdesk-Device for a non-verified one")]
    MissingIdentity,
    /// 401 `invalid_user_token`
    #[error("Authorization: the user token is refused: {0}; get a new one from POST /widget/authenticate-user")]
    InvalidUserToken(TokenRejection),
    /// 401 `user_token_expired`
    #[error("Authorization: the user token has expired; get a new one from POST /widget/authenticate-user")]
    UserTokenExpired,
    /// 400 `invalid_device_id`
    #[error("{header}: {0}", header = headers::DEVICE)]
    InvalidDeviceId(Invalid),
    /// 422 `invalid_external_id`; the string names where the id came from (header or query parameter).
    /// A header value that is not ASCII is decoded (lossily) so that its first non-ASCII character is named.
    #[error("{0}: {1}")]
    InvalidExternalId(&'static str, Invalid),
    /// 401 `invalid_secret_key`
    #[error("Authorization: expected `Bearer sk_…` with this site's secret key (printed by `frontdesk-server org create`)")]
    InvalidSecretKey,
    /// 401 `invalid_api_key`
    #[error("Authorization: expected `Bearer sk_…` (the site's secret key) or `Bearer ak_…` (an agent key)")]
    InvalidApiKey,
    /// 401 `invalid_api_key` on `/metrics`
    #[error(
        "Authorization: expected `Bearer <token>` with the token given to `serve --metrics-token`"
    )]
    InvalidMetricsToken,
    /// 403 `origin_forbidden`
    #[error("this endpoint is for your server, not for browsers (the request has an Origin header); never put the secret key in a web page")]
    OriginForbidden,
    /// 422 `invalid_body`
    #[error("{0}")]
    InvalidBody(String),
    /// 422 `invalid_query`
    #[error("{0}")]
    InvalidQuery(String),
    /// 415 `unsupported_media_type`
    #[error("Content-Type: expected application/json")]
    UnsupportedMediaType,
    /// 413 `body_too_large`
    #[error("the request body is larger than {} KiB", crate::startup::BODY_LIMIT / 1024)]
    BodyTooLarge,
    /// 413 `message_too_large`
    #[error(
        "content: longer than {} characters",
        crate::domain::MessageContent::MAX_LEN
    )]
    MessageTooLarge,
    /// 429 `rate_limited`, with a `Retry-After` header.
    #[error("too many messages: at most {burst} per {window_secs} seconds; retry in {retry_after_secs} s")]
    RateLimited {
        burst: u32,
        window_secs: u64,
        retry_after_secs: u64,
    },
    /// 429 `rate_limited`, with a `Retry-After` header: a limit keyed by the client address or the org, which a
    /// client cannot reset by presenting a new device id. `by` completes "too many new chats …".
    #[error("too many new chats {by}: at most {burst} per {window_secs} seconds; retry in {retry_after_secs} s")]
    SessionsLimited {
        by: &'static str,
        burst: u32,
        window_secs: u64,
        retry_after_secs: u64,
    },
    /// 429 `unverified_data_quota`, with a `Retry-After` header: the org stored its hourly allowance of
    /// page-supplied `custom_data`.
    #[error("visitor.custom_data: this site stored its allowance of unverified custom data ({kib} KiB per {window_secs} seconds); retry in {retry_after_secs} s, or start the chat without custom_data")]
    UnverifiedDataQuota {
        kib: u64,
        window_secs: u64,
        retry_after_secs: u64,
    },
    /// 429 `too_many_long_polls`, with a `Retry-After` header: `per` is "visitor", "agent" or "client address".
    #[error("too many long-polls open at once for this {per} (at most {max}); close one (another tab?) or retry in {} s", Self::LONG_POLL_RETRY_SECS)]
    TooManyLongPolls { per: &'static str, max: usize },
    /// 503 `server_busy`, with a `Retry-After` header: the server holds its maximum of connections.
    #[error(
        "the server is at its connection limit; retry in {} s",
        Self::BUSY_RETRY_SECS
    )]
    ServerBusy,
    /// 408 `body_timeout`: the body did not arrive in full within the body-read timeout.
    #[error("the request body did not arrive within {0} s")]
    BodyTimeout(u64),
    /// 414 `uri_too_long`
    #[error("the path is longer than {0} bytes")]
    UriTooLong(usize),
    /// 404 `session_not_found`: also for sessions that exist but are not the caller's, so ids cannot be probed.
    #[error("no such session (or not one this caller may see)")]
    SessionNotFound,
    /// 404 `not_found`
    #[error("no such route")]
    NotFound,
    /// 409 `not_resolved`
    #[error("this chat is open: a rating is for a resolved chat")]
    NotResolved,
    /// 409 `already_rated`
    #[error("this chat's resolution is already rated (one rating per resolution)")]
    AlreadyRated,
    /// 413 `attachment_too_large`
    #[error("{0}")]
    AttachmentTooLarge(String),
    /// 415 `attachment_type_not_allowed`
    #[error("{0}")]
    AttachmentTypeNotAllowed(String),
    /// 422 `attachment_type_mismatch`
    #[error("{0}")]
    AttachmentTypeMismatch(String),
    /// 404 `attachment_not_found`: also for attachments of chats the caller does not see.
    #[error("no such attachment (or not one this caller may see)")]
    AttachmentNotFound,
    /// 429 `attachment_quota`, with a `Retry-After` header.
    #[error("file: this site stored its allowance of uploads ({mib} MiB per hour); retry in {retry_after_secs} s")]
    AttachmentQuota { mib: u64, retry_after_secs: u64 },
    /// 404 `contact_not_found`: also for another org's contacts.
    #[error("{0}")]
    ContactNotFound(String),
    /// 404 `agent_not_found`: also for another org's agents.
    #[error("{0}")]
    AgentNotFound(String),
    /// 409 `session_of_contact`: a device's deletion or export named a verified user's chat.
    #[error("{0}")]
    SessionOfContact(String),
    /// 422 `webhook_url_not_allowed`: the address guard of docs/api.md "Webhooks".
    #[error("{0}")]
    WebhookUrlNotAllowed(String),
    /// 409 `too_many_webhooks`
    #[error("{0}")]
    TooManyWebhooks(String),
    /// 404 `webhook_not_found`: also for another org's endpoints.
    #[error("no such webhook endpoint (or not one of this org)")]
    WebhookNotFound,
    /// 404 `webhook_delivery_not_found`: also for another org's deliveries.
    #[error("no such webhook delivery (or not one of this org)")]
    WebhookDeliveryNotFound,
    /// Any other bare HTTP error (405 from the router, 416 from static files, …), given our body on the way out.
    #[error("{}", .0.canonical_reason().unwrap_or("request failed"))]
    Status(StatusCode),
    /// 500 `internal`: logged, not shown.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// 503 `database_unavailable`, with a `Retry-After` header: busy, locked, read-only or failing (see
    /// `db::is_unavailable`). The cause is logged, not shown.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(sqlx::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        crate::db::note_failure(&e);
        if crate::db::is_unavailable(&e) {
            Self::DatabaseUnavailable(e)
        } else {
            Self::Database(e)
        }
    }
}

impl From<crate::chats::RatingRefused> for ApiError {
    fn from(e: crate::chats::RatingRefused) -> Self {
        match e {
            crate::chats::RatingRefused::NotResolved => Self::NotResolved,
            crate::chats::RatingRefused::AlreadyRated => Self::AlreadyRated,
            crate::chats::RatingRefused::Db(e) => e.into(),
        }
    }
}

impl From<crate::admin::AdminError> for ApiError {
    fn from(e: crate::admin::AdminError) -> Self {
        use crate::admin::AdminError;
        match e {
            AdminError::AgentNotFound(_) => Self::AgentNotFound(e.to_string()),
            // The admin API finds the org by its secret key, never by a widget token.
            AdminError::UnknownWidgetToken(_) => Self::InvalidSecretKey,
            AdminError::InvalidWidgetText(e) => Self::InvalidBody(e.to_string()),
            AdminError::Database(e) => e.into(),
        }
    }
}

impl From<crate::privacy::PrivacyError> for ApiError {
    fn from(e: crate::privacy::PrivacyError) -> Self {
        use crate::privacy::PrivacyError;
        match e {
            PrivacyError::ContactNotFound(_) => Self::ContactNotFound(e.to_string()),
            PrivacyError::SessionNotFound => Self::SessionNotFound,
            PrivacyError::SessionOfContact(_) => Self::SessionOfContact(e.to_string()),
            PrivacyError::Database(e) => e.into(),
        }
    }
}

impl From<crate::domain::attachment::Refused> for ApiError {
    fn from(refused: crate::domain::attachment::Refused) -> Self {
        use crate::domain::attachment::Refused;
        let message = refused.to_string();
        match refused {
            Refused::TooLarge { .. } => Self::AttachmentTooLarge(message),
            Refused::TypeNotAllowed { .. } => Self::AttachmentTypeNotAllowed(message),
            Refused::Mismatch { .. } => Self::AttachmentTypeMismatch(message),
        }
    }
}

impl From<crate::webhooks::WebhookError> for ApiError {
    fn from(e: crate::webhooks::WebhookError) -> Self {
        use crate::domain::webhook::WebhookRefused;
        use crate::webhooks::WebhookError;
        let message = e.to_string();
        match e {
            WebhookError::Refused(WebhookRefused::PrivateAddress { .. }) => {
                Self::WebhookUrlNotAllowed(message)
            }
            WebhookError::Refused(_) => Self::InvalidBody(message),
            WebhookError::TooManyEndpoints => Self::TooManyWebhooks(message),
            WebhookError::EndpointNotFound(_) => Self::WebhookNotFound,
            WebhookError::DeliveryNotFound(_) => Self::WebhookDeliveryNotFound,
            WebhookError::Database(e) => e.into(),
        }
    }
}

impl ApiError {
    /// A refused long-poll's wait: long enough that a tab over the cap polls rarely, short enough that it takes
    /// over soon after another tab closes.
    const LONG_POLL_RETRY_SECS: u64 = 10;
    const BUSY_RETRY_SECS: u64 = 2;
    const DATABASE_RETRY_SECS: u64 = 5;

    /// `field: problem` as a 422 `invalid_body`.
    pub fn field(field: &str, problem: Invalid) -> Self {
        Self::InvalidBody(format!("{field}: {problem}"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::AmbiguousIdentity | Self::InvalidDeviceId(_) => StatusCode::BAD_REQUEST,
            Self::InvalidWidgetToken
            | Self::MissingIdentity
            | Self::InvalidUserToken(_)
            | Self::UserTokenExpired
            | Self::InvalidSecretKey
            | Self::InvalidApiKey
            | Self::InvalidMetricsToken => StatusCode::UNAUTHORIZED,
            Self::OriginNotAllowed(_) | Self::OriginForbidden => StatusCode::FORBIDDEN,
            Self::SessionNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::NotResolved | Self::AlreadyRated => StatusCode::CONFLICT,
            Self::AttachmentTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::AttachmentTypeNotAllowed(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::AttachmentTypeMismatch(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AttachmentNotFound | Self::ContactNotFound(_) | Self::AgentNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            Self::SessionOfContact(_) => StatusCode::CONFLICT,
            Self::WebhookUrlNotAllowed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyWebhooks(_) => StatusCode::CONFLICT,
            Self::WebhookNotFound | Self::WebhookDeliveryNotFound => StatusCode::NOT_FOUND,
            Self::AttachmentQuota { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BodyTooLarge | Self::MessageTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidExternalId(..) | Self::InvalidBody(_) | Self::InvalidQuery(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::RateLimited { .. }
            | Self::SessionsLimited { .. }
            | Self::UnverifiedDataQuota { .. }
            | Self::TooManyLongPolls { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerBusy | Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::Status(status) => *status,
            Self::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Retry-After` of an answer that a later retry can turn into a success.
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited {
                retry_after_secs, ..
            }
            | Self::SessionsLimited {
                retry_after_secs, ..
            }
            | Self::UnverifiedDataQuota {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::TooManyLongPolls { .. } => Some(Self::LONG_POLL_RETRY_SECS),
            Self::AttachmentQuota {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::ServerBusy => Some(Self::BUSY_RETRY_SECS),
            Self::DatabaseUnavailable(_) => Some(Self::DATABASE_RETRY_SECS),
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidWidgetToken => ErrorCode::InvalidWidgetToken,
            Self::OriginNotAllowed(_) => ErrorCode::OriginNotAllowed,
            Self::AmbiguousIdentity => ErrorCode::AmbiguousIdentity,
            Self::MissingIdentity => ErrorCode::MissingIdentity,
            Self::InvalidUserToken(_) => ErrorCode::InvalidUserToken,
            Self::UserTokenExpired => ErrorCode::UserTokenExpired,
            Self::InvalidDeviceId(_) => ErrorCode::InvalidDeviceId,
            Self::InvalidExternalId(..) => ErrorCode::InvalidExternalId,
            Self::InvalidSecretKey => ErrorCode::InvalidSecretKey,
            Self::InvalidApiKey | Self::InvalidMetricsToken => ErrorCode::InvalidApiKey,
            Self::OriginForbidden => ErrorCode::OriginForbidden,
            Self::InvalidBody(_) => ErrorCode::InvalidBody,
            Self::InvalidQuery(_) => ErrorCode::InvalidQuery,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::BodyTooLarge => ErrorCode::BodyTooLarge,
            Self::MessageTooLarge => ErrorCode::MessageTooLarge,
            Self::RateLimited { .. } | Self::SessionsLimited { .. } => ErrorCode::RateLimited,
            Self::UnverifiedDataQuota { .. } => ErrorCode::UnverifiedDataQuota,
            Self::TooManyLongPolls { .. } => ErrorCode::TooManyLongPolls,
            Self::ServerBusy => ErrorCode::ServerBusy,
            Self::DatabaseUnavailable(_) => ErrorCode::DatabaseUnavailable,
            Self::BodyTimeout(_) => ErrorCode::BodyTimeout,
            Self::UriTooLong(_) => ErrorCode::UriTooLong,
            Self::SessionNotFound => ErrorCode::SessionNotFound,
            Self::NotFound => ErrorCode::NotFound,
            Self::NotResolved => ErrorCode::NotResolved,
            Self::AlreadyRated => ErrorCode::AlreadyRated,
            Self::AttachmentTooLarge(_) => ErrorCode::AttachmentTooLarge,
            Self::AttachmentTypeNotAllowed(_) => ErrorCode::AttachmentTypeNotAllowed,
            Self::AttachmentTypeMismatch(_) => ErrorCode::AttachmentTypeMismatch,
            Self::AttachmentNotFound => ErrorCode::AttachmentNotFound,
            Self::AttachmentQuota { .. } => ErrorCode::AttachmentQuota,
            Self::ContactNotFound(_) => ErrorCode::ContactNotFound,
            Self::AgentNotFound(_) => ErrorCode::AgentNotFound,
            Self::SessionOfContact(_) => ErrorCode::SessionOfContact,
            Self::WebhookUrlNotAllowed(_) => ErrorCode::WebhookUrlNotAllowed,
            Self::TooManyWebhooks(_) => ErrorCode::TooManyWebhooks,
            Self::WebhookNotFound => ErrorCode::WebhookNotFound,
            Self::WebhookDeliveryNotFound => ErrorCode::WebhookDeliveryNotFound,
            Self::Status(StatusCode::METHOD_NOT_ALLOWED) => ErrorCode::MethodNotAllowed,
            Self::Status(status) if status.is_server_error() => ErrorCode::Internal,
            Self::Status(_) => ErrorCode::HttpError,
            Self::Database(_) => ErrorCode::Internal,
        }
    }
}

/// Marks a response whose body is already ours, so [`json_errors`] leaves it alone.
#[derive(Clone, Copy)]
struct OurErrorBody;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if self.code() == ErrorCode::Internal {
            tracing::error!(error = %self, "request failed");
            "internal error; the server log has the details".to_owned()
        } else if let Self::DatabaseUnavailable(_) = self {
            tracing::warn!(error = %self, "request refused");
            format!(
                "the database is unavailable at the moment (busy, read-only or failing); retry in {} s",
                Self::DATABASE_RETRY_SECS
            )
        } else if status.is_server_error() {
            tracing::warn!(error = %self, "request refused");
            self.to_string()
        } else {
            self.to_string()
        };
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code().as_str().to_owned(),
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(OurErrorBody);
        response
    }
}

/// Gives our error body to error responses made outside our handlers: the router's 404 and 405, the body-limit
/// layer's 413 (sent before any extractor runs), static-file errors.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<OurErrorBody>().is_some()
    {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge,
        other => ApiError::Status(other),
    };
    let (parts, _) = response.into_parts();
    let mut ours = error.into_response();
    // The route it came from, for `/metrics` (`telemetry::mark_route`).
    if let Some(route) = parts.extensions.get::<axum::extract::MatchedPath>() {
        ours.extensions_mut().insert(route.clone());
    }
    // Keep what the inner layer said about the response (CORS, Allow, Vary…), but not its body's description.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !ours.headers().contains_key(name)
        {
            ours.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ours
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_code_and_a_message_naming_what_to_fix() {
        let e = ApiError::field("email", Invalid::NotAnEmail);
        assert_eq!(
            (e.status(), e.code(), e.to_string().as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidBody,
                "email: not an email address"
            )
        );
        let e = ApiError::InvalidExternalId(headers::EXTERNAL_ID, Invalid::Empty);
        assert_eq!(e.to_string(), "X-Frontdesk-External-Id: must not be empty");
        assert_eq!(
            ApiError::Status(StatusCode::METHOD_NOT_ALLOWED).code(),
            ErrorCode::MethodNotAllowed
        );
        assert_eq!(
            ApiError::MessageTooLarge.to_string(),
            "content: longer than 4000 characters"
        );
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let response = ApiError::Database(sqlx::Error::PoolClosed).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("pool"), "{body}");
    }

    #[tokio::test]
    async fn bare_error_responses_get_our_body_and_keep_their_headers() {
        let bare = Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header(header::ALLOW, "GET")
            .body(axum::body::Body::empty())
            .unwrap();
        let ours = json_errors(bare).await;
        assert_eq!(ours.headers()[header::ALLOW], "GET");
        let body = axum::body::to_bytes(ours.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
}
