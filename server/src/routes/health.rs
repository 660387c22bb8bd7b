//! Operations: `GET /healthz` (liveness), `GET /readyz` (readiness), `GET /metrics` (Prometheus) and
//! `GET /openapi.json` (this API's description).

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use frontdesk_protocol::wire::ErrorEnvelope;

use crate::error::ApiError;
use crate::startup::{AppState, MetricsAccess};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi_json))
        .route("/metrics", get(metrics))
}

/// `/metrics` alone, for the listener of `serve --metrics-addr`.
pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics_off_public))
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness: the database answers a read",
    responses((status = 200, description = "`ok`", content_type = "text/plain", body = String))
)]
/// `ok` once the database answers a read, so a server that lost its database is taken out of rotation.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok("ok")
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: the database takes a write",
    responses((status = 200, description = "`ready`", content_type = "text/plain", body = String))
)]
/// `ready` once the database takes a write: a read-only, locked, full or unreachable database answers 503
/// `database_unavailable`, which `/healthz` (a read) would not notice for all of them.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    sqlx::query(
        "INSERT INTO readiness (slot, checked_at) VALUES (1, $1)
         ON CONFLICT (slot) DO UPDATE SET checked_at = excluded.checked_at",
    )
    .bind(now)
    .execute(&state.db)
    .await
    .map_err(|e| match ApiError::from(e) {
        // Whatever stops the write, the server is not ready.
        ApiError::Database(e) => ApiError::DatabaseUnavailable(e),
        other => other,
    })?;
    Ok("ready")
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document of every route", body = Object))
)]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document_json(),
    )
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics (on the public listener only with `serve --metrics-token`)",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "The Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, description = "`invalid_api_key`: not `Authorization: Bearer <the --metrics-token>`", body = ErrorEnvelope),
        (status = 404, description = "`not_found`: no `--metrics-token`, so not served on this listener", body = ErrorEnvelope),
    )
)]
/// On the public listener: only with `--metrics-token`, and only to its bearer.
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    match &state.config.metrics {
        MetricsAccess::Token { digest } => {
            check_metrics_token(digest, &headers)?;
            Ok(prometheus_text(&state))
        }
        MetricsAccess::Listener { .. } | MetricsAccess::Off => Err(ApiError::NotFound),
    }
}

/// On the `--metrics-addr` listener: to anyone who reaches it, or only to the token's bearer when one is set.
async fn metrics_off_public(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let MetricsAccess::Listener {
        token_digest: Some(digest),
        ..
    } = &state.config.metrics
    {
        check_metrics_token(digest, &headers)?;
    }
    Ok(prometheus_text(&state))
}

fn check_metrics_token(digest: &[u8], headers: &HeaderMap) -> Result<(), ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if crate::auth::metrics_token_matches(digest, authorization) {
        Ok(())
    } else {
        Err(ApiError::InvalidMetricsToken)
    }
}

fn prometheus_text(state: &AppState) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::render(state),
    )
}
