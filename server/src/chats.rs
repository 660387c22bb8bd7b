//! Sessions (chats) and their messages.
//!
//! **Invariant:** every read of a session or a message goes through [`push_visible`], which writes the rule of
//! docs/api.md ("Who sees which chats") into the SQL: a verified visitor sees its contact's verified sessions in its scope, a device sees its own
//! non-verified sessions in its scope, an agent sees its org's. There is no "load by id, then check" path, so an id
//! from elsewhere finds nothing rather than something to be refused.
//!
//! The types here are rows and what is built from them (times as unix seconds); what goes on the wire is made
//! from them in [`crate::wire`].
//!
//! Every write that is a webhook event (a chat started, a message, a resolution, a rating) is a transaction that
//! also queues the event's deliveries ([`crate::webhooks::enqueue`]), and wakes the delivery worker once committed.

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
    /// `text`, or the event this row is (`frontdesk_protocol::wire::MessageKind`, as stored).
    pub kind: String,
    pub author_avatar_url: Option<String>,
    /// 1 to 5 on a `rated` event.
    pub score: Option<i64>,
    /// Filled by [`load_attachments`], not by the row's query.
    #[sqlx(skip)]
    pub attachments: Vec<AttachmentMeta>,
}

/// A row of `attachments` without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AttachmentMeta {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub message_id: Option<i64>,
}

/// An attachment with its bytes, for a download.
#[derive(Debug, Clone, FromRow)]
pub struct AttachmentFile {
    pub name: String,
    pub media_type: String,
    pub data: Vec<u8>,
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
    pub status: Status,
    /// Unix seconds; set while resolved.
    pub resolved_at: Option<i64>,
    /// The rating of the current resolution.
    pub rating: Option<(i64, Option<String>)>,
    pub seen_by_visitor: Option<i64>,
    pub seen_by_agent: Option<i64>,
}

/// `sessions.status`, stored as the wire spells it.
pub use frontdesk_protocol::wire::Status;

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
    lm_kind: Option<String>,
    lm_author_avatar_url: Option<String>,
    lm_score: Option<i64>,
    activity_seq: i64,
    status: String,
    resolved_at: Option<i64>,
    rating_score: Option<i64>,
    rating_comment: Option<String>,
    seen_by_visitor: Option<i64>,
    seen_by_agent: Option<i64>,
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
                kind: r.lm_kind.unwrap_or_else(|| "text".to_owned()),
                author_avatar_url: r.lm_author_avatar_url,
                score: r.lm_score,
                attachments: Vec::new(),
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
            // The column's CHECK allows only the statuses the protocol names.
            status: Status::parse(&r.status).unwrap_or(Status::Open),
            resolved_at: r.resolved_at,
            rating: r.rating_score.map(|score| (score, r.rating_comment)),
            seen_by_visitor: r.seen_by_visitor,
            seen_by_agent: r.seen_by_agent,
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
        m.content AS lm_content, m.created_at AS lm_created_at, CASE WHEN m.greeting = 1 THEN 'greeting' ELSE m.kind END AS lm_kind,
        m.author_avatar_url AS lm_author_avatar_url, m.score AS lm_score, s.activity_seq,
        s.status, s.resolved_at, r.score AS rating_score, r.comment AS rating_comment,
        s.seen_by_visitor, s.seen_by_agent
    FROM sessions s
    LEFT JOIN contacts c ON c.id = s.contact_id
    LEFT JOIN messages m ON m.id = (SELECT MAX(id) FROM messages WHERE session_id = s.id)
    LEFT JOIN ratings r ON r.session_id = s.id AND r.resolution_id = s.resolution_id
    WHERE ";

/// The greeting bubbles a chat starts with (none by default), checked text. Stored with no author name: no agent
/// wrote them.
#[derive(Debug, Clone, Default)]
pub struct Greeting {
    pub lines: Vec<String>,
}

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
    greeting: &Greeting,
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
    // With its greeting and its event in one transaction: a chat is never seen without the bubbles its visitor
    // answered, and never without its `session.created` delivery queued.
    let mut tx = db.begin().await?;
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
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    if !greeting.lines.is_empty() {
        take_turn(db, &mut tx, org_id).await?;
        for line in &greeting.lines {
            sqlx::query(
                "INSERT INTO messages (session_id, author, content, created_at, greeting)
                 VALUES ($1, 'agent', $2, $3, 1)",
            )
            .bind(id.as_str())
            .bind(line)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
    }
    // Read back through the visibility rule, so the creator gets exactly what it will see later.
    let mut qb = Sql::new(SESSION_SELECT);
    push_visible(&mut qb, visitor.into());
    qb.push(" AND s.id = ").push_bind(id.as_str().to_owned());
    let session = qb
        .fetch_optional::<SessionRow, _>(&mut *tx)
        .await?
        .map(Session::from)
        .ok_or(sqlx::Error::RowNotFound)?;
    let event = crate::webhooks::Event::session_created(&session);
    let queued = crate::webhooks::enqueue(&mut tx, org_id, event).await?;
    tx.commit().await?;
    crate::webhooks::wake(queued);
    Ok(Some(session))
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
    let mut sessions: Vec<Session> = rows.into_iter().map(Session::from).collect();
    load_last_attachments(db, &mut sessions).await?;
    Ok(sessions)
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
    let mut sessions: Vec<Session> = rows.into_iter().map(Session::from).collect();
    load_last_attachments(db, &mut sessions).await?;
    Ok(sessions)
}

/// Stores where a non-verified visitor wants the reply, over what its page said (`user.data.email`).
pub async fn set_visitor_email(
    db: &AnyPool,
    session: &Session,
    email: &crate::domain::Email,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET visitor_email = $2 WHERE id = $1 AND contact_id IS NULL")
        .bind(&session.id)
        .bind(email.as_str())
        .execute(db)
        .await?;
    Ok(())
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
    "m.id, m.session_id, m.client_id, m.author, m.author_name, m.content, m.created_at,
    CASE WHEN m.greeting = 1 THEN 'greeting' ELSE m.kind END AS kind, m.author_avatar_url, m.score";
/// The same columns as `RETURNING` gives them (no table alias).
const RETURNED_COLUMNS: &str =
    "id, session_id, client_id, author, author_name, content, created_at, kind, author_avatar_url, score";

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
    load_attachments(db, &mut rows).await?;
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
    let mut rows: Vec<MessageRow> = qb.fetch_all(db).await?;
    load_attachments(db, &mut rows).await?;
    Ok(rows)
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub client_id: Option<ClientId>,
    pub author: Author,
    pub author_name: Option<String>,
    pub author_avatar_url: Option<String>,
    pub content: MessageContent,
    /// Uploads of this session by the same side, in order (checked by [`check_attachments`] first).
    pub attachment_ids: Vec<String>,
}

/// Whether a send stored something.
#[derive(Debug, Clone)]
pub enum Stored {
    Created(MessageRow),
    /// The session already had a message with this client id: that one, unchanged.
    AlreadyThere(MessageRow),
}

/// The message of `session` with this client id, if any, with its attachments.
pub async fn message_by_client_id(
    db: &AnyPool,
    session: &Session,
    client_id: &ClientId,
) -> Result<Option<MessageRow>, sqlx::Error> {
    let found: Option<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.session_id = $1 AND m.client_id = $2"
    ))
    .bind(&session.id)
    .bind(client_id.as_str())
    .fetch_optional(db)
    .await?;
    let Some(mut found) = found else {
        return Ok(None);
    };
    load_attachments(db, std::slice::from_mut(&mut found)).await?;
    Ok(Some(found))
}

/// Fills each row's `attachments` (one query for all of them), in the order they were sent.
pub async fn load_attachments(db: &AnyPool, rows: &mut [MessageRow]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut qb = Sql::new(
        "SELECT id, name, media_type, size, message_id FROM attachments WHERE message_id IN (",
    );
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push_bind(row.id);
    }
    qb.push(") ORDER BY message_id, position");
    let found: Vec<AttachmentMeta> = qb.fetch_all(db).await?;
    for attachment in found {
        if let Some(row) = rows
            .iter_mut()
            .find(|r| Some(r.id) == attachment.message_id)
        {
            row.attachments.push(attachment);
        }
    }
    Ok(())
}

/// Fills the attachments of each session's last message.
pub async fn load_last_attachments(
    db: &AnyPool,
    sessions: &mut [Session],
) -> Result<(), sqlx::Error> {
    let mut last: Vec<MessageRow> = sessions
        .iter()
        .filter_map(|s| s.last_message.clone())
        .collect();
    load_attachments(db, &mut last).await?;
    for message in last {
        if let Some(s) = sessions
            .iter_mut()
            .find(|s| s.last_message.as_ref().is_some_and(|m| m.id == message.id))
        {
            s.last_message = Some(message);
        }
    }
    Ok(())
}

/// Why attachments cannot go with a message: `id: reason`, for `attachment_ids: …`.
pub async fn check_attachments(
    db: &AnyPool,
    session: &Session,
    by: Author,
    ids: &[String],
) -> Result<Option<String>, sqlx::Error> {
    for id in ids {
        let found: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT uploader, message_id FROM attachments WHERE id = $1 AND session_id = $2",
        )
        .bind(id)
        .bind(&session.id)
        .fetch_optional(db)
        .await?;
        let problem = match found {
            Some((uploader, _)) if uploader != by.as_str() => "not an upload of this chat",
            Some((_, Some(_))) => "already sent",
            Some((_, None)) => continue,
            None => "not an upload of this chat",
        };
        return Ok(Some(format!("{id}: {problem}")));
    }
    Ok(None)
}

/// A checked file about to be stored.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub name: String,
    pub media_type: &'static str,
    pub data: Vec<u8>,
}

/// Stores an upload of `by` to `session` (not yet sent with a message).
pub async fn store_attachment(
    db: &AnyPool,
    session: &Session,
    by: Author,
    file: NewAttachment,
) -> Result<AttachmentMeta, sqlx::Error> {
    let id = crate::auth::random_hex(16);
    let size = file.data.len() as i64;
    sqlx::query(
        "INSERT INTO attachments (id, session_id, org_id, uploader, name, media_type, size, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&session.id)
    .bind(session.org_id)
    .bind(by.as_str())
    .bind(&file.name)
    .bind(file.media_type)
    .bind(size)
    .bind(file.data)
    .bind(now())
    .execute(db)
    .await?;
    Ok(AttachmentMeta {
        id,
        name: file.name,
        media_type: file.media_type.to_owned(),
        size,
        message_id: None,
    })
}

/// The attachment `id` with its bytes, if `viewer` sees its session.
pub async fn attachment_file(
    db: &AnyPool,
    viewer: Viewer<'_>,
    id: &str,
) -> Result<Option<AttachmentFile>, sqlx::Error> {
    let mut qb = Sql::new(
        "SELECT a.name, a.media_type, a.data FROM attachments a JOIN sessions s ON s.id = a.session_id WHERE ",
    );
    push_visible(&mut qb, viewer);
    qb.push(" AND a.id = ").push_bind(id.to_owned());
    qb.fetch_optional(db).await
}

/// Deletes uploads never sent with a message, older than `older_than_secs`; returns how many.
pub async fn delete_unsent_attachments(
    db: &AnyPool,
    older_than_secs: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1")
        .bind(now() - older_than_secs)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Stores `message` in `session` (which the caller found with its viewer), once per client id. A visitor's message
/// in a resolved chat reopens it: a `reopened` event is stored just before it, in the same transaction.
pub async fn insert_message(
    db: &AnyPool,
    session: &Session,
    message: NewMessage,
) -> Result<Stored, sqlx::Error> {
    // A single statement: the UNIQUE (session_id, client_id) constraint, not a prior read, decides whether this is
    // a retry, so two racing retries store one message. A visitor's message goes in this way only while the chat is
    // open (checked in the statement, so a resolve that committed after the caller read the session is seen); else
    // it takes the reopening path below.
    if !message.attachment_ids.is_empty() {
        return insert_in_transaction(db, session, message).await;
    }
    let only_while_open = message.author == Author::Visitor;
    let sql = match crate::db::backend(db) {
        // One writer at a time: ids commit in the order they are handed out.
        Backend::Sqlite => format!(
            "INSERT INTO messages (session_id, client_id, author, author_name, content, created_at, author_avatar_url)
             SELECT $1, $2, $3, $4, $5, $6, $8 WHERE $7 = $7 AND ($9 = 0 OR
                 (SELECT status FROM sessions WHERE id = $1) = 'open')
             ON CONFLICT (session_id, client_id) DO NOTHING
             RETURNING {RETURNED_COLUMNS}"
        ),
        // A sequence hands out ids at insert time, but they become visible at commit: if a message with a higher id
        // committed first, a long-poll could move its cursor past a lower id still in flight and never see it. So
        // one org's inserts take turns: the statement first takes the org's transaction lock (the row it inserts,
        // and so its id, comes after), and holds it until it commits, so its ids become visible in order. Per org
        // because every cursor is: a visitor's and an agent's reads never span two orgs. One statement, so the lock
        // costs no extra round trip.
        Backend::Postgres => format!(
            "INSERT INTO messages (session_id, client_id, author, author_name, content, created_at, author_avatar_url)
             SELECT $1, $2, $3, $4, $5, $6, $8 FROM (SELECT pg_advisory_xact_lock($7)) AS turn
             WHERE $9 = 0 OR (SELECT status FROM sessions WHERE id = $1) = 'open'
             ON CONFLICT (session_id, client_id) DO NOTHING
             RETURNING {RETURNED_COLUMNS}"
        ),
    };
    // A transaction, so that the message's webhook deliveries are stored with it or not at all.
    let mut tx = db.begin().await?;
    let created: Option<MessageRow> = sqlx::query_as(&sql)
        .bind(&session.id)
        .bind(message.client_id.as_ref().map(ClientId::as_str))
        .bind(message.author)
        .bind(&message.author_name)
        .bind(message.content.as_str())
        .bind(now())
        .bind(session.org_id)
        .bind(&message.author_avatar_url)
        .bind(i64::from(only_while_open))
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(created) = created {
        crate::telemetry::message_stored(message.author);
        let event = crate::webhooks::Event::message_created(session, &created);
        let queued = crate::webhooks::enqueue(&mut tx, session.org_id, event).await?;
        tx.commit().await?;
        crate::webhooks::wake(queued);
        return Ok(Stored::Created(created));
    }
    tx.rollback().await?;
    if let Some(client_id) = &message.client_id {
        if let Some(existing) = message_by_client_id(db, session, client_id).await? {
            return Ok(Stored::AlreadyThere(existing));
        }
    }
    if !only_while_open {
        // Only a client id can conflict, and the message holding it is never deleted on its own.
        return Err(sqlx::Error::RowNotFound);
    }
    // The chat is resolved: reopen it and store the message, together.
    insert_in_transaction(db, session, message).await
}

/// Stores `message` in one transaction with what goes with it: the `reopened` event when a visitor writes in a
/// resolved chat, and its attachments. An attachment taken meanwhile (sent by a racing request) rolls it all back.
async fn insert_in_transaction(
    db: &AnyPool,
    session: &Session,
    message: NewMessage,
) -> Result<Stored, sqlx::Error> {
    let mut tx = db.begin().await?;
    take_turn(db, &mut tx, session.org_id).await?;
    if message.author == Author::Visitor {
        let reopened = sqlx::query(
            "UPDATE sessions SET status = 'open', resolved_at = NULL, resolution_id = NULL
             WHERE id = $1 AND status = 'resolved'",
        )
        .bind(&session.id)
        .execute(&mut *tx)
        .await?;
        if reopened.rows_affected() > 0 {
            insert_event(&mut tx, session, Event::Reopened, &EventAuthor::visitor()).await?;
        }
    }
    let created: Option<MessageRow> = sqlx::query_as(&format!(
        "INSERT INTO messages (session_id, client_id, author, author_name, content, created_at, author_avatar_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (session_id, client_id) DO NOTHING
         RETURNING {RETURNED_COLUMNS}"
    ))
    .bind(&session.id)
    .bind(message.client_id.as_ref().map(ClientId::as_str))
    .bind(message.author)
    .bind(&message.author_name)
    .bind(message.content.as_str())
    .bind(now())
    .bind(&message.author_avatar_url)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(mut created) = created else {
        // A racing retry stored it meanwhile (it reopened the chat and took the attachments too).
        tx.rollback().await?;
        let client_id = message.client_id.ok_or(sqlx::Error::RowNotFound)?;
        let mut existing = message_by_client_id(db, session, &client_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        load_attachments(db, std::slice::from_mut(&mut existing)).await?;
        return Ok(Stored::AlreadyThere(existing));
    };
    for (position, id) in message.attachment_ids.iter().enumerate() {
        let taken = sqlx::query(
            "UPDATE attachments SET message_id = $1, position = $2
             WHERE id = $3 AND session_id = $4 AND uploader = $5 AND message_id IS NULL",
        )
        .bind(created.id)
        .bind(position as i64)
        .bind(id)
        .bind(&session.id)
        .bind(message.author.as_str())
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(sqlx::Error::RowNotFound);
        }
    }
    if !message.attachment_ids.is_empty() {
        created.attachments = sqlx::query_as(
            "SELECT id, name, media_type, size, message_id FROM attachments WHERE message_id = $1
             ORDER BY position",
        )
        .bind(created.id)
        .fetch_all(&mut *tx)
        .await?;
    }
    let event = crate::webhooks::Event::message_created(session, &created);
    let queued = crate::webhooks::enqueue(&mut tx, session.org_id, event).await?;
    tx.commit().await?;
    crate::telemetry::message_stored(message.author);
    crate::webhooks::wake(queued);
    Ok(Stored::Created(created))
}

/// On Postgres, takes the org's insert lock until the transaction ends (see [`insert_message`]); SQLite's one
/// writer needs none.
async fn take_turn(
    db: &AnyPool,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
) -> Result<(), sqlx::Error> {
    if crate::db::backend(db) == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(org_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// An event in a chat's life, stored as a message of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Resolved,
    Reopened,
    Rated(i64),
}

/// Who caused an event: the visitor, or an agent with its name and avatar.
#[derive(Debug, Clone)]
pub struct EventAuthor {
    pub author: Author,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

impl EventAuthor {
    pub fn visitor() -> Self {
        Self {
            author: Author::Visitor,
            name: None,
            avatar_url: None,
        }
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    session: &Session,
    event: Event,
    by: &EventAuthor,
) -> Result<MessageRow, sqlx::Error> {
    let (kind, score, content) = match event {
        Event::Resolved => ("resolved", None, ""),
        Event::Reopened => ("reopened", None, ""),
        Event::Rated(score) => ("rated", Some(score), ""),
    };
    sqlx::query_as(&format!(
        "INSERT INTO messages (session_id, client_id, author, author_name, content, created_at, kind, score,
                               author_avatar_url)
         VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8)
         RETURNING {RETURNED_COLUMNS}"
    ))
    .bind(&session.id)
    .bind(by.author)
    .bind(&by.name)
    .bind(content)
    .bind(now())
    .bind(kind)
    .bind(score)
    .bind(&by.avatar_url)
    .fetch_one(&mut **tx)
    .await
}

/// Resolves or reopens `session` (found by the caller with its viewer): stores the event and changes the status,
/// together. `None` when the chat already had that status (nothing is stored: a retry is safe).
pub async fn set_status(
    db: &AnyPool,
    session: &Session,
    to: Status,
    by: &EventAuthor,
) -> Result<Option<MessageRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    take_turn(db, &mut tx, session.org_id).await?;
    // The write comes first: on SQLite it takes the write lock at once (a read first could not upgrade to a write
    // while another connection writes), and on Postgres its row lock orders two racing changes of one chat.
    let changed = sqlx::query("UPDATE sessions SET status = $2 WHERE id = $1 AND status <> $2")
        .bind(&session.id)
        .bind(to.as_str())
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    let event = match to {
        Status::Resolved => Event::Resolved,
        Status::Open => Event::Reopened,
    };
    let row = insert_event(&mut tx, session, event, by).await?;
    let (resolved_at, resolution_id) = match to {
        Status::Resolved => (Some(row.created_at), Some(row.id)),
        Status::Open => (None, None),
    };
    sqlx::query("UPDATE sessions SET resolved_at = $2, resolution_id = $3 WHERE id = $1")
        .bind(&session.id)
        .bind(resolved_at)
        .bind(resolution_id)
        .execute(&mut *tx)
        .await?;
    let queued = match to {
        Status::Resolved => {
            let event = crate::webhooks::Event::session_resolved(session, &row);
            crate::webhooks::enqueue(&mut tx, session.org_id, event).await?
        }
        Status::Open => 0,
    };
    tx.commit().await?;
    crate::webhooks::wake(queued);
    Ok(Some(row))
}

/// Why a rating was not stored.
#[derive(Debug)]
pub enum RatingRefused {
    NotResolved,
    AlreadyRated,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for RatingRefused {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e)
    }
}

/// Stores the visitor's rating of `session`'s current resolution, and its `rated` event.
pub async fn rate(
    db: &AnyPool,
    session: &Session,
    score: i64,
    comment: Option<&str>,
) -> Result<MessageRow, RatingRefused> {
    let mut tx = db.begin().await?;
    take_turn(db, &mut tx, session.org_id).await?;
    // The primary key (session, resolution) refuses a second rating, however many race.
    let inserted = sqlx::query(
        "INSERT INTO ratings (session_id, resolution_id, org_id, external_id, score, comment, created_at)
         SELECT s.id, s.resolution_id, s.org_id, s.external_id, $2, $3, $4 FROM sessions s
         WHERE s.id = $1 AND s.status = 'resolved' AND s.resolution_id IS NOT NULL
         ON CONFLICT DO NOTHING",
    )
    .bind(&session.id)
    .bind(score)
    .bind(comment)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let status: String = sqlx::query_scalar("SELECT status FROM sessions WHERE id = $1")
            .bind(&session.id)
            .fetch_one(&mut *tx)
            .await?;
        tx.rollback().await?;
        return Err(if status == "resolved" {
            RatingRefused::AlreadyRated
        } else {
            RatingRefused::NotResolved
        });
    }
    let mut row = insert_event(
        &mut tx,
        session,
        Event::Rated(score),
        &EventAuthor::visitor(),
    )
    .await?;
    if let Some(comment) = comment {
        sqlx::query("UPDATE messages SET content = $2 WHERE id = $1")
            .bind(row.id)
            .bind(comment)
            .execute(&mut *tx)
            .await?;
        row.content = comment.to_owned();
    }
    let event = crate::webhooks::Event::csat_submitted(session, &row, score, comment);
    let queued = crate::webhooks::enqueue(&mut tx, session.org_id, event).await?;
    tx.commit().await?;
    crate::webhooks::wake(queued);
    Ok(row)
}

/// Records that one side of `session` saw it up to `message_id` (only ever growing). `false` when `message_id` is
/// not a message of this chat.
pub async fn mark_seen(
    db: &AnyPool,
    session: &Session,
    by: Author,
    message_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE id = $1 AND session_id = $2) AS found",
    )
    .bind(message_id)
    .bind(&session.id)
    .fetch_one(db)
    .await?;
    if found == 0 {
        return Ok(false);
    }
    let column = match by {
        Author::Visitor => "seen_by_visitor",
        Author::Agent => "seen_by_agent",
    };
    sqlx::query(&format!(
        "UPDATE sessions SET {column} = $2 WHERE id = $1 AND ({column} IS NULL OR {column} < $2)"
    ))
    .bind(&session.id)
    .bind(message_id)
    .execute(db)
    .await?;
    Ok(true)
}

/// `GET /api/csat`: how many ratings of each score (index 0 = score 1) an org got in `[from, to)`.
pub async fn rating_counts(
    db: &AnyPool,
    org_id: i64,
    scope: Option<&ExternalId>,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<[i64; 5], sqlx::Error> {
    let mut qb = Sql::new("SELECT score, COUNT(*) FROM ratings WHERE org_id = ");
    qb.push_bind(org_id);
    if let Some(scope) = scope {
        qb.push(" AND external_id = ")
            .push_bind(scope.as_str().to_owned());
    }
    if let Some(from) = from {
        qb.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = to {
        qb.push(" AND created_at < ").push_bind(to);
    }
    qb.push(" GROUP BY score");
    let rows: Vec<(i64, i64)> = qb.fetch_all(db).await?;
    let mut counts = [0; 5];
    for (score, count) in rows {
        if let Some(slot) = usize::try_from(score - 1)
            .ok()
            .and_then(|i| counts.get_mut(i))
        {
            *slot = count;
        }
    }
    Ok(counts)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
