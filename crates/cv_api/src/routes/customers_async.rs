//! The customer producers: `POST /v1/customers/bulk/async` (CUSTOMERS.BULK_UPDATE),
//! `POST /v1/customers/metadata/async` (CUSTOMERS.METADATA_UPDATE) and
//! `POST /v1/customers/importCSV` (CUSTOMERS.IMPORT_CSV). Each validates the whole body first
//! (a bad body changes nothing), stores the action, and answers 202 at once.

use axum::{
    Extension,
    extract::{Multipart, State, multipart::MultipartRejection},
};
use cv_domain::{ActionId, payload::CustomersImportCsv};

use super::{Accepted, enqueue, enqueue_as};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::JsonBody,
    upload,
    wire::{action::AsyncActionCreated, customer, schema},
};

/// CUSTOMERS.BULK_UPDATE.
#[utoipa::path(
    post,
    path = "/v1/customers/bulk/async",
    tag = "customers",
    operation_id = "bulk_update_customers",
    request_body = Vec<schema::CustomerBulkItem>,
    responses(
        (status = 202, description = "CUSTOMERS.BULK_UPDATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn bulk_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = customer::bulk_update(&body)?;
    let total = payload.customers.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// CUSTOMERS.METADATA_UPDATE.
#[utoipa::path(
    post,
    path = "/v1/customers/metadata/async",
    tag = "customers",
    operation_id = "update_customers_metadata",
    request_body = schema::SourceIdsMetadataUpdate,
    responses(
        (status = 202, description = "CUSTOMERS.METADATA_UPDATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn metadata_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = customer::metadata_update(&body)?;
    let total = payload.source_ids.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// CUSTOMERS.IMPORT_CSV: multipart field `file`.
#[utoipa::path(
    post,
    path = "/v1/customers/importCSV",
    tag = "customers",
    operation_id = "import_customers_csv",
    request_body(content = schema::CsvUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "CUSTOMERS.IMPORT_CSV was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "No `file` field, or a file that is empty, not text, or over the row limit (`invalid_payload`).", body = schema::ErrorBody),
        (status = 429, description = "Too many uploads at once (`too_many_uploads`), or over the rate limit.", body = schema::ErrorBody),
    )
)]
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
    enqueue_as(&state, &project.0, id, &payload, upload.rows).await
}
