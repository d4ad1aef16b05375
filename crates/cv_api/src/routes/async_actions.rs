//! `GET /v1/async-actions`, `GET /v1/async-actions/{id}` and the bulk report download.

use axum::{
    Extension, Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use cv_domain::{ActionId, Timestamp};
use cv_store::{ActionRecord, CancelOutcome, ReportLine};
use futures_util::stream;
use serde::Serialize;

use super::base_url;
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::QueryMap,
    wire::action::{AsyncAction, AsyncActionList},
};

const REPORT_PAGE: u32 = 1000;

async fn find(state: &AppState, project: &Project, id: &str) -> Result<ActionRecord, ApiError> {
    let not_found =
        || ApiError::NotFound { resource_type: "async_action", resource_id: id.to_owned() };
    if !ActionId::is_well_formed(id) {
        return Err(not_found());
    }
    state.store.get_action(&project.0, &ActionId::from_string(id)).await?.ok_or_else(not_found)
}

/// A JSON response serialized into a buffer of `capacity` bytes (what `Json` does, less the
/// regrowing from 128 bytes of a 30 kB list page).
fn json_response(value: &impl Serialize, capacity: usize) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut body, value).map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
        .into_response())
}

/// A list item takes about 280 bytes.
const LIST_ITEM_BYTES: usize = 320;

/// List, newest first; `limit` 1..100 (default 10), `end_date` strictly before.
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Response, ApiError> {
    let limit = query.int("limit", 1, 100, 10)?;
    let end_date = query.date("end_date")?;
    let page = state.store.list_actions(&project.0, end_date, limit).await?;
    json_response(&AsyncActionList::from(&page), 128 + LIST_ITEM_BYTES * page.actions.len())
}

/// One action, with `result` once finished.
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = find(&state, &project, &id).await?;
    Ok(Json(AsyncAction::new(&action, &base_url(&state, &headers))).into_response())
}

/// Cancels an action (`POST /v1/async-actions/{id}/cancel`). One nobody is running ends at
/// once, FAILED with `result.message` "Cancelled.": 200 with the action. A running one ends at
/// its next chunk boundary, its committed chunks kept and counted: 202 with the action as it
/// is now. A finished one: 400 `async_action_finished`, nothing changed.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = find(&state, &project, &id).await?;
    let base = base_url(&state, &headers);
    let (status, action) =
        match cv_store::cancel(state.store.as_ref(), &project.0, &action.id, state.now()).await? {
            CancelOutcome::Cancelled(action) => (StatusCode::OK, action),
            CancelOutcome::Requested(action) => (StatusCode::ACCEPTED, action),
            CancelOutcome::AlreadyFinished(action) => {
                return Err(ApiError::AlreadyFinished(format!(
                    "Async action {} already finished with status {}.",
                    action.id,
                    action.status.as_str()
                )));
            }
            CancelOutcome::NotFound => {
                return Err(ApiError::NotFound { resource_type: "async_action", resource_id: id });
            }
        };
    Ok((status, Json(AsyncAction::new(&action, &base))).into_response())
}

/// The bulk report as CSV (`id,found,updated,error`, one line per item), streamed page by
/// page, while `reports_available_till` has not passed.
pub async fn report(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = find(&state, &project, &id).await?;
    let available_till = action
        .result
        .as_ref()
        .filter(|_| action.status.is_final())
        .and_then(|r| r.get("reports_available_till"))
        .and_then(|v| v.as_str())
        .and_then(|s| Timestamp::parse(s).ok());
    if available_till.is_none_or(|till| state.now() > till) {
        return Err(ApiError::NotFound { resource_type: "report", resource_id: id });
    }
    let store = state.store.clone();
    let action_id = action.id.clone();
    let header_line = Some(Ok::<_, std::io::Error>("id,found,updated,error\n".to_owned()));
    let pages = stream::unfold(Some(None::<u64>), move |after| {
        let (store, action_id) = (store.clone(), action_id.clone());
        async move {
            let after = after?;
            match store.report_lines(&action_id, after, REPORT_PAGE).await {
                Ok(lines) if lines.is_empty() => None,
                Ok(lines) => {
                    let next = lines.last().map(|l| l.line);
                    let text: String = lines.iter().map(csv_line).collect();
                    Some((Ok(text), Some(next)))
                }
                Err(err) => Some((Err(std::io::Error::other(err.to_string())), None)),
            }
        }
    });
    let body = stream::StreamExt::chain(stream::iter(header_line), pages);
    let filename = format!("attachment; filename=\"{id}-report.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn csv_line(line: &ReportLine) -> String {
    let error =
        line.error.as_ref().map(|e| format!("{}: {}", e.message, e.details)).unwrap_or_default();
    format!("{},{},{},{}\n", csv_field(&line.key), line.found, line.updated, csv_field(&error))
}
