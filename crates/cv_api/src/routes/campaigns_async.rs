//! The campaign import producers: `POST /v1/campaigns/{id}/import`
//! (CAMPAIGN.VOUCHERS_IMPORT, 202) and `POST /v1/campaigns/{id}/importCSV`
//! (CAMPAIGN.VOUCHERS_IMPORT_CSV, 200). The campaign is found by id or name (404
//! `not_found`, resource type `campaign`); each validates the whole body first (a refused
//! request changes nothing), stores the action, and answers at once with its id.

use axum::{
    Extension,
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::StatusCode,
};
use cv_domain::{ActionId, payload::CampaignVouchersImportCsv};

use super::{Accepted, campaigns::find, enqueue, enqueue_as};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::JsonBody,
    upload,
    wire::{action::AsyncActionCreated, campaign_voucher_import, schema},
};

/// How many vouchers one campaign may hold.
const MAX_CAMPAIGN_VOUCHERS: u64 = 100_000;

/// CAMPAIGN.VOUCHERS_IMPORT. Codes repeated in the body, or that exist already, refuse the
/// request (400 `duplicate_key`), as does a campaign that would exceed 100,000 codes (400
/// `invalid_payload`).
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/import",
    tag = "campaigns",
    operation_id = "import_campaign_vouchers",
    params(("id" = String, Path, description = "The campaign's id or name.")),
    request_body = Vec<schema::CampaignVoucherImportItem>,
    responses(
        (status = 202, description = "CAMPAIGN.VOUCHERS_IMPORT was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`), a voucher without code (`invalid_voucher`), or codes repeated or taken (`duplicate_key`).", body = schema::ErrorBody),
        (status = 404, description = "No such campaign.", body = schema::ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let campaign = find(&state, &project.0, &id).await?;
    let (payload, codes) = campaign_voucher_import::import(&body, &campaign)?;
    let existing = state.store.existing_voucher_codes(&project.0, &codes).await?;
    if !existing.is_empty() {
        return Err(ApiError::DuplicateKey(format!(
            "{} voucher codes(s) already exist.",
            existing.len()
        )));
    }
    let held = state.store.list_vouchers(&project.0, Some(&campaign.id), 1, 1).await?.total;
    let total = payload.vouchers.len() as u64;
    if held + total > MAX_CAMPAIGN_VOUCHERS {
        return Err(ApiError::InvalidPayload(format!(
            "A campaign can hold at most {MAX_CAMPAIGN_VOUCHERS} codes; it has {held}."
        )));
    }
    enqueue(&state, &project.0, &payload, total).await
}

/// CAMPAIGN.VOUCHERS_IMPORT_CSV: multipart field `file`; answers 200.
#[utoipa::path(
    post,
    path = "/v1/campaigns/{id}/importCSV",
    tag = "campaigns",
    operation_id = "import_campaign_vouchers_csv",
    params(("id" = String, Path, description = "The campaign's id or name.")),
    request_body(content = schema::CsvUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "CAMPAIGN.VOUCHERS_IMPORT_CSV was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "No `file` field, or a file that is empty, not text, or over the row limit (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such campaign.", body = schema::ErrorBody),
        (status = 429, description = "Too many uploads at once (`too_many_uploads`), or over the rate limit.", body = schema::ErrorBody),
    )
)]
pub async fn import_csv(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Accepted, ApiError> {
    let campaign = find(&state, &project.0, &id).await?;
    let multipart = multipart.map_err(|_| {
        ApiError::InvalidPayload("Payload should have required property 'file'".to_owned())
    })?;
    let action = ActionId::generate();
    let upload = upload::store_csv(&state, &action, multipart).await?;
    let payload = CampaignVouchersImportCsv { campaign_id: campaign.id, upload };
    let (_, body) = enqueue_as(&state, &project.0, action, &payload, upload.rows).await?;
    Ok((StatusCode::OK, body))
}
