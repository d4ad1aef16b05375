//! Metadata schemas: one per project and resource (campaign, customer, order, product,
//! voucher). Imports and bulk updates type and validate metadata through them. The purge of
//! a key from every object of a resource (`*.METADATA_KEY_PURGE`, Decision 10) lives here
//! too, under the same resource names.

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use cv_domain::{metadata_schema::MetadataResource, payload::MetadataKeyPurgeOf};

use super::{Accepted, enqueue};
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::JsonBody,
    wire::{
        action::AsyncActionCreated,
        metadata_purge,
        metadata_schema::{self, MetadataSchemaList, MetadataSchemaResponse},
        schema,
    },
};

fn resource(name: &str) -> Result<MetadataResource, ApiError> {
    name.parse().map_err(|_| not_found(name))
}

fn not_found(name: &str) -> ApiError {
    ApiError::NotFound { resource_type: "metadata_schema", resource_id: name.to_owned() }
}

/// `GET /v1/metadata-schemas`.
#[utoipa::path(
    get,
    path = "/v1/metadata-schemas",
    tag = "metadata-schemas",
    operation_id = "list_metadata_schemas",
    responses(
        (status = 200, description = "The project's metadata schemas.", body = MetadataSchemaList),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
) -> Result<Json<MetadataSchemaList>, ApiError> {
    let records = state.store.list_metadata_schemas(&project.0).await?;
    Ok(Json(MetadataSchemaList::new(records.iter().map(MetadataSchemaResponse::from).collect())))
}

/// `GET /v1/metadata-schemas/{resource}`.
#[utoipa::path(
    get,
    path = "/v1/metadata-schemas/{resource}",
    tag = "metadata-schemas",
    operation_id = "get_metadata_schema",
    params(("resource" = schema::MetadataResourcePath, Path, description = "The resource, singular or plural.")),
    responses(
        (status = 200, description = "The resource's schema.", body = MetadataSchemaResponse),
        (status = 404, description = "The resource has no schema, or is no resource.", body = schema::ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(name): Path<String>,
) -> Result<Json<MetadataSchemaResponse>, ApiError> {
    let record = state.store.get_metadata_schema(&project.0, resource(&name)?).await?;
    Ok(Json(MetadataSchemaResponse::from(&record.ok_or_else(|| not_found(&name))?)))
}

/// `POST /v1/metadata-schemas`: creates the schema of `related_object`; 409 if it exists.
#[utoipa::path(
    post,
    path = "/v1/metadata-schemas",
    tag = "metadata-schemas",
    operation_id = "create_metadata_schema",
    request_body = schema::MetadataSchemaCreateBody,
    responses(
        (status = 201, description = "The new schema.", body = MetadataSchemaResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 409, description = "The resource has a schema already (`duplicate_found`).", body = schema::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<MetadataSchemaResponse>), ApiError> {
    let resource = metadata_schema::related_object(&body)?;
    let schema = metadata_schema::parse_schema(&body, resource)?;
    if state.store.get_metadata_schema(&project.0, resource).await?.is_some() {
        return Err(ApiError::Duplicate(format!(
            "A metadata schema for {} exists already; update it with PUT /v1/metadata-schemas/{}",
            resource.as_str(),
            resource.as_str()
        )));
    }
    let record = state.store.put_metadata_schema(&project.0, &schema, state.now()).await?;
    Ok((StatusCode::CREATED, Json(MetadataSchemaResponse::from(&record))))
}

/// `PUT /v1/metadata-schemas/{resource}`: creates or replaces the schema.
#[utoipa::path(
    put,
    path = "/v1/metadata-schemas/{resource}",
    tag = "metadata-schemas",
    operation_id = "put_metadata_schema",
    params(("resource" = schema::MetadataResourcePath, Path, description = "The resource, singular or plural.")),
    request_body = schema::MetadataSchemaBody,
    responses(
        (status = 200, description = "The schema, created or replaced.", body = MetadataSchemaResponse),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such resource.", body = schema::ErrorBody),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<MetadataSchemaResponse>, ApiError> {
    let schema = metadata_schema::parse_schema(&body, resource(&name)?)?;
    let record = state.store.put_metadata_schema(&project.0, &schema, state.now()).await?;
    Ok(Json(MetadataSchemaResponse::from(&record)))
}

/// `DELETE /v1/metadata-schemas/{resource}`: 204.
#[utoipa::path(
    delete,
    path = "/v1/metadata-schemas/{resource}",
    tag = "metadata-schemas",
    operation_id = "delete_metadata_schema",
    params(("resource" = schema::MetadataResourcePath, Path, description = "The resource, singular or plural.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "The resource has no schema, or is no resource.", body = schema::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_metadata_schema(&project.0, resource(&name)?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&name))
    }
}

/// `POST /v1/metadata-schemas/{resource}/purge` with `{"key": "…"}`: enqueues the resource's
/// `*.METADATA_KEY_PURGE`, which removes the key from every object of it; 202. The total is
/// counted when the action runs, not here.
#[utoipa::path(
    post,
    path = "/v1/metadata-schemas/{resource}/purge",
    tag = "metadata-schemas",
    operation_id = "purge_metadata_key",
    params(("resource" = schema::MetadataResourcePath, Path, description = "The resource, singular or plural.")),
    request_body = schema::PurgeBody,
    responses(
        (status = 202, description = "The resource's *.METADATA_KEY_PURGE was enqueued.", body = AsyncActionCreated),
        (status = 400, description = "A malformed body (`invalid_payload`).", body = schema::ErrorBody),
        (status = 404, description = "No such resource.", body = schema::ErrorBody),
    )
)]
pub async fn purge(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Accepted, ApiError> {
    let resource = resource(&name)?;
    let payload = MetadataKeyPurgeOf { resource, payload: metadata_purge::purge(&body)? };
    enqueue(&state, &project.0, &payload, 0).await
}
