//! The database: opening it, configuring SQLite, and bringing its schema up to date.

use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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

const MAX_CONNECTIONS: u32 = 8;

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
        .max_connections(MAX_CONNECTIONS)
        // SQLite opens a file it may not write read-only without saying so, and such a connection stays read-only
        // after the file is writable again: replace every connection opened before the last lasting failure.
        .before_acquire(|_conn, meta| {
            Box::pin(async move { Ok(!opened_before_last_failure(meta.age)) })
        })
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

/// SQLite primary result codes (the low byte of an extended code) that a retry can outlive.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;

fn sqlite_code(e: &sqlx::Error) -> Option<i64> {
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff),
        _ => None,
    }
}

/// Whether `e` says the database cannot serve right now (busy, locked, read-only, failing I/O, full disk, no
/// connection to be had) rather than that the request or the code is wrong: answered 503 with `Retry-After`.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        _ => matches!(
            sqlite_code(e),
            Some(
                SQLITE_BUSY
                    | SQLITE_LOCKED
                    | SQLITE_READONLY
                    | SQLITE_IOERR
                    | SQLITE_FULL
                    | SQLITE_CANTOPEN
            )
        ),
    }
}

/// When a failure that outlives its connection's current statement was last seen. Process-wide rather than per
/// pool: a server has one pool, and a second one (a test's) only reopens a few connections more than needed.
static LAST_LASTING_FAILURE: Mutex<Option<Instant>> = Mutex::new(None);

/// Records `e` if it can stick to the connection that saw it (read-only, I/O, cannot open), so that every
/// connection opened before now is closed and reopened at its next use instead of failing again.
pub fn note_failure(e: &sqlx::Error) {
    let lasting = matches!(e, sqlx::Error::Io(_))
        || matches!(
            sqlite_code(e),
            Some(SQLITE_READONLY | SQLITE_IOERR | SQLITE_CANTOPEN)
        );
    if lasting {
        *LAST_LASTING_FAILURE
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }
}

fn opened_before_last_failure(age: Duration) -> bool {
    LAST_LASTING_FAILURE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some_and(|at| age >= at.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// Whether each of the pool's connections (all held at once, so each is a different one) has the marker.
    async fn markers(pool: &SqlitePool) -> Vec<i64> {
        let mut held = Vec::new();
        let mut found = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            let mut conn = pool.acquire().await.unwrap();
            found.push(
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'marker'")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap(),
            );
            held.push(conn);
        }
        found
    }

    #[tokio::test]
    async fn a_read_only_failure_is_unavailable_and_replaces_the_connections_opened_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let pool = connect(&url).await.unwrap();
        // A mark on every connection, which lives only as long as its connection.
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            let mut conn = pool.acquire().await.unwrap();
            sqlx::query("CREATE TEMP TABLE marker (x)")
                .execute(&mut *conn)
                .await
                .unwrap();
            held.push(conn);
        }
        drop(held);
        assert_eq!(markers(&pool).await, [1; MAX_CONNECTIONS as usize]);

        // A real SQLITE_READONLY, from a connection opened read-only as SQLite does when the file is protected.
        let mut read_only = sqlx::SqliteConnection::connect(&format!("{url}?mode=ro"))
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO readiness (slot, checked_at) VALUES (1, 0)")
            .execute(&mut read_only)
            .await
            .unwrap_err();
        assert!(is_unavailable(&e), "{e}");
        note_failure(&e);
        assert_eq!(
            markers(&pool).await,
            [0; MAX_CONNECTIONS as usize],
            "every connection was reopened"
        );
        sqlx::query("INSERT INTO readiness (slot, checked_at) VALUES (1, 0)")
            .execute(&pool)
            .await
            .unwrap();
    }

    #[test]
    fn wrong_requests_are_not_unavailability() {
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
    }
}
