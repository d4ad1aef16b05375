//! The CSV import family (`*.IMPORT_CSV`): each row of an uploaded file becomes a chunk item,
//! or a failure with its reason; the result lists the failed rows (family A). A type says only
//! how one row becomes an item ([`RowMapper`]).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{ActionId, payload::Upload};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ItemError, ReportMode, Store};
use serde_json::Value;

use crate::{
    csv_source::{CsvRows, Row},
    import_result,
    report::FailedItem,
};

/// How one import type turns a row into an item.
pub(crate) trait RowMapper: Send + 'static {
    /// The item for a row's cells (in header order), or the row's key and failure reason.
    fn item(&self, headers: &[String], cells: Vec<String>) -> Result<ChunkItem, (String, String)>;
}

/// One claim's run of a CSV import.
pub(crate) struct Run<M> {
    rows: CsvRows,
    mapper: M,
    /// The noun of the result message ("customer" → "n customer(s) imported …").
    noun: &'static str,
    /// The name of a failed row's key in `result.failed[]`, if it shows one.
    key_name: Option<&'static str>,
}

impl<M: RowMapper> Run<M> {
    /// Opens the upload of `action`, reads its header and builds the mapper from it.
    pub async fn open(
        store: Arc<dyn Store>,
        action: &ActionRecord,
        upload: Upload,
        noun: &'static str,
        key_name: Option<&'static str>,
        mapper: impl FnOnce(&[String]) -> M,
    ) -> Result<Self, ActionError> {
        let rows = CsvRows::open(store, ActionId::clone(&action.id), upload).await?;
        let mapper = mapper(&rows.headers);
        Ok(Self { rows, mapper, noun, key_name })
    }
}

/// The item of a row that cannot be imported: `key` is its source_id or code (possibly
/// empty), `reason` the text `result.failed[].reason` shows.
pub(crate) fn failed(key: String, reason: String) -> ChunkItem {
    ChunkItem::Failed {
        key,
        error: ItemError {
            message: "Invalid row".to_owned(),
            details: reason,
            key: "invalid_row".to_owned(),
        },
    }
}

/// The item of one row: the mapper's, or a failure for a row that could not be read or
/// mapped.
pub(crate) fn item(mapper: &impl RowMapper, headers: &[String], row: Row) -> ChunkItem {
    row.map_err(|reason| (String::new(), reason))
        .and_then(|cells| mapper.item(headers, cells))
        .unwrap_or_else(|(key, reason)| failed(key, reason))
}

#[async_trait]
impl<M: RowMapper> ActionRun for Run<M> {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        let rows = self.rows.batch(cursor, max).await?;
        let headers = &self.rows.headers;
        Ok(rows.into_iter().map(|row| item(&self.mapper, headers, row)).collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        let shape = FailedItem::Row { key_name: self.key_name };
        Ok(import_result(store, action, self.noun, shape).await?)
    }
}
