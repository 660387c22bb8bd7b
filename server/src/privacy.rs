//! A visitor's data as a whole: deleting a contact or a device with everything they own, exporting it, and the
//! retention period that deletes resolved chats after N days. Shared by the CLI and the admin API.
//!
//! Deletion is final on every instance: it is a database transaction, and no instance keeps a chat, a message or
//! a contact in memory (ARCHITECTURE.md). What a deletion removed is written to the audit log as ids and counts.

use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{Any, AnyPool, Transaction};

use crate::audit::{self, Actor};
use crate::chats::json_object;
use crate::domain::Email;
use crate::orgs::now;
use crate::wire::time;

/// A verified contact, by id or by email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactRef {
    Id(i64),
    Email(Email),
}

impl std::fmt::Display for ContactRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id {id}"),
            Self::Email(email) => write!(f, "email {}", email.as_str()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("no contact with {0} in this org (a contact is a user the site's backend verified)")]
    ContactNotFound(String),
    #[error("no session with this id in this org")]
    SessionNotFound,
    #[error("this chat was started by a verified user (contact {0}); delete the contact instead, which deletes all of its chats")]
    SessionOfContact(i64),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Whose chats: a contact's, or a device's (its SHA-256 digest, as stored).
#[derive(Debug, Clone)]
enum Owner {
    Contact(i64),
    Device(Vec<u8>),
}

impl Owner {
    /// `sessions` rows of this owner in `org_id`, as a subquery for `… IN (…)` with `$1` the org and `$2` the
    /// owner's key.
    fn sessions(&self) -> &'static str {
        match self {
            Self::Contact(_) => "SELECT id FROM sessions WHERE org_id = $1 AND contact_id = $2",
            Self::Device(_) => {
                "SELECT id FROM sessions WHERE org_id = $1 AND contact_id IS NULL AND device_hash = $2"
            }
        }
    }

    async fn execute(
        &self,
        tx: &mut Transaction<'_, Any>,
        sql: &str,
        org_id: i64,
    ) -> Result<u64, sqlx::Error> {
        let query = sqlx::query(sql).bind(org_id);
        let query = match self {
            Self::Contact(id) => query.bind(*id),
            Self::Device(hash) => query.bind(hash.clone()),
        };
        Ok(query.execute(&mut **tx).await?.rows_affected())
    }
}

/// What a deletion removed: the audit log's detail and the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deleted {
    /// The contact deleted; `null` for a device's chats.
    pub contact_id: Option<i64>,
    pub sessions: u64,
    pub messages: u64,
    pub attachments: u64,
    pub ratings: u64,
}

async fn contact_id(db: &AnyPool, org_id: i64, who: &ContactRef) -> Result<i64, PrivacyError> {
    let found: Option<(i64,)> = match who {
        ContactRef::Id(id) => {
            sqlx::query_as("SELECT id FROM contacts WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(*id)
                .fetch_optional(db)
                .await?
        }
        ContactRef::Email(email) => {
            sqlx::query_as("SELECT id FROM contacts WHERE org_id = $1 AND email = $2")
                .bind(org_id)
                .bind(email.as_str())
                .fetch_optional(db)
                .await?
        }
    };
    found
        .map(|(id,)| id)
        .ok_or_else(|| PrivacyError::ContactNotFound(who.to_string()))
}

/// The owner of session `session_id` of the org, if a device.
async fn device_of_session(
    db: &AnyPool,
    org_id: i64,
    session_id: &str,
) -> Result<Vec<u8>, PrivacyError> {
    let row: Option<(Option<i64>, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT contact_id, device_hash FROM sessions WHERE id = $1 AND org_id = $2",
    )
    .bind(session_id)
    .bind(org_id)
    .fetch_optional(db)
    .await?;
    match row {
        None => Err(PrivacyError::SessionNotFound),
        Some((Some(contact_id), _)) => Err(PrivacyError::SessionOfContact(contact_id)),
        Some((None, Some(device_hash))) => Ok(device_hash),
        Some((None, None)) => Err(PrivacyError::SessionNotFound),
    }
}

/// Deletes the owner's chats with their ratings, files and messages, in one transaction (the caller's).
async fn delete_owned(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    owner: &Owner,
) -> Result<Deleted, sqlx::Error> {
    let sessions = owner.sessions();
    // Children first, each counted; the foreign keys' ON DELETE CASCADE would take them with the sessions anyway
    // (and takes any table added later), but then nothing would say how many there were.
    let ratings = owner
        .execute(
            tx,
            &format!("DELETE FROM ratings WHERE session_id IN ({sessions})"),
            org_id,
        )
        .await?;
    let attachments = owner
        .execute(
            tx,
            &format!("DELETE FROM attachments WHERE session_id IN ({sessions})"),
            org_id,
        )
        .await?;
    let messages = owner
        .execute(
            tx,
            &format!("DELETE FROM messages WHERE session_id IN ({sessions})"),
            org_id,
        )
        .await?;
    // Webhook deliveries carry the chats' text in their payloads (their attempts go with them).
    owner
        .execute(
            tx,
            &format!("DELETE FROM webhook_deliveries WHERE session_id IN ({sessions})"),
            org_id,
        )
        .await?;
    let sessions = owner
        .execute(
            tx,
            &format!("DELETE FROM sessions WHERE id IN ({sessions})"),
            org_id,
        )
        .await?;
    Ok(Deleted {
        contact_id: None,
        sessions,
        messages,
        attachments,
        ratings,
    })
}

/// Deletes a verified contact and everything it owns (its chats, their messages, files and ratings), with a
/// `contact.deleted` entry of ids and counts.
pub async fn delete_contact(
    db: &AnyPool,
    org_id: i64,
    who: &ContactRef,
    actor: &Actor,
) -> Result<Deleted, PrivacyError> {
    let contact_id = contact_id(db, org_id, who).await?;
    let mut tx = db.begin().await?;
    let mut deleted = delete_owned(&mut tx, org_id, &Owner::Contact(contact_id)).await?;
    // `contact.updated` deliveries name the contact without a chat.
    sqlx::query("DELETE FROM webhook_deliveries WHERE contact_id = $1 AND org_id = $2")
        .bind(contact_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    let gone = sqlx::query("DELETE FROM contacts WHERE id = $1 AND org_id = $2")
        .bind(contact_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        // Deleted by someone else between the lookup and now.
        return Err(PrivacyError::ContactNotFound(who.to_string()));
    }
    deleted.contact_id = Some(contact_id);
    audit::record(
        &mut *tx,
        Some(org_id),
        actor,
        "contact.deleted",
        &json!(deleted),
    )
    .await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Deletes every chat of the device that started chat `session_id` (a non-verified or anonymous visitor), with
/// everything they own.
pub async fn delete_device_sessions(
    db: &AnyPool,
    org_id: i64,
    session_id: &str,
    actor: &Actor,
) -> Result<Deleted, PrivacyError> {
    let device = device_of_session(db, org_id, session_id).await?;
    let mut tx = db.begin().await?;
    let deleted = delete_owned(&mut tx, org_id, &Owner::Device(device)).await?;
    if deleted.sessions == 0 {
        return Err(PrivacyError::SessionNotFound);
    }
    audit::record(
        &mut *tx,
        Some(org_id),
        actor,
        "device.deleted",
        &json!(deleted),
    )
    .await?;
    tx.commit().await?;
    Ok(deleted)
}

/// A contact's data, as `contact export` writes it.
#[derive(Debug, Clone, Serialize)]
pub struct ContactExport {
    /// `null` for a device's export.
    pub contact: Option<ContactData>,
    pub sessions: Vec<SessionData>,
    pub ratings: Vec<RatingData>,
    pub exported_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactData {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    /// What the site's backend said (verified).
    pub custom_data: Value,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionData {
    pub id: String,
    pub external_id: Option<String>,
    pub status: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
    /// What the page said about the visitor (never verified).
    pub visitor_name: Option<String>,
    pub visitor_email: Option<String>,
    pub visitor_avatar_url: Option<String>,
    pub non_verified_custom_data: Value,
    pub messages: Vec<MessageData>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageData {
    pub id: i64,
    pub author: String,
    pub author_name: Option<String>,
    /// `text`, `resolved`, `reopened` or `rated`.
    pub kind: String,
    pub content: String,
    pub score: Option<i64>,
    pub created_at: String,
    /// Files as metadata; their bytes stay on the server (`GET …/attachments/{id}`).
    pub attachments: Vec<AttachmentData>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentData {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatingData {
    pub session_id: String,
    pub score: i64,
    pub comment: Option<String>,
    pub created_at: String,
}

type SessionRow = (
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);
type MessageRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    i64,
);
type AttachmentRow = (String, Option<i64>, String, String, i64);

/// Runs `sql` (with `$1` the org and `$2` the owner's key) and reads its rows.
async fn owned<T>(
    db: &AnyPool,
    sql: &str,
    org_id: i64,
    owner: &Owner,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let query = sqlx::query_as(sql).bind(org_id);
    let query = match owner {
        Owner::Contact(id) => query.bind(*id),
        Owner::Device(hash) => query.bind(hash.clone()),
    };
    query.fetch_all(db).await
}

async fn export_owned(
    db: &AnyPool,
    org_id: i64,
    owner: &Owner,
) -> Result<(Vec<SessionData>, Vec<RatingData>), sqlx::Error> {
    let in_sessions = owner.sessions();
    let sessions: Vec<SessionRow> = owned(
        db,
        &format!(
            "SELECT id, external_id, status, created_at, resolved_at, visitor_name, visitor_email,
                    visitor_avatar_url, non_verified_custom_data
             FROM sessions WHERE id IN ({in_sessions}) ORDER BY created_at, rowid"
        ),
        org_id,
        owner,
    )
    .await?;
    let messages: Vec<MessageRow> = owned(
        db,
        &format!(
            "SELECT id, session_id, author, author_name, kind, content, score, created_at
             FROM messages WHERE session_id IN ({in_sessions}) ORDER BY id"
        ),
        org_id,
        owner,
    )
    .await?;
    let attachments: Vec<AttachmentRow> = owned(
        db,
        &format!(
            "SELECT id, message_id, name, media_type, size FROM attachments
             WHERE session_id IN ({in_sessions}) AND message_id IS NOT NULL ORDER BY message_id, position"
        ),
        org_id,
        owner,
    )
    .await?;
    let ratings: Vec<(String, i64, Option<String>, i64)> = owned(
        db,
        &format!(
            "SELECT session_id, score, comment, created_at FROM ratings
             WHERE session_id IN ({in_sessions}) ORDER BY created_at, session_id"
        ),
        org_id,
        owner,
    )
    .await?;
    let sessions = sessions
        .into_iter()
        .map(|s| SessionData {
            messages: messages
                .iter()
                .filter(|m| m.1 == s.0)
                .map(|m| MessageData {
                    id: m.0,
                    author: m.2.clone(),
                    author_name: m.3.clone(),
                    kind: m.4.clone(),
                    content: m.5.clone(),
                    score: m.6,
                    created_at: time(m.7),
                    attachments: attachments
                        .iter()
                        .filter(|a| a.1 == Some(m.0))
                        .map(|a| AttachmentData {
                            id: a.0.clone(),
                            name: a.2.clone(),
                            media_type: a.3.clone(),
                            size: a.4,
                        })
                        .collect(),
                })
                .collect(),
            id: s.0,
            external_id: s.1,
            status: s.2,
            created_at: time(s.3),
            resolved_at: s.4.map(time),
            visitor_name: s.5,
            visitor_email: s.6,
            visitor_avatar_url: s.7,
            non_verified_custom_data: json_object(s.8.as_deref()),
        })
        .collect();
    let ratings = ratings
        .into_iter()
        .map(|(session_id, score, comment, at)| RatingData {
            session_id,
            score,
            comment,
            created_at: time(at),
        })
        .collect();
    Ok((sessions, ratings))
}

/// Everything stored about a contact, with a `contact.exported` entry (reading personal data is worth a line).
pub async fn export_contact(
    db: &AnyPool,
    org_id: i64,
    who: &ContactRef,
    actor: &Actor,
) -> Result<ContactExport, PrivacyError> {
    let contact_id = contact_id(db, org_id, who).await?;
    type ContactRow = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        i64,
        i64,
    );
    let row: ContactRow = sqlx::query_as(
        "SELECT id, email, name, avatar_url, phone, language, custom_data, created_at, updated_at
         FROM contacts WHERE id = $1",
    )
    .bind(contact_id)
    .fetch_one(db)
    .await?;
    let (sessions, ratings) = export_owned(db, org_id, &Owner::Contact(contact_id)).await?;
    audit::record(
        db,
        Some(org_id),
        actor,
        "contact.exported",
        &json!({ "contact_id": contact_id }),
    )
    .await?;
    Ok(ContactExport {
        contact: Some(ContactData {
            id: row.0,
            email: row.1,
            name: row.2,
            avatar_url: row.3,
            phone: row.4,
            language: row.5,
            custom_data: json_object(Some(&row.6)),
            created_at: time(row.7),
            updated_at: time(row.8),
        }),
        sessions,
        ratings,
        exported_at: time(now()),
    })
}

/// Everything stored about the device that started chat `session_id` (all of its chats in the org).
pub async fn export_device(
    db: &AnyPool,
    org_id: i64,
    session_id: &str,
    actor: &Actor,
) -> Result<ContactExport, PrivacyError> {
    let device = device_of_session(db, org_id, session_id).await?;
    let (sessions, ratings) = export_owned(db, org_id, &Owner::Device(device)).await?;
    audit::record(
        db,
        Some(org_id),
        actor,
        "device.exported",
        &json!({ "sessions": sessions.len() }),
    )
    .await?;
    Ok(ContactExport {
        contact: None,
        sessions,
        ratings,
        exported_at: time(now()),
    })
}

/// How often `serve` applies the retention periods (and once at start).
pub const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Deletes, in every org with a retention period, the resolved chats whose resolution is older than it (with their
/// messages, files and ratings, by the foreign keys' cascade), and writes a `retention.deleted` entry per org that
/// lost any. Safe when several instances run it at once: each row is deleted by one of them, and each counts only
/// what it deleted. Returns `(org id, chats deleted)` for the orgs that lost any.
pub async fn apply_retention(db: &AnyPool, now: i64) -> Result<Vec<(i64, u64)>, sqlx::Error> {
    let orgs: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, retention_days FROM orgs WHERE retention_days > 0 ORDER BY id")
            .fetch_all(db)
            .await?;
    let mut swept = Vec::new();
    for (org_id, days) in orgs {
        let cutoff = now.saturating_sub(days.saturating_mul(86_400));
        let mut tx = db.begin().await?;
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE session_id IN
                 (SELECT id FROM sessions WHERE org_id = $1 AND status = 'resolved' AND resolved_at < $2)",
        )
        .bind(org_id)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query(
            "DELETE FROM sessions WHERE org_id = $1 AND status = 'resolved' AND resolved_at < $2",
        )
        .bind(org_id)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted > 0 {
            audit::record(
                &mut *tx,
                Some(org_id),
                &Actor::Retention,
                "retention.deleted",
                &json!({ "sessions": deleted, "retention_days": days }),
            )
            .await?;
            swept.push((org_id, deleted));
        }
        tx.commit().await?;
    }
    Ok(swept)
}

/// Whether contact `contact_id` of `org_id` still exists: a user token names its contact, and one deleted since
/// the token was signed must not come back as an empty chat list (or a 500 on a foreign key).
pub async fn contact_exists(
    db: &AnyPool,
    org_id: i64,
    contact_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM contacts WHERE id = $1 AND org_id = $2")
            .bind(contact_id)
            .bind(org_id)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}
