//! Limits on requests besides body sizes: a time limit per request (a longer one for CSV
//! uploads), so a client that sends its body slowly, or a call that hangs, cannot hold a
//! connection and a database transaction forever; and at most `max_concurrent_uploads` CSV
//! uploads received at once. (Header size and the time to send headers are limits of the HTTP
//! server itself: `conveyor::http`.)

use std::time::Duration;

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{ApiError, AppState};

/// The routes that receive CSV files (multipart, streamed into the store): they get
/// `upload_timeout_ms` instead of `request_timeout_ms`.
pub const UPLOAD_ROUTES: &[&str] = &[
    "/v1/campaigns/{id}/importCSV",
    "/v1/customers/importCSV",
    "/v1/products/importCSV",
    "/v1/skus/importCSV",
    "/v1/vouchers/importCSV",
];

/// The time limit of a request: 408 when the handler (reading the body included) has not
/// answered in time. A streamed response (events, reports) is timed until its headers.
pub async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let upload = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| UPLOAD_ROUTES.contains(&path.as_str()));
    let ms = if upload { state.config.upload_timeout_ms } else { state.config.request_timeout_ms };
    if ms == 0 {
        return next.run(request).await;
    }
    match tokio::time::timeout(Duration::from_millis(ms), next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout(ms).into_response(),
    }
}
