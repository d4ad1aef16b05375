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
    wire::voucher::{VoucherList, VoucherResponse},
};

/// `GET /v1/vouchers/{code}`.
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
