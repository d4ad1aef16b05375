//! What an action leaves behind: [`ActionResult`], one variant per result family of SPEC.md
//! §3.1 (import, count, bulk report) plus the two ways an action fails (an error, a cancel).
//!
//! Its serde form is the stored form, field for field the JSON Voucherify shows (report
//! paths stay relative; the API makes them absolute when it renders a result), so results
//! written before this type existed read back unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

use crate::{ActionStatus, Timestamp};

/// An action's `result`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ActionResult {
    /// Family A, an import: `{message, failed[], done_count, failed_count}`.
    Import(ImportResult),
    /// Family C, a bulk report: `{done_count, failed_count, reports, reports_available_till,
    /// errors}`.
    BulkReport(BulkReport),
    /// Family B, a count: `{message, done_count}`.
    Count(CountResult),
    /// The action was cancelled: the failure shape plus the counters of what committed.
    Cancelled(Cancelled),
    /// The action could not run: `{message, error: {key, message}}`.
    Failure(Failure),
}

impl ActionResult {
    /// The status an action with this result ends in.
    pub fn status(&self) -> ActionStatus {
        match self {
            ActionResult::Import(_) | ActionResult::BulkReport(_) | ActionResult::Count(_) => {
                ActionStatus::Done
            }
            ActionResult::Cancelled(_) | ActionResult::Failure(_) => ActionStatus::Failed,
        }
    }

    /// A count result: `"<message>"` with `done_count`.
    pub fn count(message: String, done_count: u64) -> Self {
        ActionResult::Count(CountResult { message, done_count })
    }

    /// A failure with this error key and message.
    pub fn failure(key: &str, message: String) -> Self {
        let error = ErrorBody { key: key.to_owned(), message: message.clone() };
        ActionResult::Failure(Failure { message, error })
    }

    /// The result of an action cancelled after `done_count` items applied and `failed_count`
    /// failed (those stay applied).
    pub fn cancelled(done_count: u64, failed_count: u64) -> Self {
        let message = "Cancelled.".to_owned();
        let error = ErrorBody { key: "cancelled".to_owned(), message: message.clone() };
        ActionResult::Cancelled(Cancelled { message, error, done_count, failed_count })
    }
}

/// Family A.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResult {
    /// `"<n> <noun>(s) imported successfully, <m> failed."`.
    pub message: String,
    /// The first failed items.
    pub failed: Vec<FailedItem>,
    /// Items imported.
    pub done_count: u64,
    /// Items failed.
    pub failed_count: u64,
}

/// One entry of an import's `failed[]`: the item's key under the name the type shows
/// (`code`, `source_id`; none for SKU rows), its 1-based CSV row (JSON imports have none),
/// and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedItem {
    /// The key's name and value (`null` when the item had none).
    pub key: Option<(String, Option<String>)>,
    /// The 1-based row, header excluded.
    pub row: Option<u64>,
    /// Why it failed.
    pub reason: String,
}

/// Family B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountResult {
    /// `"<Verb>ed <n> <things>."`.
    pub message: String,
    /// Items done.
    pub done_count: u64,
}

/// Family C.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkReport {
    /// Items applied.
    pub done_count: u64,
    /// Items failed.
    pub failed_count: u64,
    /// The report's path on this server (`/v1/async-actions/{id}/report`).
    pub reports: Vec<String>,
    /// Until when the report can be downloaded.
    pub reports_available_till: Timestamp,
    /// The first item errors.
    pub errors: Vec<ItemErrorEntry>,
}

/// One entry of a bulk report's `errors[]`: the error and, for the bulk types, the item's key
/// under the name the type shows (`source_id`, `code`).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemErrorEntry {
    /// Short text.
    pub message: String,
    /// What exactly was wrong.
    pub details: String,
    /// Error key.
    pub key: String,
    /// The item's key name and value.
    pub item: Option<(String, String)>,
}

/// `{key, message}` of a failed action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `action_failed`, `internal_error`, `cancelled`…
    pub key: String,
    /// The message.
    pub message: String,
}

/// An action that could not run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The message.
    pub message: String,
    /// The error.
    pub error: ErrorBody,
}

/// A cancelled action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    /// `"Cancelled."`.
    pub message: String,
    /// `{key: "cancelled", message: "Cancelled."}`.
    pub error: ErrorBody,
    /// Items applied before the cancel.
    pub done_count: u64,
    /// Items failed before the cancel.
    pub failed_count: u64,
}

impl Serialize for FailedItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some((name, value)) = &self.key {
            map.serialize_entry(name, value)?;
        }
        if let Some(row) = self.row {
            map.serialize_entry("row", &row)?;
        }
        map.serialize_entry("reason", &self.reason)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for FailedItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let mut item = FailedItem { key: None, row: None, reason: String::new() };
        for (name, value) in map {
            match (name.as_str(), value) {
                ("row", Value::Number(n)) => item.row = n.as_u64(),
                ("reason", Value::String(reason)) => item.reason = reason,
                (_, Value::String(key)) => item.key = Some((name, Some(key))),
                (_, Value::Null) => item.key = Some((name, None)),
                (other, _) => {
                    return Err(serde::de::Error::custom(format!("unexpected field {other}")));
                }
            }
        }
        Ok(item)
    }
}

impl Serialize for ItemErrorEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("details", &self.details)?;
        map.serialize_entry("key", &self.key)?;
        if let Some((name, value)) = &self.item {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ItemErrorEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let mut entry = ItemErrorEntry {
            message: String::new(),
            details: String::new(),
            key: String::new(),
            item: None,
        };
        for (name, value) in map {
            let Value::String(text) = value else {
                return Err(serde::de::Error::custom(format!("{name} is not a string")));
            };
            match name.as_str() {
                "message" => entry.message = text,
                "details" => entry.details = text,
                "key" => entry.key = text,
                _ => entry.item = Some((name, text)),
            }
        }
        Ok(entry)
    }
}

impl<'de> Deserialize<'de> for ActionResult {
    /// Reads a stored result; its fields tell the family (`error`: a failure or, with the key
    /// `cancelled`, a cancel; `reports`: a bulk report; `failed`: an import; else a count).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = Value::deserialize(deserializer)?;
        let result = if let Some(error) = value.get("error") {
            if error.get("key").and_then(Value::as_str) == Some("cancelled")
                && value.get("done_count").is_some()
            {
                serde_json::from_value(value).map(ActionResult::Cancelled)
            } else {
                serde_json::from_value(value).map(ActionResult::Failure)
            }
        } else if value.get("reports").is_some() {
            serde_json::from_value(value).map(ActionResult::BulkReport)
        } else if value.get("failed").is_some() {
            serde_json::from_value(value).map(ActionResult::Import)
        } else {
            serde_json::from_value(value).map(ActionResult::Count)
        };
        result.map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn round_trip(stored: Value) -> ActionResult {
        let result: ActionResult = serde_json::from_value(stored.clone()).expect("reads");
        assert_eq!(serde_json::to_value(&result).expect("writes"), stored, "byte for byte");
        result
    }

    #[test]
    fn every_family_reads_back_as_it_was_stored() {
        let import = round_trip(json!({
            "message": "1 voucher(s) imported successfully, 2 failed.",
            "failed": [{"code": "A", "row": 2, "reason": "taken"}, {"source_id": null, "reason": "x"}, {"row": 7, "reason": "y"}],
            "done_count": 1, "failed_count": 2
        }));
        assert!(matches!(import, ActionResult::Import(_)));
        assert_eq!(import.status(), ActionStatus::Done);
        let report = round_trip(json!({
            "done_count": 1, "failed_count": 1, "reports": ["/v1/async-actions/aa_1/report"],
            "reports_available_till": "2026-01-01T00:00:00.000Z",
            "errors": [{"message": "m", "details": "d", "key": "k", "source_id": "c1"}]
        }));
        assert!(matches!(report, ActionResult::BulkReport(_)));
        assert!(matches!(
            round_trip(json!({"message": "Deleted 3 vouchers.", "done_count": 3})),
            ActionResult::Count(_)
        ));
        let failure =
            round_trip(json!({"message": "m", "error": {"key": "action_failed", "message": "m"}}));
        assert_eq!(failure, ActionResult::failure("action_failed", "m".to_owned()));
        assert_eq!(failure.status(), ActionStatus::Failed);
        let cancelled = round_trip(json!({
            "message": "Cancelled.", "error": {"key": "cancelled", "message": "Cancelled."},
            "done_count": 4, "failed_count": 1
        }));
        assert_eq!(cancelled, ActionResult::cancelled(4, 1));
    }

    #[test]
    fn a_result_of_another_shape_is_refused() {
        assert!(serde_json::from_value::<ActionResult>(json!({"done_count": "x"})).is_err());
        assert!(serde_json::from_value::<ActionResult>(json!([1])).is_err());
    }
}
