//! Who is calling: extractors that turn request headers into an identity, or refuse the request.
//!
//! - [`WidgetVisitor`]: the widget's headers (widget token, Origin rule, user token or device id, scope).
//! - [`ServerKey`]: the site's backend calling `authenticate-user` with its secret key.
//! - [`AgentKey`]: support staff and bots on the agent API, with the secret key or an agent key.
//! - [`AdminKey`]: the site's owner on the admin API, with the secret key (the same check as [`ServerKey`]).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::auth::{self, Agent, TokenRejection};
use crate::chats::Visitor;
use crate::domain::{DeviceId, ExternalId};
use crate::error::ApiError;
use crate::orgs;
use crate::startup::AppState;

/// The widget's headers, lower-cased as `HeaderName::from_static` wants them (`frontdesk_protocol::headers`).
pub use frontdesk_protocol::headers::lowercase::{DEVICE, EXTERNAL_ID, WIDGET_TOKEN};

/// A header's value as text; a value that is not visible ASCII reads as present but empty, so it fails parsing
/// with the header's own error rather than passing as absent.
fn header(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

/// A header's value decoded as UTF-8 (lossily), for the headers whose rule names a bad character: a non-ASCII
/// value then fails with "contains U+015B (ś), which is not ASCII" instead of reading as empty.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The org of a widget request that needs no visitor (its public settings): the widget token and the Origin rule,
/// the first two checks of [`WidgetVisitor`]. What it answers is in the site's pages anyway.
#[derive(Debug)]
pub struct WidgetOrg(pub orgs::Org);

impl FromRequestParts<AppState> for WidgetOrg {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let headers = &parts.headers;
        let widget_token = header(headers, WIDGET_TOKEN).ok_or(ApiError::InvalidWidgetToken)?;
        let org = orgs::org_for_widget_token(&state.db, widget_token)
            .await?
            .ok_or(ApiError::InvalidWidgetToken)?;
        let origin = header(headers, ORIGIN);
        if !org.allows_origin(origin) {
            return Err(ApiError::OriginNotAllowed(
                origin.unwrap_or_default().to_owned(),
            ));
        }
        Ok(Self(org))
    }
}

/// The visitor behind a widget request. Checks, in order: the widget token, the Origin rule, the scope, then
/// exactly one of a user token (verified) or a device id (non-verified).
#[derive(Debug)]
pub struct WidgetVisitor(pub Visitor);

impl FromRequestParts<AppState> for WidgetVisitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let WidgetOrg(org) = WidgetOrg::from_request_parts(parts, state).await?;
        let headers = &parts.headers;
        let scope = header_text(headers, EXTERNAL_ID)
            .map(|raw| {
                ExternalId::parse(&raw).map_err(|e| {
                    ApiError::InvalidExternalId(frontdesk_protocol::headers::EXTERNAL_ID, e)
                })
            })
            .transpose()?;
        let visitor = match (header(headers, AUTHORIZATION), header(headers, DEVICE)) {
            (Some(_), Some(_)) => return Err(ApiError::AmbiguousIdentity),
            (None, None) => return Err(ApiError::MissingIdentity),
            (Some(authorization), None) => {
                let token = auth::bearer(Some(authorization))
                    .ok_or(ApiError::InvalidUserToken(TokenRejection::Malformed))?;
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let claims = auth::verify_user_token(&state.db, token, org.id, now).await?;
                if !crate::privacy::contact_exists(&state.db, org.id, claims.sub).await? {
                    return Err(ApiError::InvalidUserToken(TokenRejection::ContactDeleted));
                }
                Visitor::Verified {
                    org_id: org.id,
                    contact_id: claims.sub,
                    scope,
                }
            }
            (None, Some(device)) => {
                let device = DeviceId::parse(device).map_err(ApiError::InvalidDeviceId)?;
                Visitor::Device {
                    org_id: org.id,
                    device_hash: auth::device_hash(&device),
                    scope,
                }
            }
        };
        Ok(Self(visitor))
    }
}

/// The org whose secret key authorises a server-to-server call. Refuses any request with an `Origin` header:
/// a browser is never supposed to hold the secret key, and refusing such requests makes that mistake loud.
#[derive(Debug)]
pub struct ServerKey(pub i64);

impl FromRequestParts<AppState> for ServerKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        secret_key_org(parts, state)
            .await
            .map(|org| Self(org.org_id))
    }
}

/// The secret key's check, for [`ServerKey`] and [`AdminKey`].
async fn secret_key_org(parts: &Parts, state: &AppState) -> Result<auth::SecretKeyOrg, ApiError> {
    if parts.headers.contains_key(ORIGIN) {
        return Err(ApiError::OriginForbidden);
    }
    let key =
        auth::bearer(header(&parts.headers, AUTHORIZATION)).ok_or(ApiError::InvalidSecretKey)?;
    auth::org_for_secret_key(&state.db, key)
        .await?
        .ok_or(ApiError::InvalidSecretKey)
}

/// The org whose secret key calls the admin API (`/api/admin/…`), and the audit log's name for the caller. Like
/// [`ServerKey`], refuses requests from browsers.
#[derive(Debug)]
pub struct AdminKey {
    pub org_id: i64,
    pub actor: crate::audit::Actor,
}

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let org = secret_key_org(parts, state).await?;
        Ok(Self {
            org_id: org.org_id,
            actor: crate::audit::Actor::SecretKey(org.key_id),
        })
    }
}

/// The agent behind an agent API call (the secret key counts as an agent named "Support").
#[derive(Debug)]
pub struct AgentKey(pub Agent);

impl FromRequestParts<AppState> for AgentKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key =
            auth::bearer(header(&parts.headers, AUTHORIZATION)).ok_or(ApiError::InvalidApiKey)?;
        let agent = auth::agent_for_key(&state.db, key)
            .await?
            .ok_or(ApiError::InvalidApiKey)?;
        Ok(Self(agent))
    }
}
