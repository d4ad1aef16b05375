//! The customer producers: `POST /v1/customers/bulk/async` (CUSTOMERS.BULK_UPDATE),
//! `POST /v1/customers/metadata/async` (CUSTOMERS.METADATA_UPDATE) and
//! `POST /v1/customers/importCSV` (CUSTOMERS.IMPORT_CSV). Each validates the whole body first
//! (a bad body changes nothing), stores the action, and answers 202 at once.

use axum::{
    Extension,
    extract::{Multipart, State, multipart::MultipartRejection},
};
use cv_domain::{ActionId, ActionKind, payload::CustomersImportCsv};

use super::{Accepted, enqueue, enqueue_as};
use crate::{ApiError, AppState, auth::Project, extract::JsonBody, upload, wire::customer};

/// CUSTOMERS.BULK_UPDATE.
pub async fn bulk_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = customer::bulk_update(&body)?;
    let total = payload.customers.len() as u64;
    enqueue(&state, &project.0, ActionKind::CustomersBulkUpdate, &payload, total).await
}

/// CUSTOMERS.METADATA_UPDATE.
pub async fn metadata_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = customer::metadata_update(&body)?;
    let total = payload.source_ids.len() as u64;
    enqueue(&state, &project.0, ActionKind::CustomersMetadataUpdate, &payload, total).await
}

/// CUSTOMERS.IMPORT_CSV: multipart field `file`.
pub async fn import_csv(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Accepted, ApiError> {
    let multipart = multipart.map_err(|_| {
        ApiError::InvalidPayload("Payload should have required property 'file'".to_owned())
    })?;
    let id = ActionId::generate();
    let upload = upload::store_csv(&state, &id, multipart).await?;
    let payload = CustomersImportCsv { upload };
    enqueue_as(&state, &project.0, id, ActionKind::CustomersImportCsv, &payload, upload.rows).await
}
