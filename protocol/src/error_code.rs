//! `error.code` of the server's error body, as an enum: the server names its errors with it and the widget
//! compares against it, so a code cannot be misspelled on one side only.

use core::fmt;
use core::str::FromStr;

macro_rules! error_codes {
    ($($variant:ident => $code:literal,)+) => {
        /// A machine-readable error code. `docs/api.md` says when each is answered.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = concat!("`", $code, "`")] $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of `docs/api.md`.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as it travels.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The code that `text` spells; `None` for a code this version does not know.
            pub fn parse(text: &str) -> Option<ErrorCode> {
                match text {
                    $($code => Some(ErrorCode::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    InvalidWidgetToken => "invalid_widget_token",
    OriginNotAllowed => "origin_not_allowed",
    AmbiguousIdentity => "ambiguous_identity",
    MissingIdentity => "missing_identity",
    InvalidUserToken => "invalid_user_token",
    UserTokenExpired => "user_token_expired",
    InvalidDeviceId => "invalid_device_id",
    InvalidExternalId => "invalid_external_id",
    InvalidSecretKey => "invalid_secret_key",
    InvalidApiKey => "invalid_api_key",
    OriginForbidden => "origin_forbidden",
    InvalidBody => "invalid_body",
    InvalidQuery => "invalid_query",
    UnsupportedMediaType => "unsupported_media_type",
    BodyTooLarge => "body_too_large",
    MessageTooLarge => "message_too_large",
    RateLimited => "rate_limited",
    UnverifiedDataQuota => "unverified_data_quota",
    TooManyLongPolls => "too_many_long_polls",
    ServerBusy => "server_busy",
    DatabaseUnavailable => "database_unavailable",
    BodyTimeout => "body_timeout",
    UriTooLong => "uri_too_long",
    SessionNotFound => "session_not_found",
    NotResolved => "not_resolved",
    AlreadyRated => "already_rated",
    AttachmentTooLarge => "attachment_too_large",
    AttachmentTypeNotAllowed => "attachment_type_not_allowed",
    AttachmentTypeMismatch => "attachment_type_mismatch",
    AttachmentNotFound => "attachment_not_found",
    AttachmentQuota => "attachment_quota",
    ContactNotFound => "contact_not_found",
    AgentNotFound => "agent_not_found",
    SessionOfContact => "session_of_contact",
    WebhookUrlNotAllowed => "webhook_url_not_allowed",
    TooManyWebhooks => "too_many_webhooks",
    WebhookNotFound => "webhook_not_found",
    WebhookDeliveryNotFound => "webhook_delivery_not_found",
    NotFound => "not_found",
    MethodNotAllowed => "method_not_allowed",
    Internal => "internal",
    HttpError => "http_error",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// In the OpenAPI document: a string, one of [`ErrorCode::ALL`].
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "What went wrong, for programs; docs/api.md \"Error codes\" says when each is answered.",
            ))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

/// A code this version of the protocol does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown error code")
    }
}

impl std::error::Error for UnknownErrorCode {}

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ErrorCode::parse(text).ok_or(UnknownErrorCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_snake_case() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(*code));
            assert!(code
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "no code twice");
    }

    /// docs/api.md is the codes' prose: a code added here and not there (or the reverse) fails.
    #[test]
    fn docs_api_lists_every_code() {
        let docs = include_str!("../../docs/api.md");
        let table = docs
            .split("## Error codes")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("docs/api.md has an Error codes section");
        let listed: Vec<&str> = table
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, codes);
    }

    #[test]
    fn unknown_codes_are_none() {
        assert_eq!(ErrorCode::parse("User_Token_Expired"), None);
        assert_eq!("teapot".parse::<ErrorCode>(), Err(UnknownErrorCode));
    }
}
