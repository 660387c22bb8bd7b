//! `/metrics`: what the server counts, recorded with the `metrics` facade into the Prometheus recorder installed
//! here (once per process), and rendered in the Prometheus text format on a scrape.
//!
//! Counters and histograms are recorded where things happen (requests in `startup::log_request`, messages in
//! `chats`); the gauges of one server (held long-polls, the database pool) are read from its state at each
//! scrape. Other parts record their own series with the same facade (`metrics::counter!(…)`, named
//! `frontdesk_…`), and they appear on `/metrics` without anything here knowing of them.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::startup::AppState;

/// Requests answered, by `route` (the route's template, `other` for anything no route matched), `method` and
/// `status`.
pub const REQUESTS: &str = "frontdesk_http_requests_total";
/// Time from a request's arrival to its answer, by `route`; held long-polls count their whole wait.
pub const REQUEST_SECONDS: &str = "frontdesk_http_request_duration_seconds";
/// Messages stored, by `author` (`visitor`, `agent`); a retry answered with the stored message counts none.
pub const MESSAGES_STORED: &str = "frontdesk_messages_stored_total";
/// Long-polls this server holds now.
pub const LONG_POLLS_HELD: &str = "frontdesk_long_polls_held";
/// Connections of this server's database pool: open now, idle now, and the most it may open.
pub const DB_POOL_CONNECTIONS: &str = "frontdesk_db_pool_connections";
pub const DB_POOL_IDLE: &str = "frontdesk_db_pool_idle_connections";
pub const DB_POOL_MAX: &str = "frontdesk_db_pool_max_connections";

/// The request-time histogram's buckets, in seconds: the API's answers take milliseconds, and a long-poll up to
/// its 30-second wait.
const REQUEST_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often the recorder folds recent histogram samples into its buckets when nobody scrapes (so they do not
/// pile up in memory).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed by the first call. `None` when another recorder was installed first (a host
/// embedding the server): then `/metrics` shows only what this module reads at each scrape.
pub fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), REQUEST_BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        REQUESTS,
        "Requests answered, by route template, method and status."
    );
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer a request, by route template (a long-poll counts its wait)."
    );
    metrics::describe_counter!(MESSAGES_STORED, "Messages stored, by author.");
    metrics::describe_gauge!(LONG_POLLS_HELD, "Long-polls this server holds now.");
    metrics::describe_gauge!(DB_POOL_CONNECTIONS, "Database connections open now.");
    metrics::describe_gauge!(DB_POOL_IDLE, "Database connections open and idle now.");
    metrics::describe_gauge!(DB_POOL_MAX, "Database connections this server may open.");
}

/// One answered request. `route` is the template the router matched (put in the response by [`mark_route`]).
pub fn record_request(
    route: Option<&MatchedPath>,
    method: &Method,
    status: StatusCode,
    took: Duration,
) {
    let route = route.map_or("other", MatchedPath::as_str).to_owned();
    let method = method_label(method);
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status.as_u16().to_string())
        .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "route" => route).record(took.as_secs_f64());
}

/// A label from a bounded set: a client may send any method name.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// A message stored by `author`.
pub fn message_stored(author: crate::chats::Author) {
    metrics::counter!(MESSAGES_STORED, "author" => author.as_str()).increment(1);
}

/// Copies the matched route's template from the request to the response, where `startup::log_request` (outside
/// the router, where no route is known yet) finds it.
pub async fn mark_route(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// The Prometheus text of everything recorded, with this server's gauges as they are now.
pub fn render(state: &AppState) -> String {
    // One scrape at a time: the gauges are the process's, and two servers in one process (tests) each set theirs
    // before rendering.
    static SCRAPE: Mutex<()> = Mutex::new(());
    let _one = SCRAPE.lock().unwrap_or_else(PoisonError::into_inner);
    metrics::gauge!(LONG_POLLS_HELD).set(state.polls.held() as f64);
    metrics::gauge!(DB_POOL_CONNECTIONS).set(f64::from(state.db.size()));
    metrics::gauge!(DB_POOL_IDLE).set(state.db.num_idle() as f64);
    metrics::gauge!(DB_POOL_MAX).set(f64::from(state.db.options().get_max_connections()));
    recorder().map(PrometheusHandle::render).unwrap_or_default()
}

/// Folds recent histogram samples into their buckets every [`UPKEEP_EVERY`], for as long as the server runs.
pub async fn upkeep() {
    let Some(handle) = recorder() else { return };
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    loop {
        every.tick().await;
        handle.run_upkeep();
    }
}
