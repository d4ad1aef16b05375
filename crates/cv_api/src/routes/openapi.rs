//! `GET /openapi.json`: the OpenAPI document of this API, generated from the code
//! (`crate::openapi`). It needs no credentials.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

/// The document, as JSON.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object),
    )
)]
pub async fn document() -> Response {
    let json = HeaderValue::from_static("application/json");
    ([(header::CONTENT_TYPE, json)], crate::openapi::json()).into_response()
}
