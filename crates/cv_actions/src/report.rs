//! The result families shared by several types (SPEC.md §3.1): the bulk report (C) of the six
//! `*.BULK_UPDATE` and `*.METADATA_UPDATE` types, and the import result with `failed[]` (A).

use cv_domain::{
    ActionResult, Timestamp,
    result::{BulkReport, FailedItem, ImportResult, ItemErrorEntry},
};
use cv_store::{ActionRecord, Inputs, StoreError};

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
    inputs: &dyn Inputs,
    action: &ActionRecord,
    config: &ActionsConfig,
    item_key: Option<&str>,
) -> Result<ActionResult, StoreError> {
    let failed = failed_lines(inputs, action).await?;
    let errors = failed
        .into_iter()
        .filter_map(|line| {
            let error = line.error?;
            Some(ItemErrorEntry {
                message: error.message,
                details: error.details,
                key: error.key,
                item: item_key.map(|name| (name.to_owned(), line.key)),
            })
        })
        .collect();
    let ttl_ms = i64::from(config.report_ttl_days) * 24 * 3600 * 1000;
    Ok(ActionResult::BulkReport(BulkReport {
        done_count: action.done_count,
        failed_count: action.failed_count,
        reports: vec![report_path(action)],
        reports_available_till: Timestamp::now().plus_millis(ttl_ms),
        errors,
    }))
}

/// The first [`MAX_ERRORS`] failed report lines; none to read when nothing failed.
async fn failed_lines(
    inputs: &dyn Inputs,
    action: &ActionRecord,
) -> Result<Vec<cv_store::ReportLine>, StoreError> {
    if action.failed_count == 0 {
        return Ok(Vec::new());
    }
    inputs.failed_report_lines(&action.id, MAX_ERRORS).await
}

/// How an import lists one failed item in `result.failed[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedShape {
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
    inputs: &dyn Inputs,
    action: &ActionRecord,
    noun: &str,
    shape: FailedShape,
) -> Result<ActionResult, StoreError> {
    let failed = failed_lines(inputs, action)
        .await?
        .into_iter()
        .map(|line| {
            let reason = line.error.map(|e| e.details).unwrap_or_default();
            match shape {
                FailedShape::Row { key_name } => FailedItem {
                    key: key_name.map(|name| (name.to_owned(), Some(line.key))),
                    row: Some(line.line + 1),
                    reason,
                },
                FailedShape::Item { key_name } => {
                    let key = Some(line.key).filter(|k| !k.is_empty());
                    FailedItem { key: Some((key_name.to_owned(), key)), row: None, reason }
                }
            }
        })
        .collect();
    Ok(ActionResult::Import(ImportResult {
        message: format!(
            "{} {noun}(s) imported successfully, {} failed.",
            action.done_count, action.failed_count
        ),
        failed,
        done_count: action.done_count,
        failed_count: action.failed_count,
    }))
}
