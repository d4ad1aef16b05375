//! Products and their SKUs: create (upsert by `id` or `source_id`), get, update, delete,
//! list; list a product's SKUs and add one (upsert by `source_id`).

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use cv_domain::Product;
use cv_store::StoreError;

use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{JsonBody, QueryMap},
    wire::{
        product::{self, ProductList, ProductResponse, SkuList, SkuResponse},
        schema,
        validate::JsonPath,
    },
};

/// SKUs shown inside a product object (its `skus.total` counts them all).
const SKUS_IN_PRODUCT: u32 = 100;

/// The product with this id or source_id, or 404.
pub(crate) async fn find(
    state: &AppState,
    project: &Project,
    id: &str,
) -> Result<Product, ApiError> {
    state
        .store
        .get_product(&project.0, id)
        .await?
        .ok_or_else(|| ApiError::NotFound { resource_type: "product", resource_id: id.to_owned() })
}

async fn respond(
    state: &AppState,
    project: &Project,
    product: Product,
) -> Result<Json<ProductResponse>, ApiError> {
    let skus = state.store.list_skus(&project.0, &product.id, SKUS_IN_PRODUCT, 1).await?;
    Ok(Json(ProductResponse::with_page(product, skus)))
}

/// `POST /v1/products`: creates a product, or updates the one with the given `id` or
/// `source_id`.
#[utoipa::path(
    post,
    path = "/v1/products",
    tag = "products",
    operation_id = "create_product",
    request_body = schema::ProductBody,
    responses(
        (status = 200, description = "The product, created or (same `id` or `source_id`) updated, with its SKUs.", body = ProductResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 409, description = "Another product has this `source_id` (`duplicate_found`).", body = schema::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<Json<ProductResponse>, ApiError> {
    let mut patch = product::patch(&body, &JsonPath::root(), false)?;
    let now = state.now();
    let existing = match product::id_of(&body) {
        Some(id) => state.store.get_product(&project.0, &id).await?.filter(|p| p.id.as_str() == id),
        None => None,
    };
    let saved = match existing {
        Some(found) => {
            if patch.source_id == found.source_id {
                patch.source_id = None;
            }
            let updated = state.store.update_product(&project.0, &found.id, patch, now).await;
            updated.map_err(|err| match err {
                StoreError::Conflict { .. } => {
                    ApiError::Duplicate("Another product already has this source_id".to_owned())
                }
                other => other.into(),
            })?
        }
        None => state.store.upsert_products(&project.0, vec![patch], now).await?.pop(),
    };
    let saved = saved.ok_or_else(|| anyhow::anyhow!("the product write returned no row"))?;
    respond(&state, &project, saved).await
}

/// `GET /v1/products/{id or source_id}`, with its SKUs.
#[utoipa::path(
    get,
    path = "/v1/products/{id}",
    tag = "products",
    operation_id = "get_product",
    params(("id" = String, Path, description = "The product's id or source_id.")),
    responses(
        (status = 200, description = "The product, with its SKUs.", body = ProductResponse),
        (status = 404, description = "No such product in the project.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<ProductResponse>, ApiError> {
    let found = find(&state, &project, &id).await?;
    respond(&state, &project, found).await
}

/// `PUT /v1/products/{id or source_id}`: applies the given fields; metadata merges.
#[utoipa::path(
    put,
    path = "/v1/products/{id}",
    tag = "products",
    operation_id = "update_product",
    params(("id" = String, Path, description = "The product's id or source_id.")),
    request_body = schema::ProductBody,
    responses(
        (status = 200, description = "The updated product.", body = ProductResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such product in the project.", body = schema::ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ProductResponse>, ApiError> {
    let mut patch = product::patch(&body, &JsonPath::root(), false)?;
    let existing = find(&state, &project, &id).await?;
    // The path names the product; a body source_id may not re-key it onto another one.
    patch.source_id = None;
    let updated =
        state
            .store
            .update_product(&project.0, &existing.id, patch, state.now())
            .await?
            .ok_or_else(|| ApiError::NotFound { resource_type: "product", resource_id: id })?;
    respond(&state, &project, updated).await
}

/// `DELETE /v1/products/{id or source_id}`: the product and its SKUs; 204. (`force` is
/// accepted and ignored: there is no bin, deletion is always permanent.)
#[utoipa::path(
    delete,
    path = "/v1/products/{id}",
    tag = "products",
    operation_id = "delete_product",
    params(
        ("id" = String, Path, description = "The product's id or source_id."),
        ("force" = Option<bool>, Query, description = "Accepted and ignored: deletion is always permanent."),
    ),
    responses(
        (status = 204, description = "Deleted, with its SKUs."),
        (status = 404, description = "No such product in the project.", body = schema::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let existing = find(&state, &project, &id).await?;
    state.store.delete_product(&project.0, &existing.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/products`: `limit` 1..100 (default 10), `page` 1..99, newest first.
#[utoipa::path(
    get,
    path = "/v1/products",
    tag = "products",
    operation_id = "list_products",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The project's products, newest first.", body = ProductList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Json<ProductList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 99, 1)?;
    let products = state.store.list_products(&project.0, limit, page).await?;
    Ok(Json(ProductList::new(products, limit, page)))
}

/// `GET /v1/products/{id or source_id}/skus`: `limit` 1..100 (default 10), `page`, oldest
/// first.
#[utoipa::path(
    get,
    path = "/v1/products/{id}/skus",
    tag = "products",
    operation_id = "list_product_skus",
    params(
        ("id" = String, Path, description = "The product's id or source_id."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 99, description = "Page number (default 1)."),
    ),
    responses(
        (status = 200, description = "The product's SKUs, oldest first.", body = SkuList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
        (status = 404, description = "No such product in the project.", body = schema::ErrorBody),
    )
)]
pub async fn list_skus(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    query: QueryMap,
) -> Result<Json<SkuList>, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let page = query.int("page", 1, 99, 1)?;
    let found = find(&state, &project, &id).await?;
    let skus = state.store.list_skus(&project.0, &found.id, limit, page).await?;
    Ok(Json(SkuList::new(skus, limit, page)))
}

/// `POST /v1/products/{id or source_id}/skus`: adds a SKU, or updates the product's SKU with
/// the same `source_id`. Attribute keys must be attributes of the product.
#[utoipa::path(
    post,
    path = "/v1/products/{id}/skus",
    tag = "products",
    operation_id = "create_product_sku",
    params(("id" = String, Path, description = "The product's id or source_id.")),
    request_body = schema::SkuBody,
    responses(
        (status = 200, description = "The SKU, created or (same `source_id`) updated.", body = SkuResponse),
        (status = 400, description = "A malformed body, or an attribute the product does not have (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such product in the project.", body = schema::ErrorBody),
        (status = 409, description = "The `source_id` belongs to another product's SKU (`duplicate_found`).", body = schema::ErrorBody),
    )
)]
pub async fn create_sku(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<SkuResponse>, ApiError> {
    let root = JsonPath::root();
    let patch = product::sku_patch(&body, &root)?;
    let found = find(&state, &project, &id).await?;
    if let Some(key) = patch.attributes.as_ref().and_then(|a| found.undefined_attribute(a)) {
        return Err(root
            .key("attributes")
            .key(key)
            .invalid("is not one of the product's attributes"));
    }
    match state.store.upsert_sku(&project.0, &found.id, patch, state.now()).await {
        Ok(Some(sku)) => Ok(Json(sku.into())),
        Ok(None) => Err(ApiError::NotFound { resource_type: "product", resource_id: id }),
        Err(StoreError::Conflict { constraint }) => Err(ApiError::Duplicate(constraint)),
        Err(other) => Err(other.into()),
    }
}
