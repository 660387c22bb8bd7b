//! Managing an org after `org create`: its settings, its agents and the rotation of its keys, shared by the CLI
//! (`main.rs`) and the admin API (`routes::admin`). Each change is written to the audit log in the same
//! transaction, and every answer is a view that holds no secret but the one a rotation or `agent create` hands
//! out once.
//!
//! Nothing here is kept in memory: each request reads the keys from the database, so a rotation, a retirement or
//! a revocation takes effect on every instance at once.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sqlx::AnyPool;

use crate::audit::{self, Actor};
use crate::auth;
use crate::domain::attachment::AttachmentRules;
use crate::domain::office_hours::OfficeHoursSpec;
use crate::domain::{AllowedOrigin, AvatarUrl, Label};
use crate::orgs::now;

/// How long the key a rotation replaces keeps working when nothing else is said.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest grace a rotation may give the key it replaces.
pub const MAX_GRACE_HOURS: u64 = 24 * 30;

/// The longest retention period (about ten years); longer is "keep", which is 0.
pub const MAX_RETENTION_DAYS: i64 = 3_660;

/// Failures of management, worded for the person at the terminal or reading the API's error.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no org has the widget token {0:?}; use the `widget token` printed by `frontdesk-server org create` (or `org list`)")]
    UnknownWidgetToken(String),
    #[error("no agent {0} in this org; `agent list` shows the org's agents and their ids")]
    AgentNotFound(i64),
    #[error("{0}")]
    InvalidWidgetText(#[from] crate::orgs::InvalidWidgetText),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<crate::orgs::AdminError> for AdminError {
    fn from(e: crate::orgs::AdminError) -> Self {
        match e {
            crate::orgs::AdminError::UnknownWidgetToken(token) => Self::UnknownWidgetToken(token),
            crate::orgs::AdminError::InvalidWidgetText(e) => Self::InvalidWidgetText(e),
            crate::orgs::AdminError::Database(e) => Self::Database(e),
        }
    }
}

/// The id of the org that `widget_token` (current, or previous within its grace) names.
pub async fn org_id_for_widget_token(db: &AnyPool, widget_token: &str) -> Result<i64, AdminError> {
    crate::orgs::org_for_widget_token(db, widget_token)
        .await?
        .map(|org| org.id)
        .ok_or_else(|| AdminError::UnknownWidgetToken(widget_token.to_owned()))
}

/// A key replaced by a rotation and still accepted until `retires_at` (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviousKey {
    /// The previous widget token itself (it is public), or the previous secret key's id.
    pub id: String,
    pub retires_at: String,
}

/// An org's attachment rules as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentsView {
    pub max_bytes: i64,
    pub max_per_message: i64,
    pub types: Vec<String>,
}

impl From<AttachmentRules> for AttachmentsView {
    fn from(rules: AttachmentRules) -> Self {
        Self {
            max_bytes: rules.max_bytes,
            max_per_message: rules.max_per_message,
            types: rules.types,
        }
    }
}

/// An org as `org show` and `GET /api/admin/org` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub widget_token: String,
    /// The widget token before the last rotation, while it still works.
    pub previous_widget_token: Option<PreviousKey>,
    /// The secret key's id (`auth::key_id`), as the audit log names it; the key itself is never shown again.
    pub secret_key_id: String,
    pub previous_secret_key: Option<PreviousKey>,
    /// Empty: the widget token works from any origin.
    pub allowed_origins: Vec<String>,
    /// Resolved chats older than this many days are deleted; `null`: kept.
    pub retention_days: Option<i64>,
    pub attachments: AttachmentsView,
    /// What the widget shows before a chat's first message (`org update --greeting`, `--suggested-question`).
    pub greeting: Vec<String>,
    pub suggested_questions: Vec<String>,
    /// `null`: no office hours (always in).
    pub office_hours: Option<OfficeHoursSpec>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: i64,
    name: String,
    widget_token: String,
    previous_widget_token: Option<String>,
    previous_widget_token_retires_at: Option<i64>,
    secret_key_hash: Vec<u8>,
    previous_secret_key_hash: Option<Vec<u8>>,
    previous_secret_key_retires_at: Option<i64>,
    retention_days: Option<i64>,
    attachment_max_bytes: i64,
    attachments_per_message: i64,
    attachment_types: String,
    greeting: Option<String>,
    suggested_questions: Option<String>,
    office_hours: Option<String>,
    created_at: i64,
}

const ORG_COLUMNS: &str =
    "id, name, widget_token, previous_widget_token, previous_widget_token_retires_at, \
     secret_key_hash, previous_secret_key_hash, previous_secret_key_retires_at, retention_days, \
     attachment_max_bytes, attachments_per_message, attachment_types, greeting, suggested_questions, \
     office_hours, created_at";

/// A previous key still within its grace at `now`.
fn previous(value: Option<String>, retires_at: Option<i64>, now: i64) -> Option<PreviousKey> {
    match (value, retires_at) {
        (Some(id), Some(at)) if at > now => Some(PreviousKey {
            id,
            retires_at: crate::wire::time(at),
        }),
        _ => None,
    }
}

async fn views(db: &AnyPool, rows: Vec<OrgRow>) -> Result<Vec<OrgView>, sqlx::Error> {
    let origins: Vec<(i64, String)> =
        sqlx::query_as("SELECT org_id, origin FROM org_allowed_origins ORDER BY org_id, origin")
            .fetch_all(db)
            .await?;
    let now = now();
    Ok(rows
        .into_iter()
        .map(|row| OrgView {
            id: row.id,
            name: row.name,
            widget_token: row.widget_token,
            previous_widget_token: previous(
                row.previous_widget_token,
                row.previous_widget_token_retires_at,
                now,
            ),
            secret_key_id: auth::key_id(&row.secret_key_hash),
            previous_secret_key: previous(
                row.previous_secret_key_hash.map(|h| auth::key_id(&h)),
                row.previous_secret_key_retires_at,
                now,
            ),
            allowed_origins: origins
                .iter()
                .filter(|(org_id, _)| *org_id == row.id)
                .map(|(_, origin)| origin.clone())
                .collect(),
            retention_days: row.retention_days.filter(|days| *days > 0),
            attachments: AttachmentRules::from_columns(
                row.attachment_max_bytes,
                row.attachments_per_message,
                &row.attachment_types,
            )
            .into(),
            greeting: crate::orgs::json_lines(row.greeting),
            suggested_questions: crate::orgs::json_lines(row.suggested_questions),
            office_hours: row
                .office_hours
                .and_then(|text| serde_json::from_str(&text).ok()),
            created_at: crate::wire::time(row.created_at),
        })
        .collect())
}

/// Every org, oldest first.
pub async fn list_orgs(db: &AnyPool) -> Result<Vec<OrgView>, sqlx::Error> {
    let rows: Vec<OrgRow> = sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM orgs ORDER BY id"))
        .fetch_all(db)
        .await?;
    views(db, rows).await
}

/// One org.
pub async fn show_org(db: &AnyPool, org_id: i64) -> Result<OrgView, sqlx::Error> {
    let row: OrgRow = sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1"))
        .bind(org_id)
        .fetch_one(db)
        .await?;
    let mut views = views(db, vec![row]).await?;
    Ok(views.remove(0))
}

/// What an admin may change of an org's settings; `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub name: Option<Label>,
    /// Replaces the whole list; an empty list lets any origin use the widget token.
    pub allowed_origins: Option<Vec<AllowedOrigin>>,
    /// 0 = keep resolved chats for ever.
    pub retention_days: Option<i64>,
}

impl Settings {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.allowed_origins.is_none() && self.retention_days.is_none()
    }
}

/// Applies `settings` to the org, with an `org.updated` entry naming what changed; returns the org after.
pub async fn update_settings(
    db: &AnyPool,
    org_id: i64,
    settings: &Settings,
    actor: &Actor,
) -> Result<OrgView, sqlx::Error> {
    if settings.is_empty() {
        return show_org(db, org_id).await;
    }
    let mut detail = serde_json::Map::new();
    let mut tx = db.begin().await?;
    if let Some(name) = &settings.name {
        sqlx::query("UPDATE orgs SET name = $2 WHERE id = $1")
            .bind(org_id)
            .bind(name.as_str())
            .execute(&mut *tx)
            .await?;
        detail.insert("name".into(), json!(name.as_str()));
    }
    if let Some(days) = settings.retention_days {
        sqlx::query("UPDATE orgs SET retention_days = $2 WHERE id = $1")
            .bind(org_id)
            .bind((days > 0).then_some(days))
            .execute(&mut *tx)
            .await?;
        detail.insert("retention_days".into(), json!(days));
    }
    if let Some(origins) = &settings.allowed_origins {
        sqlx::query("DELETE FROM org_allowed_origins WHERE org_id = $1")
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        for origin in origins {
            sqlx::query(
                "INSERT INTO org_allowed_origins (org_id, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(org_id)
            .bind(origin.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let listed: Vec<&str> = origins.iter().map(AllowedOrigin::as_str).collect();
        detail.insert("allowed_origins".into(), json!(listed));
    }
    audit::record(&mut *tx, Some(org_id), actor, "org.updated", &detail.into()).await?;
    tx.commit().await?;
    show_org(db, org_id).await
}

/// An agent as listed: never its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentView {
    pub id: i64,
    pub name: String,
    pub avatar_url: Option<String>,
    pub created_at: String,
    /// `null` while the key works.
    pub revoked_at: Option<String>,
}

type AgentRow = (i64, String, Option<String>, i64, Option<i64>);

fn agent_view((id, name, avatar_url, created_at, revoked_at): AgentRow) -> AgentView {
    AgentView {
        id,
        name,
        avatar_url,
        created_at: crate::wire::time(created_at),
        revoked_at: revoked_at.map(crate::wire::time),
    }
}

/// The org's agents, oldest first, revoked ones included.
pub async fn list_agents(db: &AnyPool, org_id: i64) -> Result<Vec<AgentView>, sqlx::Error> {
    let rows: Vec<AgentRow> = sqlx::query_as(
        "SELECT id, name, avatar_url, created_at, revoked_at FROM agents WHERE org_id = $1 ORDER BY id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(agent_view).collect())
}

/// A new agent and its key (`ak_…`), which is not stored: this is the only time it can be shown.
#[derive(Debug, Clone, Serialize)]
pub struct NewAgent {
    pub agent: AgentView,
    pub agent_key: String,
}

/// Creates an agent of the org, with an `agent.created` entry.
pub async fn create_agent(
    db: &AnyPool,
    org_id: i64,
    name: &Label,
    avatar_url: Option<&AvatarUrl>,
    actor: &Actor,
) -> Result<NewAgent, sqlx::Error> {
    let key = auth::generate_agent_key();
    let mut tx = db.begin().await?;
    let row: AgentRow = sqlx::query_as(
        "INSERT INTO agents (org_id, name, key_hash, created_at, avatar_url) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, avatar_url, created_at, revoked_at",
    )
    .bind(org_id)
    .bind(name.as_str())
    .bind(auth::hash_secret(&key))
    .bind(now())
    .bind(avatar_url.map(|u| u.as_str().to_owned()))
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(org_id),
        actor,
        "agent.created",
        &json!({ "agent_id": row.0, "name": row.1 }),
    )
    .await?;
    tx.commit().await?;
    Ok(NewAgent {
        agent: agent_view(row),
        agent_key: key,
    })
}

/// Revokes agent `agent_id` of the org: its key is refused from now on, by every instance. Revoking a revoked
/// agent changes nothing (and writes no entry).
pub async fn revoke_agent(
    db: &AnyPool,
    org_id: i64,
    agent_id: i64,
    actor: &Actor,
) -> Result<AgentView, AdminError> {
    let mut tx = db.begin().await?;
    let revoked = sqlx::query(
        "UPDATE agents SET revoked_at = $3 WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
    )
    .bind(agent_id)
    .bind(org_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if revoked.rows_affected() > 0 {
        audit::record(
            &mut *tx,
            Some(org_id),
            actor,
            "agent.revoked",
            &json!({ "agent_id": agent_id }),
        )
        .await?;
    }
    let row: Option<AgentRow> = sqlx::query_as(
        "SELECT id, name, avatar_url, created_at, revoked_at FROM agents WHERE id = $1 AND org_id = $2",
    )
    .bind(agent_id)
    .bind(org_id)
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or(AdminError::AgentNotFound(agent_id))?;
    tx.commit().await?;
    Ok(agent_view(row))
}

/// The key a rotation just replaced, when it keeps a grace.
fn replaced(id: Option<String>, retires_at: Option<i64>) -> Option<PreviousKey> {
    id.zip(retires_at).map(|(id, at)| PreviousKey {
        id,
        retires_at: crate::wire::time(at),
    })
}

/// Unix seconds at which a key replaced now retires: `None` (at once) without a grace.
fn retires_at(grace: Option<Duration>) -> Option<i64> {
    grace.map(|g| now().saturating_add(i64::try_from(g.as_secs()).unwrap_or(i64::MAX)))
}

/// What a rotation hands out: the new key (shown only this once for a secret key) and the old one's grace.
#[derive(Debug, Clone, Serialize)]
pub struct Rotated {
    /// The new widget token, or the new secret key.
    pub key: String,
    /// The new secret key's id (for a widget token, the token itself).
    pub id: String,
    /// The replaced key, while it still works; `null` after `--now`.
    pub previous: Option<PreviousKey>,
}

/// Gives the org a new widget token. The old one keeps working for `grace` (`None`: stops at once); a previous
/// token still in its grace from an earlier rotation stops now.
pub async fn rotate_widget_token(
    db: &AnyPool,
    org_id: i64,
    grace: Option<Duration>,
    actor: &Actor,
) -> Result<Rotated, sqlx::Error> {
    let token = auth::generate_widget_token();
    let retires = retires_at(grace);
    let mut tx = db.begin().await?;
    // Both backends evaluate every SET expression with the row's old values: `widget_token` on the right is the
    // token being replaced.
    let (old,): (Option<String>,) = sqlx::query_as(
        "UPDATE orgs SET previous_widget_token = CASE WHEN $4 THEN widget_token ELSE NULL END,
                         previous_widget_token_retires_at = $3, widget_token = $2
         WHERE id = $1 RETURNING previous_widget_token",
    )
    .bind(org_id)
    .bind(&token)
    .bind(retires)
    .bind(retires.is_some())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Some(org_id),
        actor,
        "widget_token.rotated",
        &json!({ "widget_token": token, "grace_secs": grace.map(|g| g.as_secs()) }),
    )
    .await?;
    tx.commit().await?;
    Ok(Rotated {
        id: token.clone(),
        key: token,
        previous: replaced(old, retires),
    })
}

/// Stops the previous widget token now; returns whether there was one in its grace.
pub async fn retire_widget_token(
    db: &AnyPool,
    org_id: i64,
    actor: &Actor,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let retired = sqlx::query(
        "UPDATE orgs SET previous_widget_token = NULL, previous_widget_token_retires_at = NULL
         WHERE id = $1 AND previous_widget_token IS NOT NULL AND previous_widget_token_retires_at > $2",
    )
    .bind(org_id)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    // One that outlived its grace is cleared too, so the column never holds a token that no longer works.
    sqlx::query(
        "UPDATE orgs SET previous_widget_token = NULL, previous_widget_token_retires_at = NULL WHERE id = $1",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    if retired {
        audit::record(
            &mut *tx,
            Some(org_id),
            actor,
            "widget_token.retired",
            &json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(retired)
}

/// Gives the org a new secret key (returned, shown only this once). The old one keeps working for `grace`
/// (`None`: stops at once).
pub async fn rotate_secret_key(
    db: &AnyPool,
    org_id: i64,
    grace: Option<Duration>,
    actor: &Actor,
) -> Result<Rotated, sqlx::Error> {
    let (key, digest) = auth::new_secret_key();
    let retires = retires_at(grace);
    let mut tx = db.begin().await?;
    let (old,): (Option<Vec<u8>>,) = sqlx::query_as(
        "UPDATE orgs SET previous_secret_key_hash = CASE WHEN $4 THEN secret_key_hash ELSE NULL END,
                         previous_secret_key_retires_at = $3, secret_key_hash = $2
         WHERE id = $1 RETURNING previous_secret_key_hash",
    )
    .bind(org_id)
    .bind(&digest)
    .bind(retires)
    .bind(retires.is_some())
    .fetch_one(&mut *tx)
    .await?;
    let old_id = old.map(|h| auth::key_id(&h));
    let id = auth::key_id(&digest);
    audit::record(
        &mut *tx,
        Some(org_id),
        actor,
        "secret_key.rotated",
        &json!({ "secret_key_id": id, "previous_secret_key_id": old_id,
                 "grace_secs": grace.map(|g| g.as_secs()) }),
    )
    .await?;
    tx.commit().await?;
    Ok(Rotated {
        key,
        id,
        previous: replaced(old_id, retires),
    })
}

/// Stops the previous secret key now; returns whether there was one in its grace.
pub async fn retire_secret_key(
    db: &AnyPool,
    org_id: i64,
    actor: &Actor,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let retired = sqlx::query(
        "UPDATE orgs SET previous_secret_key_hash = NULL, previous_secret_key_retires_at = NULL
         WHERE id = $1 AND previous_secret_key_hash IS NOT NULL AND previous_secret_key_retires_at > $2",
    )
    .bind(org_id)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    sqlx::query(
        "UPDATE orgs SET previous_secret_key_hash = NULL, previous_secret_key_retires_at = NULL WHERE id = $1",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    if retired {
        audit::record(
            &mut *tx,
            Some(org_id),
            actor,
            "secret_key.retired",
            &json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(retired)
}

/// `signing-key rotate`: a new signing key, with a `signing_key.rotated` entry for the whole installation.
pub async fn rotate_signing_key(
    db: &AnyPool,
    grace: Option<Duration>,
    actor: &Actor,
) -> Result<auth::SigningKey, sqlx::Error> {
    let key = auth::rotate_signing_key(db, grace).await?;
    audit::record(
        db,
        None,
        actor,
        "signing_key.rotated",
        &json!({ "key_id": key.id, "grace_secs": grace.map(|g| g.as_secs()) }),
    )
    .await?;
    Ok(key)
}

/// `signing-key retire`: the earlier keys stop checking tokens now.
pub async fn retire_signing_keys(db: &AnyPool, actor: &Actor) -> Result<Vec<i64>, sqlx::Error> {
    let retired = auth::retire_signing_keys(db).await?;
    if !retired.is_empty() {
        audit::record(
            db,
            None,
            actor,
            "signing_key.retired",
            &json!({ "key_ids": retired }),
        )
        .await?;
    }
    Ok(retired)
}
