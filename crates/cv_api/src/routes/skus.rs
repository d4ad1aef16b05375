//! SKUs by themselves: `GET /v1/skus/{id or source_id}`. (They are created under their
//! product, in `routes::products`, or by `SKUS.IMPORT_CSV`.)

use axum::{
    Extension, Json,
    extract::{Path, State},
};

use crate::{
    ApiError, AppState,
    auth::Project,
    wire::{product::SkuResponse, schema},
};

/// `GET /v1/skus/{id or source_id}`.
#[utoipa::path(
    get,
    path = "/v1/skus/{id}",
    tag = "skus",
    operation_id = "get_sku",
    params(("id" = String, Path, description = "The SKU's id or source_id.")),
    responses(
        (status = 200, description = "The SKU.", body = SkuResponse),
        (status = 404, description = "No such SKU in the project.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<SkuResponse>, ApiError> {
    let sku = state
        .store
        .get_sku(&project.0, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound { resource_type: "sku", resource_id: id })?;
    Ok(Json(sku.into()))
}
