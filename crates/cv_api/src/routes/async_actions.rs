//! `GET /v1/async-actions` (with Conveyor's `status` and `type` filters),
//! `GET /v1/async-actions/{id}` (with Conveyor's optional long-poll), cancellation and the
//! bulk report download.

use axum::{
    Extension, Json,
    body::{Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use cv_domain::{ActionId, ActionResult, ProjectId, Timestamp};
use cv_store::{ActionFilter, ActionPages, ActionRecord, CancelOutcome, ReportLine};
use futures_util::stream;
use tokio::time::Instant;

use super::base_url;
use crate::{
    ApiError, AppState,
    auth::Project,
    extract::{ActionListQuery, QueryMap},
    live::{Follower, LongPoll, Waited},
    wire::{
        action::{AsyncAction, AsyncActionList, LiveAsyncAction},
        schema,
    },
};

const REPORT_PAGE: u32 = 1000;

/// The 404 of an action id.
pub(super) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound { resource_type: "async_action", resource_id: id.to_owned() }
}

/// A list item takes about 280 bytes.
const LIST_ITEM_BYTES: usize = 320;

/// `id` as an action id; a malformed one is as unknown as a missing one.
pub(super) fn parse_id(id: &str) -> Result<ActionId, ApiError> {
    if ActionId::is_well_formed(id) { Ok(ActionId::from_string(id)) } else { Err(not_found(id)) }
}

async fn find(state: &AppState, project: &Project, id: &str) -> Result<ActionRecord, ApiError> {
    state.store.get_action(&project.0, &parse_id(id)?).await?.ok_or_else(|| not_found(id))
}

#[utoipa::path(
    get,
    path = "/v1/async-actions",
    tag = "async-actions",
    operation_id = "list_async_actions",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (default 10)."),
        ("end_date" = Option<String>, Query, format = DateTime, description = "Only actions created before this time (any ISO 8601 form, or a date): the cursor of the next page."),
        ("status" = Option<schema::ActionStatusName>, Query, description = "Only actions with this status."),
        ("type" = Option<schema::ActionType>, Query, description = "Only actions of this type."),
    ),
    responses(
        (status = 200, description = "The project's actions, newest first.", body = AsyncActionList),
        (status = 400, description = "A malformed parameter (`invalid_query_params`).", body = schema::ErrorBody),
    )
)]
/// List, newest first; `limit` 1..100 (default 10), `end_date` strictly before; Conveyor's
/// filters `status` (one of the four statuses) and `type` (an action type), exactly as the
/// API writes them.
pub async fn list(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    query: QueryMap,
) -> Result<Response, ApiError> {
    let ActionListQuery { limit, end_date, filter } = ActionListQuery::parse(&query)?;
    let key = ListKey { project: project.0, limit, end_date, filter };
    // Read before the page: a write committing meanwhile leaves the page filed under a
    // generation that is already gone.
    let generation = state.store.write_generation();
    if let Some(body) = state.list_cache.get(&key, generation) {
        return Ok(json_body(body));
    }
    let page = state.store.list_actions_filtered(&key.project, &filter, end_date, limit).await?;
    let mut body = Vec::with_capacity(128 + LIST_ITEM_BYTES * page.actions.len());
    serde_json::to_writer(&mut body, &AsyncActionList::from(&page)).map_err(anyhow::Error::from)?;
    let body = Bytes::from(body);
    state.list_cache.put(key, generation, body.clone());
    Ok(json_body(body))
}

/// What one page of the action list depends on (the key of [`AppState::list_cache`]).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ListKey {
    project: ProjectId,
    limit: u32,
    end_date: Option<Timestamp>,
    filter: ActionFilter,
}

/// What one answer of `GET /v1/async-actions/{id}` depends on (the key of
/// [`AppState::get_cache`]); the base URL is in the result's report links.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct GetKey {
    project: ProjectId,
    id: String,
    base: String,
}

fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

#[utoipa::path(
    get,
    path = "/v1/async-actions/{id}",
    tag = "async-actions",
    operation_id = "get_async_action",
    params(
        ("id" = String, Path, description = "The action's id (`aa_…`)."),
        ("wait" = Option<u32>, Query, minimum = 0, maximum = 30, description = "Long-poll: answer as soon as the action differs from the `since_*` values (or, without them, changes at all), finishes, or after this many seconds."),
        ("since_status" = Option<schema::ActionStatusName>, Query, description = "With `wait`: the status last seen."),
        ("since_progress" = Option<u32>, Query, minimum = 0, maximum = 100, description = "With `wait`: the progress last seen."),
        ("since_updated_at" = Option<String>, Query, format = DateTime, description = "With `wait`: the `updated_at` last seen."),
    ),
    responses(
        (status = 200, description = "The action, with `result` once it is DONE or FAILED; with `wait`, its live form.", body = schema::AsyncActionAnswer),
        (status = 400, description = "A malformed long-poll parameter (`invalid_query_params`).", body = schema::ErrorBody),
        (status = 404, description = "No such action in the project.", body = schema::ErrorBody),
    )
)]
/// One action, with `result` once finished. With `wait=<seconds>` (Conveyor's long-poll) it
/// answers when the action differs from what the `since_*` parameters describe (or, without
/// them, from how it was when the request arrived), when it finishes, or after `wait`
/// seconds, whichever is first; the answer then carries `total_items` and `processed_items`
/// too. Without `wait` the answer is exactly Voucherify's.
pub async fn get(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let base = base_url(&state, &headers);
    let Some(poll) = LongPoll::from_query(&QueryMap::lenient(query.as_deref()))? else {
        // Pollers ask again and again; while nothing is written the answer stays the same.
        let key = GetKey { project: project.0, id, base };
        let generation = state.store.write_generation();
        if let Some(body) = state.get_cache.get(&key, generation) {
            return Ok(json_body(body));
        }
        let action = state
            .store
            .get_action(&key.project, &parse_id(&key.id)?)
            .await?
            .ok_or_else(|| not_found(&key.id))?;
        let body = Bytes::from(
            serde_json::to_vec(&AsyncAction::new(&action, &key.base))
                .map_err(anyhow::Error::from)?,
        );
        state.get_cache.put(key, generation, body.clone());
        return Ok(json_body(body));
    };
    let action = long_poll(&state, &project.0, &id, &poll).await?;
    Ok(Json(LiveAsyncAction::new(&action, &base)).into_response())
}

async fn long_poll(
    state: &AppState,
    project: &ProjectId,
    id: &str,
    poll: &LongPoll,
) -> Result<ActionRecord, ApiError> {
    let deadline = Instant::now() + poll.wait;
    let Some((mut follower, current)) = Follower::start(state, project, &parse_id(id)?).await?
    else {
        return Err(not_found(id));
    };
    let seen = poll.baseline(&current);
    match follower.wait(current, &seen, Some(deadline)).await? {
        Waited::Changed(action) | Waited::TimedOut(action) => Ok(action),
        Waited::Gone => Err(not_found(id)),
    }
}

#[utoipa::path(
    post,
    path = "/v1/async-actions/{id}/cancel",
    tag = "async-actions",
    operation_id = "cancel_async_action",
    params(("id" = String, Path, description = "The action's id (`aa_…`).")),
    responses(
        (status = 200, description = "The action was not running: it ended FAILED, `Cancelled.`.", body = AsyncAction),
        (status = 202, description = "The action is running: it ends at its next chunk boundary.", body = AsyncAction),
        (status = 400, description = "The action has finished already (`async_action_finished`).", body = schema::ErrorBody),
        (status = 404, description = "No such action in the project.", body = schema::ErrorBody),
    )
)]
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

#[utoipa::path(
    get,
    path = "/v1/async-actions/{id}/report",
    tag = "async-actions",
    operation_id = "get_async_action_report",
    params(("id" = String, Path, description = "The action's id (`aa_…`).")),
    responses(
        (status = 200, description = "The report: `id,found,updated,error`, one line per item.", content_type = "text/csv", body = String),
        (status = 404, description = "No such action, no report, or the report has expired.", body = schema::ErrorBody),
    )
)]
/// The bulk report as CSV (`id,found,updated,error`, one line per item), streamed page by
/// page, while `reports_available_till` has not passed.
pub async fn report(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let action = find(&state, &project, &id).await?;
    let available_till = match &action.result {
        Some(ActionResult::BulkReport(report)) if action.status.is_final() => {
            Some(report.reports_available_till)
        }
        _ => None,
    };
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
