//! `GET /metrics`: the process's Prometheus series in the text exposition format, for
//! operators. No project credentials: it shows counts and timings across all projects and no
//! project data. With `metrics_token` configured, it takes that bearer token instead.

use axum::{
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;

use crate::{ApiError, AppState, auth, wire::schema};

/// The exposition's content type (text format 0.0.4).
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The exposition: the registry's series and the store's gauges, read now.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    operation_id = "metrics",
    description = "Prometheus series of this process (text exposition format 0.0.4). With \
        `metrics_token` configured it takes `Authorization: Bearer <metrics_token>`.",
    responses(
        (status = 200, description = "The series.", content_type = "text/plain", body = String),
        (status = 401, description = "`metrics_token` is configured and was not presented.", body = schema::ErrorBody),
    )
)]
pub async fn scrape(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(expected) = state.config.metrics_token.as_deref().filter(|t| !t.is_empty()) {
        // Hashes of equal length, compared in constant time: neither the token nor its length
        // shows in the timing.
        let presented = auth::bearer(&headers).map(auth::hash_token).unwrap_or_default();
        if !bool::from(presented.as_bytes().ct_eq(auth::hash_token(expected).as_bytes())) {
            return Err(ApiError::Unauthorized);
        }
    }
    let counts = state.store.count_actions().await?;
    let text = state.metrics.render(&counts).map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response())
}
