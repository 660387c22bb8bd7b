//! The admin API (`/api/admin/…`, docs/api.md "Admin API"): the site's owner, with the org's secret key, changes
//! the org's settings, manages its agents, rotates its keys, deletes or exports a visitor's data and reads the
//! audit log. The same operations as the CLI (`admin`, `privacy`), named `secret_key:<key id>` in the audit log.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::admin::{self, AgentView, NewAgent, OrgView, Rotated, Settings};
use crate::audit::{self, AuditEntry};
use crate::domain::{AllowedOrigin, AvatarUrl, Email, Label};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::identity::AdminKey;
use crate::privacy::{self, ContactExport, ContactRef, Deleted};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/org", get(show_org).patch(update_org))
        .route("/api/admin/agents", get(list_agents).post(create_agent))
        .route("/api/admin/agents/{id}/revoke", post(revoke_agent))
        .route("/api/admin/widget-token/rotate", post(rotate_widget_token))
        .route("/api/admin/widget-token/retire", post(retire_widget_token))
        .route("/api/admin/secret-key/rotate", post(rotate_secret_key))
        .route("/api/admin/secret-key/retire", post(retire_secret_key))
        .route("/api/admin/contacts", delete(delete_contact))
        .route("/api/admin/contacts/export", get(export_contact))
        .route("/api/admin/sessions/{id}", delete(delete_device))
        .route("/api/admin/sessions/{id}/export", get(export_device))
        .route("/api/admin/audit", get(list_audit))
}

/// `{ "org": … }`
#[derive(Debug, Serialize)]
struct OrgEnvelope {
    org: OrgView,
}

#[utoipa::path(
    get,
    path = "/api/admin/org",
    tag = "admin",
    summary = "The org: name, widget token, allowed origins, retention, attachment rules, greeting, questions, office hours",
    responses((status = 200, description = "`{ \"org\": Org }` (docs/api.md, Admin API)"))
)]
async fn show_org(
    State(state): State<AppState>,
    admin: AdminKey,
) -> Result<axum::Json<OrgEnvelope>, ApiError> {
    let org = admin::show_org(&state.db, admin.org_id).await?;
    Ok(axum::Json(OrgEnvelope { org }))
}

/// `PATCH /api/admin/org`: every field optional; absent keeps the value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct OrgPatch {
    name: Option<String>,
    allowed_origins: Option<Vec<String>>,
    /// 0 or `null`… `null` is "not given" here; 0 = keep chats for ever.
    retention_days: Option<i64>,
}

impl OrgPatch {
    fn parse(self) -> Result<Settings, ApiError> {
        let name = self
            .name
            .map(|raw| Label::parse(&raw, Label::NAME_MAX).map_err(|e| ApiError::field("name", e)))
            .transpose()?;
        let allowed_origins = self
            .allowed_origins
            .map(|origins| {
                origins
                    .iter()
                    .enumerate()
                    .map(|(i, raw)| {
                        AllowedOrigin::parse(raw)
                            .map_err(|e| ApiError::field(&format!("allowed_origins[{i}]"), e))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        if let Some(days) = self.retention_days {
            if !(0..=admin::MAX_RETENTION_DAYS).contains(&days) {
                return Err(ApiError::InvalidBody(format!(
                    "retention_days: must be between 0 (keep for ever) and {}",
                    admin::MAX_RETENTION_DAYS
                )));
            }
        }
        Ok(Settings {
            name,
            allowed_origins,
            retention_days: self.retention_days,
        })
    }
}

#[utoipa::path(
    patch,
    path = "/api/admin/org",
    tag = "admin",
    summary = "Change the org's name, allowed origins or retention",
    request_body = OrgPatch,
    responses((status = 200, description = "`{ \"org\": Org }` after the change"))
)]
async fn update_org(
    State(state): State<AppState>,
    admin: AdminKey,
    Json(body): Json<OrgPatch>,
) -> Result<axum::Json<OrgEnvelope>, ApiError> {
    let settings = body.parse()?;
    let org = admin::update_settings(&state.db, admin.org_id, &settings, &admin.actor).await?;
    Ok(axum::Json(OrgEnvelope { org }))
}

/// `{ "agents": […] }`
#[derive(Debug, Serialize)]
struct AgentList {
    agents: Vec<AgentView>,
}

#[utoipa::path(
    get,
    path = "/api/admin/agents",
    tag = "admin",
    summary = "The org's agents (revoked ones too)",
    responses((status = 200, description = "`{ \"agents\": [Agent…] }`"))
)]
async fn list_agents(
    State(state): State<AppState>,
    admin: AdminKey,
) -> Result<axum::Json<AgentList>, ApiError> {
    let agents = admin::list_agents(&state.db, admin.org_id).await?;
    Ok(axum::Json(AgentList { agents }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NewAgentBody {
    name: Option<String>,
    avatar_url: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/admin/agents",
    tag = "admin",
    summary = "Create an agent: its key is shown only in this answer",
    request_body = NewAgentBody,
    responses((status = 201, description = "`{ \"agent_key\": \"ak_…\", \"agent\": Agent }`"))
)]
async fn create_agent(
    State(state): State<AppState>,
    admin: AdminKey,
    Json(body): Json<NewAgentBody>,
) -> Result<(StatusCode, axum::Json<NewAgent>), ApiError> {
    let name = match body.name.as_deref().map(str::trim) {
        None | Some("") => return Err(ApiError::InvalidBody("name: required".into())),
        Some(raw) => Label::parse(raw, Label::NAME_MAX).map_err(|e| ApiError::field("name", e))?,
    };
    let avatar_url = body
        .avatar_url
        .as_deref()
        .map(|raw| AvatarUrl::parse(raw).map_err(|e| ApiError::field("avatar_url", e)))
        .transpose()?;
    let made = admin::create_agent(
        &state.db,
        admin.org_id,
        &name,
        avatar_url.as_ref(),
        &admin.actor,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(made)))
}

/// `{ "agent": … }`
#[derive(Debug, Serialize)]
struct AgentEnvelope {
    agent: AgentView,
}

#[utoipa::path(
    post,
    path = "/api/admin/agents/{id}/revoke",
    tag = "admin",
    summary = "Revoke an agent's key, at once on every instance",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "`{ \"agent\": Agent }` with `revoked_at`"), (status = 404, description = "`agent_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope))
)]
async fn revoke_agent(
    State(state): State<AppState>,
    admin: AdminKey,
    Path(id): Path<String>,
) -> Result<axum::Json<AgentEnvelope>, ApiError> {
    // Any id that is not one of this org's agents is the same 404, whatever its form.
    let id: i64 = id.parse().map_err(|_| {
        ApiError::AgentNotFound(format!(
            "no agent {id:?} in this org; GET /api/admin/agents lists the org's agents and their ids"
        ))
    })?;
    let agent = admin::revoke_agent(&state.db, admin.org_id, id, &admin.actor).await?;
    Ok(axum::Json(AgentEnvelope { agent }))
}

/// The body of a rotation: `{ "grace_hours": 24 }` (the default), or `{ "now": true }` to stop the old key at once.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct RotateBody {
    grace_hours: Option<u64>,
    now: Option<bool>,
}

impl RotateBody {
    fn grace(&self) -> Result<Option<Duration>, ApiError> {
        match (self.now, self.grace_hours) {
            (Some(true), Some(_)) => Err(ApiError::InvalidBody(
                "now and grace_hours: give only one".into(),
            )),
            (Some(true), None) => Ok(None),
            (_, None) => Ok(Some(admin::DEFAULT_GRACE)),
            (_, Some(hours @ 1..=admin::MAX_GRACE_HOURS)) => {
                Ok(Some(Duration::from_secs(hours * 3_600)))
            }
            (_, Some(_)) => Err(ApiError::InvalidBody(format!(
                "grace_hours: must be between 1 and {} (or send \"now\": true)",
                admin::MAX_GRACE_HOURS
            ))),
        }
    }
}

/// `{ "retired": bool }`: whether there was a previous key in its grace.
#[derive(Debug, Serialize)]
struct Retired {
    retired: bool,
}

#[utoipa::path(
    post,
    path = "/api/admin/widget-token/rotate",
    tag = "admin",
    summary = "A new widget token; the old one works for the grace",
    request_body = RotateBody,
    responses((status = 200, description = "The new token and until when the old one works"))
)]
async fn rotate_widget_token(
    State(state): State<AppState>,
    admin: AdminKey,
    Json(body): Json<RotateBody>,
) -> Result<axum::Json<Rotated>, ApiError> {
    let grace = body.grace()?;
    let rotated = admin::rotate_widget_token(&state.db, admin.org_id, grace, &admin.actor).await?;
    Ok(axum::Json(rotated))
}

#[utoipa::path(
    post,
    path = "/api/admin/widget-token/retire",
    tag = "admin",
    summary = "Stop the previous widget token now",
    responses((status = 200, description = "`{ \"retired\": bool }`"))
)]
async fn retire_widget_token(
    State(state): State<AppState>,
    admin: AdminKey,
) -> Result<axum::Json<Retired>, ApiError> {
    let retired = admin::retire_widget_token(&state.db, admin.org_id, &admin.actor).await?;
    Ok(axum::Json(Retired { retired }))
}

#[utoipa::path(
    post,
    path = "/api/admin/secret-key/rotate",
    tag = "admin",
    summary = "A new secret key; the old one works for the grace",
    request_body = RotateBody,
    responses((status = 200, description = "The new key (shown once) and until when the old one works"))
)]
async fn rotate_secret_key(
    State(state): State<AppState>,
    admin: AdminKey,
    Json(body): Json<RotateBody>,
) -> Result<axum::Json<Rotated>, ApiError> {
    let grace = body.grace()?;
    let rotated = admin::rotate_secret_key(&state.db, admin.org_id, grace, &admin.actor).await?;
    Ok(axum::Json(rotated))
}

#[utoipa::path(
    post,
    path = "/api/admin/secret-key/retire",
    tag = "admin",
    summary = "Stop the previous secret key now",
    responses((status = 200, description = "`{ \"retired\": bool }`"))
)]
async fn retire_secret_key(
    State(state): State<AppState>,
    admin: AdminKey,
) -> Result<axum::Json<Retired>, ApiError> {
    let retired = admin::retire_secret_key(&state.db, admin.org_id, &admin.actor).await?;
    Ok(axum::Json(Retired { retired }))
}

/// `?id=N` or `?email=…`: which contact.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ContactQuery {
    id: Option<i64>,
    email: Option<String>,
}

impl ContactQuery {
    fn contact(&self) -> Result<ContactRef, ApiError> {
        match (self.id, self.email.as_deref()) {
            (Some(id), None) => Ok(ContactRef::Id(id)),
            (None, Some(raw)) => Email::parse(raw)
                .map(ContactRef::Email)
                .map_err(|e| ApiError::InvalidQuery(format!("email: {e}"))),
            _ => Err(ApiError::InvalidQuery(
                "give either id (the contact's id) or email, one of them".into(),
            )),
        }
    }
}

/// `{ "deleted": { "contact_id", "sessions", "messages", "attachments", "ratings" } }`
#[derive(Debug, Serialize)]
struct DeletedEnvelope {
    deleted: Deleted,
}

#[utoipa::path(
    delete,
    path = "/api/admin/contacts",
    tag = "admin",
    summary = "Delete a verified contact and everything it owns",
    params(ContactQuery),
    responses((status = 200, description = "`{ \"deleted\": counts }`"), (status = 404, description = "`contact_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope))
)]
async fn delete_contact(
    State(state): State<AppState>,
    admin: AdminKey,
    Query(query): Query<ContactQuery>,
) -> Result<axum::Json<DeletedEnvelope>, ApiError> {
    let who = query.contact()?;
    let deleted = privacy::delete_contact(&state.db, admin.org_id, &who, &admin.actor).await?;
    Ok(axum::Json(DeletedEnvelope { deleted }))
}

#[utoipa::path(
    get,
    path = "/api/admin/contacts/export",
    tag = "admin",
    summary = "A verified contact's data as JSON",
    params(ContactQuery),
    responses((status = 200, description = "The export (docs/api.md, Admin API)"), (status = 404, description = "`contact_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope))
)]
async fn export_contact(
    State(state): State<AppState>,
    admin: AdminKey,
    Query(query): Query<ContactQuery>,
) -> Result<axum::Json<ContactExport>, ApiError> {
    let who = query.contact()?;
    let export = privacy::export_contact(&state.db, admin.org_id, &who, &admin.actor).await?;
    Ok(axum::Json(export))
}

#[utoipa::path(
    delete,
    path = "/api/admin/sessions/{id}",
    tag = "admin",
    summary = "Delete the chats of the device that owns this chat",
    params(("id" = String, Path, description = "A session id of the device")),
    responses((status = 200, description = "`{ \"deleted\": counts }`"), (status = 404, description = "`session_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope), (status = 409, description = "`session_of_contact`: the chat is a verified contact's", body = frontdesk_protocol::wire::ErrorEnvelope))
)]
async fn delete_device(
    State(state): State<AppState>,
    admin: AdminKey,
    Path(id): Path<String>,
) -> Result<axum::Json<DeletedEnvelope>, ApiError> {
    let deleted =
        privacy::delete_device_sessions(&state.db, admin.org_id, &id, &admin.actor).await?;
    Ok(axum::Json(DeletedEnvelope { deleted }))
}

#[utoipa::path(
    get,
    path = "/api/admin/sessions/{id}/export",
    tag = "admin",
    summary = "The data of the device that owns this chat",
    params(("id" = String, Path, description = "A session id of the device")),
    responses((status = 200, description = "The export"), (status = 404, description = "`session_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope), (status = 409, description = "`session_of_contact`", body = frontdesk_protocol::wire::ErrorEnvelope))
)]
async fn export_device(
    State(state): State<AppState>,
    admin: AdminKey,
    Path(id): Path<String>,
) -> Result<axum::Json<ContactExport>, ApiError> {
    let export = privacy::export_device(&state.db, admin.org_id, &id, &admin.actor).await?;
    Ok(axum::Json(export))
}

/// `?before=ID&limit=N` of the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// `{ "entries": […], "next_before": id | null }`
#[derive(Debug, Serialize)]
struct AuditPage {
    entries: Vec<AuditEntry>,
    /// The `before` of the next (older) page; `null` on the last.
    next_before: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/admin/audit",
    tag = "admin",
    summary = "The org's audit log, newest first",
    params(AuditQuery),
    responses((status = 200, description = "`{ \"entries\": [AuditEntry…], \"next_before\" }`"))
)]
async fn list_audit(
    State(state): State<AppState>,
    admin: AdminKey,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    let limit = match query.limit {
        None => 100,
        Some(n @ 1..=audit::PAGE_MAX) => n,
        Some(_) => {
            return Err(ApiError::InvalidQuery(format!(
                "limit: must be between 1 and {}",
                audit::PAGE_MAX
            )))
        }
    };
    let entries = audit::list(&state.db, Some(admin.org_id), query.before, limit).await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(axum::Json(AuditPage {
        entries,
        next_before,
    }))
}
