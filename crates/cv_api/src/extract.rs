//! Extractors whose rejections use Voucherify's error format, and the actions list's query.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::{header, request::Parts},
};
use cv_domain::{ActionKind, Timestamp};
use cv_store::ActionFilter;
use futures_util::StreamExt;
use serde_json::Value;

use crate::{ApiError, AppState, live::STATUS_NAMES};

/// A request body parsed as JSON, whatever its `Content-Type` (clients differ). An empty body
/// is `null`. Oversized bodies answer 413; malformed JSON answers `invalid_payload`.
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_limited(req, state.config.body_limit_bytes).await?;
        JsonBody::decode(&bytes).map(JsonBody)
    }
}

impl JsonBody {
    /// A whole body as JSON: blank is `null`, malformed JSON `invalid_payload`.
    pub fn decode(bytes: &[u8]) -> Result<Value, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::InvalidPayload(format!("Payload is not valid JSON: {e}")))
    }
}

/// A request body in `application/x-www-form-urlencoded` (the OAuth endpoints), as its fields
/// in order. An empty body is an empty form whatever its type; a non-empty body of another type
/// answers `missing_parameters` (its parameters cannot be read), oversized bodies 413.
pub struct FormBody(pub Vec<(String, String)>);

impl FromRequest<AppState> for FormBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case(FORM));
        let bytes = read_limited(req, state.config.body_limit_bytes).await?;
        if bytes.is_empty() {
            return Ok(FormBody(Vec::new()));
        }
        if !is_form {
            return Err(ApiError::MissingParameters(Some(format!(
                "Send the parameters as {FORM}"
            ))));
        }
        Ok(FormBody(form_urlencoded::parse(&bytes).into_owned().collect()))
    }
}

impl FormBody {
    /// The first value of `name`, unless absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// How much of an oversized body is read and dropped before answering 413, so that a client
/// still sending gets the answer rather than a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Reads the body up to `limit` bytes. Over the limit, the rest is drained (up to
/// [`DRAIN_LIMIT`]) and the answer is 413.
async fn read_limited(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut stream = req.into_body().into_data_stream();
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut seen = 0usize;
    while let Some(frame) = stream.next().await {
        let frame =
            frame.map_err(|_| ApiError::InvalidPayload("Payload could not be read".to_owned()))?;
        seen += frame.len();
        if seen <= limit {
            body.extend_from_slice(&frame);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > limit {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    Ok(Bytes::from(body))
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
    /// The parameters of a raw query string, decoded leniently (never an error; the last of
    /// repeated names wins), for handlers that must answer exactly as before when they get
    /// none of their own parameters.
    pub fn lenient(raw: Option<&str>) -> Self {
        let pairs = raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned());
        QueryMap(pairs.into_iter().flatten().collect())
    }

    /// An integer parameter within `min..=max`, or `default` when absent.
    pub fn int(&self, name: &str, min: u32, max: u32, default: u32) -> Result<u32, ApiError> {
        let Some(raw) = self.0.get(name) else {
            return Ok(default);
        };
        let value: i64 = raw.trim().parse().map_err(|_| {
            ApiError::InvalidQueryParams(format!("Property .{name} should be integer"))
        })?;
        if value < i64::from(min) {
            return Err(ApiError::InvalidQueryParams(format!("Property .{name} must be >= {min}")));
        }
        if value > i64::from(max) {
            return Err(ApiError::InvalidQueryParams(format!("Property .{name} must be <= {max}")));
        }
        Ok(value as u32)
    }

    /// A parameter that must be one of `allowed`, written exactly so (Voucherify's enum
    /// values), parsed by `FromStr`; `None` when absent.
    pub fn one_of<T: std::str::FromStr>(
        &self,
        name: &str,
        allowed: &[&str],
    ) -> Result<Option<T>, ApiError> {
        let Some(raw) = self.0.get(name) else {
            return Ok(None);
        };
        match raw.parse() {
            Ok(value) if allowed.contains(&raw.as_str()) => Ok(Some(value)),
            _ => Err(ApiError::InvalidQueryParams(format!(
                "Property .{name} should be equal to one of the allowed values: {}",
                allowed.join(", ")
            ))),
        }
    }

    /// A date parameter in any ISO 8601 form clients send.
    pub fn date(&self, name: &str) -> Result<Option<Timestamp>, ApiError> {
        self.0
            .get(name)
            .map(|raw| {
                Timestamp::parse(raw).map_err(|_| {
                    ApiError::InvalidQueryParams(format!(
                        "Property .{name} cannot be recognized as a ISO-8601 compliant date"
                    ))
                })
            })
            .transpose()
    }
}

/// The query of `GET /v1/async-actions`: `limit` 1..=100 (default 10), `end_date` (actions
/// created strictly before it), and Conveyor's filters `status` (one of the four statuses)
/// and `type` (an action type), exactly as the API writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionListQuery {
    /// How many actions at most.
    pub limit: u32,
    /// Only actions created before this.
    pub end_date: Option<Timestamp>,
    /// Only actions of this status and type.
    pub filter: ActionFilter,
}

impl ActionListQuery {
    /// The list parameters of `query`; a bad one is 400 `invalid_query_params`.
    pub fn parse(query: &QueryMap) -> Result<Self, ApiError> {
        let limit = query.int("limit", 1, 100, 10)?;
        let end_date = query.date("end_date")?;
        let kinds: Vec<&str> = ActionKind::ALL.iter().map(|k| k.as_str()).collect();
        let filter = ActionFilter {
            status: query.one_of("status", &STATUS_NAMES)?,
            kind: query.one_of("type", &kinds)?,
        };
        Ok(Self { limit, end_date, filter })
    }
}
