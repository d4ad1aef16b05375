//! The result families shared by several types (SPEC.md §3.1): the bulk report (C) of the six
//! `*.BULK_UPDATE` and `*.METADATA_UPDATE` types, and the import result with `failed[]` (A).

use cv_domain::Timestamp;
use cv_store::{ActionRecord, Store};
use serde_json::{Value, json};

use crate::ActionsConfig;

/// At most this many item errors are listed in `result.errors`; the report has them all.
pub const MAX_ERRORS: u32 = 1000;

/// The path of an action's report on this server. The API turns it into an absolute URL.
pub fn report_path(action: &ActionRecord) -> String {
    format!("/v1/async-actions/{}/report", action.id)
}

/// `{done_count, failed_count, reports, reports_available_till, errors}`. Each error carries
/// `message, details, key` and, when `item_key` is given, the item's key under that name
/// (`source_id`, `code`).
pub async fn bulk_report(
    store: &dyn Store,
    action: &ActionRecord,
    config: &ActionsConfig,
    item_key: Option<&str>,
) -> Result<Value, cv_store::StoreError> {
    let failed = store.failed_report_lines(&action.id, MAX_ERRORS).await?;
    let errors: Vec<Value> = failed
        .into_iter()
        .filter_map(|line| {
            let error = line.error?;
            let mut e =
                json!({"message": error.message, "details": error.details, "key": error.key});
            if let (Some(name), Some(obj)) = (item_key, e.as_object_mut()) {
                obj.insert(name.to_owned(), Value::String(line.key));
            }
            Some(e)
        })
        .collect();
    let ttl_ms = i64::from(config.report_ttl_days) * 24 * 3600 * 1000;
    let available_till = Timestamp::now().plus_millis(ttl_ms);
    Ok(json!({
        "done_count": action.done_count,
        "failed_count": action.failed_count,
        "reports": [report_path(action)],
        "reports_available_till": available_till,
        "errors": errors,
    }))
}

/// How an import lists one failed item in `result.failed[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedItem {
    /// A CSV row: the row's key under `key_name` when the type shows one (`""` when the row
    /// has none), its 1-based `row`, and the `reason`.
    Row {
        /// `source_id`, `code`…
        key_name: Option<&'static str>,
    },
    /// An item of a JSON body: its key under `key_name` (`null` when it has none) and the
    /// `reason`, without a row number.
    Item {
        /// `source_id`, `code`…
        key_name: &'static str,
    },
}

/// `{message, failed, done_count, failed_count}`: "<n> <noun>(s) imported successfully, <m>
/// failed.", with one `failed` entry per failed item, shaped by `shape`, the first
/// [`MAX_ERRORS`] of them.
pub async fn import_result(
    store: &dyn Store,
    action: &ActionRecord,
    noun: &str,
    shape: FailedItem,
) -> Result<Value, cv_store::StoreError> {
    let failed = store.failed_report_lines(&action.id, MAX_ERRORS).await?;
    let failed: Vec<Value> = failed
        .into_iter()
        .map(|line| {
            let mut item = serde_json::Map::new();
            match shape {
                FailedItem::Row { key_name } => {
                    if let Some(name) = key_name {
                        item.insert(name.to_owned(), Value::String(line.key));
                    }
                    item.insert("row".to_owned(), json!(line.line + 1));
                }
                FailedItem::Item { key_name } => {
                    let key = Some(line.key).filter(|k| !k.is_empty());
                    item.insert(key_name.to_owned(), json!(key));
                }
            }
            item.insert(
                "reason".to_owned(),
                json!(line.error.map(|e| e.details).unwrap_or_default()),
            );
            Value::Object(item)
        })
        .collect();
    Ok(json!({
        "message": format!(
            "{} {noun}(s) imported successfully, {} failed.",
            action.done_count, action.failed_count
        ),
        "failed": failed,
        "done_count": action.done_count,
        "failed_count": action.failed_count,
    }))
}
