//! `GET /console`: the agent console page, a static page that uses the agent API (docs/api.md, "Agent API").
//!
//! The page's files live in `www/console/` with the rest of the front end; they are compiled into the binary so
//! that `serve` offers the console without `--public-dir` and a deployment is one file.

use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::startup::AppState;

const INDEX: &str = include_str!("../../../www/console/index.html");
const SCRIPT: &str = include_str!("../../../www/console/console.js");
const STYLE: &str = include_str!("../../../www/console/console.css");

/// The page holds an agent key: no inline code, no third-party anything, no framing, and no form that could
/// submit the key anywhere if the script failed to load. `img-src blob:`: attachments are fetched with the key
/// and shown from blob URLs of what was fetched (an `<img src>` cannot carry the key).
const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(redirect))
        .route("/console/", get(page))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
}

#[utoipa::path(
    get,
    path = "/console",
    tag = "console",
    summary = "To the console's page",
    responses((status = 308, description = "To `/console/`"))
)]
async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

#[utoipa::path(
    get,
    path = "/console/",
    tag = "console",
    summary = "The agent console",
    responses((status = 200, description = "The console's page", content_type = "text/html", body = String))
)]
async fn page() -> Response {
    file("text/html; charset=utf-8", INDEX)
}

#[utoipa::path(
    get,
    path = "/console/console.js",
    tag = "console",
    summary = "The console's script",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String))
)]
async fn script() -> Response {
    file("text/javascript; charset=utf-8", SCRIPT)
}

#[utoipa::path(
    get,
    path = "/console/console.css",
    tag = "console",
    summary = "The console's style sheet",
    responses((status = 200, description = "The style sheet", content_type = "text/css", body = String))
)]
async fn style() -> Response {
    file("text/css; charset=utf-8", STYLE)
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Revalidate each time: after an upgrade, a cached old script would talk to the new API.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
