//! `POST /widget/authenticate-user` (docs/api.md, "Server-to-server"): the site's backend vouches for a user and
//! gets a user token.

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use frontdesk_protocol::wire::UserToken;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{self, UserClaims};
use crate::domain::{AvatarUrl, CustomData, Email, Label};
use crate::error::ApiError;
use crate::extract::Json;
use crate::identity::ServerKey;
use crate::orgs::{self, ContactUpdate};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/widget/authenticate-user", post(authenticate_user))
}

/// Every field optional at this stage so that a missing one is reported by name with our wording.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AuthenticateUser)]
struct Body {
    /// Required: identifies the contact within the org.
    email: Option<String>,
    name: Option<String>,
    avatar_url: Option<String>,
    phone: Option<String>,
    language: Option<String>,
    /// Trusted data about the user, a JSON object of at most 16 KiB; replaces what was stored.
    #[schema(value_type = Option<Object>)]
    custom_data: Option<Value>,
    /// OpenCX's docs spell it both ways; code written against either must work.
    #[serde(rename = "customData")]
    #[schema(value_type = Option<Object>)]
    custom_data_camel: Option<Value>,
}

/// An optional text field: absent, null or blank means "not given".
fn optional<T>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::domain::Invalid>,
) -> Result<Option<T>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => parse(raw).map(Some).map_err(|e| ApiError::field(field, e)),
    }
}

impl Body {
    fn parse(self) -> Result<(Email, ContactUpdate), ApiError> {
        let email = match self.email.as_deref().map(str::trim) {
            None | Some("") => return Err(ApiError::InvalidBody("email: required".into())),
            Some(raw) => Email::parse(raw).map_err(|e| ApiError::field("email", e))?,
        };
        let custom_data = match (self.custom_data, self.custom_data_camel) {
            (Some(_), Some(_)) => {
                return Err(ApiError::InvalidBody(
                    "custom_data and customData: give only one".into(),
                ))
            }
            (Some(v), None) => Some(("custom_data", v)),
            (None, Some(v)) => Some(("customData", v)),
            (None, None) => None,
        };
        let custom_data = custom_data
            .map(|(field, v)| CustomData::parse(v).map_err(|e| ApiError::field(field, e)))
            .transpose()?;
        let update = ContactUpdate {
            name: optional("name", self.name.as_deref(), |s| {
                Label::parse(s, Label::NAME_MAX)
            })?
            .map(Label::into_string),
            avatar_url: optional("avatar_url", self.avatar_url.as_deref(), AvatarUrl::parse)?
                .map(AvatarUrl::into_string),
            phone: optional("phone", self.phone.as_deref(), |s| {
                Label::parse(s, Label::PHONE_MAX)
            })?
            .map(Label::into_string),
            language: optional("language", self.language.as_deref(), |s| {
                Label::parse(s, Label::LANGUAGE_MAX)
            })?
            .map(Label::into_string),
            custom_data: custom_data.map(|c| c.to_json()),
        };
        Ok((email, update))
    }
}

#[utoipa::path(
    post,
    path = "/widget/authenticate-user",
    tag = "server-to-server",
    summary = "Vouch for a user and get a user token",
    request_body = Body,
    responses((status = 200, description = "A user token for the widget", body = UserToken))
)]
async fn authenticate_user(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
    Json(body): Json<Body>,
) -> Result<axum::Json<UserToken>, ApiError> {
    let (email, update) = body.parse()?;
    let contact_id = orgs::upsert_contact(&state.db, org_id, &email, &update).await?;
    let key = auth::current_signing_key(&state.db).await?;
    let ttl = i64::try_from(state.config.token_ttl.as_secs()).unwrap_or(i64::MAX);
    let exp = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .saturating_add(ttl);
    let token = auth::sign_user_token(
        &key,
        &UserClaims {
            org: org_id,
            sub: contact_id,
            exp,
            kid: key.id,
        },
    );
    Ok(axum::Json(UserToken {
        token,
        expires_at: crate::wire::time(exp),
    }))
}
