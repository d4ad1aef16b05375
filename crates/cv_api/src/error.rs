//! The API's error type and Voucherify's error bodies.
//!
//! Error policy: handlers return `Result<_, ApiError>` and use `?` on store calls; a
//! `StoreError` becomes an opaque 500 (or 503 when the database is unavailable) whose cause
//! is logged here and never sent. Client mistakes are explicit variants with Voucherify's
//! status, key and message, rendered as `{code, key, message, details, request_id,
//! resource_id, resource_type}`. The one exception is 413, which Voucherify sends in the
//! Boom shape `{statusCode, error, message}`. (The empty-bodied 404 of an OAuth revoke is not
//! an error of this type: its handler answers it directly.)

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use cv_store::StoreError;
use serde_json::{Map, Value, json};
use tracing::error;

use crate::request_id;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid_payload`: the body is malformed or violates the schema.
    #[error("invalid payload: {0}")]
    InvalidPayload(String),
    /// 400 `invalid_query_params`.
    #[error("invalid query params: {0}")]
    InvalidQueryParams(String),
    /// 401 `unauthorized`: missing or wrong credentials, or an unknown, expired or revoked
    /// OAuth token.
    #[error("unauthorized")]
    Unauthorized,
    /// 403 `missing_required_permission`: the OAuth token's scopes do not cover the route.
    #[error("missing permission: {0}")]
    MissingPermission(String),
    /// 400 `missing_parameters`: a required OAuth form parameter is absent or empty; the
    /// details, if any, say why (a body that is not a form).
    #[error("missing parameters")]
    MissingParameters(Option<String>),
    /// 400 `invalid_grant_type`: `grant_type` is not `client_credentials`.
    #[error("invalid grant_type")]
    InvalidGrantType,
    /// 400 `invalid_scope`: the names of `scope` that are no scope, comma-separated as
    /// Voucherify shows them (`vouchers,campaigns`).
    #[error("invalid scope: {0}")]
    InvalidScope(String),
    /// 429 `limit_exceeded`: the project holds its maximum of live OAuth tokens; one frees up
    /// in `retry_after` seconds at the latest (also sent as `Retry-After`).
    #[error("OAuth token limit {limit} reached")]
    TokenLimit {
        /// The configured limit.
        limit: u32,
        /// Seconds until the project's earliest live token expires.
        retry_after: u64,
    },
    /// 404 `not_found` for a resource id.
    #[error("{resource_type} {resource_id} not found")]
    NotFound {
        /// e.g. `async_action`, `customer`.
        resource_type: &'static str,
        /// The id asked for.
        resource_id: String,
    },
    /// 409 `duplicate_found`: the resource exists already.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// 400 `duplicate_key`: voucher codes repeat in the request or exist already.
    #[error("duplicate codes: {0}")]
    DuplicateKey(String),
    /// 400 `invalid_voucher`: a voucher of the request cannot be read (e.g. it has no code).
    #[error("invalid voucher: {0}")]
    InvalidVoucher(String),
    /// 400 `invalid_campaign`: the campaign of the request cannot be created.
    #[error("invalid campaign: {0}")]
    InvalidCampaign(String),
    /// 400 `async_action_finished`: a cancel request for an action that already ended.
    #[error("already finished: {0}")]
    AlreadyFinished(String),
    /// 408 `request_timeout`: the request took longer than its limit (milliseconds).
    #[error("request timeout after {0} ms")]
    Timeout(u64),
    /// 429 `too_many_uploads`: the server receives its most CSV uploads at once already.
    #[error("too many uploads")]
    TooManyUploads(usize),
    /// 404 for a path no route serves.
    #[error("no route for {0}")]
    NoRoute(String),
    /// 405 with a hint of the allowed methods.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 413 in Boom shape.
    #[error("payload over {0} bytes")]
    PayloadTooLarge(usize),
    /// 503: the database cannot be reached.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or unexpected database error; logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(msg) => ApiError::Unavailable(msg),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl ApiError {
    /// Status, key and message: the one table of Conveyor's error codes.
    fn code(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::InvalidPayload(_) => {
                (StatusCode::BAD_REQUEST, "invalid_payload", "Invalid payload")
            }
            ApiError::InvalidQueryParams(_) => {
                (StatusCode::BAD_REQUEST, "invalid_query_params", "Invalid query params")
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::MissingPermission(_) => {
                (StatusCode::FORBIDDEN, "missing_required_permission", "Missing permission")
            }
            ApiError::MissingParameters(_) => {
                (StatusCode::BAD_REQUEST, "missing_parameters", "Missing parameters")
            }
            ApiError::InvalidGrantType => {
                (StatusCode::BAD_REQUEST, "invalid_grant_type", "Invalid grant_type")
            }
            ApiError::InvalidScope(_) => {
                (StatusCode::BAD_REQUEST, "invalid_scope", "Invalid scope")
            }
            ApiError::TokenLimit { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "limit_exceeded", "Limit exceeded")
            }
            ApiError::NotFound { .. } | ApiError::NoRoute(_) => {
                (StatusCode::NOT_FOUND, "not_found", "Resource not found")
            }
            ApiError::DuplicateKey(_) => {
                (StatusCode::BAD_REQUEST, "duplicate_key", "Duplicate codes")
            }
            ApiError::InvalidVoucher(_) => {
                (StatusCode::BAD_REQUEST, "invalid_voucher", "Invalid Voucher")
            }
            ApiError::InvalidCampaign(_) => {
                (StatusCode::BAD_REQUEST, "invalid_campaign", "Invalid Campaign")
            }
            ApiError::Timeout(_) => {
                (StatusCode::REQUEST_TIMEOUT, "request_timeout", "Request Timeout")
            }
            ApiError::TooManyUploads(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_uploads", "Too many uploads")
            }
            ApiError::AlreadyFinished(_) => {
                (StatusCode::BAD_REQUEST, "async_action_finished", "Async action already finished")
            }
            ApiError::Duplicate(_) => {
                (StatusCode::CONFLICT, "duplicate_found", "Duplicated resource found")
            }
            ApiError::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "HTTP Method Not Allowed")
            }
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Request Entity Too Large")
            }
            ApiError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "Service unavailable")
            }
            ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Internal server error")
            }
        }
    }

    /// The message: the table's, or for `invalid_scope` the table's followed by the names.
    fn message(&self, table: &'static str) -> String {
        match self {
            ApiError::InvalidScope(names) => format!("{table}: {names}"),
            _ => table.to_owned(),
        }
    }

    fn details(&self) -> Option<String> {
        match self {
            ApiError::InvalidPayload(d)
            | ApiError::InvalidQueryParams(d)
            | ApiError::MethodNotAllowed(d)
            | ApiError::Duplicate(d)
            | ApiError::DuplicateKey(d)
            | ApiError::InvalidVoucher(d)
            | ApiError::InvalidCampaign(d)
            | ApiError::AlreadyFinished(d)
            | ApiError::NoRoute(d)
            | ApiError::MissingPermission(d) => Some(d.clone()),
            ApiError::MissingParameters(d) => d.clone(),
            ApiError::TokenLimit { limit, retry_after } => Some(format!(
                "The project has reached its limit of {limit} active OAuth tokens. Revoke one, \
                 or retry in {retry_after} seconds when the oldest expires."
            )),
            ApiError::NotFound { resource_type, resource_id } => {
                Some(format!("Cannot find {resource_type} with id {resource_id}"))
            }
            ApiError::Timeout(ms) => Some(format!("The request did not complete within {ms} ms.")),
            ApiError::TooManyUploads(n) => Some(format!(
                "This server receives at most {n} CSV uploads at a time; retry shortly."
            )),
            _ => None,
        }
    }
}

impl ApiError {
    /// The status and JSON body this error answers with: Voucherify's error object (the Boom
    /// shape for 413), with the current request's id.
    pub fn status_and_body(&self) -> (StatusCode, Value) {
        let (status, key, message) = self.code();
        if let ApiError::PayloadTooLarge(limit) = self {
            let body = json!({
                "statusCode": 413,
                "error": message,
                "message": format!("Payload content length greater than maximum allowed: {limit}"),
            });
            return (status, body);
        }
        let mut body = Map::new();
        body.insert("code".into(), json!(status.as_u16()));
        body.insert("key".into(), json!(key));
        body.insert("message".into(), json!(self.message(message)));
        if let Some(details) = self.details() {
            body.insert("details".into(), json!(details));
        }
        body.insert("request_id".into(), json!(request_id::current().as_str()));
        if let ApiError::NotFound { resource_type, resource_id } = self {
            body.insert("resource_id".into(), json!(resource_id));
            body.insert("resource_type".into(), json!(resource_type));
        }
        (status, Value::Object(body))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(err) => {
                error!(message = "Internal error.", error = %format!("{err:#}"))
            }
            ApiError::Unavailable(msg) => error!(message = "Database unavailable.", error = %msg),
            _ => {}
        }
        let (status, body) = self.status_and_body();
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TokenLimit { retry_after, .. } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}
