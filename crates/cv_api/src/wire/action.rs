//! Async-action responses (SPEC.md §1, §2).

use cv_domain::{ActionResult, ActionStatus, OperationStatus, Timestamp};
use cv_store::{ActionPage, ActionRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::schema;

/// An action in a list: `AsyncActionBase`, never with `result`. It borrows the record's
/// strings and prints timestamps straight into the response: a list page serializes a hundred.
#[derive(Debug, Serialize, ToSchema)]
pub struct AsyncActionItem<'a> {
    #[schema(example = "aa_0c5543f00797b6113f")]
    id: &'a str,
    #[serde(rename = "type")]
    #[schema(value_type = schema::ActionType)]
    kind: &'static str,
    #[schema(value_type = schema::ActionStatusName)]
    status: ActionStatus,
    #[schema(value_type = schema::OperationStatusName)]
    operation_status: OperationStatus,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
    /// The id of the request that created the action (`v-…`).
    #[schema(example = "v-0c553fdb325688d510")]
    request_id: &'a str,
    /// Milliseconds from `created_at` to `updated_at`.
    #[schema(minimum = 0)]
    processing_time: i64,
    /// 0 to 100; 100 when DONE.
    #[schema(maximum = 100)]
    progress: u8,
    #[schema(schema_with = schema::async_action)]
    object: &'static str,
}

impl<'a> From<&'a ActionRecord> for AsyncActionItem<'a> {
    fn from(a: &'a ActionRecord) -> Self {
        Self {
            id: a.id.as_str(),
            kind: a.kind.as_str(),
            status: a.status,
            operation_status: a.status.operation_status(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            request_id: a.request_id.as_str(),
            processing_time: (a.updated_at.as_millis() - a.created_at.as_millis()).max(0),
            progress: a.progress.get(),
            object: "async_action",
        }
    }
}

/// `GET /v1/async-actions/{id}`: the item plus `result` once finished.
#[derive(Debug, Serialize, ToSchema)]
pub struct AsyncAction<'a> {
    #[serde(flatten)]
    item: AsyncActionItem<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schema::ActionResult>)]
    result: Option<Value>,
}

impl<'a> AsyncAction<'a> {
    /// The response for `action`; relative report paths in the result become absolute URLs
    /// under `base_url`.
    pub fn new(action: &'a ActionRecord, base_url: &str) -> Self {
        let result = match (&action.result, action.status.is_final()) {
            (Some(result), true) => Some(render_result(result, base_url)),
            _ => None,
        };
        Self { item: AsyncActionItem::from(action), result }
    }
}

/// The action as the live forms send it (a long-poll's answer, an event's data):
/// [`AsyncAction`] plus two fields of Conveyor's own, the items the action has in all and the
/// items processed so far, for rates and ETAs.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveAsyncAction<'a> {
    #[serde(flatten)]
    action: AsyncAction<'a>,
    /// The items the action has in all (0 while a purge has not counted them).
    total_items: u64,
    /// The items processed so far.
    processed_items: u64,
}

impl<'a> LiveAsyncAction<'a> {
    /// The live form of `action` (report links absolute under `base_url`).
    pub fn new(action: &'a ActionRecord, base_url: &str) -> Self {
        Self {
            action: AsyncAction::new(action, base_url),
            total_items: action.total_items,
            processed_items: action.cursor,
        }
    }
}

/// An action's `result` as the API and webhook events show it: the domain result's fields
/// (SPEC.md §3.1), with report paths made absolute under `base_url`. The one place a result
/// becomes JSON for clients.
pub fn render_result(result: &ActionResult, base_url: &str) -> Value {
    let mut result = result.clone();
    if let ActionResult::BulkReport(report) = &mut result {
        for path in report.reports.iter_mut().filter(|p| p.starts_with('/')) {
            *path = format!("{}{path}", base_url.trim_end_matches('/'));
        }
    }
    serde_json::to_value(&result).unwrap_or(Value::Null)
}

/// `GET /v1/async-actions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AsyncActionList<'a> {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::async_actions)]
    data_ref: &'static str,
    /// Newest first, without `result`.
    async_actions: Vec<AsyncActionItem<'a>>,
    /// Whether older actions match too (page with `end_date`).
    has_more: bool,
}

impl<'a> From<&'a ActionPage> for AsyncActionList<'a> {
    fn from(page: &'a ActionPage) -> Self {
        Self {
            object: "list",
            data_ref: "async_actions",
            async_actions: page.actions.iter().map(AsyncActionItem::from).collect(),
            has_more: page.has_more,
        }
    }
}

/// `{"async_action_id": "aa_…"}`, the reply of every producer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AsyncActionCreated {
    /// The new action's id.
    #[schema(example = "aa_0c5543f00797b6113f")]
    pub async_action_id: String,
}
