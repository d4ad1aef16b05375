//! Completion webhooks (Conveyor's own, Decision 11): a project's endpoints
//! (`/v1/webhooks`) and the deliveries of each with their attempts
//! (`/v1/webhooks/{id}/deliveries`). Sending is not done here but by the delivery loop
//! (`cv_webhooks`), from the outbox that the end of every action fills.

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use cv_domain::{WebhookEndpoint, WebhookId, ids::random_secret};

use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{
        schema,
        webhook::{self, DeliveryList, WebhookList, WebhookResponse},
    },
};

/// Length of a generated signing secret (alphanumerics: about 357 bits).
const SECRET_LEN: usize = 60;

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound { resource_type: "webhook", resource_id: id.to_owned() }
}

/// `id` as a webhook id; a malformed one is as unknown as a missing one.
fn parse_id(id: &str) -> Result<WebhookId, ApiError> {
    if WebhookId::is_well_formed(id) { Ok(WebhookId::from_string(id)) } else { Err(not_found(id)) }
}

async fn find(state: &AppState, project: &Project, id: &str) -> Result<WebhookEndpoint, ApiError> {
    state.store.get_webhook(&project.0, &parse_id(id)?).await?.ok_or_else(|| not_found(id))
}

/// `POST /v1/webhooks` with `{"target_url", "events"?}`: 201 with the endpoint and, this once,
/// its signing `secret`.
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body = schema::WebhookBody,
    responses(
        (status = 201, description = "The endpoint, with its signing `secret` (shown this once).", body = WebhookResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<WebhookResponse>), ApiError> {
    let new = webhook::create(&body)?;
    let endpoint = WebhookEndpoint {
        id: WebhookId::generate(),
        project_id: project.0,
        target_url: new.target_url,
        events: new.events,
        secret: random_secret(SECRET_LEN),
        created_at: state.now(),
    };
    state.store.create_webhook(&endpoint).await?;
    Ok((StatusCode::CREATED, Json(WebhookResponse::created(&endpoint))))
}

/// `GET /v1/webhooks`: the project's endpoints, oldest first, without secrets.
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    operation_id = "list_webhooks",
    responses(
        (status = 200, description = "The project's endpoints, oldest first, without secrets.", body = WebhookList),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
) -> Result<Json<WebhookList>, ApiError> {
    Ok(Json(WebhookList::new(&state.store.list_webhooks(&project.0).await?)))
}

/// `GET /v1/webhooks/{id}`.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = String, Path, description = "The webhook's id (`wh_…`).")),
    responses(
        (status = 200, description = "The endpoint, without its secret.", body = WebhookResponse),
        (status = 404, description = "No such webhook in the project.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<WebhookResponse>, ApiError> {
    Ok(Json(WebhookResponse::new(&find(&state, &project, &id).await?)))
}

/// `DELETE /v1/webhooks/{id}`: 204. Its pending deliveries are dropped with it.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = String, Path, description = "The webhook's id (`wh_…`).")),
    responses(
        (status = 204, description = "Deleted, with its pending deliveries."),
        (status = 404, description = "No such webhook in the project.", body = schema::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_webhook(&project.0, &parse_id(&id)?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// `GET /v1/webhooks/{id}/deliveries`: the endpoint's deliveries, newest first, each with its
/// attempts (time, duration, status code, error); `limit` 1..100 (default 10), `page` 1..100.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(
        ("id" = String, Path, description = "The webhook's id (`wh_…`)."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The endpoint's deliveries, newest first, with their attempts.", body = DeliveryList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
        (status = 404, description = "No such webhook in the project.", body = schema::ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Json<DeliveryList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 100, 1)?;
    let endpoint = find(&state, &project, &id).await?;
    let page = state.store.list_deliveries(&project.0, &endpoint.id, limit, page).await?;
    Ok(Json(DeliveryList::from(&page)))
}
