//! The database: opening it (SQLite or Postgres, by URL), configuring it, and bringing its schema up to date.
//!
//! Both backends are reached through sqlx's `Any` driver, so every query in the crate is written once: in SQL that
//! both accept (`$1` placeholders, `ON CONFLICT`, `RETURNING`, `IS NOT DISTINCT FROM`), with the few differences
//! kept in the schema (`migrations/sqlite/`, `migrations/postgres/`) rather than in the code. Where the code must
//! still know which one it talks to, it asks [`backend`].

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Arguments, Encode, Executor, FromRow, Type};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "--database {0}: expected a sqlite:// URL (e.g. sqlite://frontdesk.db) or a postgres:// URL \
         (e.g. postgres://frontdesk@127.0.0.1:5432/frontdesk)"
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

/// Which database a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `--database` URL names, if it is one this server supports.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }
}

/// The backend behind `db`.
pub fn backend(db: &AnyPool) -> Backend {
    Backend::of_url(db.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
}

/// How a server uses its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Connections in the pool. A held long-poll holds none (it waits in memory and borrows one per query), so
    /// this bounds concurrent queries, not visitors. On Postgres each instance also keeps one listening connection.
    pub max_connections: u32,
}

/// The default pool: SQLite has one writer at a time, so more connections only queue for it; Postgres serves a
/// busy instance's reads in parallel.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Opens (creating it if missing, for SQLite) the database at `url` and runs pending migrations.
pub async fn connect(url: &str, config: PoolConfig) -> Result<AnyPool, DbError> {
    let backend = Backend::of_url(url).ok_or_else(|| DbError::Unsupported(url.to_owned()))?;
    sqlx::any::install_default_drivers();
    let open = |source| DbError::Open {
        url: url.to_owned(),
        source,
    };
    let options = AnyPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        // Past this a request answers 503 `database_unavailable` with Retry-After rather than queueing for sqlx's
        // default 30 s: a pool that stays exhausted that long is overload, and the client retries later.
        .acquire_timeout(Duration::from_secs(5));
    let pool = match backend {
        Backend::Sqlite => options
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        // WAL lets long-poll reads run while a message is being written. With WAL, NORMAL
                        // survives a process crash or restart; only a power loss can drop the last commits.
                        // SQLite has one writer at a time: wait for it rather than fail with "database is locked".
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                         PRAGMA busy_timeout = 5000;",
                    )
                    .await
                    .map(drop)
                })
            })
            // SQLite opens a file it may not write read-only without saying so, and such a connection stays
            // read-only after the file is writable again: replace every connection opened before the last
            // lasting failure.
            .before_acquire(|_conn, meta| {
                Box::pin(async move { Ok(!opened_before_last_failure(meta.age)) })
            })
            .connect(&sqlite_url_creating_file(url))
            .await
            .map_err(open)?,
        Backend::Postgres => options
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Postgres waits for a lock as long as it takes: a table locked by someone else would hold
                    // requests until their clients gave up. Five seconds, like SQLite's busy timeout, then 503.
                    conn.execute("SET lock_timeout = '5s'; SET statement_timeout = '30s';")
                        .await
                        .map(drop)
                })
            })
            .connect(url)
            .await
            .map_err(open)?,
    };
    let migrated = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await,
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await,
    };
    migrated.map_err(|source| DbError::Migrate {
        url: url.to_owned(),
        source,
    })?;
    Ok(pool)
}

/// `url` with `mode=rwc` (create the file if missing) unless it names a mode itself.
fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// SQL put together piece by piece, with numbered placeholders (`$1`, `$2`, …) that both backends read. (sqlx's
/// `QueryBuilder` writes `?` for the `Any` driver, which Postgres refuses.)
pub struct Sql<'a> {
    text: String,
    args: AnyArguments<'a>,
}

impl<'a> Sql<'a> {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            args: AnyArguments::default(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        // Encoding into the Any driver's buffer only records the value; it cannot fail for the types used here.
        self.args
            .add(value)
            .expect("a value the Any driver can carry");
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    pub async fn fetch_all<O>(self, db: &AnyPool) -> Result<Vec<O>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        sqlx::query_as_with(&self.text, self.args)
            .fetch_all(db)
            .await
    }

    pub async fn execute<'e, E>(self, executor: E) -> Result<(), sqlx::Error>
    where
        E: Executor<'e, Database = Any>,
    {
        sqlx::query_with(&self.text, self.args)
            .execute(executor)
            .await
            .map(drop)
    }

    /// On the pool, or inside a transaction (`&mut *tx`).
    pub async fn fetch_optional<'e, O, E>(self, executor: E) -> Result<Option<O>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
        E: Executor<'e, Database = Any>,
    {
        sqlx::query_as_with(&self.text, self.args)
            .fetch_optional(executor)
            .await
    }
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
            .try_downcast_ref::<sqlx::sqlite::SqliteError>()
            .and_then(sqlx::error::DatabaseError::code)
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff),
        _ => None,
    }
}

/// The SQLSTATE of a Postgres error.
fn postgres_state(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) => Some(
            db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?
                .code()
                .to_owned(),
        ),
        _ => None,
    }
}

/// Postgres conditions a retry can outlive: lost connections (class 08), no resources (53: disk full, out of
/// memory, too many connections), an operator's or a crash's shutdown (57P01–57P03), a read-only standby (25006),
/// a lock or a statement that took too long (55P03, 57014: the timeouts set in [`connect`]), and a lost race that
/// the database itself asks to retry (40001, 40P01).
fn postgres_unavailable(state: &str) -> bool {
    state.starts_with("08")
        || state.starts_with("53")
        || matches!(
            state,
            "57P01" | "57P02" | "57P03" | "25006" | "55P03" | "57014" | "40001" | "40P01"
        )
}

/// Whether `e` says the database cannot serve right now (busy, locked, read-only, failing I/O, full disk, no
/// connection to be had) rather than that the request or the code is wrong: answered 503 with `Retry-After`.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        _ if postgres_state(e).is_some_and(|s| postgres_unavailable(&s)) => true,
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
    async fn markers(pool: &AnyPool) -> Vec<i64> {
        let mut held = Vec::new();
        let mut found = Vec::new();
        for _ in 0..DEFAULT_MAX_CONNECTIONS {
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
        let pool = connect(&url, PoolConfig::default()).await.unwrap();
        // A mark on every connection, which lives only as long as its connection.
        let mut held = Vec::new();
        for _ in 0..DEFAULT_MAX_CONNECTIONS {
            let mut conn = pool.acquire().await.unwrap();
            sqlx::query("CREATE TEMP TABLE marker (x)")
                .execute(&mut *conn)
                .await
                .unwrap();
            held.push(conn);
        }
        drop(held);
        assert_eq!(markers(&pool).await, [1; DEFAULT_MAX_CONNECTIONS as usize]);

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
            [0; DEFAULT_MAX_CONNECTIONS as usize],
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
