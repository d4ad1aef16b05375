//! The CSV import family (`*.IMPORT_CSV`): each row of an uploaded file becomes a chunk item,
//! or a failure with its reason; the result lists the failed rows (family A). A type says only
//! how one row becomes an item ([`RowMapper`]).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{ActionId, payload::Upload};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ItemError, ReportMode};

use crate::{
    csv_source::{CsvRows, Row},
    report::{self, FailedShape},
};

/// How one import type turns a row into a write.
pub(crate) trait RowMapper: Send + 'static {
    /// What a row writes.
    type Write: Send;
    /// The write for a row's cells (in header order), or the row's key and failure reason.
    fn write(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<Self::Write, (String, String)>;
    /// A chunk of rows as the store writes it.
    fn writes(&self, items: Vec<Item<Self::Write>>) -> ChunkWrites;
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
        store: Arc<dyn Inputs>,
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
pub(crate) fn failed<T>(key: String, reason: String) -> Item<T> {
    let error = ItemError {
        message: "Invalid row".to_owned(),
        details: reason,
        key: "invalid_row".to_owned(),
    };
    Item::failed(key, error)
}

/// The item of one row: the mapper's write, or a failure for a row that could not be read or
/// mapped.
pub(crate) fn item<M: RowMapper>(mapper: &M, headers: &[String], row: Row) -> Item<M::Write> {
    match row.map_err(|reason| (String::new(), reason)).and_then(|c| mapper.write(headers, c)) {
        Ok(write) => Item::Write(write),
        Err((key, reason)) => failed(key, reason),
    }
}

impl<M: RowMapper> Run<M> {
    /// The items of the rows from `cursor` on, at most `max` of them.
    pub async fn items(
        &mut self,
        cursor: u64,
        max: usize,
    ) -> Result<Vec<Item<M::Write>>, ActionError> {
        let rows = self.rows.batch(cursor, max).await?;
        let headers = &self.rows.headers;
        Ok(rows.into_iter().map(|row| item(&self.mapper, headers, row)).collect())
    }
}

#[async_trait]
impl<M: RowMapper> ActionRun for Run<M> {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items = self.items(cursor, max).await?;
        Ok(self.mapper.writes(items))
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let shape = FailedShape::Row { key_name: self.key_name };
        Ok(report::import_result(inputs, action, self.noun, shape).await?.into())
    }
}
