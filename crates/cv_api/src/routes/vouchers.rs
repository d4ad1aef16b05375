//! Voucher reads: `GET /v1/vouchers/{code}` (by code, or else by id) and `GET /v1/vouchers`
//! (`campaign_id`, `limit` 1..100 default 10, `page`; newest first).

use axum::{
    Extension, Json,
    extract::{Path, State},
};

use crate::{
    ApiError, AppState,
    auth::Project,
    extract::QueryMap,
    wire::{
        schema,
        voucher::{VoucherList, VoucherResponse},
    },
};

/// `GET /v1/vouchers/{code}`.
#[utoipa::path(
    get,
    path = "/v1/vouchers/{code}",
    tag = "vouchers",
    operation_id = "get_voucher",
    params(("code" = String, Path, description = "The voucher's code, or else its id.")),
    responses(
        (status = 200, description = "The voucher.", body = VoucherResponse),
        (status = 404, description = "No such voucher in the project.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(code): Path<String>,
) -> Result<Json<VoucherResponse>, ApiError> {
    let voucher = state
        .store
        .get_voucher(&project.0, &code)
        .await?
        .ok_or(ApiError::NotFound { resource_type: "voucher", resource_id: code })?;
    Ok(Json(voucher.into()))
}

/// `GET /v1/vouchers`.
#[utoipa::path(
    get,
    path = "/v1/vouchers",
    tag = "vouchers",
    operation_id = "list_vouchers",
    params(
        ("campaign_id" = Option<String>, Query, description = "Only the vouchers of this campaign."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The project's vouchers, newest first.", body = VoucherList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Json<VoucherList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 99, 1)?;
    let campaign = query.0.get("campaign_id").map(String::as_str).filter(|c| !c.is_empty());
    let vouchers = state.store.list_vouchers(&project.0, campaign, limit, page).await?;
    Ok(Json(vouchers.into()))
}
