//! `GET /healthz` (liveness) and `GET /readyz` (readiness): for load balancers and uptime checks.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// `ok` once the database answers a read, so a server that lost its database is taken out of rotation.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok("ok")
}

/// `ready` once the database takes a write: a read-only, locked or full database answers 503
/// `database_unavailable`, which `/healthz` (a read) would not notice.
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
