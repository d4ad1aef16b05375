//! The customer producers: `POST /v1/customers/bulk/async` (CUSTOMERS.BULK_UPDATE) and
//! `POST /v1/customers/metadata/async` (CUSTOMERS.METADATA_UPDATE). Both validate the whole
//! body first (a bad body changes nothing), store the action, and answer 202 at once.

use axum::{Extension, extract::State};
use cv_domain::ActionKind;

use super::{Accepted, enqueue};
use crate::{ApiError, AppState, auth::Project, extract::JsonBody, wire::customer};

/// CUSTOMERS.BULK_UPDATE.
pub async fn bulk_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = customer::bulk_update(&body)?;
    let total = payload.customers.len() as u64;
    enqueue(
        &state,
        &project.0,
        ActionKind::CustomersBulkUpdate,
        &payload,
        total,
    )
    .await
}

/// CUSTOMERS.METADATA_UPDATE.
pub async fn metadata_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = customer::metadata_update(&body)?;
    let total = payload.source_ids.len() as u64;
    enqueue(
        &state,
        &project.0,
        ActionKind::CustomersMetadataUpdate,
        &payload,
        total,
    )
    .await
}
