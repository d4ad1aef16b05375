//! `GET /v1/async-actions/{id}/events`: an action's progress as Server-Sent Events
//! (Conveyor's; Voucherify has no such endpoint).
//!
//! The stream opens with the action as it is, then sends one event per change a client can
//! see (status, progress, `updated_at`, items processed): `event: progress` while it runs,
//! and a last `event: finished` once it is DONE or FAILED (with its `result`), after which
//! the stream ends. Every event's `data` is the action's JSON in its live form
//! (`LiveAsyncAction`). While nothing changes, `: keep-alive` comments keep proxies from
//! closing the connection. The stream also ends when the server shuts down or the action is
//! deleted.

use std::{convert::Infallible, time::Duration};

use axum::{
    Extension,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use cv_store::ActionRecord;
use futures_util::stream;
use tracing::warn;

use super::{
    async_actions::{not_found, parse_id},
    base_url,
};
use crate::{
    ApiError, AppState,
    auth::Project,
    live::{Follower, Seen, Waited},
    wire::{action::LiveAsyncAction, schema},
};

/// Where a stream stands between two events.
enum Next {
    /// The first event, the action as the request found it, is still to be sent.
    First(Box<Follower>, ActionRecord),
    /// This action was sent last: wait for it to change.
    Wait(Box<Follower>, ActionRecord),
    /// The last event (a finished action) went out.
    End,
}

#[utoipa::path(
    get,
    path = "/v1/async-actions/{id}/events",
    tag = "async-actions",
    operation_id = "async_action_events",
    params(("id" = String, Path, description = "The action's id (`aa_…`).")),
    responses(
        (status = 200, description = "Server-Sent Events: the action as it is, then `event: progress` per change and a last `event: finished` (with `result`), each `data:` a `LiveAsyncAction`; `: keep-alive` comments in between. The schema is that of one event.", content_type = "text/event-stream", body = schema::ActionEvent),
        (status = 404, description = "No such action in the project.", body = schema::ErrorBody),
    )
)]
/// Opens the event stream of one action; 404 (as JSON, before any event) when the project
/// has no such action.
pub async fn events(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some((follower, first)) = Follower::start(&state, &project.0, &parse_id(&id)?).await?
    else {
        return Err(not_found(&id));
    };
    let base = base_url(&state, &headers);
    let events = stream::unfold(Next::First(Box::new(follower), first), move |next| {
        let base = base.clone();
        async move {
            let (follower, action) = match next {
                Next::First(follower, action) => (follower, action),
                Next::Wait(follower, action) => after(follower, action).await?,
                Next::End => return None,
            };
            let event = event(&action, &base);
            let next =
                if action.status.is_final() { Next::End } else { Next::Wait(follower, action) };
            Some((Ok::<_, Infallible>(event), next))
        }
    });
    let keep_alive = Duration::from_millis(state.config.events_keep_alive_ms.max(1));
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(keep_alive).text("keep-alive"))
        .into_response();
    // Reverse proxies that buffer responses (nginx) would hold the events back.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// Waits for the change after `action`, the last one sent: the follower and the changed
/// action, or `None` when the stream should end.
async fn after(
    mut follower: Box<Follower>,
    action: ActionRecord,
) -> Option<(Box<Follower>, ActionRecord)> {
    let seen = Seen::all_of(&action);
    match follower.wait(action, &seen, None).await {
        Ok(Waited::Changed(changed)) => Some((follower, changed)),
        Ok(Waited::TimedOut(_) | Waited::Gone) => None,
        Err(error) => {
            warn!(message = "Event stream ended by a store error.", %error);
            None
        }
    }
}

fn event(action: &ActionRecord, base_url: &str) -> Event {
    let name = if action.status.is_final() { "finished" } else { "progress" };
    let data = serde_json::to_string(&LiveAsyncAction::new(action, base_url)).unwrap_or_default();
    Event::default().event(name).data(data)
}
