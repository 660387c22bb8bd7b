//! Building the application from a [`Config`] and serving it on a listener.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, Method, Request};
use axum::response::IntoResponse;
use axum::Router;
use sqlx::AnyPool;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::client_ip::TrustedProxy;
use crate::domain::AllowedOrigin;
use crate::error::{self, ApiError};
use crate::extract::BodyReadTimeout;
use crate::identity;
use crate::rate_limit::{AbuseLimits, AbuseLimitsConfig, RateLimit, RateLimiter};
use crate::realtime::{Notifier, PollCaps, PollCounter};
use crate::routes;

/// Largest request body accepted, on every route.
pub const BODY_LIMIT: usize = 64 * 1024;
/// An attachment upload's body: the largest file any org may allow, and the multipart form around it.
pub const UPLOAD_BODY_LIMIT: usize =
    frontdesk_protocol::limits::ATTACHMENT_HARD_MAX_BYTES as usize + BODY_LIMIT;

/// What `serve` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a user token from `authenticate-user` is valid.
    pub token_ttl: Duration,
    /// Static files (widget.js, the .wasm, …) served at `/` when set.
    pub public_dir: Option<PathBuf>,
    /// Messages and sessions per visitor identity.
    pub rate_limit: RateLimit,
    /// New chats per client address and per org, unverified data per org.
    pub abuse: AbuseLimitsConfig,
    /// Proxies whose `X-Forwarded-For` names the client (`serve --trusted-proxy`); none = the socket's peer is.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Web origins whose pages may call the agent API (`serve --agent-api-origin`); none by default.
    pub agent_api_origins: Vec<AllowedOrigin>,
    /// Timeouts and the connection limit of the socket layer.
    pub connections: ConnectionLimits,
    /// Long-polls one visitor, agent or client address may hold at once.
    pub long_polls: PollCaps,
    /// Time to receive a whole attachment upload (`serve --upload-timeout-secs`).
    pub upload_read_timeout: Duration,
    /// KiB of uploads one org may store per hour (`serve --attachment-mib-per-org`); 0 = no limit.
    pub uploaded_kib_per_org: u32,
    /// Who may read `/metrics`, and where.
    pub metrics: MetricsAccess,
    /// How webhooks are delivered (`serve --allow-private-webhooks`, …).
    pub webhooks: crate::webhooks::WebhookConfig,
}

/// Where `/metrics` is served (docs/operations.md, "Metrics and health"). Tokens are kept as SHA-256 digests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Not served: `/metrics` is 404 on the public listener (the default).
    #[default]
    Off,
    /// On the public listener, to the bearer of a token (`serve --metrics-token`).
    Token { digest: Vec<u8> },
    /// On a listener of its own (`serve --metrics-addr`), only there; to the token's bearer when one is given too.
    Listener {
        addr: std::net::SocketAddr,
        token_digest: Option<Vec<u8>>,
    },
}

impl MetricsAccess {
    /// What `serve --metrics-addr` and `--metrics-token` say.
    pub fn from_options(addr: Option<std::net::SocketAddr>, token: Option<&str>) -> Self {
        let digest = token.map(crate::auth::hash_secret);
        match (addr, digest) {
            (Some(addr), token_digest) => Self::Listener { addr, token_digest },
            (None, Some(digest)) => Self::Token { digest },
            (None, None) => Self::Off,
        }
    }
}

/// What bounds the sockets a client can make the server hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to receive a request's whole header, counted from the connection's start and, on a kept-alive
    /// connection, from the end of the previous answer: so it is also the idle timeout.
    pub header_read_timeout: Duration,
    /// Time to receive a request's whole body, once its header is in.
    pub body_read_timeout: Duration,
    /// Open connections at once; past it a new connection gets 503 `server_busy` and is closed, so a flood of
    /// idle sockets ends in refusals instead of the process running out of file descriptors.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(15),
            body_read_timeout: Duration::from_secs(20),
            max_connections: 4_096,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(24 * 60 * 60),
            public_dir: None,
            rate_limit: RateLimit::default(),
            abuse: AbuseLimitsConfig::default(),
            trusted_proxies: Vec::new(),
            agent_api_origins: Vec::new(),
            connections: ConnectionLimits::default(),
            long_polls: PollCaps::default(),
            upload_read_timeout: Duration::from_secs(300),
            uploaded_kib_per_org: 1024 * 1024,
            metrics: MetricsAccess::Off,
            webhooks: crate::webhooks::WebhookConfig::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: AnyPool,
    pub config: Arc<Config>,
    /// Wakes long-polls; in memory because a missed wake-up costs nothing (the next poll reads the database).
    pub notifier: Arc<Notifier>,
    pub rate_limiter: Arc<RateLimiter>,
    /// KiB of uploads per org per hour.
    pub upload_quota: Arc<RateLimiter<i64>>,
    /// Typing and seen signals, per sender, chat and kind (docs/api.md "Limits").
    pub signal_limiter: Arc<RateLimiter<crate::routes::SignalKey>>,
    pub abuse: Arc<AbuseLimits>,
    pub polls: Arc<PollCounter>,
}

impl AppState {
    pub fn new(db: AnyPool, config: Config) -> Self {
        // Installed before the first request is counted.
        crate::telemetry::recorder();
        Self {
            db,
            notifier: Arc::new(Notifier::default()),
            rate_limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            upload_quota: Arc::new(RateLimiter::new(RateLimit {
                burst: config.uploaded_kib_per_org,
                window: Duration::from_secs(3_600),
            })),
            // A widget sends at most one typing signal every 2 seconds: 10 per 10 seconds leaves room for the
            // stops and for two tabs, and still bounds what one sender can make every long-poll of a chat do.
            signal_limiter: Arc::new(RateLimiter::new(RateLimit {
                burst: 10,
                window: std::time::Duration::from_secs(10),
            })),
            abuse: Arc::new(AbuseLimits::new(config.abuse)),
            polls: Arc::new(PollCounter::new(config.long_polls)),
            config: Arc::new(config),
        }
    }
}

/// The whole HTTP application, ready to serve or to call with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let public_dir = state.config.public_dir.clone();
    let body_read_timeout = BodyReadTimeout(state.config.connections.body_read_timeout);
    let agent_api_origins: Arc<[String]> = state
        .config
        .agent_api_origins
        .iter()
        .map(|o| o.as_str().to_owned())
        .collect();
    // Every body is JSON of at most 64 KiB, but for an attachment's upload, whose route has a limit of its own: the
    // largest file an org may allow, plus room for the form around it.
    let json_routes = Router::new()
        .merge(routes::health::router())
        .merge(routes::authenticate::router())
        .merge(routes::widget::router())
        .merge(routes::agent::router())
        .merge(routes::admin::router())
        .merge(routes::console::router())
        .merge(routes::attachments::router())
        .merge(routes::webhooks::router())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    let upload_routes = routes::attachments::upload_router()
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(UPLOAD_BODY_LIMIT));
    // After every merge: `route_layer` reaches only the routes already added.
    let api = json_routes
        .merge(upload_routes)
        .route_layer(axum::middleware::from_fn(crate::telemetry::mark_route))
        .with_state(state);
    let api = match public_dir {
        Some(dir) => {
            let version = Arc::new(widget_version(&dir));
            // Pre-compressed siblings (frontdesk_bg.wasm.br) are used when present; otherwise compress on the fly.
            let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
            api.fallback_service(
                tower::ServiceBuilder::new()
                    .layer(axum::middleware::from_fn_with_state(
                        version,
                        static_cache_headers,
                    ))
                    .layer(CompressionLayer::new())
                    .service(files),
            )
        }
        None => api.fallback(|| async { ApiError::NotFound }),
    };
    // Innermost first. `json_errors` sits outside the body limit so that the limit's own 413 gets our body; CORS
    // outside both so that error answers carry CORS headers too (a browser hides the body of one that does not).
    api.layer(axum::Extension(body_read_timeout))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(axum::middleware::from_fn(refuse_long_paths))
        .layer(cors(agent_api_origins))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn(log_request))
}

/// The application of the `--metrics-addr` listener: `/metrics` only, with the same error bodies.
pub fn metrics_app(state: AppState) -> Router {
    routes::health::metrics_router()
        .with_state(state)
        .fallback(|| async { ApiError::NotFound })
        .layer(axum::middleware::map_response(error::json_errors))
}

/// One log line per answered request: method, path (shortened), status and time; and its count and time on
/// `/metrics`, by the route's template. A line, not a span around the request (tower-http's `TraceLayer`): a span is
/// open for as long as its request, and the log's span store keeps the slots of its fullest moment, so 5,000 held
/// long-polls left ~1.5 MiB behind for good (BENCHMARKS.md, "Held long-poll connections": RSS a minute after they
/// end, 1.26x idle with spans, 1.12x without). The metrics are recorded once the answer is ready, so a held
/// long-poll keeps nothing of theirs either.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = log_path(request.uri().path()).into_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let took = started.elapsed();
    crate::telemetry::record_request(
        response.extensions().get::<axum::extract::MatchedPath>(),
        &method,
        response.status(),
        took,
    );
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = took.as_millis() as u64,
        "done"
    );
    response
}

/// How long an upload may wait to be sent with a message before it is deleted (docs/api.md "Attachments").
const UNSENT_UPLOAD_SECS: i64 = 24 * 60 * 60;

/// Deletes uploads never sent, every ten minutes. Several instances may all do it: a DELETE of what another one
/// already deleted deletes nothing.
async fn sweep_unsent_uploads(db: AnyPool) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match crate::chats::delete_unsent_attachments(&db, UNSENT_UPLOAD_SECS).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("deleted {n} uploads never sent with a message"),
            Err(e) => tracing::warn!("could not delete old unsent uploads (retrying later): {e}"),
        }
    }
}

/// Applies the orgs' retention periods at start and then hourly (docs/operations.md, "Retention"), and deletes the
/// signing keys whose grace has ended. Several instances may all do it: each chat is deleted by one of them.
async fn apply_retention(db: AnyPool) {
    let mut every = tokio::time::interval(crate::privacy::RETENTION_EVERY);
    loop {
        every.tick().await;
        match crate::privacy::apply_retention(&db, crate::orgs::now()).await {
            Ok(swept) => {
                for (org_id, sessions) in swept {
                    tracing::info!("retention: deleted {sessions} resolved chats of org {org_id}");
                }
            }
            Err(e) => tracing::warn!("could not apply the retention periods (retrying later): {e}"),
        }
        if let Err(e) = crate::auth::delete_expired_signing_keys(&db).await {
            tracing::warn!("could not delete retired signing keys (retrying later): {e}");
        }
    }
}

/// Connections the kernel queues before `accept`. Tokio's default (128) drops the overflow of a burst (every
/// widget of a site reconnecting after a restart), and a dropped SYN is retried only after a second; measured
/// in BENCHMARKS.md: 1,000 simultaneous connects took 1.07 s at 128.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` for [`run`] with a backlog that absorbs reconnect bursts.
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // A restart must not wait for the previous process's connections to leave TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// `widget.js` refers to the glue and the wasm as `frontdesk.js?v=<content hash>` (scripts/build.sh), so a
/// versioned URL never changes content and may be cached for a year; anything else (`widget.js` itself, the
/// page a site embeds) is revalidated on every use (`no-cache` + `Last-Modified`), so a deploy reaches
/// visitors at once.
///
/// Only the real hash counts: `frontdesk.js?v=anything` must not pin an old or foreign file in caches for a year.
async fn static_cache_headers(
    State(version): State<Arc<Option<String>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let versioned = version.as_deref().is_some_and(|version| {
        VERSIONED_FILES.contains(&request.uri().path())
            && request.uri().query().is_some_and(|q| {
                q.split('&')
                    .any(|pair| pair.strip_prefix("v=") == Some(version))
            })
    });
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        let policy = if versioned {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static(policy),
        );
    }
    response
}

/// The files `widget.js` loads with `?v=<version>`, in the order scripts/build.sh hashes them.
const VERSIONED_FILES: [&str; 2] = ["/frontdesk.js", "/frontdesk_bg.wasm"];

/// The widget build's version as scripts/build.sh computes it: the first 12 hex digits of the SHA-256 of
/// `frontdesk.js` followed by `frontdesk_bg.wasm`. `None` when either is missing: then nothing is `immutable`.
/// Read once at start-up; files replaced under a running server get `no-cache` until it restarts, which is safe.
pub fn widget_version(dir: &std::path::Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for file in VERSIONED_FILES {
        hash.update(std::fs::read(dir.join(file.trim_start_matches('/'))).ok()?);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Some(hex[..12].to_owned())
}

/// Longest path served. The API's longest is under 100 bytes and the widget's files are short; a longer path
/// is refused before routing (a 65 KB path used to reach the file system, fail there with a 500, and be written
/// twice into the log).
const MAX_PATH_BYTES: usize = 255;

async fn refuse_long_paths(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.uri().path().len() > MAX_PATH_BYTES {
        return ApiError::UriTooLong(MAX_PATH_BYTES).into_response();
    }
    next.run(request).await
}

/// A path as the log shows it: at most 100 bytes, so a client cannot make one request write kilobytes of log.
fn log_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 100;
    if path.len() <= SHOWN {
        return path.into();
    }
    let mut end = SHOWN;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &path[..end], path.len()).into()
}

/// Preflights are answered for any origin: the org, and so its allowed origins, is only known once the widget
/// token is read, which the identity extractor does on the real request. No cookies are used, so no credentials.
///
/// The agent and admin APIs (`/api/…`) get no CORS headers, except for the origins named with
/// `serve --agent-api-origin` (none by default): the console is served from the same origin, and no other web
/// page should be able to read an agent's answers, even with a leaked key in its hands.
fn cors(agent_api_origins: Arc<[String]>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, request| {
            !request.uri.path().starts_with("/api/")
                || origin.to_str().is_ok_and(|origin| {
                    AllowedOrigin::parse(origin)
                        .is_ok_and(|o| agent_api_origins.iter().any(|a| a == o.as_str()))
                })
        }))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(identity::WIDGET_TOKEN),
            HeaderName::from_static(identity::DEVICE),
            HeaderName::from_static(identity::EXTERNAL_ID),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600))
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not create the token signing key: {0}")]
    SigningKey(#[from] sqlx::Error),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("--metrics-addr {0}: cannot listen: {1}")]
    MetricsListener(std::net::SocketAddr, std::io::Error),
}

/// Serves on `listener` until `shutdown` completes, then lets requests in flight finish (held long-polls answer
/// at once) and closes the database.
pub async fn run(
    listener: TcpListener,
    db: AnyPool,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // Created now rather than at the first login, so that a fresh install fails at start if the database is
    // read-only, not when the first user tries to chat.
    crate::auth::current_signing_key(&db).await?;
    let mut limits = config.connections;
    limits.max_connections = within_open_file_limit(limits.max_connections, open_file_limit());
    let metrics_listener = match &config.metrics {
        MetricsAccess::Listener { addr, .. } => {
            let listener = bind(*addr).map_err(|e| ServeError::MetricsListener(*addr, e))?;
            tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
            Some(listener)
        }
        _ => None,
    };
    let delivering = tokio::spawn(crate::webhooks::deliver(
        db.clone(),
        config.webhooks.clone(),
    ));
    let webhook_sweeping = tokio::spawn(crate::webhooks::sweep(db.clone()));
    let state = AppState::new(db.clone(), config);
    let notifier = state.notifier.clone();
    let upkeep = tokio::spawn(crate::telemetry::upkeep());
    // The metrics listener stops with the public one.
    let (stopped, stop) = tokio::sync::watch::channel(false);
    let metrics_serving = metrics_listener.map(|listener| {
        let app = metrics_app(state.clone());
        let mut stop = stop.clone();
        tokio::spawn(serve_connections(
            listener,
            app,
            ConnectionLimits::default(),
            async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            },
        ))
    });
    // Several instances may share a Postgres database: hear of the messages the others store.
    let listening = (crate::db::backend(&db) == crate::db::Backend::Postgres).then(|| {
        let url = db.connect_options().database_url.to_string();
        tokio::spawn(crate::pg_listen::listen(url, notifier.clone()))
    });
    let sweeping = tokio::spawn(sweep_unsent_uploads(db.clone()));
    let retaining = tokio::spawn(apply_retention(db.clone()));
    serve_connections(listener, app(state), limits, async move {
        shutdown.await;
        tracing::info!("shutting down");
        notifier.close();
        let _ = stopped.send(true);
    })
    .await;
    if let Some(metrics_serving) = metrics_serving {
        let _ = metrics_serving.await;
    }
    upkeep.abort();
    if let Some(listening) = listening {
        listening.abort();
    }
    sweeping.abort();
    retaining.abort();
    delivering.abort();
    webhook_sweeping.abort();
    db.close().await;
    Ok(())
}

/// File descriptors kept apart from connections: the listener, the database and its WAL files, the log, and the
/// connections being refused with 503; at most a quarter of a small limit.
const RESERVED_FDS: u64 = 64 + MAX_REFUSING as u64;

/// `max_connections`, lowered to what the process's open-file limit leaves after [`RESERVED_FDS`]: past it,
/// `accept` would fail instead of the connection getting its 503.
fn within_open_file_limit(max_connections: usize, open_files: Option<u64>) -> usize {
    let Some(open_files) = open_files else {
        return max_connections;
    };
    let reserved = RESERVED_FDS.min(open_files / 4);
    let room = usize::try_from(open_files.saturating_sub(reserved).max(1)).unwrap_or(usize::MAX);
    if max_connections > room {
        tracing::warn!(
            "--max-connections {max_connections} is more than the open-file limit ({open_files}) allows; using \
             {room} (raise `ulimit -n` for more)"
        );
        return room;
    }
    max_connections
}

/// The soft limit on open files, from `/proc/self/limits` (Linux; `None` elsewhere or when unlimited).
fn open_file_limit() -> Option<u64> {
    parse_open_file_limit(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Connections being refused with 503 at once; past this many, further ones are closed without an answer, so
/// refusing cannot itself hold sockets without bound.
const MAX_REFUSING: usize = 256;

/// The accept loop: each connection served by hyper (HTTP/1.1) with the header-read timer running, counted
/// against `max_connections`, and handed the peer address as `ConnectInfo` for [`crate::client_ip`].
/// `axum::serve` offers none of this: it sets no timer, so a socket that sends half a header is held forever.
async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tokio::sync::Semaphore;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or a connection reset before accept): wait, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let io = TokioIo::new(stream);
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            if let Ok(refusal) = refusing.clone().try_acquire_owned() {
                let mut busy = http.clone();
                busy.keep_alive(false);
                tokio::spawn(async move {
                    let answer = hyper::service::service_fn(|_request| async {
                        Ok::<_, std::convert::Infallible>(ApiError::ServerBusy.into_response())
                    });
                    let _ = tokio::time::timeout(
                        limits.header_read_timeout,
                        busy.serve_connection(io, answer),
                    )
                    .await;
                    drop(refusal);
                });
            }
            continue;
        };
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        );
        let connection = graceful.watch(
            http.serve_connection(io, hyper_util::service::TowerToHyperService::new(service)),
        );
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection from {peer} ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[test]
    fn the_connection_limit_stays_within_the_open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_open_file_limit(limits), Some(1024));
        assert_eq!(
            parse_open_file_limit("Max open files  unlimited  unlimited  files"),
            None
        );
        assert_eq!(within_open_file_limit(4096, Some(1024)), 1024 - 256);
        assert_eq!(
            within_open_file_limit(40_000, Some(20_000)),
            20_000 - RESERVED_FDS as usize
        );
        assert_eq!(within_open_file_limit(100, Some(1024)), 100);
        assert_eq!(within_open_file_limit(4096, None), 4096);
    }

    #[test]
    fn a_long_path_is_logged_cut_at_a_character_boundary() {
        assert_eq!(log_path("/widget/v1/sessions"), "/widget/v1/sessions");
        let long = format!("/{}", "é".repeat(40_000));
        let logged = log_path(&long);
        assert!(logged.len() < 130, "{logged}");
        assert!(logged.ends_with("… (80001 bytes)"), "{logged}");
    }

    #[tokio::test]
    async fn the_app_answers_without_a_socket() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = crate::db::connect(&url, crate::db::PoolConfig::default())
            .await
            .unwrap();
        let app = app(AppState::new(db, Config::default()));
        let request = Request::get("/healthz").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::OK);
    }
}
