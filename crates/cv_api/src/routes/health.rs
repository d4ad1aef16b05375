//! `GET /healthz` (the process is alive) and `GET /readyz` (the database answers and its
//! schema is current). Neither needs credentials.

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::{AppState, wire::schema};

/// Liveness.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "healthz",
    responses(
        (status = 200, description = "The process is alive.", body = schema::Health),
    )
)]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "readyz",
    responses(
        (status = 200, description = "The database answers with the current schema.", body = schema::Readiness),
        (status = 503, description = "The database does not answer.", body = schema::Readiness),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.check_ready().await {
        Ok(()) => {
            (StatusCode::OK, Json(json!({"status": "ready", "backend": state.store.backend()})))
        }
        Err(err) => {
            tracing::warn!(message = "Not ready.", %err);
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}
