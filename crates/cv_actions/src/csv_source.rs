//! Reading an uploaded CSV file, part by part, without ever holding it whole.
//!
//! The csv crate wants a blocking `Read`; the parts live in the store, behind async calls.
//! [`CsvRows`] keeps one `csv::Reader` over a [`PartReader`] for the whole claim and moves it
//! into a blocking thread for each batch, where `PartReader` fetches the next part with
//! `Handle::block_on` when the current one is used up. Memory stays at one part (1 MiB)
//! plus one batch of records.

use std::{io::Read, sync::Arc};

use cv_domain::{ActionId, payload::Upload};
use cv_engine::ActionError;
use cv_store::{Store, StoreError};
use tokio::runtime::Handle;

/// A `Read` over the stored parts of an upload.
struct PartReader {
    store: Arc<dyn Store>,
    upload: ActionId,
    parts: u32,
    next_part: u32,
    buf: Vec<u8>,
    pos: usize,
    runtime: Handle,
}

impl Read for PartReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.next_part >= self.parts {
                return Ok(0);
            }
            let part = self
                .runtime
                .block_on(self.store.read_upload_part(&self.upload, self.next_part))
                .map_err(std::io::Error::other)?
                .ok_or_else(|| {
                    std::io::Error::other(format!(
                        "part {} of the upload is missing",
                        self.next_part
                    ))
                })?;
            self.next_part += 1;
            self.buf = part;
            self.pos = 0;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// One data row: its cells by column, or why it could not be read.
pub type Row = Result<Vec<String>, String>;

/// The rows of an uploaded CSV file, read in batches.
pub struct CsvRows {
    reader: Option<csv::Reader<PartReader>>,
    /// The header cells, trimmed, with a leading byte-order mark removed.
    pub headers: Vec<String>,
    /// Data rows read so far (0-based number of the next row).
    pub position: u64,
}

fn read_error(err: csv::Error) -> ActionError {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => match io.into_inner().map(|e| e.downcast::<StoreError>()) {
            Some(Ok(store)) => ActionError::Store(*store),
            Some(Err(other)) => {
                ActionError::Fatal(format!("The uploaded file could not be read: {other}"))
            }
            None => ActionError::Fatal("The uploaded file could not be read.".to_owned()),
        },
        other => ActionError::Fatal(format!("The uploaded file could not be read: {other:?}")),
    }
}

impl CsvRows {
    /// Opens the upload of action `upload` and reads its header line.
    pub async fn open(
        store: Arc<dyn Store>,
        upload: ActionId,
        meta: Upload,
    ) -> Result<Self, ActionError> {
        let source = PartReader {
            store,
            upload,
            parts: meta.parts,
            next_part: 0,
            buf: Vec::new(),
            pos: 0,
            runtime: Handle::current(),
        };
        tokio::task::spawn_blocking(move || {
            let mut reader =
                csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(source);
            let headers = reader.byte_headers().map_err(read_error)?;
            let headers = headers
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let h = String::from_utf8_lossy(h);
                    let h = if i == 0 { h.trim_start_matches('\u{feff}') } else { &h };
                    h.trim().to_owned()
                })
                .collect();
            Ok(CsvRows { reader: Some(reader), headers, position: 0 })
        })
        .await
        .map_err(|e| ActionError::Fatal(format!("The uploaded file could not be read: {e}")))?
    }

    /// Reads up to `max` rows starting at data row `from` (skipping rows already read by an
    /// earlier claim). A row with the wrong number of cells or bytes that are not UTF-8 is a
    /// row error, not a failure of the action.
    pub async fn batch(&mut self, from: u64, max: usize) -> Result<Vec<Row>, ActionError> {
        let mut reader = self
            .reader
            .take()
            .ok_or_else(|| ActionError::Fatal("The uploaded file could not be read.".to_owned()))?;
        let width = self.headers.len();
        let mut position = self.position;
        let (reader, rows, position) = tokio::task::spawn_blocking(move || {
            let mut record = csv::ByteRecord::new();
            let mut rows = Vec::with_capacity(max);
            while rows.len() < max {
                if !reader.read_byte_record(&mut record).map_err(read_error)? {
                    break;
                }
                position += 1;
                if position <= from {
                    continue;
                }
                rows.push(row(&record, width));
            }
            Ok::<_, ActionError>((reader, rows, position))
        })
        .await
        .map_err(|e| ActionError::Fatal(format!("The uploaded file could not be read: {e}")))??;
        self.reader = Some(reader);
        self.position = position;
        Ok(rows)
    }
}

fn row(record: &csv::ByteRecord, width: usize) -> Row {
    if record.len() != width {
        return Err(format!("row has {} fields, the header has {width}", record.len()));
    }
    record
        .iter()
        .map(|cell| String::from_utf8(cell.to_vec()).map(|s| s.trim().to_owned()))
        .collect::<Result<_, _>>()
        .map_err(|_| "row is not valid UTF-8 text".to_owned())
}
