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
use cv_domain::{ActionId, ActionKind, payload::VouchersImportCsv};

use super::{Accepted, enqueue, enqueue_as};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::JsonBody,
    upload,
    wire::{voucher, voucher_import},
};

/// VOUCHERS.BULK_UPDATE. An empty body is an empty array.
pub async fn bulk_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = voucher::bulk_update(&body)?;
    let total = payload.vouchers.len() as u64;
    enqueue(&state, &project.0, ActionKind::VouchersBulkUpdate, &payload, total).await
}

/// VOUCHERS.METADATA_UPDATE.
pub async fn metadata_update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let payload = voucher::metadata_update(&body)?;
    let total = payload.codes.len() as u64;
    enqueue(&state, &project.0, ActionKind::VouchersMetadataUpdate, &payload, total).await
}

/// VOUCHERS.IMPORT. Codes repeated in the body, or that exist already, refuse the request
/// (400 `duplicate_key`).
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
    enqueue(&state, &project.0, ActionKind::VouchersImport, &payload, total).await
}

/// VOUCHERS.IMPORT_CSV: multipart field `file`; the optional form field `webhooks_enable` is
/// accepted and ignored (this server sends no voucher webhooks).
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
    enqueue_as(&state, &project.0, id, ActionKind::VouchersImportCsv, &payload, upload.rows).await
}
