//! Reading an uploaded CSV file, part by part, without ever holding it whole.
//!
//! The csv crate wants a blocking `Read`; the parts live in the store, behind async calls.
//! [`CsvRows`] keeps one `csv::Reader` over a [`PartReader`] for the whole claim and moves it
//! into a blocking thread for each batch, where `PartReader` fetches the next part with
//! `Handle::block_on` when the current one is used up. Memory stays at one part (1 MiB)
//! plus one batch of records. The reading itself ([`open_reader`], [`read_batch`]) is
//! synchronous and knows nothing of the store, so it runs on parts held in memory too
//! (`crate::csv_preview`).

use std::{borrow::Cow, io::Read, sync::Arc};

use cv_domain::{ActionId, bom::BomStrip, payload::Upload};
use cv_engine::ActionError;
use cv_store::{Inputs, StoreError};
use tokio::runtime::Handle;

/// Fetches part `index` of an upload (`None`: missing).
pub(crate) type FetchPart = Box<dyn FnMut(u32) -> std::io::Result<Option<Vec<u8>>> + Send + Sync>;

/// A `Read` over the parts of an upload, its leading byte-order marks dropped (wherever the
/// parts split them).
pub(crate) struct PartReader {
    fetch: FetchPart,
    parts: u32,
    next_part: u32,
    buf: Vec<u8>,
    pos: usize,
    bom: BomStrip,
}

impl PartReader {
    /// A reader over `parts` parts fetched by `fetch`.
    pub(crate) fn new(parts: u32, fetch: FetchPart) -> Self {
        Self { fetch, parts, next_part: 0, buf: Vec::new(), pos: 0, bom: BomStrip::new() }
    }

    /// A reader over the stored parts of the upload of action `upload`.
    fn stored(store: Arc<dyn Inputs>, upload: ActionId, parts: u32) -> Self {
        let runtime = Handle::current();
        Self::new(
            parts,
            Box::new(move |index| {
                runtime.block_on(store.upload_part(&upload, index)).map_err(std::io::Error::other)
            }),
        )
    }
}

impl Read for PartReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            let part = if self.next_part >= self.parts {
                // The end: release bytes held back as a possible byte-order mark, once.
                let held = self.bom.strip(&[]).into_owned();
                if held.is_empty() {
                    return Ok(0);
                }
                held
            } else {
                let index = self.next_part;
                let part = (self.fetch)(index)?.ok_or_else(|| {
                    std::io::Error::other(format!("part {index} of the upload is missing"))
                })?;
                self.next_part += 1;
                if part.is_empty() {
                    // Not the end of the file (which `strip` takes an empty piece for).
                    continue;
                }
                // Past the file's first bytes the part passes unchanged: no copy.
                let stripped = match self.bom.strip(&part) {
                    Cow::Borrowed(rest) if rest.len() == part.len() => None,
                    other => Some(other.into_owned()),
                };
                stripped.unwrap_or(part)
            };
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
    /// The header cells, trimmed of whitespace and byte-order marks ([`header_cell`]).
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

/// A CSV reader over `source` as every import reads one: flexible row widths, the first
/// record the header.
pub(crate) fn open_reader(source: PartReader) -> csv::Reader<PartReader> {
    csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(source)
}

/// The header cells ([`header_cell`]).
pub(crate) fn read_headers(
    reader: &mut csv::Reader<PartReader>,
) -> Result<Vec<String>, ActionError> {
    let headers = reader.byte_headers().map_err(read_error)?;
    Ok(headers.iter().map(header_cell).collect())
}

/// A header cell as the column mappers match it: lossily decoded, and trimmed of whitespace
/// and of U+FEFF (a byte-order mark: invisible, and left inside a cell by files joined or
/// exported twice), at both ends.
fn header_cell(cell: &[u8]) -> String {
    let text = String::from_utf8_lossy(cell);
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').to_owned()
}

/// Reads up to `max` rows starting at data row `from`, `position` being the number of data
/// rows `reader` has read already (rows before `from` are read and skipped); returns the rows
/// and the new position.
pub(crate) fn read_batch(
    reader: &mut csv::Reader<PartReader>,
    width: usize,
    mut position: u64,
    from: u64,
    max: usize,
) -> Result<(Vec<Row>, u64), ActionError> {
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::with_capacity(max.min(4096));
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
    Ok((rows, position))
}

impl CsvRows {
    /// Opens the upload of action `upload` and reads its header line.
    pub async fn open(
        store: Arc<dyn Inputs>,
        upload: ActionId,
        meta: Upload,
    ) -> Result<Self, ActionError> {
        let source = PartReader::stored(store, upload, meta.parts);
        tokio::task::spawn_blocking(move || {
            let mut reader = open_reader(source);
            let headers = read_headers(&mut reader)?;
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
        let position = self.position;
        let (reader, rows, position) = tokio::task::spawn_blocking(move || {
            let (rows, position) = read_batch(&mut reader, width, position, from, max)?;
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
