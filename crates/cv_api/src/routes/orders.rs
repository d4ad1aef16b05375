//! Orders: `POST /v1/orders/import` (ORDERS.IMPORT, 200), `GET /v1/orders/{id or
//! source_id}` and `GET /v1/orders`. The import validates the whole body first (a refused
//! request changes nothing), stores the action, and answers at once with its id; the engine
//! runs a project's imports one at a time.

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::{Accepted, enqueue};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{
        action::AsyncActionCreated,
        order::{self, OrderList, OrderResponse},
        schema,
    },
};

/// ORDERS.IMPORT: a JSON array of 1 to `orders_import_limit` orders; answers 200
/// (Voucherify's code for it).
#[utoipa::path(
    post,
    path = "/v1/orders/import",
    tag = "orders",
    operation_id = "import_orders",
    request_body = Vec<schema::OrderImportItem>,
    responses(
        (status = 200, description = "ORDERS.IMPORT was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body, or not 1 to `orders_import_limit` orders (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = order::import(&body, state.config.orders_import_limit)?;
    let total = payload.orders.len() as u64;
    let (_, created) = enqueue(&state, &project.0, &payload, total).await?;
    Ok((StatusCode::OK, created))
}

/// `GET /v1/orders/{id or source_id}`.
#[utoipa::path(
    get,
    path = "/v1/orders/{id}",
    tag = "orders",
    operation_id = "get_order",
    params(("id" = String, Path, description = "The order's id or source_id.")),
    responses(
        (status = 200, description = "The order.", body = OrderResponse),
        (status = 404, description = "No such order in the project.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<OrderResponse>, ApiError> {
    let found = state
        .store
        .get_order(&project.0, &id)
        .await?
        .ok_or(ApiError::NotFound { resource_type: "order", resource_id: id })?;
    Ok(Json(found.into()))
}

/// `GET /v1/orders`: `limit` 1..100 (default 10), `page` 1..100, newest first.
#[utoipa::path(
    get,
    path = "/v1/orders",
    tag = "orders",
    operation_id = "list_orders",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The project's orders, newest first by `created_at`.", body = OrderList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Json<OrderList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 100, 1)?;
    Ok(Json(state.store.list_orders(&project.0, limit, page).await?.into()))
}
