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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct AddBody {
    url: Option<String>,
    events: Option<Vec<String>>,
}

#[utoipa::path(
    post,
    path = "/api/admin/webhooks",
    tag = "admin",
    summary = "Register a webhook endpoint: its id and its signing secret (shown only in this answer)",
    request_body = AddBody,
    responses(
        (status = 201, description = "`{ \"endpoint\": Endpoint, \"secret\": \"whsec_…\" }`"),
        (status = 409, description = "`too_many_webhooks`", body = frontdesk_protocol::wire::ErrorEnvelope),
    )
)]
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

#[utoipa::path(
    get,
    path = "/api/admin/webhooks",
    tag = "admin",
    summary = "The org's webhook endpoints (never their secrets)",
    responses((status = 200, description = "`{ \"endpoints\": [Endpoint…] }`"))
)]
async fn list_endpoints(
    State(state): State<AppState>,
    ServerKey(org_id): ServerKey,
) -> Result<axum::Json<EndpointList>, ApiError> {
    Ok(axum::Json(
        webhooks::list_endpoints(&state.db, org_id).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/admin/webhooks/{id}",
    tag = "admin",
    summary = "Remove an endpoint (its pending deliveries are dropped)",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`webhook_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope),
    )
)]
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
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    endpoint: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/admin/webhooks/deliveries",
    tag = "admin",
    summary = "The latest deliveries, newest first, each with its attempts",
    params(DeliveriesQuery),
    responses((status = 200, description = "`{ \"deliveries\": [Delivery…] }`"))
)]
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

#[utoipa::path(
    post,
    path = "/api/admin/webhooks/deliveries/{id}/replay",
    tag = "admin",
    summary = "Queue a delivery again (the same body and event id)",
    params(("id" = String, Path, description = "The delivery's id")),
    responses(
        (status = 202, description = "`{ \"delivery\": Delivery }`, due now"),
        (status = 404, description = "`webhook_delivery_not_found`", body = frontdesk_protocol::wire::ErrorEnvelope),
    )
)]
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
