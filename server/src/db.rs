//! The database: opening it, configuring SQLite, and bringing its schema up to date.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "--database {0}: this version supports only sqlite:// URLs (e.g. sqlite://frontdesk.db)"
    )]
    Unsupported(String),
    #[error("--database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("--database {url}: could not bring the schema up to date: {source}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
}

/// Opens (creating it if missing) the database at `url` and runs pending migrations.
pub async fn connect(url: &str) -> Result<SqlitePool, DbError> {
    if !url.starts_with("sqlite:") {
        return Err(DbError::Unsupported(url.to_owned()));
    }
    let open = |source| DbError::Open {
        url: url.to_owned(),
        source,
    };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(open)?
        .create_if_missing(true)
        // WAL lets long-poll reads run while a message is being written.
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL survives a process crash or restart; only a power loss can drop the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // SQLite has one writer at a time; wait for it rather than fail with "database is locked".
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(open)?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .map_err(|source| DbError::Migrate {
            url: url.to_owned(),
            source,
        })?;
    Ok(pool)
}
