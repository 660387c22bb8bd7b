//! The audit log: who changed what, and when. Every change made through the CLI or the admin API is written here,
//! in the same transaction as the change when there is one, and `audit list` / `GET /api/admin/audit` read it.
//!
//! **Invariant:** an entry names its actor by a public name (`cli`, `secret_key:<key id>`, `retention`) and its
//! detail holds ids, counts and settings, never a secret or a visitor's personal data.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, AnyPool, Executor};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Someone at the server's command line (`frontdesk-server …`).
    Cli,
    /// The admin API, called with the secret key of this id (`auth::key_id`).
    SecretKey(String),
    /// The retention sweep of `serve`.
    Retention,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cli => f.write_str("cli"),
            Self::SecretKey(id) => write!(f, "secret_key:{id}"),
            Self::Retention => f.write_str("retention"),
        }
    }
}

/// Writes one entry. `org_id` `None`: the whole installation (the signing key).
pub async fn record<'e, E>(
    executor: E,
    org_id: Option<i64>,
    actor: &Actor,
    action: &str,
    detail: &Value,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (org_id, actor, action, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org_id)
    .bind(actor.to_string())
    .bind(action)
    .bind(detail.to_string())
    .bind(crate::orgs::now())
    .execute(executor)
    .await
    .map(drop)
}

/// An entry as `audit list --json` and `GET /api/admin/audit` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// `null` for a change to the whole installation (the signing key).
    pub org_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub detail: Value,
    /// RFC 3339.
    pub at: String,
}

/// The most entries one page holds.
pub const PAGE_MAX: i64 = 1_000;

/// The newest entries first, at most `limit`, older than entry `before` when given: an org's entries and the
/// installation's (the signing key concerns every org), or every entry when `org_id` is `None`.
pub async fn list(
    db: &AnyPool,
    org_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let mut sql = crate::db::Sql::new(
        "SELECT id, org_id, actor, action, detail, created_at FROM audit_log WHERE 1 = 1",
    );
    if let Some(org_id) = org_id {
        sql.push(" AND (org_id = ")
            .push_bind(org_id)
            .push(" OR org_id IS NULL)");
    }
    if let Some(before) = before {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .push_bind(limit.clamp(1, PAGE_MAX));
    let rows: Vec<(i64, Option<i64>, String, String, String, i64)> = sql.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, org_id, actor, action, detail, at)| AuditEntry {
            id,
            org_id,
            actor,
            action,
            detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
            at: crate::wire::time(at),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_have_public_names() {
        assert_eq!(Actor::Cli.to_string(), "cli");
        assert_eq!(
            Actor::SecretKey("a1b2c3d4e5f6".into()).to_string(),
            "secret_key:a1b2c3d4e5f6"
        );
        assert_eq!(Actor::Retention.to_string(), "retention");
    }
}
