//! `GET /healthz`: for load balancers and uptime checks.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// `ok` once the database answers, so a server that lost its database is taken out of rotation.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok("ok")
}
