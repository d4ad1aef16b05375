//! Customers: create (upsert by `source_id`), get, update, delete, list.

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use cv_domain::Customer;

use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{
        customer::{self, CustomerList, CustomerResponse},
        schema,
        validate::JsonPath,
    },
};

async fn find(state: &AppState, project: &Project, id: &str) -> Result<Customer, ApiError> {
    state
        .store
        .get_customer(&project.0, id)
        .await?
        .ok_or_else(|| ApiError::NotFound { resource_type: "customer", resource_id: id.to_owned() })
}

/// `POST /v1/customers`: creates a customer, or updates the one with the same `source_id`.
#[utoipa::path(
    post,
    path = "/v1/customers",
    tag = "customers",
    operation_id = "create_customer",
    request_body = schema::CustomerBody,
    responses(
        (status = 200, description = "The customer, created or (same `source_id`) updated.", body = CustomerResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Json<CustomerResponse>, ApiError> {
    let patch = customer::patch(&body, &JsonPath::root(), false)?;
    let mut rows = state.store.upsert_customers(&project.0, vec![patch], state.now()).await?;
    let created = rows.pop().ok_or_else(|| anyhow::anyhow!("upsert returned no row"))?;
    Ok(Json(created.into()))
}

/// `GET /v1/customers/{id or source_id}`.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}",
    tag = "customers",
    operation_id = "get_customer",
    params(("id" = String, Path, description = "The customer's id or source_id.")),
    responses(
        (status = 200, description = "The customer.", body = CustomerResponse),
        (status = 404, description = "No such customer in the project.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<CustomerResponse>, ApiError> {
    Ok(Json(find(&state, &project, &id).await?.into()))
}

/// `PUT /v1/customers/{id or source_id}`: applies the given fields; metadata merges.
#[utoipa::path(
    put,
    path = "/v1/customers/{id}",
    tag = "customers",
    operation_id = "update_customer",
    params(("id" = String, Path, description = "The customer's id or source_id.")),
    request_body = schema::CustomerBody,
    responses(
        (status = 200, description = "The updated customer.", body = CustomerResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such customer in the project.", body = schema::ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<CustomerResponse>, ApiError> {
    let mut patch = customer::patch(&body, &JsonPath::root(), false)?;
    let existing = find(&state, &project, &id).await?;
    // The path names the customer; a body source_id may not re-key it onto another one.
    patch.source_id = None;
    let updated = state
        .store
        .update_customer(&project.0, &existing.id, patch, state.now())
        .await?
        .ok_or_else(|| ApiError::NotFound { resource_type: "customer", resource_id: id })?;
    Ok(Json(updated.into()))
}

/// `DELETE /v1/customers/{id or source_id}`: 204.
#[utoipa::path(
    delete,
    path = "/v1/customers/{id}",
    tag = "customers",
    operation_id = "delete_customer",
    params(("id" = String, Path, description = "The customer's id or source_id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "No such customer in the project.", body = schema::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let existing = find(&state, &project, &id).await?;
    state.store.delete_customer(&project.0, &existing.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/customers`: `limit` 1..100 (default 10), `page` 1..99, newest first.
#[utoipa::path(
    get,
    path = "/v1/customers",
    tag = "customers",
    operation_id = "list_customers",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The project's customers, newest first.", body = CustomerList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Json<CustomerList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 99, 1)?;
    let customers = state.store.list_customers(&project.0, limit, page).await?;
    Ok(Json(CustomerList::new(customers, limit, page)))
}
