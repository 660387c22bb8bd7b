//! Sessions (chats) and their messages.
//!
//! **Invariant:** every read of a session or a message goes through [`push_visible`], which writes the rule of
//! docs/api.md ("Who sees which chats") into the SQL: a verified visitor sees its contact's verified sessions in its scope, a device sees its own
//! non-verified sessions in its scope, an agent sees its org's. There is no "load by id, then check" path, so an id
//! from elsewhere finds nothing rather than something to be refused.
//!
//! The types here are rows and what is built from them (times as unix seconds); what goes on the wire is made
//! from them in [`crate::wire`].

use sqlx::{AnyPool, FromRow};

use crate::db::{Backend, Sql};

use crate::domain::{ClientId, ExternalId, MessageContent, SessionId};

/// A widget caller, as established from its headers by the identity extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visitor {
    /// Carries a valid user token: the contact comes from the token alone.
    Verified {
        org_id: i64,
        contact_id: i64,
        scope: Option<ExternalId>,
    },
    /// Non-verified or anonymous: known only by its device secret, stored hashed.
    Device {
        org_id: i64,
        device_hash: Vec<u8>,
        scope: Option<ExternalId>,
    },
}

impl Visitor {
    pub fn org_id(&self) -> i64 {
        match self {
            Self::Verified { org_id, .. } | Self::Device { org_id, .. } => *org_id,
        }
    }
}

/// Whose eyes a read is for.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    Visitor(&'a Visitor),
    /// An agent (or the site's own backend): every session of the org.
    Org(i64),
}

impl<'a> From<&'a Visitor> for Viewer<'a> {
    fn from(visitor: &'a Visitor) -> Self {
        Self::Visitor(visitor)
    }
}

/// Appends the condition "session `s` is visible to `viewer`".
fn push_visible(qb: &mut Sql<'_>, viewer: Viewer<'_>) {
    let scope = |scope: &Option<ExternalId>| scope.as_ref().map(|s| s.as_str().to_owned());
    match viewer {
        Viewer::Visitor(Visitor::Verified {
            org_id,
            contact_id,
            scope: s,
        }) => {
            qb.push("s.org_id = ").push_bind(*org_id);
            qb.push(" AND s.contact_id = ").push_bind(*contact_id);
            // Not `=`: NULL (the default scope) must match NULL.
            qb.push(" AND s.external_id IS NOT DISTINCT FROM ")
                .push_bind(scope(s));
        }
        Viewer::Visitor(Visitor::Device {
            org_id,
            device_hash,
            scope: s,
        }) => {
            qb.push("s.org_id = ").push_bind(*org_id);
            qb.push(" AND s.contact_id IS NULL AND s.device_hash = ")
                .push_bind(device_hash.clone());
            qb.push(" AND s.external_id IS NOT DISTINCT FROM ")
                .push_bind(scope(s));
        }
        Viewer::Org(org_id) => {
            qb.push("s.org_id = ").push_bind(org_id);
        }
    }
}

/// `messages.author`, stored as the wire spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Visitor,
    Agent,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visitor => "visitor",
            Self::Agent => "agent",
        }
    }
}

// By hand: sqlx's derive does not cover the `Any` driver. Stored as text, on both backends.
impl sqlx::Type<sqlx::Any> for Author {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <&str as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <&str as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for Author {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Author {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        match <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)? {
            "visitor" => Ok(Self::Visitor),
            "agent" => Ok(Self::Agent),
            other => Err(format!("unknown message author {other:?}").into()),
        }
    }
}

/// A row of `messages`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub session_id: String,
    pub client_id: Option<String>,
    pub author: Author,
    pub author_name: Option<String>,
    pub content: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A session with what both audiences need to show it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub org_id: i64,
    pub external_id: Option<String>,
    pub created_at: i64,
    /// Set iff the session was started by a verified user.
    pub contact: Option<Contact>,
    /// Set iff the session was started by a device.
    pub device_hash: Option<Vec<u8>>,
    /// What the page said about a non-verified visitor (untrusted).
    pub visitor: VisitorProfile,
    pub last_message: Option<MessageRow>,
    /// Position in the order of latest activity (higher = more recent); the agent list's paging cursor.
    pub activity_seq: i64,
}

impl Session {
    pub fn verified(&self) -> bool {
        self.contact.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// Trusted JSON object.
    pub custom_data: serde_json::Value,
}

/// Page-supplied, unverified facts about a non-verified visitor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitorProfile {
    pub name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    /// JSON object text.
    pub custom_data: Option<String>,
}

#[derive(FromRow)]
struct SessionRow {
    id: String,
    org_id: i64,
    external_id: Option<String>,
    created_at: i64,
    contact_id: Option<i64>,
    device_hash: Option<Vec<u8>>,
    visitor_name: Option<String>,
    visitor_email: Option<String>,
    visitor_avatar_url: Option<String>,
    non_verified_custom_data: Option<String>,
    contact_email: Option<String>,
    contact_name: Option<String>,
    contact_custom_data: Option<String>,
    lm_id: Option<i64>,
    lm_client_id: Option<String>,
    lm_author: Option<Author>,
    lm_author_name: Option<String>,
    lm_content: Option<String>,
    lm_created_at: Option<i64>,
    activity_seq: i64,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        let contact = r.contact_id.map(|id| Contact {
            id,
            email: r.contact_email.unwrap_or_default(),
            name: r.contact_name,
            custom_data: json_object(r.contact_custom_data.as_deref()),
        });
        let last_message = match (r.lm_id, r.lm_author, r.lm_content, r.lm_created_at) {
            (Some(id), Some(author), Some(content), Some(created_at)) => Some(MessageRow {
                id,
                session_id: r.id.clone(),
                client_id: r.lm_client_id,
                author,
                author_name: r.lm_author_name,
                content,
                created_at,
            }),
            _ => None,
        };
        Session {
            id: r.id,
            org_id: r.org_id,
            external_id: r.external_id,
            created_at: r.created_at,
            contact,
            device_hash: r.device_hash,
            visitor: VisitorProfile {
                name: r.visitor_name,
                email: r.visitor_email,
                avatar_url: r.visitor_avatar_url,
                custom_data: r.non_verified_custom_data,
            },
            last_message,
            activity_seq: r.activity_seq,
        }
    }
}

/// Stored JSON object text as a value; `{}` if absent (it was validated on the way in).
pub fn json_object(text: Option<&str>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| serde_json::json!({}))
}

const SESSION_SELECT: &str = "SELECT s.id, s.org_id, s.external_id, s.created_at, s.contact_id, s.device_hash,
        s.visitor_name, s.visitor_email, s.visitor_avatar_url, s.non_verified_custom_data,
        c.email AS contact_email, c.name AS contact_name, c.custom_data AS contact_custom_data,
        m.id AS lm_id, m.client_id AS lm_client_id, m.author AS lm_author, m.author_name AS lm_author_name,
        m.content AS lm_content, m.created_at AS lm_created_at, s.activity_seq
    FROM sessions s
    LEFT JOIN contacts c ON c.id = s.contact_id
    LEFT JOIN messages m ON m.id = (SELECT MAX(id) FROM messages WHERE session_id = s.id)
    WHERE ";

/// Most sessions a list returns (newest first).
pub const SESSION_LIST_LIMIT: i64 = 200;

/// Starts a chat owned by `visitor`. `profile` is kept only for a device: a verified visitor is described by its
/// contact, and the page has no say over that. `None` when `client_id` already started a session of this owner
/// (the caller then looks for it with [`find_session_by_client_id`]: a retry finds its own). Another owner's use
/// of the same client id conflicts with nothing (migrations/0005), so it reveals nothing.
pub async fn create_session(
    db: &AnyPool,
    visitor: &Visitor,
    profile: VisitorProfile,
    client_id: Option<&ClientId>,
) -> Result<Option<Session>, sqlx::Error> {
    let id = SessionId::generate();
    let (org_id, contact_id, device_hash, scope, profile) = match visitor {
        Visitor::Verified {
            org_id,
            contact_id,
            scope,
        } => (
            *org_id,
            Some(*contact_id),
            None,
            scope,
            VisitorProfile::default(),
        ),
        Visitor::Device {
            org_id,
            device_hash,
            scope,
        } => (*org_id, None, Some(device_hash.clone()), scope, profile),
    };
    let inserted = sqlx::query(
        "INSERT INTO sessions (id, org_id, external_id, contact_id, device_hash, visitor_name, visitor_email,
                               visitor_avatar_url, non_verified_custom_data, created_at, client_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING",
    )
    .bind(id.as_str())
    .bind(org_id)
    .bind(scope.as_ref().map(ExternalId::as_str))
    .bind(contact_id)
    .bind(device_hash)
    .bind(profile.name)
    .bind(profile.email)
    .bind(profile.avatar_url)
    .bind(profile.custom_data)
    .bind(now())
    .bind(client_id.map(ClientId::as_str))
    .execute(db)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    // Read back through the visibility rule, so the creator gets exactly what it will see later.
    find_session(db, visitor.into(), &id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
        .map(Some)
}

/// The session that `client_id` started, if `viewer` sees it.
pub async fn find_session_by_client_id(
    db: &AnyPool,
    viewer: Viewer<'_>,
    client_id: &ClientId,
) -> Result<Option<Session>, sqlx::Error> {
    let mut qb = Sql::new(SESSION_SELECT);
    push_visible(&mut qb, viewer);
    qb.push(" AND s.client_id = ")
        .push_bind(client_id.as_str().to_owned());
    let row: Option<SessionRow> = qb.fetch_optional(db).await?;
    Ok(row.map(Session::from))
}

/// The session `id`, if `viewer` sees it.
pub async fn find_session(
    db: &AnyPool,
    viewer: Viewer<'_>,
    id: &SessionId,
) -> Result<Option<Session>, sqlx::Error> {
    let mut qb = Sql::new(SESSION_SELECT);
    push_visible(&mut qb, viewer);
    qb.push(" AND s.id = ").push_bind(id.as_str().to_owned());
    let row: Option<SessionRow> = qb.fetch_optional(db).await?;
    Ok(row.map(Session::from))
}

/// The sessions a visitor sees, newest first (agents page through theirs with [`list_sessions_by_activity`]).
pub async fn list_sessions(db: &AnyPool, viewer: Viewer<'_>) -> Result<Vec<Session>, sqlx::Error> {
    let mut qb = Sql::new(SESSION_SELECT);
    push_visible(&mut qb, viewer);
    // rowid, not created_at: it grows with every insert, so sessions started in the same second keep their order.
    qb.push(" ORDER BY s.rowid DESC LIMIT ")
        .push_bind(SESSION_LIST_LIMIT);
    let rows: Vec<SessionRow> = qb.fetch_all(db).await?;
    Ok(rows.into_iter().map(Session::from).collect())
}

/// An org's sessions by latest activity, most recent first: those with `activity_seq < before` when given, at
/// most `limit`. A new message moves its session to the top, however many chats were started since.
pub async fn list_sessions_by_activity(
    db: &AnyPool,
    org_id: i64,
    only_scope: Option<&ExternalId>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Session>, sqlx::Error> {
    let mut qb = Sql::new(SESSION_SELECT);
    push_visible(&mut qb, Viewer::Org(org_id));
    if let Some(scope) = only_scope {
        qb.push(" AND s.external_id = ")
            .push_bind(scope.as_str().to_owned());
    }
    if let Some(before) = before {
        qb.push(" AND s.activity_seq < ").push_bind(before);
    }
    qb.push(" ORDER BY s.activity_seq DESC LIMIT ")
        .push_bind(limit);
    let rows: Vec<SessionRow> = qb.fetch_all(db).await?;
    Ok(rows.into_iter().map(Session::from).collect())
}

/// Whether the device behind `device_hash` started any chat of `org_id` before (in any scope).
pub async fn device_is_known(
    db: &AnyPool,
    org_id: i64,
    device_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    // A count of at most one row rather than EXISTS, whose boolean SQLite gives as an integer.
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE org_id = $1 AND device_hash = $2 LIMIT 1) AS found",
    )
    .bind(org_id)
    .bind(device_hash)
    .fetch_one(db)
    .await?;
    Ok(found > 0)
}

const MESSAGE_COLUMNS: &str =
    "m.id, m.session_id, m.client_id, m.author, m.author_name, m.content, m.created_at";

/// A page of `session`'s history: its latest `limit` messages with `id < before` (of all, without `before`), oldest
/// first, and the `before` of the page below it (`None` when none is older). The caller got `session` from
/// [`find_session`] with its viewer.
pub async fn messages(
    db: &AnyPool,
    session: &Session,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<MessageRow>, Option<i64>), sqlx::Error> {
    // One more than asked for: whether it comes says whether there is a page below, without a second query.
    let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.session_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
    ))
    .bind(&session.id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    rows.reverse();
    let next_before = more.then(|| rows.first().map(|m| m.id)).flatten();
    Ok((rows, next_before))
}

/// Messages with `id > after` in every session `viewer` sees, oldest first, at most `limit`.
pub async fn messages_after(
    db: &AnyPool,
    viewer: Viewer<'_>,
    after: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    // A visitor has few sessions: SQLite starts from them (by index) and reads each one's new messages. An org
    // may have many, most of them idle: `CROSS JOIN` makes SQLite walk the messages after the cursor instead
    // (by primary key, in order, stopping at `limit`), which is cheap because a console's cursor is recent.
    // Postgres plans by statistics (and has no `CROSS JOIN … ON`).
    let join = match (viewer, crate::db::backend(db)) {
        (Viewer::Org(_), Backend::Sqlite) => "CROSS JOIN",
        _ => "JOIN",
    };
    let mut qb = Sql::new(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m {join} sessions s ON s.id = m.session_id WHERE "
    ));
    push_visible(&mut qb, viewer);
    qb.push(" AND m.id > ").push_bind(after);
    qb.push(" ORDER BY m.id LIMIT ").push_bind(limit);
    qb.fetch_all(db).await
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub client_id: Option<ClientId>,
    pub author: Author,
    pub author_name: Option<String>,
    pub content: MessageContent,
}

/// Whether a send stored something.
#[derive(Debug, Clone)]
pub enum Stored {
    Created(MessageRow),
    /// The session already had a message with this client id: that one, unchanged.
    AlreadyThere(MessageRow),
}

/// The message of `session` with this client id, if any.
pub async fn message_by_client_id(
    db: &AnyPool,
    session: &Session,
    client_id: &ClientId,
) -> Result<Option<MessageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.session_id = $1 AND m.client_id = $2"
    ))
    .bind(&session.id)
    .bind(client_id.as_str())
    .fetch_optional(db)
    .await
}

/// Stores `message` in `session` (which the caller found with its viewer), once per client id.
pub async fn insert_message(
    db: &AnyPool,
    session: &Session,
    message: NewMessage,
) -> Result<Stored, sqlx::Error> {
    // A single statement: the UNIQUE (session_id, client_id) constraint, not a prior read, decides whether this is
    // a retry, so two racing retries store one message.
    let sql = match crate::db::backend(db) {
        // One writer at a time: ids commit in the order they are handed out.
        Backend::Sqlite => {
            "INSERT INTO messages (session_id, client_id, author, author_name, content, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (session_id, client_id) DO NOTHING
             RETURNING id, session_id, client_id, author, author_name, content, created_at"
        }
        // A sequence hands out ids at insert time, but they become visible at commit: if a message with a higher id
        // committed first, a long-poll could move its cursor past a lower id still in flight and never see it. So
        // one org's inserts take turns: the statement first takes the org's transaction lock (the row it inserts,
        // and so its id, comes after), and holds it until it commits, so its ids become visible in order. Per org
        // because every cursor is: a visitor's and an agent's reads never span two orgs. One statement, so the lock
        // costs no extra round trip.
        Backend::Postgres => {
            "INSERT INTO messages (session_id, client_id, author, author_name, content, created_at)
             SELECT $1, $2, $3, $4, $5, $6 FROM (SELECT pg_advisory_xact_lock($7)) AS turn
             ON CONFLICT (session_id, client_id) DO NOTHING
             RETURNING id, session_id, client_id, author, author_name, content, created_at"
        }
    };
    let created: Option<MessageRow> = sqlx::query_as(sql)
        .bind(&session.id)
        .bind(message.client_id.as_ref().map(ClientId::as_str))
        .bind(message.author)
        .bind(&message.author_name)
        .bind(message.content.as_str())
        .bind(now())
        .bind(session.org_id)
        .fetch_optional(db)
        .await?;
    if let Some(created) = created {
        return Ok(Stored::Created(created));
    }
    // Only a client id can conflict, and the message holding it is never deleted on its own.
    let client_id = message.client_id.ok_or(sqlx::Error::RowNotFound)?;
    let existing = message_by_client_id(db, session, &client_id).await?;
    existing
        .map(Stored::AlreadyThere)
        .ok_or(sqlx::Error::RowNotFound)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
