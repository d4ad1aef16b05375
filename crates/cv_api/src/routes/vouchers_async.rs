//! The standalone-voucher producers: `POST /v1/vouchers/import` (VOUCHERS.IMPORT, 202),
//! `POST /v1/vouchers/importCSV` (VOUCHERS.IMPORT_CSV, 202),
//! `POST /v1/vouchers/bulk/async` (VOUCHERS.BULK_UPDATE,
//! 202) and `POST /v1/vouchers/metadata/async` (VOUCHERS.METADATA_UPDATE, 202). Each
//! validates the whole body first (a refused request changes nothing), stores the action,
//! and answers at once with its id.

use axum::{
    Extension,
    extract::{Multipart, State, multipart::MultipartRejection},
};
use cv_domain::{ActionId, payload::VouchersImportCsv};

use super::{Accepted, enqueue, enqueue_as};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::JsonBody,
    upload,
    wire::{action::AsyncActionCreated, schema, voucher, voucher_import},
};

/// VOUCHERS.BULK_UPDATE. An empty body is an empty array.
#[utoipa::path(
    post,
    path = "/v1/vouchers/bulk/async",
    tag = "vouchers",
    operation_id = "bulk_update_vouchers",
    request_body = Vec<schema::VoucherBulkItem>,
    responses(
        (status = 202, description = "VOUCHERS.BULK_UPDATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn bulk_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = voucher::bulk_update(&body)?;
    let total = payload.vouchers.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// VOUCHERS.METADATA_UPDATE.
#[utoipa::path(
    post,
    path = "/v1/vouchers/metadata/async",
    tag = "vouchers",
    operation_id = "update_vouchers_metadata",
    request_body = schema::CodesMetadataUpdate,
    responses(
        (status = 202, description = "VOUCHERS.METADATA_UPDATE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
    )
)]
pub async fn metadata_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = voucher::metadata_update(&body)?;
    let total = payload.codes.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// VOUCHERS.IMPORT. Codes repeated in the body, or that exist already, refuse the request
/// (400 `duplicate_key`).
#[utoipa::path(
    post,
    path = "/v1/vouchers/import",
    tag = "vouchers",
    operation_id = "import_vouchers",
    request_body = Vec<schema::VoucherImportItem>,
    responses(
        (status = 202, description = "VOUCHERS.IMPORT was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`), a voucher without code (`invalid_voucher`), or codes repeated or taken (`duplicate_key`).", body = schema::ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let (payload, codes) = voucher_import::import(&body)?;
    let existing = state.store.existing_voucher_codes(&project.0, &codes).await?;
    if !existing.is_empty() {
        return Err(ApiError::DuplicateKey(format!(
            "{} voucher codes(s) already exist.",
            existing.len()
        )));
    }
    let total = payload.vouchers.len() as u64;
    enqueue(&state, &project.0, &payload, total).await
}

/// VOUCHERS.IMPORT_CSV: multipart field `file`; the optional form field `webhooks_enable` is
/// accepted and ignored (this server sends no voucher webhooks).
#[utoipa::path(
    post,
    path = "/v1/vouchers/importCSV",
    tag = "vouchers",
    operation_id = "import_vouchers_csv",
    request_body(content = schema::VoucherCsvUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "VOUCHERS.IMPORT_CSV was enqueued.", body = AsyncActionCreated),
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
    let payload = VouchersImportCsv { upload };
    enqueue_as(&state, &project.0, id, &payload, upload.rows).await
}
