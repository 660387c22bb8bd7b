//! The admin API of webhooks (`/api/admin/webhooks…`, docs/api.md "Webhooks"), with the org's secret key: register,
//! list and remove endpoints, list deliveries with their attempts, replay one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::Deserialize;

use super::NoFields;
use crate::domain::{EventType, WebhookUrl};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::identity::ServerKey;
use crate::startup::AppState;
use crate::webhooks::{self, DeliveryEnvelope, DeliveryList, EndpointList, NewEndpoint};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/admin/webhooks",
            post(add_endpoint).get(list_endpoints),
        )
        .route("/api/admin/webhooks/{id}", delete(remove_endpoint))
        .route("/api/admin/webhooks/deliveries", get(list_deliveries))
        .route("/api/admin/webhooks/deliveries/{id}/replay", post(replay))
}

/// Every field optional at this stage so that a missing one is reported by name with our wording.
#[derive(Debug, Deserialize)]
struct AddBody {
    url: Option<String>,
    events: Option<Vec<String>>,
}

async fn add_endpoint(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
    Json(body): Json<AddBody>,
) -> Result<(StatusCode, axum::Json<NewEndpoint>), ApiError> {
    let url = body
        .url
        .ok_or_else(|| ApiError::InvalidBody("url: required".into()))?;
    let url = WebhookUrl::parse(&url, state.config.webhooks.allow_private)
        .map_err(webhooks::WebhookError::from)?;
    let events = body
        .events
        .ok_or_else(|| ApiError::InvalidBody("events: required".into()))?;
    let events = EventType::parse_list(events.iter().map(String::as_str))
        .map_err(webhooks::WebhookError::from)?;
    let added = webhooks::add_endpoint(&state.db, org_id, &url, &events).await?;
    Ok((StatusCode::CREATED, axum::Json(added)))
}

async fn list_endpoints(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
) -> Result<axum::Json<EndpointList>, ApiError> {
    Ok(axum::Json(
        webhooks::list_endpoints(&state.db, org_id).await?,
    ))
}

async fn remove_endpoint(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::WebhookNotFound)?;
    webhooks::remove_endpoint(&state.db, Some(org_id), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?endpoint=ID&limit=N` of the delivery list.
#[derive(Debug, Deserialize)]
struct DeliveriesQuery {
    endpoint: Option<i64>,
    limit: Option<i64>,
}

async fn list_deliveries(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
    Query(query): Query<DeliveriesQuery>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let limit = match query.limit {
        None => 50,
        Some(n @ 1..=webhooks::MAX_LISTED) => n,
        Some(_) => {
            return Err(ApiError::InvalidQuery(format!(
                "limit: must be between 1 and {}",
                webhooks::MAX_LISTED
            )))
        }
    };
    Ok(axum::Json(
        webhooks::deliveries(&state.db, org_id, query.endpoint, limit).await?,
    ))
}

async fn replay(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
    Path(id): Path<String>,
    Json(NoFields {}): Json<NoFields>,
) -> Result<(StatusCode, axum::Json<DeliveryEnvelope>), ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::WebhookDeliveryNotFound)?;
    let delivery = webhooks::replay(&state.db, Some(org_id), id).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(DeliveryEnvelope { delivery }),
    ))
}
