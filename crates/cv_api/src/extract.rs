//! Extractors whose rejections use Voucherify's error format.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::{StatusCode, request::Parts},
    response::IntoResponse,
};
use serde_json::Value;

use crate::{ApiError, AppState};

/// A request body parsed as JSON, whatever its `Content-Type` (clients differ). An empty body
/// is `null`. Oversized bodies answer 413; malformed JSON answers `invalid_payload`.
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.body_limit_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.into_response().status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(limit)
            } else {
                ApiError::InvalidPayload("Payload could not be read".to_owned())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Null));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::InvalidPayload(format!("Payload is not valid JSON: {e}")))
    }
}

/// Query parameters as plain strings; unknown ones are ignored by the handlers.
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(map)| QueryMap(map))
            .map_err(|_| {
                ApiError::InvalidQueryParams("Query string could not be parsed".to_owned())
            })
    }
}

impl QueryMap {
    /// An integer parameter within `min..=max`, or `default` when absent.
    pub fn int(&self, name: &str, min: u32, max: u32, default: u32) -> Result<u32, ApiError> {
        let Some(raw) = self.0.get(name) else {
            return Ok(default);
        };
        let value: i64 = raw.trim().parse().map_err(|_| {
            ApiError::InvalidQueryParams(format!("Property .{name} should be integer"))
        })?;
        if value < i64::from(min) {
            return Err(ApiError::InvalidQueryParams(format!(
                "Property .{name} must be >= {min}"
            )));
        }
        if value > i64::from(max) {
            return Err(ApiError::InvalidQueryParams(format!(
                "Property .{name} must be <= {max}"
            )));
        }
        Ok(value as u32)
    }

    /// A date parameter in any ISO 8601 form clients send.
    pub fn date(&self, name: &str) -> Result<Option<cv_domain::Timestamp>, ApiError> {
        self.0
            .get(name)
            .map(|raw| {
                cv_domain::Timestamp::parse(raw).map_err(|_| {
                    ApiError::InvalidQueryParams(format!(
                        "Property .{name} cannot be recognized as a ISO-8601 compliant date"
                    ))
                })
            })
            .transpose()
    }
}
