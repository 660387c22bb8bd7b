//! Signed webhooks (docs/api.md "Webhooks"): the endpoints an org registers, the deliveries queued for them, and
//! the worker that sends them.
//!
//! **Invariant:** a delivery is inserted by [`enqueue`] inside the transaction that stores the event it describes
//! (a session, a message, a resolution, a rating, a contact's profile), so an event and its deliveries commit or
//! vanish together: a crash or a restart loses none. The chat never waits on a receiver: [`deliver`] runs apart,
//! with at most `concurrency` requests in flight, and a request lasts at most `timeout`.
//!
//! A worker claims due deliveries by moving their `next_attempt_at` forward by a lease ([`WebhookConfig::lease`]) in one
//! statement (`FOR UPDATE SKIP LOCKED` on Postgres, the single writer on SQLite), so several instances on one
//! database send each delivery once; a worker that dies mid-attempt leaves its claims to another when the lease
//! ends. Delivery is at least once: a crash between the receiver's answer and its recording sends it again, with
//! the same event id (receivers dedupe on it).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontdesk_protocol::wire::Message;
use rand::Rng;
use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{Notify, Semaphore};

use crate::chats::{self, MessageRow};
use crate::db::{Backend, Sql};
use crate::domain::webhook::{forbidden_address, forbidden_host, WebhookRefused};
use crate::domain::{EventType, WebhookUrl};

/// Endpoints one org may register.
pub const MAX_ENDPOINTS_PER_ORG: i64 = 20;
/// Deliveries one endpoint may have waiting. Past it, a new event's delivery to that endpoint is stored already
/// failed ("queue full"), listed and replayable, rather than growing the queue without bound while it is down.
pub const MAX_QUEUED_PER_ENDPOINT: i64 = 10_000;
/// How long a delivery is retried before it is marked failed.
pub const RETRY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// The wait before the first retry; it doubles with each failure, up to [`MAX_BACKOFF_MS`], and a random part of
/// it (up to half) is taken off, so that the deliveries of a receiver that comes back do not all retry at once.
const FIRST_BACKOFF_MS: i64 = 1_000;
/// The longest wait between two attempts: about 30 attempts in the 24 hours.
const MAX_BACKOFF_MS: i64 = 60 * 60 * 1000;
/// Finished deliveries (delivered or failed) are kept this long for `webhook deliveries` and replays.
const KEEP_FINISHED_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How often an idle worker looks for due deliveries unwoken: retries whose time came, and events queued by
/// another instance (whose wake-up does not reach this process).
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Most deliveries one listing returns.
pub const MAX_LISTED: i64 = 200;

/// How `serve` delivers webhooks.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `serve --allow-private-webhooks`: send to loopback and private addresses too (tests, a receiver on the
    /// same machine). Off by default: see [`forbidden_address`].
    pub allow_private: bool,
    /// One attempt's longest: connecting, sending, and the answer's status line.
    pub timeout: Duration,
    /// Attempts in flight at once, per instance.
    pub concurrency: usize,
}

impl WebhookConfig {
    /// How long a claim holds a delivery: twice an attempt's longest, and time to record it, so that only a worker
    /// that died lets its claims go to another (which then sends them again).
    pub fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(5)
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
            concurrency: 16,
        }
    }
}

/// Failures of the endpoint and delivery commands, worded for the person at the terminal or the API caller.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Refused(#[from] WebhookRefused),
    #[error("this org already has {MAX_ENDPOINTS_PER_ORG} webhook endpoints, the most it may; remove one first")]
    TooManyEndpoints,
    #[error("no webhook endpoint {0} (in this org)")]
    EndpointNotFound(i64),
    #[error("no webhook delivery {0} (in this org)")]
    DeliveryNotFound(i64),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

// --- events -------------------------------------------------------------------------------------------------------

/// An event about to be queued: its type, its `data`, and what it is about (so deleting that deletes it too).
#[derive(Debug, Clone)]
pub struct Event {
    kind: EventType,
    data: Value,
    session_id: Option<String>,
    contact_id: Option<i64>,
}

/// A chat as a webhook describes it: enough to answer it through the agent API and to know who is writing.
#[derive(Debug, Serialize)]
struct SessionRef {
    id: String,
    external_id: Option<String>,
    verified: bool,
    /// The verified contact's id (as in `contact.updated`); null for a non-verified visitor.
    contact_id: Option<i64>,
    contact: crate::wire::ContactView,
}

impl SessionRef {
    fn of(session: &chats::Session) -> Self {
        Self {
            id: session.id.clone(),
            external_id: session.external_id.clone(),
            verified: session.verified(),
            contact_id: session.contact.as_ref().map(|c| c.id),
            contact: crate::wire::contact_view(session),
        }
    }
}

#[derive(Debug, Serialize)]
struct SessionCreated {
    session: SessionRef,
    created_at: String,
}

/// `message.created`, `session.resolved` and `csat.submitted`: the chat, and the message (or event) stored, as the
/// agent API shows it (`author` says whether the visitor or an agent wrote it).
#[derive(Debug, Serialize)]
struct InSession {
    session: SessionRef,
    message: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<RatingData>,
}

#[derive(Debug, Serialize)]
struct RatingData {
    score: i64,
    comment: Option<String>,
}

/// A verified contact as the site's backend last described it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactProfile {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub custom_data: Value,
}

#[derive(Debug, Serialize)]
struct ContactUpdated {
    contact: ContactProfile,
    /// True when this call created the contact.
    created: bool,
    /// The fields whose value changed (all those given, for a new contact).
    changed: Vec<&'static str>,
}

fn to_data(data: impl Serialize) -> Value {
    serde_json::to_value(data).expect("event data is plain JSON")
}

impl Event {
    pub fn session_created(session: &chats::Session) -> Self {
        Self {
            kind: EventType::SessionCreated,
            data: to_data(SessionCreated {
                session: SessionRef::of(session),
                created_at: crate::wire::time(session.created_at),
            }),
            session_id: Some(session.id.clone()),
            contact_id: session.contact.as_ref().map(|c| c.id),
        }
    }

    fn in_session(
        kind: EventType,
        session: &chats::Session,
        message: &MessageRow,
        rating: Option<RatingData>,
    ) -> Self {
        Self {
            kind,
            data: to_data(InSession {
                session: SessionRef::of(session),
                message: crate::wire::message(message.clone()),
                rating,
            }),
            session_id: Some(session.id.clone()),
            contact_id: session.contact.as_ref().map(|c| c.id),
        }
    }

    pub fn message_created(session: &chats::Session, message: &MessageRow) -> Self {
        Self::in_session(EventType::MessageCreated, session, message, None)
    }

    pub fn session_resolved(session: &chats::Session, event: &MessageRow) -> Self {
        Self::in_session(EventType::SessionResolved, session, event, None)
    }

    pub fn csat_submitted(
        session: &chats::Session,
        event: &MessageRow,
        score: i64,
        comment: Option<&str>,
    ) -> Self {
        let rating = RatingData {
            score,
            comment: comment.map(str::to_owned),
        };
        Self::in_session(EventType::CsatSubmitted, session, event, Some(rating))
    }

    pub fn contact_updated(
        contact: ContactProfile,
        created: bool,
        changed: Vec<&'static str>,
    ) -> Self {
        Self {
            kind: EventType::ContactUpdated,
            contact_id: Some(contact.id),
            data: to_data(ContactUpdated {
                contact,
                created,
                changed,
            }),
            session_id: None,
        }
    }
}

/// The body of every delivery.
#[derive(Debug, Serialize)]
struct Envelope<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    created_at: String,
    data: &'a Value,
}

/// Queues `event` for every endpoint of `org_id` that subscribed to its type, inside `tx`, the transaction that
/// stores the event itself; returns how many deliveries were queued. The caller calls [`wake`] after committing.
pub async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    event: Event,
) -> Result<usize, sqlx::Error> {
    let endpoints: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, events FROM webhook_endpoints WHERE org_id = $1 AND disabled = 0",
    )
    .bind(org_id)
    .fetch_all(&mut **tx)
    .await?;
    let subscribed: Vec<i64> = endpoints
        .into_iter()
        .filter(|(_, events)| EventType::split(events).contains(&event.kind))
        .map(|(id, _)| id)
        .collect();
    if subscribed.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    let event_id = format!("evt_{}", crate::auth::random_hex(16));
    let body = serde_json::to_string(&Envelope {
        id: &event_id,
        kind: event.kind.as_str(),
        created_at: crate::wire::time(now / 1000),
        data: &event.data,
    })
    .expect("an envelope is plain JSON");
    let mut queued = 0;
    for endpoint_id in subscribed {
        let waiting = if backlogged(tx, endpoint_id, now).await? {
            // Counted only up to the cap, over the index of pending deliveries.
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND state = 'pending'
                                       LIMIT $2) AS waiting",
            )
            .bind(endpoint_id)
            .bind(MAX_QUEUED_PER_ENDPOINT)
            .fetch_one(&mut **tx)
            .await?
        } else {
            0
        };
        let (state, error) = if waiting >= MAX_QUEUED_PER_ENDPOINT {
            let error = format!(
                "not sent: the endpoint already had {MAX_QUEUED_PER_ENDPOINT} deliveries waiting; replay it once \
                 the endpoint answers again"
            );
            ("failed", Some(error))
        } else {
            queued += 1;
            ("pending", None)
        };
        sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, org_id, event_id, event_type, payload, session_id,
                 contact_id, state, next_attempt_at, created_at, give_up_at, last_error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)",
        )
        .bind(endpoint_id)
        .bind(org_id)
        .bind(&event_id)
        .bind(event.kind.as_str())
        .bind(&body)
        .bind(&event.session_id)
        .bind(event.contact_id)
        .bind(state)
        .bind(now)
        .bind(now + RETRY_WINDOW_MS)
        .bind(error)
        .execute(&mut **tx)
        .await?;
    }
    Ok(queued)
}

/// A pending delivery older than this means the endpoint is not keeping up (down, slow, or failing): only then is
/// its queue counted against [`MAX_QUEUED_PER_ENDPOINT`]. Counting on every event cost the chat a scan of the backlog
/// that a busy but healthy endpoint always has for a moment: measured with 3 endpoints (bench/lib/webhooks.mjs), 2.16 s
/// of server CPU per 1,000 messages with the count on every event against 1.38 s with this check. An endpoint that
/// answers drains its queue in less than this, so it never nears the cap.
const BACKLOG_AGE_MS: i64 = 60_000;

/// Whether `endpoint_id`'s oldest pending delivery was queued more than [`BACKLOG_AGE_MS`] ago: one index seek.
async fn backlogged(
    tx: &mut Transaction<'_, Any>,
    endpoint_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT created_at FROM webhook_deliveries WHERE endpoint_id = $1 AND state = 'pending' ORDER BY id LIMIT 1",
    )
    .bind(endpoint_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(oldest.is_some_and(|queued| queued < now - BACKLOG_AGE_MS))
}

/// Wakes this process's delivery workers. Process-wide rather than per app: [`enqueue`] runs deep inside the
/// chat's transactions, which are handed only the pool; a wake-up that finds nothing due (another app's, in a
/// test process with several) costs one query, and a missed one at most [`POLL_INTERVAL`].
static QUEUED: Notify = Notify::const_new();

/// Called after a transaction that queued deliveries has committed (before, a woken worker would not see them).
pub fn wake(queued: usize) {
    if queued > 0 {
        QUEUED.notify_waiters();
    }
}

// --- endpoints ----------------------------------------------------------------------------------------------------

/// An endpoint as listed (never with its secret).
#[derive(Debug, Clone, Serialize)]
pub struct EndpointView {
    pub id: i64,
    pub url: String,
    pub events: Vec<&'static str>,
    pub created_at: String,
    pub disabled: bool,
}

/// What `webhook add` and `POST /api/admin/webhooks` answer: the endpoint, and its secret, shown only then.
#[derive(Debug, Clone, Serialize)]
pub struct NewEndpoint {
    pub endpoint: EndpointView,
    pub secret: String,
}

/// `{ "endpoints": [...] }`
#[derive(Debug, Serialize)]
pub struct EndpointList {
    pub endpoints: Vec<EndpointView>,
}

type EndpointRow = (i64, String, String, i64, i64);

fn endpoint_view((id, url, events, created_at, disabled): EndpointRow) -> EndpointView {
    EndpointView {
        id,
        url,
        events: EventType::split(&events)
            .into_iter()
            .map(EventType::as_str)
            .collect(),
        created_at: crate::wire::time(created_at),
        disabled: disabled != 0,
    }
}

/// Registers an endpoint of `org_id`; its secret is made here.
pub async fn add_endpoint(
    db: &AnyPool,
    org_id: i64,
    url: &WebhookUrl,
    events: &[EventType],
) -> Result<NewEndpoint, WebhookError> {
    let secret = crate::auth::generate_webhook_secret();
    // The count and the insert in one statement, so that racing adds cannot pass the cap together on SQLite; on
    // Postgres two racing adds may each see the other's row missing, so the cap can be passed by as many requests
    // as race, which only the org's own admins can send.
    let row: Option<EndpointRow> = sqlx::query_as(
        "INSERT INTO webhook_endpoints (org_id, url, events, secret, created_at)
         SELECT $1, $2, $3, $4, $5 WHERE (SELECT COUNT(*) FROM webhook_endpoints WHERE org_id = $1) < $6
         RETURNING id, url, events, created_at, disabled",
    )
    .bind(org_id)
    .bind(url.as_str())
    .bind(EventType::join(events))
    .bind(&secret)
    .bind(now_ms() / 1000)
    .bind(MAX_ENDPOINTS_PER_ORG)
    .fetch_optional(db)
    .await?;
    let row = row.ok_or(WebhookError::TooManyEndpoints)?;
    Ok(NewEndpoint {
        endpoint: endpoint_view(row),
        secret,
    })
}

pub async fn list_endpoints(db: &AnyPool, org_id: i64) -> Result<EndpointList, sqlx::Error> {
    let rows: Vec<EndpointRow> = sqlx::query_as(
        "SELECT id, url, events, created_at, disabled FROM webhook_endpoints WHERE org_id = $1 ORDER BY id",
    )
    .bind(org_id)
    .fetch_all(db)
    .await?;
    Ok(EndpointList {
        endpoints: rows.into_iter().map(endpoint_view).collect(),
    })
}

/// Removes an endpoint and its deliveries (waiting ones are not sent). `org_id` is `None` for the CLI, which
/// works on the whole database.
pub async fn remove_endpoint(
    db: &AnyPool,
    org_id: Option<i64>,
    id: i64,
) -> Result<(), WebhookError> {
    let done =
        sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND ($2 IS NULL OR org_id = $2)")
            .bind(id)
            .bind(org_id)
            .execute(db)
            .await?;
    if done.rows_affected() == 0 {
        return Err(WebhookError::EndpointNotFound(id));
    }
    Ok(())
}

/// Stops (or resumes) queueing events for an endpoint; what is already queued still goes.
pub async fn set_disabled(db: &AnyPool, id: i64, disabled: bool) -> Result<(), WebhookError> {
    let done = sqlx::query("UPDATE webhook_endpoints SET disabled = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(disabled))
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(WebhookError::EndpointNotFound(id));
    }
    Ok(())
}

// --- deliveries ---------------------------------------------------------------------------------------------------

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptView {
    pub attempted_at: String,
    /// The receiver's HTTP status; null when no answer came (refused, timed out, address not allowed).
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// A delivery with its attempts, newest last.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub created_at: String,
    /// When the next attempt is due; null unless pending.
    pub next_attempt_at: Option<String>,
    pub last_status: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    /// The body sent, as JSON.
    pub payload: Value,
    pub attempt_log: Vec<AttemptView>,
}

/// `{ "deliveries": [...] }`, newest first.
#[derive(Debug, Serialize)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
}

/// `{ "delivery": {...} }`
#[derive(Debug, Serialize)]
pub struct DeliveryEnvelope {
    pub delivery: DeliveryView,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    endpoint_id: i64,
    event_id: String,
    event_type: String,
    state: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    last_status: Option<i64>,
    last_latency_ms: Option<i64>,
    last_error: Option<String>,
    payload: String,
}

const DELIVERY_COLUMNS: &str =
    "id, endpoint_id, event_id, event_type, state, attempts, created_at, \
    next_attempt_at, last_status, last_latency_ms, last_error, payload";

/// The latest `limit` deliveries of `org_id` (of one endpoint when given), newest first, each with its attempts.
pub async fn deliveries(
    db: &AnyPool,
    org_id: i64,
    endpoint_id: Option<i64>,
    limit: i64,
) -> Result<DeliveryList, sqlx::Error> {
    let mut qb = Sql::new(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = "
    ));
    qb.push_bind(org_id);
    if let Some(endpoint_id) = endpoint_id {
        qb.push(" AND endpoint_id = ").push_bind(endpoint_id);
    }
    qb.push(" ORDER BY id DESC LIMIT ")
        .push_bind(limit.clamp(1, MAX_LISTED));
    let rows: Vec<DeliveryRow> = qb.fetch_all(db).await?;
    Ok(DeliveryList {
        deliveries: with_attempts(db, rows).await?,
    })
}

/// `delivery_id, attempted_at, status, latency_ms, error` of `webhook_attempts`.
type AttemptRow = (i64, i64, Option<i64>, i64, Option<String>);

async fn with_attempts(
    db: &AnyPool,
    rows: Vec<DeliveryRow>,
) -> Result<Vec<DeliveryView>, sqlx::Error> {
    let mut attempts: Vec<AttemptRow> = Vec::new();
    if !rows.is_empty() {
        let mut qb = Sql::new(
            "SELECT delivery_id, attempted_at, status, latency_ms, error FROM webhook_attempts \
             WHERE delivery_id IN (",
        );
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push_bind(row.id);
        }
        qb.push(") ORDER BY id");
        attempts = qb.fetch_all(db).await?;
    }
    Ok(rows
        .into_iter()
        .map(|r| DeliveryView {
            attempt_log: attempts
                .iter()
                .filter(|a| a.0 == r.id)
                .map(|(_, at, status, latency_ms, error)| AttemptView {
                    attempted_at: crate::wire::time(at / 1000),
                    status: *status,
                    latency_ms: *latency_ms,
                    error: error.clone(),
                })
                .collect(),
            next_attempt_at: (r.state == "pending")
                .then(|| crate::wire::time(r.next_attempt_at / 1000)),
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_id: r.event_id,
            event_type: r.event_type,
            state: r.state,
            attempts: r.attempts,
            created_at: crate::wire::time(r.created_at / 1000),
            last_status: r.last_status,
            last_latency_ms: r.last_latency_ms,
            last_error: r.last_error,
            payload: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
        })
        .collect())
}

/// Queues a delivery again (the same body and event id), due now and retried for another 24 hours. A delivery
/// still pending is left as it is: it is queued already (and may be in flight). `org_id` is `None` for the CLI.
pub async fn replay(
    db: &AnyPool,
    org_id: Option<i64>,
    id: i64,
) -> Result<DeliveryView, WebhookError> {
    let now = now_ms();
    sqlx::query(
        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $3, give_up_at = $4
         WHERE id = $1 AND ($2 IS NULL OR org_id = $2) AND state <> 'pending'",
    )
    .bind(id)
    .bind(org_id)
    .bind(now)
    .bind(now + RETRY_WINDOW_MS)
    .execute(db)
    .await?;
    let row: Option<DeliveryRow> = sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND ($2 IS NULL OR org_id = $2)"
    ))
    .bind(id)
    .bind(org_id)
    .fetch_optional(db)
    .await?;
    let row = row.ok_or(WebhookError::DeliveryNotFound(id))?;
    wake(1);
    let mut views = with_attempts(db, vec![row]).await?;
    Ok(views.remove(0))
}

/// Deliveries waiting to be sent, in every org (the queue-depth gauge).
pub async fn pending_count(db: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'")
        .fetch_one(db)
        .await
}

// --- sending ------------------------------------------------------------------------------------------------------

/// Resolves host names for the delivery client, and refuses them when every address they resolve to is one a
/// webhook may not reach ([`forbidden_address`]); forbidden addresses among allowed ones are dropped. It runs at
/// each connection, on the addresses then used, so a name that resolved to a public address when it was
/// registered and to 127.0.0.1 now (DNS rebinding) is refused now.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(resolve_guarded(
            name.as_str().to_owned(),
            self.allow_private,
        ))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn resolve_guarded(
    host: String,
    allow_private: bool,
) -> Result<reqwest::dns::Addrs, BoxError> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if allow_private {
        return Ok(Box::new(resolved.into_iter()));
    }
    let mut refused = None;
    let allowed: Vec<SocketAddr> = resolved
        .into_iter()
        .filter(|a| match forbidden_address(a.ip()) {
            Some(why) => {
                refused.get_or_insert((a.ip(), why));
                false
            }
            None => true,
        })
        .collect();
    if allowed.is_empty() {
        let message = match refused {
            Some((ip, why)) => format!(
                "{host} resolves to {ip}, {why}: webhooks go only to public addresses \
                 (serve --allow-private-webhooks allows it)"
            ),
            None => format!("{host} resolves to no address"),
        };
        return Err(message.into());
    }
    Ok(Box::new(allowed.into_iter()))
}

/// The client of every delivery: the guarded resolver, no proxy from the environment (it would connect in the
/// guard's place), no redirects (a receiver could otherwise send the request, signed, to any address), the
/// attempt's timeout.
fn http_client(config: &WebhookConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: config.allow_private,
        }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("Frontdesk-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A delivery claimed by this worker.
#[derive(Debug)]
struct Claimed {
    id: i64,
    event_type: String,
    payload: String,
    attempts: i64,
    give_up_at: i64,
    url: String,
    secret: String,
}

/// Claims up to `n` due deliveries for `lease_ms`.
async fn claim(db: &AnyPool, n: usize, lease_ms: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = now_ms();
    // Postgres: rows another instance is claiming are skipped rather than waited for, and a row claimed meanwhile
    // is re-checked against `next_attempt_at <= now` after the lock, so it is not claimed twice. SQLite has one
    // writer: the statement reads and moves its rows before any other can.
    let lock = match crate::db::backend(db) {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let rows: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(&format!(
        "UPDATE webhook_deliveries SET next_attempt_at = $1
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $2
                      ORDER BY next_attempt_at, id LIMIT $3{lock})
         RETURNING id, endpoint_id, event_type, payload, attempts, give_up_at"
    ))
    .bind(now + lease_ms)
    .bind(now)
    .bind(n as i64)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = Sql::new("SELECT id, url, secret FROM webhook_endpoints WHERE id IN (");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push_bind(row.1);
    }
    qb.push(")");
    let endpoints: Vec<(i64, String, String)> = qb.fetch_all(db).await?;
    let mut claimed: Vec<Claimed> = rows
        .into_iter()
        .filter_map(
            |(id, endpoint_id, event_type, payload, attempts, give_up_at)| {
                // An endpoint removed since takes its deliveries with it (ON DELETE CASCADE): nothing to send.
                let (_, url, secret) = endpoints.iter().find(|e| e.0 == endpoint_id)?;
                Some(Claimed {
                    id,
                    event_type,
                    payload,
                    attempts,
                    give_up_at,
                    url: url.clone(),
                    secret: secret.clone(),
                })
            },
        )
        .collect();
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// How an attempt ended.
#[derive(Debug)]
enum Outcome {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

async fn send(client: &reqwest::Client, allow_private: bool, d: &Claimed) -> Outcome {
    let failed = |error: String| Outcome::Failed {
        status: None,
        error,
    };
    let Ok(url) = url::Url::parse(&d.url) else {
        return failed(format!("{}: not a URL", d.url));
    };
    // A literal address is never resolved, so the resolver's guard does not see it: it is checked here.
    if !allow_private {
        if let Some(why) = forbidden_host(&url) {
            return failed(format!(
                "{} is {why}: webhooks go only to public addresses (serve --allow-private-webhooks allows it)",
                url.host_str().unwrap_or_default()
            ));
        }
    }
    let timestamp = now_ms() / 1000;
    let signature = crate::auth::webhook_signature(&d.secret, timestamp, d.payload.as_bytes());
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            "Frontdesk-Signature",
            format!("t={timestamp},v1={signature}"),
        )
        .header("Frontdesk-Event", &d.event_type)
        .header("Frontdesk-Delivery", d.id.to_string())
        .body(d.payload.clone())
        .send()
        .await;
    // The answer's body is not read: only its status counts, and a receiver cannot make the worker hold its bytes.
    match sent {
        Ok(answer) if answer.status().is_success() => Outcome::Delivered(answer.status().as_u16()),
        Ok(answer) => {
            let status = answer.status().as_u16();
            let error = if answer.status().is_redirection() {
                format!("HTTP {status}: redirects are not followed; register the URL they lead to")
            } else {
                format!("HTTP {status}")
            };
            Outcome::Failed {
                status: Some(status),
                error,
            }
        }
        Err(e) => failed(error_chain(&e)),
    }
}

/// An error and its causes, `: `-separated (reqwest's own message alone says only "error sending request").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

/// The wait before attempt `attempts + 1`, after `attempts` failures: doubling from [`FIRST_BACKOFF_MS`], at
/// most [`MAX_BACKOFF_MS`], minus a random part of up to half.
fn backoff_ms(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(30);
    let full = FIRST_BACKOFF_MS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_BACKOFF_MS);
    full - rand::thread_rng().gen_range(0..=full / 2)
}

/// An attempt made, waiting to be recorded; its slot (of `--webhook-concurrency`) is held until it is.
struct Attempted {
    delivery: Claimed,
    outcome: Outcome,
    attempted_at: i64,
    latency_ms: i64,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Attempts recorded in one transaction, at most: on SQLite each write transaction takes the one write lock that
/// every message's insert also needs, so the outcomes of a busy moment are written together.
const RECORD_BATCH: usize = 64;

/// Writes attempts' outcomes (delivered, to be retried, or failed for good) and their log rows, in one
/// transaction; returns each one's new state.
async fn record(db: &AnyPool, batch: &[Attempted]) -> Result<Vec<&'static str>, sqlx::Error> {
    let now = now_ms();
    let mut states = Vec::with_capacity(batch.len());
    let mut tx = db.begin().await?;
    for a in batch {
        let d = &a.delivery;
        let (state, next_attempt_at, status, error) = match &a.outcome {
            Outcome::Delivered(status) => ("delivered", now, Some(*status), None),
            Outcome::Failed { status, error } => {
                let next = now + backoff_ms(d.attempts + 1);
                let state = if next > d.give_up_at {
                    "failed"
                } else {
                    "pending"
                };
                (state, next, *status, Some(error.as_str()))
            }
        };
        let status = status.map(i64::from);
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, next_attempt_at = $3,
                 last_status = $4, last_latency_ms = $5, last_error = $6
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(d.id)
        .bind(state)
        .bind(next_attempt_at)
        .bind(status)
        .bind(a.latency_ms)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        // Gone (its endpoint removed meanwhile): nothing to log it under.
        if updated.rows_affected() > 0 {
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, status, latency_ms, error)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(d.id)
            .bind(a.attempted_at)
            .bind(status)
            .bind(a.latency_ms)
            .bind(error)
            .execute(&mut *tx)
            .await?;
        }
        states.push(state);
    }
    tx.commit().await?;
    Ok(states)
}

/// Records the attempts sent to it as they come, a batch of what is waiting at a time, until the worker goes.
async fn record_attempts(
    db: AnyPool,
    mut attempted: tokio::sync::mpsc::UnboundedReceiver<Attempted>,
) {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while attempted.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        match record(&db, &batch).await {
            Ok(states) => {
                for state in states {
                    let counted = match state {
                        "delivered" => "delivered",
                        "failed" => "failed",
                        _ => "retry",
                    };
                    metrics::counter!("frontdesk_webhook_deliveries_total", "outcome" => counted)
                        .increment(1);
                }
            }
            Err(e) => tracing::warn!(
                "could not record {} webhook attempts ({e}); they are sent again when their claims end",
                batch.len()
            ),
        }
        // Frees their slots.
        batch.clear();
    }
}

async fn attempt(
    client: &reqwest::Client,
    allow_private: bool,
    delivery: Claimed,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Attempted {
    let attempted_at = now_ms();
    let started = Instant::now();
    let outcome = send(client, allow_private, &delivery).await;
    let latency = started.elapsed();
    metrics::histogram!("frontdesk_webhook_attempt_seconds").record(latency.as_secs_f64());
    if let Outcome::Failed { error, .. } = &outcome {
        tracing::info!(delivery = delivery.id, url = %delivery.url, "webhook attempt failed: {error}");
    }
    Attempted {
        delivery,
        outcome,
        attempted_at,
        latency_ms: i64::try_from(latency.as_millis()).unwrap_or(i64::MAX),
        _slot: slot,
    }
}

/// Ends a task when dropped: the recorder goes with the worker that feeds it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Claimed deliveries at once, at most.
const CLAIM_BATCH: usize = 32;

/// The delivery worker of one instance, until its task is aborted: claims due deliveries and sends each on a task
/// of its own, at most `config.concurrency` at once (a slot is freed once its outcome is recorded, by a recorder
/// task that writes what is waiting in one transaction). Woken by [`wake`] when this process queues one, and every
/// [`POLL_INTERVAL`] otherwise.
pub async fn deliver(db: AnyPool, config: WebhookConfig) {
    let client = match http_client(&config) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("webhooks will not be delivered: cannot build the HTTP client: {e}");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let lease_ms = i64::try_from(config.lease().as_millis()).unwrap_or(i64::MAX);
    let (attempts, to_record) = tokio::sync::mpsc::unbounded_channel();
    let _recorder = AbortOnDrop(tokio::spawn(record_attempts(db.clone(), to_record)));
    loop {
        // Registered before the claim, so a wake-up sent while claiming is not lost.
        let woken = QUEUED.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let Ok(first) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut held = vec![first];
        while held.len() < CLAIM_BATCH {
            match slots.clone().try_acquire_owned() {
                Ok(slot) => held.push(slot),
                Err(_) => break,
            }
        }
        let wanted = held.len();
        let claimed = match claim(&db, wanted, lease_ms).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!("could not claim webhook deliveries (retrying): {e}");
                drop(held);
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
            }
        };
        let all_taken = claimed.len() == wanted;
        for delivery in claimed {
            let slot = held.pop().expect("one slot per claimed delivery");
            let client = client.clone();
            let allow_private = config.allow_private;
            let attempts = attempts.clone();
            tokio::spawn(async move {
                // A send fails only once the recorder is gone with its worker: then the claim's end retries it.
                let _ = attempts.send(attempt(&client, allow_private, delivery, slot).await);
            });
        }
        drop(held);
        if all_taken {
            // More may be due: claim again as soon as a slot is free.
            continue;
        }
        tokio::select! {
            () = &mut woken => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

/// Every ten minutes, deletes the deliveries finished (delivered or failed) more than a week ago; every ten seconds
/// reports the queue's depth. Several instances may all do it: the DELETE of one finds nothing for the others.
pub async fn sweep(db: AnyPool) {
    let mut every = tokio::time::interval(Duration::from_secs(10));
    let mut ticks = 0u64;
    loop {
        every.tick().await;
        match pending_count(&db).await {
            Ok(n) => metrics::gauge!("frontdesk_webhook_queue_depth").set(n as f64),
            Err(e) => tracing::debug!("could not count waiting webhook deliveries: {e}"),
        }
        ticks += 1;
        if ticks % 60 != 1 {
            continue;
        }
        let deleted = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1",
        )
        .bind(now_ms() - KEEP_FINISHED_MS)
        .execute(&db)
        .await;
        match deleted {
            Ok(done) if done.rows_affected() > 0 => {
                tracing::info!(
                    "deleted {} finished webhook deliveries",
                    done.rows_affected()
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!("could not delete old webhook deliveries (retrying later): {e}")
            }
        }
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_an_hour() {
        for attempts in 1..40 {
            let full = (FIRST_BACKOFF_MS << (attempts - 1).min(30)).min(MAX_BACKOFF_MS);
            for _ in 0..20 {
                let wait = backoff_ms(attempts);
                assert!(wait >= full / 2 && wait <= full, "{attempts}: {wait}");
            }
        }
        assert!(backoff_ms(1) <= 1_000);
        assert!(backoff_ms(100) <= MAX_BACKOFF_MS);
    }

    #[test]
    fn the_24_hour_window_holds_about_thirty_attempts() {
        // The longest schedule: every wait at its full length.
        let mut at = 0;
        let mut attempts = 0;
        while at <= RETRY_WINDOW_MS {
            attempts += 1;
            at += (FIRST_BACKOFF_MS << (attempts - 1).min(30)).min(MAX_BACKOFF_MS);
        }
        assert!((25..=40).contains(&attempts), "{attempts}");
    }
}
