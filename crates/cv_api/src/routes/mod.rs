//! Route handlers, one module per resource. Each handler extracts, calls the store, and
//! converts to a wire shape.

pub mod async_action_events;
pub mod async_actions;
pub mod campaign_changes;
pub mod campaigns;
pub mod campaigns_async;
pub mod customers;
pub mod customers_async;
pub mod dashboard;
pub mod health;
pub mod metadata_schemas;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod orders;
pub mod products;
pub mod products_async;
pub mod skus;
pub mod vouchers;
pub mod vouchers_async;
pub mod webhooks;

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
};
use cv_domain::{ActionId, ProjectId, payload::Payload};
use cv_store::NewAction;

use crate::{ApiError, AppState, request_id, wire::action::AsyncActionCreated};

/// A producer's reply: 202 with `{"async_action_id": "aa_…"}`.
pub type Accepted = (StatusCode, Json<AsyncActionCreated>);

/// Stores a new action with its payload (before the reply is sent) and answers 202 with its
/// id. The payload names the action's type.
pub async fn enqueue(
    state: &AppState,
    project: &ProjectId,
    payload: &impl Payload,
    total_items: u64,
) -> Result<Accepted, ApiError> {
    enqueue_as(state, project, ActionId::generate(), payload, total_items).await
}

/// [`enqueue`] with an id chosen beforehand (an upload is stored under it first).
pub async fn enqueue_as(
    state: &AppState,
    project: &ProjectId,
    id: ActionId,
    payload: &impl Payload,
    total_items: u64,
) -> Result<Accepted, ApiError> {
    let (project, request) = (project.clone(), request_id::current());
    let new = NewAction::new(id, project, request, payload, total_items, state.now())
        .map_err(anyhow::Error::from)?;
    let record = state.store.create_action(new).await?;
    let created = AsyncActionCreated { async_action_id: record.id.to_string() };
    Ok((StatusCode::ACCEPTED, Json(created)))
}

/// The base URL clients reach this server at: the configured public URL, else the `Host`.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}
