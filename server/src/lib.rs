//! The Frontdesk server: orgs, visitor identities, chat sessions, the agent API.
//!
//! # Layout
//!
//! - `main.rs` (the binary): the CLI, parsing arguments and calling into this library; no logic of its own.
//! - [`startup`]: [`startup::Config`] → [`startup::app`] (the `Router`, callable without a socket) and
//!   [`startup::run`] (serves an already-bound listener until a shutdown future completes).
//! - [`db`]: opening the database (SQLite: WAL, foreign keys, busy timeout; Postgres: lock timeout) through sqlx's
//!   `Any` driver, running `migrations/sqlite/` or `migrations/postgres/`, and what counts as "unavailable".
//! - [`pg_listen`]: on Postgres, hearing of the messages other instances store (LISTEN/NOTIFY).
//! - [`migrate_data`]: `migrate-data`, copying a SQLite database into Postgres.
//! - [`auth`]: keys, hashes and user tokens.
//! - [`identity`]: extractors that turn headers into who is calling (visitor, site backend, agent).
//! - [`chats`]: sessions and messages in the database (rows, times in unix seconds), read through the
//!   visibility rule.
//! - [`webhooks`]: signed webhooks: endpoints, the deliveries queued with each event (in its transaction), the
//!   delivery worker with its retries and its address guard.
//! - [`wire`]: rows → the wire types of `frontdesk-protocol` (the crate shared with the widget), times formatted.
//! - [`orgs`]: orgs, agents and verified contacts.
//! - [`admin`]: managing an org after `org create` (settings, agents, rotating keys), for the CLI and the admin API.
//! - [`privacy`]: deleting and exporting a contact's or a device's data; the retention period.
//! - [`audit`]: the audit log of every change.
//! - [`realtime`]: waking long-polls when a message is stored, and the caps on how many one client holds.
//! - [`rate_limit`]: the per-visitor send limit, and the limits per client address and per org.
//! - [`client_ip`]: the client address of a request (the socket's peer, or `X-Forwarded-For` behind a trusted proxy).
//! - [`routes`]: one module a resource (`widget`, `authenticate`, `agent`, `admin`, `console`, `health`, `webhooks`), each with
//!   `router()`. The console page's files come from `www/console/`, compiled in.
//! - [`openapi`]: the OpenAPI 3.1 document of every route (`GET /openapi.json`, docs/openapi.json), from the
//!   handlers' `#[utoipa::path]` annotations; how to add a route to it is in its module doc.
//! - [`telemetry`]: `/metrics`, the Prometheus recorder behind the `metrics` facade, and what the server counts.
//! - [`extract`]: JSON body and query extractors whose errors name the field.
//! - [`error`]: [`error::ApiError`], the one error body of the API.
//! - [`domain`]: parsed values (`Email`, `ExternalId`, `DeviceId`, …), with their tests beside them; the rules
//!   shared with the widget are `frontdesk_protocol::rules`.
//!
//! # Invariants
//!
//! - Only [`auth`] signs or checks a user token, signs a webhook delivery, or hashes or compares a secret (secret key, agent key, device id).
//! - Only [`chats`] reads sessions and messages, and always through its visibility rule (docs/api.md, "Who sees
//!   which chats"): no handler loads a session by id alone. The exception is [`privacy`], which deletes and
//!   exports a whole owner's chats within the org of the secret key or the CLI's widget token.
//! - Keys are checked against the database on every request, never cached: a rotation, a retirement or a
//!   revocation takes effect on every instance at once.
//! - The audit log holds no secret and no visitor's personal data.
//! - Secrets are stored only as SHA-256 digests; a device id never reaches the database or the log. The two
//!   exceptions are keys the server itself must sign with: the user-token signing key and each webhook endpoint's
//!   secret.
//! - A webhook delivery is queued in the transaction of the event it describes ([`webhooks::enqueue`]), and sent
//!   by a worker apart from the request: no chat request waits on a receiver.
//! - Everything that must survive a restart, or agree between instances on one database, is in the database;
//!   memory holds only the long-poll wake-ups and counts and the rate-limit buckets, whose loss costs nothing.
//! - Every query is written once for both backends; the differences are in the two migration folders.
//! - Every error response has the body `{ "error": { "code", "message" } }`, its code a
//!   `frontdesk_protocol::ErrorCode`.
//! - Routes answer with typed bodies (the protocol's wire types, or [`wire`]'s views of them), never with a row
//!   or an untyped `json!` value.
//! - Every resource a client can make the server hold has a bound that a new device id does not lift (sockets,
//!   time, bodies, long-polls, rows, bytes): ARCHITECTURE.md lists them.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod chats;
pub mod client_ip;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod identity;
pub mod migrate_data;
pub mod openapi;
pub mod orgs;
pub mod pg_listen;
pub mod privacy;
pub mod rate_limit;
pub mod realtime;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
pub mod wire;

/// Sets up logging to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Ignored error: a subscriber was already set (a test, or a host embedding the server), and that one wins.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or journald should get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
