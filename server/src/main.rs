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
use frontdesk_server::client_ip::TrustedProxy;
use frontdesk_server::domain::{AllowedOrigin, AvatarUrl, Label};
use frontdesk_server::rate_limit::{AbuseLimitsConfig, RateLimit};
use frontdesk_server::realtime::PollCaps;
use frontdesk_server::startup::{self, Config, ConnectionLimits};
use frontdesk_server::webhooks::{self, WebhookConfig};
use frontdesk_server::{auth, db, migrate_data, orgs};

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
    /// Manage signed webhooks: endpoints, deliveries, replays (docs/api.md "Webhooks").
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Copy a SQLite database into Postgres (ids, cursors, keys and all), to move to several instances. Stop the
    /// servers on the SQLite database first; the copy is one transaction, checked before it commits.
    MigrateData(MigrateDataArgs),
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
    /// Change an org's attachment rules; prints them as they are after.
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
        /// Print {"attachments": {...}} as JSON.
        #[arg(long)]
        json: bool,
    },
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
        /// Print {"agent_key"} as JSON.
        #[arg(long)]
        json: bool,
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
    /// Replace the signing key: every user token issued so far stops working, on every server.
    Rotate,
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
            json,
        }) => {
            let update = orgs::OrgUpdate {
                max_attachment_bytes: max_attachment_mib.map(|mib| mib * 1024 * 1024),
                max_attachments_per_message,
                attachment_types,
            };
            let rules = orgs::update_org(&db, &widget_token, &update).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "attachments": { "max_bytes": rules.max_bytes,
                        "max_per_message": rules.max_per_message, "types": rules.types } })
                );
            } else {
                println!("largest file: {} bytes", rules.max_bytes);
                println!("files per message: {}", rules.max_per_message);
                println!("types: {}", rules.types.join(", "));
            }
        }
        Command::Agent(AgentCommand::Create {
            widget_token,
            name,
            avatar_url,
            json,
        }) => {
            let key = orgs::create_agent(&db, &widget_token, &name, avatar_url.as_ref()).await?;
            if json {
                println!("{}", serde_json::json!({ "agent_key": key }));
            } else {
                println!("agent key: {key}");
                eprintln!("Give it to {}; it is shown only this once.", name.as_str());
            }
        }
        Command::Webhook(command) => webhook(&db, command).await?,
        Command::MigrateData(_) => unreachable!("handled above"),
        Command::SigningKey(SigningKeyCommand::Rotate) => {
            let key = auth::rotate_signing_key(&db).await?;
            println!(
                "signing key rotated (key id {}); every user token issued before is now refused",
                key.id
            );
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
