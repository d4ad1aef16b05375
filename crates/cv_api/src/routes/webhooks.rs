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
    wire::webhook::{self, DeliveryList, WebhookList, WebhookResponse},
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
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
) -> Result<Json<WebhookList>, ApiError> {
    Ok(Json(WebhookList::new(&state.store.list_webhooks(&project.0).await?)))
}

/// `GET /v1/webhooks/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<WebhookResponse>, ApiError> {
    Ok(Json(WebhookResponse::new(&find(&state, &project, &id).await?)))
}

/// `DELETE /v1/webhooks/{id}`: 204. Its pending deliveries are dropped with it.
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
