//! The product producers: `POST /v1/products/bulk/async` (PRODUCTS.BULK_UPDATE, 202),
//! `POST /v1/products/metadata/async` (PRODUCTS.METADATA_UPDATE, 202),
//! `POST /v1/products/importCSV` (PRODUCTS.IMPORT_CSV, 200) and `POST /v1/skus/importCSV`
//! (SKUS.IMPORT_CSV, 200). Each validates the whole body or stores the whole upload first (a
//! refused request changes nothing), stores the action, and answers at once with its id.

use axum::{
    Extension,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::StatusCode,
};
use cv_domain::{
    ActionId,
    payload::{ProductsImportCsv, SkusImportCsv},
};

use super::{Accepted, enqueue, enqueue_as};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::JsonBody,
    upload,
    wire::{action::AsyncActionCreated, product, schema},
};

/// PRODUCTS.BULK_UPDATE. An empty body is an empty array.
#[utoipa::path(
    post,
    path = "/v1/products/bulk/async",
    tag = "products",
    operation_id = "bulk_update_products",
    request_body = Vec<schema::ProductBulkItem>,
    responses(
        (status = 202, description = "PRODUCTS.BULK_UPDATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn bulk_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = product::bulk_update(&body)?;
    let total = payload.products.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// PRODUCTS.METADATA_UPDATE.
#[utoipa::path(
    post,
    path = "/v1/products/metadata/async",
    tag = "products",
    operation_id = "update_products_metadata",
    request_body = schema::SourceIdsMetadataUpdate,
    responses(
        (status = 202, description = "PRODUCTS.METADATA_UPDATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn metadata_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = product::metadata_update(&body)?;
    let total = payload.source_ids.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// Stores the multipart field `file` under a new action id.
async fn receive(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(ActionId, cv_domain::payload::Upload), ApiError> {
    let multipart = multipart.map_err(|_| {
        ApiError::InvalidPayload("Payload should have required property 'file'".to_owned())
    })?;
    let id = ActionId::generate();
    let upload = upload::store_csv(state, &id, multipart).await?;
    Ok((id, upload))
}

/// PRODUCTS.IMPORT_CSV: multipart field `file`; answers 200 (Voucherify's code for it).
#[utoipa::path(
    post,
    path = "/v1/products/importCSV",
    tag = "products",
    operation_id = "import_products_csv",
    request_body(content = schema::CsvUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "PRODUCTS.IMPORT_CSV was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "No `file` field, or a file that is empty, not text, or over the row limit (`invalid_payload`).", body = schema::ErrorBody),
        (status = 429, description = "Too many uploads at once (`too_many_uploads`), or over the rate limit.", body = schema::ErrorBody),
    )
)]
pub async fn import_csv(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Accepted, ApiError> {
    let (id, upload) = receive(&state, multipart).await?;
    let payload = ProductsImportCsv { upload };
    let (_, body) = enqueue_as(&state, &project.0, id, &payload, upload.rows).await?;
    Ok((StatusCode::OK, body))
}

/// SKUS.IMPORT_CSV: multipart field `file`; answers 200 (Voucherify's code for it).
#[utoipa::path(
    post,
    path = "/v1/skus/importCSV",
    tag = "skus",
    operation_id = "import_skus_csv",
    request_body(content = schema::CsvUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "SKUS.IMPORT_CSV was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "No `file` field, or a file that is empty, not text, or over the row limit (`invalid_payload`).", body = schema::ErrorBody),
        (status = 429, description = "Too many uploads at once (`too_many_uploads`), or over the rate limit.", body = schema::ErrorBody),
    )
)]
pub async fn import_skus_csv(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Accepted, ApiError> {
    let (id, upload) = receive(&state, multipart).await?;
    let payload = SkusImportCsv { upload };
    let (_, body) = enqueue_as(&state, &project.0, id, &payload, upload.rows).await?;
    Ok((StatusCode::OK, body))
}
