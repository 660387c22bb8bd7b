//! `frontdesk-server migrate-data`: copies a SQLite database into Postgres, for a site that moves from one machine
//! to several.
//!
//! Everything is copied as it is stored — ids, message cursors, the order of activity, key digests, the signing
//! key — so that open widgets keep their device ids, cursors and user tokens, and agents their keys. The copy is
//! one transaction on the target: it lands whole or not at all, and the counts are checked before it commits.

use std::io::Write;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::db::{self, Backend, PoolConfig, Sql};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from {0}: expected a sqlite:// URL (the database to copy)")]
    FromNotSqlite(String),
    #[error("--to {0}: expected a postgres:// URL (the database to copy into)")]
    ToNotPostgres(String),
    #[error(transparent)]
    Open(#[from] db::DbError),
    #[error(
        "--to already holds data ({0}); copying would mix two installations. Point --to at an empty database, or \
         pass --replace to delete what it holds first"
    )]
    TargetNotEmpty(String),
    #[error(
        "{table}: {copied} rows arrived but the source has {source_rows}; nothing was committed"
    )]
    CountMismatch {
        table: &'static str,
        copied: i64,
        source_rows: i64,
    },
    #[error("copying failed, nothing was committed: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Clone, Copy)]
enum Kind {
    Integer,
    Text,
    Blob,
}

use Kind::{Blob, Integer, Text};

/// The tables in an order that satisfies their foreign keys, with every column (`readiness` holds no data).
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "orgs",
        &[
            ("id", Integer),
            ("name", Text),
            ("widget_token", Text),
            ("secret_key_hash", Blob),
            ("created_at", Integer),
            ("attachment_max_bytes", Integer),
            ("attachments_per_message", Integer),
            ("attachment_types", Text),
            ("previous_widget_token", Text),
            ("previous_widget_token_retires_at", Integer),
            ("previous_secret_key_hash", Blob),
            ("previous_secret_key_retires_at", Integer),
            ("retention_days", Integer),
        ],
    ),
    (
        "org_allowed_origins",
        &[("org_id", Integer), ("origin", Text)],
    ),
    (
        "agents",
        &[
            ("id", Integer),
            ("org_id", Integer),
            ("name", Text),
            ("key_hash", Blob),
            ("created_at", Integer),
            ("avatar_url", Text),
            ("revoked_at", Integer),
        ],
    ),
    (
        "signing_keys",
        &[
            ("id", Integer),
            ("slot", Integer),
            ("secret", Blob),
            ("created_at", Integer),
            ("retires_at", Integer),
        ],
    ),
    (
        "contacts",
        &[
            ("id", Integer),
            ("org_id", Integer),
            ("email", Text),
            ("name", Text),
            ("avatar_url", Text),
            ("phone", Text),
            ("language", Text),
            ("custom_data", Text),
            ("created_at", Integer),
            ("updated_at", Integer),
        ],
    ),
    (
        "sessions",
        &[
            ("id", Text),
            ("org_id", Integer),
            ("external_id", Text),
            ("contact_id", Integer),
            ("device_hash", Blob),
            ("visitor_name", Text),
            ("visitor_email", Text),
            ("visitor_avatar_url", Text),
            ("non_verified_custom_data", Text),
            ("created_at", Integer),
            ("client_id", Text),
            ("activity_seq", Integer),
            ("rowid", Integer),
            ("status", Text),
            ("resolved_at", Integer),
            ("resolution_id", Integer),
            ("seen_by_visitor", Integer),
            ("seen_by_agent", Integer),
        ],
    ),
    (
        "messages",
        &[
            ("id", Integer),
            ("session_id", Text),
            ("client_id", Text),
            ("author", Text),
            ("author_name", Text),
            ("content", Text),
            ("created_at", Integer),
            ("kind", Text),
            ("author_avatar_url", Text),
            ("score", Integer),
        ],
    ),
    (
        "ratings",
        &[
            ("session_id", Text),
            ("resolution_id", Integer),
            ("org_id", Integer),
            ("external_id", Text),
            ("score", Integer),
            ("comment", Text),
            ("created_at", Integer),
        ],
    ),
    (
        "attachments",
        &[
            ("id", Text),
            ("session_id", Text),
            ("org_id", Integer),
            ("uploader", Text),
            ("name", Text),
            ("media_type", Text),
            ("size", Integer),
            ("data", Blob),
            ("message_id", Integer),
            ("position", Integer),
            ("created_at", Integer),
        ],
    ),
    (
        "audit_log",
        &[
            ("id", Integer),
            ("org_id", Integer),
            ("actor", Text),
            ("action", Text),
            ("detail", Text),
            ("created_at", Integer),
        ],
    ),
    (
        "webhook_endpoints",
        &[
            ("id", Integer),
            ("org_id", Integer),
            ("url", Text),
            ("events", Text),
            ("secret", Text),
            ("created_at", Integer),
            ("disabled", Integer),
        ],
    ),
    (
        "webhook_deliveries",
        &[
            ("id", Integer),
            ("endpoint_id", Integer),
            ("org_id", Integer),
            ("event_id", Text),
            ("event_type", Text),
            ("payload", Text),
            ("session_id", Text),
            ("contact_id", Integer),
            ("state", Text),
            ("attempts", Integer),
            ("next_attempt_at", Integer),
            ("created_at", Integer),
            ("give_up_at", Integer),
            ("last_status", Integer),
            ("last_latency_ms", Integer),
            ("last_error", Text),
        ],
    ),
    (
        "webhook_attempts",
        &[
            ("id", Integer),
            ("delivery_id", Integer),
            ("attempted_at", Integer),
            ("status", Integer),
            ("latency_ms", Integer),
            ("error", Text),
        ],
    ),
];

/// Identity columns whose sequences must continue after the copied values.
const IDENTITIES: &[(&str, &str)] = &[
    ("orgs", "id"),
    ("agents", "id"),
    ("signing_keys", "id"),
    ("contacts", "id"),
    ("sessions", "rowid"),
    ("messages", "id"),
    ("audit_log", "id"),
    ("webhook_endpoints", "id"),
    ("webhook_deliveries", "id"),
    ("webhook_attempts", "id"),
];

/// Rows per INSERT: well under Postgres's 65,535 parameters for the widest table.
const BATCH_ROWS: usize = 500;

/// What was copied: `(table, rows)` in copy order.
pub type Copied = Vec<(&'static str, i64)>;

/// Copies `from` (SQLite) into `to` (Postgres); `replace` empties `to` first. Progress goes to `progress`.
pub async fn migrate_data(
    from: &str,
    to: &str,
    replace: bool,
    progress: &mut (dyn Write + Send),
) -> Result<Copied, MigrateError> {
    if Backend::of_url(from) != Some(Backend::Sqlite) {
        return Err(MigrateError::FromNotSqlite(from.to_owned()));
    }
    if Backend::of_url(to) != Some(Backend::Postgres) {
        return Err(MigrateError::ToNotPostgres(to.to_owned()));
    }
    // Opening brings both schemas up to date, so the columns below exist on both sides.
    let source = db::connect(from, PoolConfig { max_connections: 2 }).await?;
    let target = db::connect(to, PoolConfig { max_connections: 2 }).await?;
    let result = copy(&source, &target, replace, progress).await;
    source.close().await;
    target.close().await;
    result
}

async fn copy(
    source: &AnyPool,
    target: &AnyPool,
    replace: bool,
    progress: &mut (dyn Write + Send),
) -> Result<Copied, MigrateError> {
    let mut tx = target.begin().await?;
    let held = holdings(&mut tx).await?;
    if !held.is_empty() {
        if !replace {
            return Err(MigrateError::TargetNotEmpty(held));
        }
        let _ = writeln!(progress, "emptying the target ({held})");
        let tables: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        sqlx::query(&format!("TRUNCATE {} CASCADE", tables.join(", ")))
            .execute(&mut *tx)
            .await?;
    }
    // The trigger would give every copied message's chat a new activity value and notify listeners: the values
    // are copied as they are instead. Disabled inside the transaction, so no other writer ever sees it off.
    sqlx::query("ALTER TABLE messages DISABLE TRIGGER messages_after_insert")
        .execute(&mut *tx)
        .await?;
    let mut copied = Vec::new();
    for (table, columns) in TABLES {
        let rows = copy_table(source, &mut tx, table, columns, progress).await?;
        let source_rows = count(source, table).await?;
        let target_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if target_rows != source_rows || rows != source_rows {
            return Err(MigrateError::CountMismatch {
                table,
                copied: target_rows,
                source_rows,
            });
        }
        let _ = writeln!(progress, "{table}: {rows} rows copied");
        copied.push((*table, rows));
    }
    sqlx::query("ALTER TABLE messages ENABLE TRIGGER messages_after_insert")
        .execute(&mut *tx)
        .await?;
    for (table, column) in IDENTITIES {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false) \
             FROM {table}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "SELECT setval('activity_seq', COALESCE(MAX(activity_seq), 0) + 1, false) FROM sessions",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(copied)
}

/// What the target already holds, e.g. "orgs: 2, messages: 40"; empty when it holds nothing.
async fn holdings(tx: &mut Transaction<'_, Any>) -> Result<String, sqlx::Error> {
    let mut held = Vec::new();
    for (table, _) in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut **tx)
            .await?;
        if n > 0 {
            held.push(format!("{table}: {n}"));
        }
    }
    Ok(held.join(", "))
}

async fn count(db: &AnyPool, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await
}

/// Streams `table` from `source` into the transaction, [`BATCH_ROWS`] rows per statement; returns the rows copied.
async fn copy_table(
    source: &AnyPool,
    tx: &mut Transaction<'_, Any>,
    table: &str,
    columns: &[(&str, Kind)],
    progress: &mut (dyn Write + Send),
) -> Result<i64, sqlx::Error> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let select = format!(
        "SELECT {} FROM {table} ORDER BY {}",
        names.join(", "),
        names[0]
    );
    let mut rows = sqlx::query(&select).fetch(source);
    // A row of `attachments` holds a file of up to 50 MiB: a few at a time keep the copy's memory bounded.
    let batch_rows = if table == "attachments" {
        4
    } else {
        BATCH_ROWS
    };
    let mut batch: Vec<AnyRow> = Vec::with_capacity(batch_rows);
    let mut copied = 0i64;
    loop {
        let row = rows.try_next().await?;
        let done = row.is_none();
        batch.extend(row);
        if batch.len() == batch_rows || (done && !batch.is_empty()) {
            insert_batch(tx, table, columns, &batch).await?;
            copied += batch.len() as i64;
            batch.clear();
            if copied % 50_000 == 0 {
                let _ = writeln!(progress, "{table}: {copied} rows…");
            }
        }
        if done {
            return Ok(copied);
        }
    }
}

async fn insert_batch(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    columns: &[(&str, Kind)],
    rows: &[AnyRow],
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let mut sql = Sql::new(format!(
        "INSERT INTO {table} ({}) VALUES ",
        names.join(", ")
    ));
    for (r, row) in rows.iter().enumerate() {
        sql.push(if r == 0 { "(" } else { ", (" });
        for (c, (_, kind)) in columns.iter().enumerate() {
            if c > 0 {
                sql.push(", ");
            }
            match kind {
                Integer => sql.push_bind(row.try_get::<Option<i64>, _>(c)?),
                Text => sql.push_bind(row.try_get::<Option<String>, _>(c)?),
                Blob => sql.push_bind(row.try_get::<Option<Vec<u8>>, _>(c)?),
            };
        }
        sql.push(")");
    }
    sql.execute(&mut **tx).await
}
