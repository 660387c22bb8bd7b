//! `frontdesk-server`: the command line (docs/api.md, "Server CLI"). Parses arguments and calls the library.

// jemalloc, not glibc's malloc, so that the memory of a peak of connections goes back to the system. Measured with
// `BENCH_ONLY=longpolls node bench/run.mjs` (5,000 held long-polls on a fresh server, then closed): with glibc the
// server still held 67.4 MiB a minute later, 6.9x its idle 9.7 MiB (two tokio workers' malloc arenas, returned
// only from their top, which live allocations pin; even `malloc_trim` left 2.8x, and calling it needs `unsafe`);
// with jemalloc 17.7 MiB, 1.5x its idle 11.8 MiB (21.6 MiB after 10 s), and a held long-poll costs 12.3 KB, not
// 18.9 KB. Its background threads (Cargo feature `background_threads`: on from the start, without an `unsafe`
// `malloc_conf`) purge freed pages after jemalloc's 10 s decay while the server is idle; without them it still
// held 72 MiB after a minute. mimalloc (v3 and v2) gave nothing back within the minute. In-process
// `--example load` messages/s (concurrency 1 / 100 / 1000, medians of 4 interleaved runs): glibc 1696 / 2720 /
// 2468, jemalloc 1690 / 2664 / 2664, the same within the run-to-run noise (±10 %).
// What was left a minute later (~6 MiB above idle) was objects in the idle workers' jemalloc thread caches pinning
// their slabs, and the log's span store (one slot per request open at the peak: ~1.5 MiB for 5,000). Thread caches
// are off (`tcache:false` in `.cargo/config.toml`, compiled in: only a `malloc_conf` could set it otherwise) and the
// log writes a line per request instead of a span (`startup::log_request`): 1.10x idle a minute later, within the
// 1.2x target (BENCHMARKS.md, section 6). Thread caches off cost ~2 KB per held long-poll (14.6 KB) and, with 1,000
// visitors on the real server, 3,304 against 3,617 messages/s (medians of 3 interleaved runs of `--example load`,
// the other side with `_RJEM_MALLOC_CONF=tcache:true`): -9 %, inside the run-to-run noise.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use frontdesk_server::admin::{self, Settings};
use frontdesk_server::audit::{self, Actor};
use frontdesk_server::client_ip::TrustedProxy;
use frontdesk_server::domain::office_hours::OfficeHoursSpec;
use frontdesk_server::domain::{AllowedOrigin, AvatarUrl, Label};
use frontdesk_server::rate_limit::{AbuseLimitsConfig, RateLimit};
use frontdesk_server::realtime::PollCaps;
use frontdesk_server::startup::{self, Config, ConnectionLimits, MetricsAccess};
use frontdesk_server::webhooks::{self, WebhookConfig};
use frontdesk_server::{db, migrate_data, orgs, privacy};

#[derive(Debug, Parser)]
#[command(
    name = "frontdesk-server",
    version,
    about = "The Frontdesk chat server"
)]
struct Cli {
    /// The database. Created (with its schema) if missing.
    #[arg(
        long,
        global = true,
        env = "FRONTDESK_DATABASE",
        default_value = "sqlite://frontdesk.db"
    )]
    database: String,
    /// Database connections this process may open (its pool). A held long-poll holds none. On Postgres each
    /// serving instance opens one more, to listen for the other instances' messages (docs/deploy.md).
    #[arg(
        long,
        global = true,
        env = "FRONTDESK_DATABASE_MAX_CONNECTIONS",
        default_value_t = db::DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    database_max_connections: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the widget API, the agent API and (optionally) the widget's files.
    Serve(ServeArgs),
    /// Manage orgs (sites).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage agent keys.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Manage the key that signs user tokens.
    #[command(subcommand)]
    SigningKey(SigningKeyCommand),
    /// Delete or export a verified user's data.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Delete or export a non-verified visitor's chats.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Read the audit log: who changed what, and when.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage signed webhooks: endpoints, deliveries, replays (docs/api.md "Webhooks").
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Copy a SQLite database into Postgres (ids, cursors, keys and all), to move to several instances. Stop the
    /// servers on the SQLite database first; the copy is one transaction, checked before it commits.
    MigrateData(MigrateDataArgs),
    /// Print the OpenAPI 3.1 document of the HTTP API (what GET /openapi.json serves; docs/openapi.json is a copy).
    Openapi,
}

#[derive(Debug, Args)]
struct MigrateDataArgs {
    /// The database to copy (sqlite://…).
    #[arg(long)]
    from: String,
    /// The database to copy into (postgres://…); it must exist, and be empty unless --replace is given.
    #[arg(long)]
    to: String,
    /// Delete everything the target holds before copying.
    #[arg(long)]
    replace: bool,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Directory of static files (widget.js, the .wasm, …) to serve at `/`.
    #[arg(long, env = "FRONTDESK_PUBLIC_DIR")]
    public_dir: Option<PathBuf>,
    /// Lifetime of user tokens from POST /widget/authenticate-user, in seconds.
    #[arg(long, env = "FRONTDESK_TOKEN_TTL_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    token_ttl_secs: u64,
    /// A reverse proxy (an address or a CIDR network) whose X-Forwarded-For names the client (repeatable). Without
    /// one, the client is the socket's peer and X-Forwarded-For is ignored, since any client can write it.
    #[arg(long = "trusted-proxy", env = "FRONTDESK_TRUSTED_PROXY", value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<TrustedProxy>,
    /// A web origin whose pages may call the agent API (/api/…) from a browser, e.g. an admin tool of your own
    /// (repeatable). None by default: the console at /console is same-origin and needs none.
    #[arg(long = "agent-api-origin", env = "FRONTDESK_AGENT_API_ORIGIN", value_delimiter = ',', value_parser = parse_origin)]
    agent_api_origins: Vec<AllowedOrigin>,
    /// New chats one client address may start per 10 minutes (0 = no limit).
    #[arg(long, env = "FRONTDESK_SESSIONS_PER_IP", default_value_t = 60)]
    sessions_per_ip: u32,
    /// Chats from devices new to the org that one client address may start per 10 minutes (0 = no limit).
    #[arg(long, env = "FRONTDESK_NEW_DEVICES_PER_IP", default_value_t = 30)]
    new_devices_per_ip: u32,
    /// Chats from devices new to the org that one org may get per 10 minutes, from all addresses (0 = no limit).
    #[arg(long, env = "FRONTDESK_NEW_DEVICES_PER_ORG", default_value_t = 1_500)]
    new_devices_per_org: u32,
    /// New chats one org may get per 10 minutes, from all addresses together (0 = no limit).
    #[arg(long, env = "FRONTDESK_SESSIONS_PER_ORG", default_value_t = 3_000)]
    sessions_per_org: u32,
    /// KiB of unverified custom_data one org may store per hour (0 = no limit).
    #[arg(long, env = "FRONTDESK_UNVERIFIED_KIB_PER_ORG", default_value_t = 20 * 1024, value_parser = clap::value_parser!(u32).range(0..=4_194_303))]
    unverified_kib_per_org: u32,
    /// Seconds to receive a request's header; also how long an idle kept-alive connection stays open.
    #[arg(long, env = "FRONTDESK_HEADER_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    header_timeout_secs: u64,
    /// Seconds to receive a request's whole body.
    #[arg(long, env = "FRONTDESK_BODY_TIMEOUT_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    body_timeout_secs: u64,
    /// Open connections at once; past it new ones get 503 server_busy. Lowered to fit the open-file limit (ulimit -n).
    #[arg(long, env = "FRONTDESK_MAX_CONNECTIONS", default_value_t = 4_096, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Long-polls one visitor (all its tabs) or agent may hold at once.
    #[arg(long, env = "FRONTDESK_LONG_POLLS_PER_IDENTITY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    long_polls_per_identity: u64,
    /// Long-polls one client address may hold at once, whoever it claims to be.
    #[arg(long, env = "FRONTDESK_LONG_POLLS_PER_IP", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    long_polls_per_ip: u64,
    /// Seconds to receive a whole attachment upload.
    #[arg(long, env = "FRONTDESK_UPLOAD_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    upload_timeout_secs: u64,
    /// MiB of attachments one org may upload per hour, from all visitors and agents together (0 = no limit).
    #[arg(long, env = "FRONTDESK_ATTACHMENT_MIB_PER_ORG", default_value_t = 1_024, value_parser = clap::value_parser!(u32).range(0..=4_194_303))]
    attachment_mib_per_org: u32,
    /// Serve /metrics (Prometheus) on this address, a listener of its own, and not on --addr.
    #[arg(long, env = "FRONTDESK_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Serve /metrics only to `Authorization: Bearer <TOKEN>`: on --addr, or on --metrics-addr when given too.
    /// Without either option /metrics is not served.
    #[arg(long, env = "FRONTDESK_METRICS_TOKEN", value_parser = parse_metrics_token, hide_env_values = true)]
    metrics_token: Option<String>,
    /// Deliver webhooks to loopback and private addresses too (a receiver on this machine, tests). Off by default:
    /// such a URL could reach what only the server's network should.
    #[arg(long, env = "FRONTDESK_ALLOW_PRIVATE_WEBHOOKS")]
    allow_private_webhooks: bool,
    /// Seconds one webhook attempt may take (connecting, sending, the answer's status).
    #[arg(long, env = "FRONTDESK_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    webhook_timeout_secs: u64,
    /// Webhook attempts in flight at once, per server process.
    #[arg(long, env = "FRONTDESK_WEBHOOK_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    webhook_concurrency: u64,
}

impl ServeArgs {
    fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_timeout_secs),
            max_connections: self.max_connections as usize,
        }
    }

    fn poll_caps(&self) -> PollCaps {
        PollCaps {
            per_identity: self.long_polls_per_identity as usize,
            per_address: self.long_polls_per_ip as usize,
        }
    }

    fn abuse_limits(&self) -> AbuseLimitsConfig {
        const TEN_MINUTES: Duration = Duration::from_secs(600);
        AbuseLimitsConfig {
            sessions_per_ip: RateLimit::per(self.sessions_per_ip, TEN_MINUTES),
            new_devices_per_ip: RateLimit::per(self.new_devices_per_ip, TEN_MINUTES),
            new_devices_per_org: RateLimit::per(self.new_devices_per_org, TEN_MINUTES),
            sessions_per_org: RateLimit::per(self.sessions_per_org, TEN_MINUTES),
            unverified_bytes_per_org: RateLimit::per(
                self.unverified_kib_per_org * 1024,
                Duration::from_secs(3_600),
            ),
        }
    }
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an org; prints its widget token and secret key (shown only this once).
    Create {
        #[arg(long, value_parser = parse_name)]
        name: Label,
        /// An origin allowed to use the widget token, e.g. https://example.com (repeatable; none = any origin).
        #[arg(long = "allowed-origin", value_parser = parse_origin)]
        allowed_origins: Vec<AllowedOrigin>,
        /// Print {"widget_token", "secret_key"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an org's attachment rules, greeting, suggested questions or office hours; prints them as they are after.
    Update {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// The largest file visitors and agents may send, in MiB (1–50; default 10).
        #[arg(long = "max-attachment-mib", value_parser = clap::value_parser!(i64).range(1..=50))]
        max_attachment_mib: Option<i64>,
        /// The most files in one message (1–20; default 5).
        #[arg(long = "max-attachments-per-message", value_parser = clap::value_parser!(i64).range(1..=20))]
        max_attachments_per_message: Option<i64>,
        /// The file types allowed, comma-separated MIME types (image/svg+xml and text/html only when named).
        #[arg(long = "attachment-types", value_delimiter = ',', value_parser = parse_attachment_type)]
        attachment_types: Option<Vec<String>>,
        /// A greeting bubble the widget shows before a chat's first message (repeatable, in order; at most 5 of
        /// at most 500 characters). Replaces the org's greeting.
        #[arg(long = "greeting", conflicts_with = "no_greeting")]
        greeting: Vec<String>,
        /// Show no greeting.
        #[arg(long)]
        no_greeting: bool,
        /// A question offered before a chat's first message; a click sends it (repeatable; at most 6 of at most
        /// 200 characters). Replaces the org's questions.
        #[arg(long = "suggested-question", conflicts_with = "no_suggested_questions")]
        suggested_questions: Vec<String>,
        /// Offer no questions.
        #[arg(long)]
        no_suggested_questions: bool,
        /// Opening hours, `mon-fri 09:00-17:00` (repeatable; days mon…sun, a range of days or one day; 24:00 is
        /// midnight at the end of the day). Needs --time-zone. Replaces the org's hours.
        #[arg(
            long = "office-hours",
            requires = "time_zone",
            conflicts_with = "no_office_hours"
        )]
        office_hours: Vec<String>,
        /// The IANA time zone the office hours are in (Europe/Paris).
        #[arg(long, requires = "office_hours")]
        time_zone: Option<String>,
        /// Remove the office hours: the team counts as always in.
        #[arg(long)]
        no_office_hours: bool,
        /// The org's new name.
        #[arg(long, value_parser = parse_name)]
        name: Option<Label>,
        /// An origin allowed to use the widget token (repeatable; replaces the whole list).
        #[arg(long = "allowed-origin", value_parser = parse_origin)]
        allowed_origins: Vec<AllowedOrigin>,
        /// Let any origin use the widget token (empties the list of allowed origins).
        #[arg(long = "any-origin", conflicts_with = "allowed_origins")]
        any_origin: bool,
        /// Delete resolved chats this many days after their resolution (0 = keep them).
        #[arg(long = "retention-days", value_parser = clap::value_parser!(i64).range(0..=frontdesk_server::admin::MAX_RETENTION_DAYS))]
        retention_days: Option<i64>,
        /// Print the org as `org show --json` does.
        #[arg(long)]
        json: bool,
    },
    /// List every org (never a secret key: only its id).
    List {
        /// Print {"orgs": [...]} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show an org's settings and keys (the secret key by its id only).
    Show {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// Print the org as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give the org a new widget token; the old one keeps working during the grace (sites' cached pages).
    RotateWidgetToken(RotateArgs),
    /// Stop the previous widget token now.
    RetireWidgetToken {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
    },
    /// Give the org a new secret key (printed once); the old one keeps working during the grace.
    RotateSecretKey(RotateArgs),
    /// Stop the previous secret key now.
    RetireSecretKey {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
    },
}

#[derive(Debug, Args)]
struct RotateArgs {
    /// The org's widget token (wt_…).
    #[arg(long = "org")]
    widget_token: String,
    #[command(flatten)]
    grace: GraceArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct GraceArgs {
    /// Hours the replaced key keeps working.
    #[arg(long = "grace-hours", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=frontdesk_server::admin::MAX_GRACE_HOURS))]
    grace_hours: u64,
    /// Stop the replaced key at once (a leaked key).
    #[arg(long, conflicts_with = "grace_hours")]
    now: bool,
}

impl GraceArgs {
    fn grace(&self) -> Option<Duration> {
        (!self.now).then(|| Duration::from_secs(self.grace_hours * 3_600))
    }
}

fn parse_attachment_type(raw: &str) -> Result<String, String> {
    use frontdesk_server::domain::attachment::KNOWN_TYPES;
    let wanted = raw.trim().to_ascii_lowercase();
    KNOWN_TYPES
        .iter()
        .find(|t| **t == wanted)
        .map(|t| (*t).to_owned())
        .ok_or_else(|| {
            format!(
                "not a type Frontdesk can check; one of {}",
                KNOWN_TYPES.join(", ")
            )
        })
}

#[derive(Debug, Subcommand)]
enum AgentCommand {
    /// Create an agent key for an org; prints it (shown only this once).
    Create {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// Shown to visitors as the author of the agent's replies.
        #[arg(long, value_parser = parse_name)]
        name: Label,
        /// Shown to visitors beside the name in the chat's header (an http(s) URL).
        #[arg(long = "avatar-url", value_parser = parse_avatar_url)]
        avatar_url: Option<AvatarUrl>,
        /// Print {"agent_key", "agent"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List an org's agents (revoked ones too), never their keys.
    List {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// Print {"agents": [...]} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an agent's key: refused at once, on every server.
    Revoke {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// The agent's id (`agent list`).
        agent_id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum WebhookCommand {
    /// Register an endpoint; prints its id and its signing secret (shown only this once).
    Add {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// Where deliveries are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// The event types to deliver, comma-separated: session.created, message.created, session.resolved,
        /// csat.submitted, contact.updated.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Accept a loopback or private address (as `serve --allow-private-webhooks` delivers to them).
        #[arg(long, env = "FRONTDESK_ALLOW_PRIVATE_WEBHOOKS")]
        allow_private_webhooks: bool,
        /// Print {"endpoint": {...}, "secret": "whsec_…"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List an org's endpoints.
    List {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// Print {"endpoints": [...]} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an endpoint and its deliveries (those waiting are not sent).
    Remove { id: i64 },
    /// Stop queueing events for an endpoint (those queued still go).
    Disable { id: i64 },
    /// Queue events for a disabled endpoint again.
    Enable { id: i64 },
    /// List an org's latest deliveries, newest first, each with its attempts.
    Deliveries {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// Only this endpoint's.
        #[arg(long)]
        endpoint: Option<i64>,
        /// How many (1–200).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=webhooks::MAX_LISTED))]
        limit: i64,
        /// Print {"deliveries": [...]} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a delivery again (the same body and event id), now and with retries for another 24 hours.
    Replay {
        delivery_id: i64,
        /// Print {"delivery": {...}} as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SigningKeyCommand {
    /// Make a new key sign user tokens; tokens signed by the old one keep working during the grace (or until
    /// `retire`), on every server.
    Rotate {
        #[command(flatten)]
        grace: GraceArgs,
    },
    /// Stop every earlier key now: the tokens they signed are refused.
    Retire,
    /// List the keys that check tokens now (never their secrets).
    List {
        /// Print {"signing_keys": [...]} as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which contact: `--id N` or `--email E`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct ContactArgs {
    /// The contact's id.
    #[arg(long)]
    id: Option<i64>,
    /// The contact's email.
    #[arg(long, value_parser = parse_email)]
    email: Option<frontdesk_server::domain::Email>,
}

impl ContactArgs {
    fn contact(self) -> privacy::ContactRef {
        match (self.id, self.email) {
            (Some(id), _) => privacy::ContactRef::Id(id),
            (None, Some(email)) => privacy::ContactRef::Email(email),
            (None, None) => unreachable!("clap requires one of --id and --email"),
        }
    }
}

#[derive(Debug, Subcommand)]
enum ContactCommand {
    /// Delete a verified user with all of its chats, messages, files and ratings.
    Delete {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        #[command(flatten)]
        contact: ContactArgs,
        /// Print {"deleted": {...}} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print everything stored about a verified user as JSON (files as metadata).
    Export {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        #[command(flatten)]
        contact: ContactArgs,
    },
}

#[derive(Debug, Subcommand)]
enum SessionCommand {
    /// Delete every chat of the device that started this chat (a non-verified visitor), with everything they own.
    Delete {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// A chat's id (32 hex characters).
        session_id: String,
        /// Print {"deleted": {...}} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print every chat of the device that started this chat as JSON.
    Export {
        /// The org's widget token (wt_…).
        #[arg(long = "org")]
        widget_token: String,
        /// A chat's id (32 hex characters).
        session_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// The newest entries first.
    List {
        /// Only this org's entries (and the installation's, such as signing-key rotations).
        #[arg(long = "org")]
        widget_token: Option<String>,
        /// How many entries.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=frontdesk_server::audit::PAGE_MAX))]
        limit: i64,
        /// Print {"entries": [...]} as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_email(raw: &str) -> Result<frontdesk_server::domain::Email, String> {
    frontdesk_server::domain::Email::parse(raw).map_err(|e| e.to_string())
}

fn parse_metrics_token(raw: &str) -> Result<String, String> {
    // Short tokens can be guessed; a token is for machines, so length costs nothing.
    if raw.len() < 16 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("at least 16 visible ASCII characters (e.g. `openssl rand -hex 24`)".into());
    }
    Ok(raw.to_owned())
}

fn parse_name(raw: &str) -> Result<Label, String> {
    Label::parse(raw, Label::NAME_MAX).map_err(|e| e.to_string())
}

fn parse_avatar_url(raw: &str) -> Result<AvatarUrl, String> {
    AvatarUrl::parse(raw).map_err(|e| e.to_string())
}

fn parse_proxy(raw: &str) -> Result<TrustedProxy, String> {
    TrustedProxy::parse(raw)
}

fn parse_origin(raw: &str) -> Result<AllowedOrigin, String> {
    AllowedOrigin::parse(raw).map_err(|e| e.to_string())
}

fn print_org(org: &admin::OrgView, json: bool) {
    if json {
        println!("{}", serde_json::json!(org));
        return;
    }
    println!("org {}: {}", org.id, org.name);
    println!("widget token: {}", org.widget_token);
    if let Some(previous) = &org.previous_widget_token {
        println!(
            "previous widget token: {} (works until {})",
            previous.id, previous.retires_at
        );
    }
    println!("secret key id: {}", org.secret_key_id);
    if let Some(previous) = &org.previous_secret_key {
        println!(
            "previous secret key id: {} (works until {})",
            previous.id, previous.retires_at
        );
    }
    let origins = if org.allowed_origins.is_empty() {
        "any".to_owned()
    } else {
        org.allowed_origins.join(", ")
    };
    println!("allowed origins: {origins}");
    match org.retention_days {
        Some(days) => println!("resolved chats kept: {days} days"),
        None => println!("resolved chats kept: for ever"),
    }
    println!("largest file: {} bytes", org.attachments.max_bytes);
    println!("files per message: {}", org.attachments.max_per_message);
    println!("types: {}", org.attachments.types.join(", "));
    println!("greeting: {:?}", org.greeting);
    println!("suggested questions: {:?}", org.suggested_questions);
    match &org.office_hours {
        Some(spec) => println!(
            "office hours: {} ({})",
            spec.weekly.join(", "),
            spec.time_zone
        ),
        None => println!("office hours: none (always in)"),
    }
}

fn print_rotated(what: &str, rotated: &admin::Rotated, json: bool) {
    if json {
        println!("{}", serde_json::json!(rotated));
        return;
    }
    println!("new {what}: {}", rotated.key);
    match &rotated.previous {
        Some(previous) => println!("the previous one works until {}", previous.retires_at),
        None => println!("the previous one is refused from now on"),
    }
}

fn retired_line(what: &str, retired: bool) -> String {
    if retired {
        format!("previous {what} retired; it is refused from now on")
    } else {
        format!("no previous {what} to retire")
    }
}

fn print_deleted(deleted: &privacy::Deleted, json: bool) {
    if json {
        println!("{}", serde_json::json!({ "deleted": deleted }));
    } else {
        println!(
            "deleted {} chats, {} messages, {} files, {} ratings{}",
            deleted.sessions,
            deleted.messages,
            deleted.attachments,
            deleted.ratings,
            deleted
                .contact_id
                .map_or(String::new(), |id| format!(" and contact {id}"))
        );
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    frontdesk_server::init_tracing();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    // Needs no database.
    if let Command::Openapi = &cli.command {
        print!("{}", frontdesk_server::openapi::document_json());
        return Ok(());
    }
    // Works on two databases of its own, not on --database.
    if let Command::MigrateData(args) = &cli.command {
        let copied =
            migrate_data::migrate_data(&args.from, &args.to, args.replace, &mut std::io::stderr())
                .await?;
        for (table, rows) in copied {
            println!("{table}: {rows}");
        }
        return Ok(());
    }
    let pool = db::PoolConfig {
        max_connections: cli.database_max_connections,
    };
    let db = db::connect(&cli.database, pool).await?;
    match cli.command {
        Command::Serve(args) => {
            let listener = startup::bind(args.addr)
                .map_err(|e| format!("--addr {}: cannot listen: {e}", args.addr))?;
            tracing::info!("listening on http://{}", listener.local_addr()?);
            let config = Config {
                token_ttl: Duration::from_secs(args.token_ttl_secs),
                abuse: args.abuse_limits(),
                connections: args.connection_limits(),
                long_polls: args.poll_caps(),
                trusted_proxies: args.trusted_proxies,
                agent_api_origins: args.agent_api_origins,
                public_dir: args.public_dir,
                upload_read_timeout: Duration::from_secs(args.upload_timeout_secs),
                uploaded_kib_per_org: args.attachment_mib_per_org * 1024,
                metrics: MetricsAccess::from_options(
                    args.metrics_addr,
                    args.metrics_token.as_deref(),
                ),
                webhooks: WebhookConfig {
                    allow_private: args.allow_private_webhooks,
                    timeout: Duration::from_secs(args.webhook_timeout_secs),
                    concurrency: args.webhook_concurrency as usize,
                },
                ..Config::default()
            };
            startup::run(listener, db.clone(), config, startup::shutdown_signal()).await?;
        }
        Command::Org(OrgCommand::Create {
            name,
            allowed_origins,
            json,
        }) => {
            let org = orgs::create_org(&db, &name, &allowed_origins).await?;
            audit::record(
                &db,
                Some(org.id),
                &Actor::Cli,
                "org.created",
                &serde_json::json!({ "name": name.as_str() }),
            )
            .await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "widget_token": org.widget_token, "secret_key": org.secret_key })
                );
            } else {
                println!("widget token: {}", org.widget_token);
                println!("secret key: {}", org.secret_key);
                eprintln!("Keep the secret key on your server: it is shown only this once.");
            }
        }
        Command::Org(OrgCommand::Update {
            widget_token,
            max_attachment_mib,
            max_attachments_per_message,
            attachment_types,
            greeting,
            no_greeting,
            suggested_questions,
            no_suggested_questions,
            office_hours,
            time_zone,
            no_office_hours,
            name,
            allowed_origins,
            any_origin,
            retention_days,
            json,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            // A list flag given replaces the list; its --no- twin empties it; neither keeps it.
            let list =
                |given: Vec<String>, none: bool| (none || !given.is_empty()).then_some(given);
            let update = orgs::OrgUpdate {
                max_attachment_bytes: max_attachment_mib.map(|mib| mib * 1024 * 1024),
                max_attachments_per_message,
                attachment_types,
                greeting: list(greeting, no_greeting),
                suggested_questions: list(suggested_questions, no_suggested_questions),
                office_hours: match (time_zone, no_office_hours) {
                    (Some(time_zone), _) => Some(Some(OfficeHoursSpec {
                        time_zone,
                        weekly: office_hours,
                    })),
                    (None, true) => Some(None),
                    (None, false) => None,
                },
            };
            let (rules, texts) = orgs::update_org(&db, &widget_token, &update).await?;
            if update.max_attachment_bytes.is_some()
                || update.max_attachments_per_message.is_some()
                || update.attachment_types.is_some()
            {
                audit::record(
                    &db,
                    Some(org_id),
                    &Actor::Cli,
                    "org.updated",
                    &serde_json::json!({ "attachments": admin::AttachmentsView::from(rules) }),
                )
                .await?;
            }
            if update.greeting.is_some()
                || update.suggested_questions.is_some()
                || update.office_hours.is_some()
            {
                audit::record(
                    &db,
                    Some(org_id),
                    &Actor::Cli,
                    "org.updated",
                    &serde_json::json!({ "greeting": texts.greeting,
                        "suggested_questions": texts.suggested_questions,
                        "office_hours": texts.office_hours.as_ref().map(|h| h.spec()) }),
                )
                .await?;
            }
            let settings = Settings {
                name,
                allowed_origins: (any_origin || !allowed_origins.is_empty())
                    .then_some(allowed_origins),
                retention_days,
            };
            let org = admin::update_settings(&db, org_id, &settings, &Actor::Cli).await?;
            print_org(&org, json);
        }
        Command::Org(OrgCommand::List { json }) => {
            let orgs = admin::list_orgs(&db).await?;
            if json {
                println!("{}", serde_json::json!({ "orgs": orgs }));
            } else {
                for org in &orgs {
                    println!(
                        "{}\t{}\t{}\tsecret key {}",
                        org.id, org.widget_token, org.name, org.secret_key_id
                    );
                }
            }
        }
        Command::Org(OrgCommand::Show { widget_token, json }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            print_org(&admin::show_org(&db, org_id).await?, json);
        }
        Command::Org(OrgCommand::RotateWidgetToken(args)) => {
            let org_id = admin::org_id_for_widget_token(&db, &args.widget_token).await?;
            let rotated =
                admin::rotate_widget_token(&db, org_id, args.grace.grace(), &Actor::Cli).await?;
            print_rotated("widget token", &rotated, args.json);
        }
        Command::Org(OrgCommand::RetireWidgetToken { widget_token }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let retired = admin::retire_widget_token(&db, org_id, &Actor::Cli).await?;
            println!("{}", retired_line("widget token", retired));
        }
        Command::Org(OrgCommand::RotateSecretKey(args)) => {
            let org_id = admin::org_id_for_widget_token(&db, &args.widget_token).await?;
            let rotated =
                admin::rotate_secret_key(&db, org_id, args.grace.grace(), &Actor::Cli).await?;
            print_rotated("secret key", &rotated, args.json);
            if !args.json {
                eprintln!("Keep the new secret key on your server: it is shown only this once.");
            }
        }
        Command::Org(OrgCommand::RetireSecretKey { widget_token }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let retired = admin::retire_secret_key(&db, org_id, &Actor::Cli).await?;
            println!("{}", retired_line("secret key", retired));
        }
        Command::Agent(AgentCommand::Create {
            widget_token,
            name,
            avatar_url,
            json,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let made =
                admin::create_agent(&db, org_id, &name, avatar_url.as_ref(), &Actor::Cli).await?;
            if json {
                println!("{}", serde_json::json!(made));
            } else {
                println!("agent key: {}", made.agent_key);
                eprintln!(
                    "Give it to {} (agent {}); it is shown only this once.",
                    name.as_str(),
                    made.agent.id
                );
            }
        }
        Command::Webhook(command) => webhook(&db, command).await?,
        Command::Agent(AgentCommand::List { widget_token, json }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let agents = admin::list_agents(&db, org_id).await?;
            if json {
                println!("{}", serde_json::json!({ "agents": agents }));
            } else {
                for agent in &agents {
                    let state = agent
                        .revoked_at
                        .as_deref()
                        .map_or("active".to_owned(), |at| format!("revoked {at}"));
                    println!("{}\t{}\t{state}", agent.id, agent.name);
                }
            }
        }
        Command::Agent(AgentCommand::Revoke {
            widget_token,
            agent_id,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let agent = admin::revoke_agent(&db, org_id, agent_id, &Actor::Cli).await?;
            println!(
                "agent {} ({}) revoked; its key is refused from now on",
                agent.id, agent.name
            );
        }
        Command::Contact(ContactCommand::Delete {
            widget_token,
            contact,
            json,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let deleted =
                privacy::delete_contact(&db, org_id, &contact.contact(), &Actor::Cli).await?;
            print_deleted(&deleted, json);
        }
        Command::Contact(ContactCommand::Export {
            widget_token,
            contact,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let export =
                privacy::export_contact(&db, org_id, &contact.contact(), &Actor::Cli).await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
        }
        Command::Session(SessionCommand::Delete {
            widget_token,
            session_id,
            json,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let deleted =
                privacy::delete_device_sessions(&db, org_id, &session_id, &Actor::Cli).await?;
            print_deleted(&deleted, json);
        }
        Command::Session(SessionCommand::Export {
            widget_token,
            session_id,
        }) => {
            let org_id = admin::org_id_for_widget_token(&db, &widget_token).await?;
            let export = privacy::export_device(&db, org_id, &session_id, &Actor::Cli).await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
        }
        Command::Audit(AuditCommand::List {
            widget_token,
            limit,
            json,
        }) => {
            let org_id = match widget_token {
                Some(token) => Some(admin::org_id_for_widget_token(&db, &token).await?),
                None => None,
            };
            let entries = audit::list(&db, org_id, None, limit).await?;
            if json {
                println!("{}", serde_json::json!({ "entries": entries }));
            } else {
                for e in &entries {
                    let org = e.org_id.map_or("-".to_owned(), |id| id.to_string());
                    println!("{}\t{org}\t{}\t{}\t{}", e.at, e.actor, e.action, e.detail);
                }
            }
        }
        Command::MigrateData(_) | Command::Openapi => unreachable!("handled above"),
        Command::SigningKey(SigningKeyCommand::Rotate { grace }) => {
            let key = admin::rotate_signing_key(&db, grace.grace(), &Actor::Cli).await?;
            if grace.now {
                println!(
                    "signing key rotated (key id {}); every user token issued before is now refused",
                    key.id
                );
            } else {
                println!(
                    "signing key rotated (key id {}); tokens issued before keep working for {} h or until \
                     `signing-key retire`",
                    key.id, grace.grace_hours
                );
            }
        }
        Command::SigningKey(SigningKeyCommand::Retire) => {
            let retired = admin::retire_signing_keys(&db, &Actor::Cli).await?;
            if retired.is_empty() {
                println!("no earlier signing key to retire");
            } else {
                println!(
                    "retired signing keys {retired:?}; the user tokens they signed are now refused"
                );
            }
        }
        Command::SigningKey(SigningKeyCommand::List { json }) => {
            let keys = frontdesk_server::auth::signing_keys(&db).await?;
            if json {
                println!("{}", serde_json::json!({ "signing_keys": keys }));
            } else {
                for key in &keys {
                    let state = match key.retires_at {
                        None => "signs new tokens".to_owned(),
                        Some(at) => format!(
                            "checks the tokens it signed until {}",
                            frontdesk_server::wire::time(at)
                        ),
                    };
                    println!("{}\t{state}", key.id);
                }
            }
        }
    }
    db.close().await;
    Ok(())
}

/// The org a `--org` widget token names.
async fn org_id(db: &sqlx::AnyPool, widget_token: &str) -> Result<i64, orgs::AdminError> {
    Ok(orgs::org_for_widget_token(db, widget_token)
        .await?
        .ok_or_else(|| orgs::AdminError::UnknownWidgetToken(widget_token.to_owned()))?
        .id)
}

async fn webhook(
    db: &sqlx::AnyPool,
    command: WebhookCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use frontdesk_server::domain::{EventType, WebhookUrl};
    match command {
        WebhookCommand::Add {
            widget_token,
            url,
            events,
            allow_private_webhooks,
            json,
        } => {
            let org = org_id(db, &widget_token).await?;
            let url = WebhookUrl::parse(&url, allow_private_webhooks)?;
            let events = EventType::parse_list(events.iter().map(String::as_str))?;
            let added = webhooks::add_endpoint(db, org, &url, &events).await?;
            if json {
                println!("{}", serde_json::to_string(&added)?);
            } else {
                println!("endpoint id: {}", added.endpoint.id);
                println!("signing secret: {}", added.secret);
                eprintln!(
                    "Give the signing secret to the receiver, which checks each delivery's Frontdesk-Signature with it."
                );
            }
        }
        WebhookCommand::List { widget_token, json } => {
            let list = webhooks::list_endpoints(db, org_id(db, &widget_token).await?).await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for e in list.endpoints {
                    let disabled = if e.disabled { "  (disabled)" } else { "" };
                    println!("{}  {}  {}{disabled}", e.id, e.url, e.events.join(","));
                }
            }
        }
        WebhookCommand::Remove { id } => {
            webhooks::remove_endpoint(db, None, id).await?;
            println!("endpoint {id} removed");
        }
        WebhookCommand::Disable { id } => {
            webhooks::set_disabled(db, id, true).await?;
            println!("endpoint {id} disabled: no new deliveries are queued for it");
        }
        WebhookCommand::Enable { id } => {
            webhooks::set_disabled(db, id, false).await?;
            println!("endpoint {id} enabled");
        }
        WebhookCommand::Deliveries {
            widget_token,
            endpoint,
            limit,
            json,
        } => {
            let org = org_id(db, &widget_token).await?;
            let list = webhooks::deliveries(db, org, endpoint, limit).await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for d in &list.deliveries {
                    print_delivery(d);
                }
            }
        }
        WebhookCommand::Replay { delivery_id, json } => {
            let delivery = webhooks::replay(db, None, delivery_id).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&webhooks::DeliveryEnvelope { delivery })?
                );
            } else {
                print_delivery(&delivery);
                println!("queued: a running server sends it within a second");
            }
        }
    }
    Ok(())
}

fn print_delivery(d: &webhooks::DeliveryView) {
    println!(
        "{}  {}  {}  endpoint {}  {}  attempts {}",
        d.id, d.created_at, d.event_type, d.endpoint_id, d.state, d.attempts
    );
    for a in &d.attempt_log {
        let status = a
            .status
            .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
        let error = a
            .error
            .as_deref()
            .map(|e| format!("  {e}"))
            .unwrap_or_default();
        println!(
            "    {}  {status}  {} ms{error}",
            a.attempted_at, a.latency_ms
        );
    }
}
