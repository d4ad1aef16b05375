//! CSV uploads: the multipart field `file` is streamed into the store in 1 MiB parts (the
//! claim-check of an import action) and never held whole in memory. On the way, the header
//! line is checked to be text and the records are counted (for progress); a file that is
//! empty, binary, header-only or over the limit is refused before any action exists, and its
//! parts are deleted.

use axum::extract::{Multipart, multipart::Field};
use csv_core::{ReadRecordResult, Reader};
use cv_domain::{ActionId, bom::BomStrip, payload::Upload};

use crate::{ApiError, AppState};

const PART_BYTES: usize = 1024 * 1024;

/// What an uploaded CSV file shows while it streams in, piece by piece: its header line and
/// its number of records, counted as the import reads them (a leading byte-order mark
/// dropped, wherever the pieces split it). The count is the action's progress total, and the
/// server's row limit applies to it.
pub struct CsvScan {
    bom: BomStrip,
    counter: Reader,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    bytes: u64,
    records: u64,
    header: Vec<u8>,
    header_done: bool,
}

impl Default for CsvScan {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvScan {
    /// A scan at the start of a file.
    pub fn new() -> Self {
        Self {
            bom: BomStrip::new(),
            counter: Reader::new(),
            scratch: vec![0; 64 * 1024],
            ends: vec![0; 4096],
            bytes: 0,
            records: 0,
            header: Vec::new(),
            header_done: false,
        }
    }

    /// Feeds the next piece of the file (an empty piece changes nothing).
    pub fn feed(&mut self, piece: &[u8]) {
        if piece.is_empty() {
            return;
        }
        self.bytes += piece.len() as u64;
        let text = self.bom.strip(piece);
        self.count(&text, false);
    }

    /// Ends the file: the last record counts even without a line break.
    pub fn finish(&mut self) {
        let held = self.bom.strip(&[]);
        self.count(&held, false);
        self.count(&[], true);
    }

    /// The file's records so far, the header line included.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The file's data rows so far (records after the header).
    pub fn rows(&self) -> u64 {
        self.records.saturating_sub(1)
    }

    /// Whether the file has more than `row_limit` data rows already (0: no limit).
    pub fn exceeds(&self, row_limit: u64) -> bool {
        row_limit > 0 && self.rows() > row_limit
    }

    /// After [`CsvScan::finish`]: the file's data rows, or why it cannot be imported
    /// (`invalid_payload`), the row limit (0: none) checked first.
    pub fn verdict(&self, row_limit: u64) -> Result<u64, ApiError> {
        if self.exceeds(row_limit) {
            return Err(too_many_rows(row_limit));
        }
        match self.refusal() {
            Some(reason) => Err(ApiError::InvalidPayload(reason.to_owned())),
            None => Ok(self.rows()),
        }
    }

    /// Feeds text after the byte-order mark to the header and the record counter.
    fn count(&mut self, mut input: &[u8], at_end: bool) {
        if input.is_empty() && !at_end {
            return;
        }
        if !self.header_done {
            match input.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.header.extend_from_slice(&input[..end]);
                    self.header_done = true;
                }
                None => self.header.extend_from_slice(input),
            }
        }
        loop {
            let (result, consumed, _, _) =
                self.counter.read_record(input, &mut self.scratch, &mut self.ends);
            input = &input[consumed..];
            match result {
                ReadRecordResult::Record => self.records += 1,
                ReadRecordResult::InputEmpty if !at_end => return,
                ReadRecordResult::End => return,
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => {}
            }
        }
    }

    /// Why the file cannot be imported at all, if it cannot.
    fn refusal(&self) -> Option<&'static str> {
        let header = self.header.strip_suffix(b"\r").unwrap_or(&self.header);
        if self.bytes == 0 || self.records == 0 {
            Some("The file is empty")
        } else if header.contains(&0) || std::str::from_utf8(header).is_err() {
            Some("The file is not a CSV text file: its header line is not UTF-8 text")
        } else if header.iter().all(u8::is_ascii_whitespace) {
            Some("The file's first line (the header) is empty")
        } else if self.records < 2 {
            Some("The file has a header line but no data rows")
        } else {
            None
        }
    }
}

fn too_many_rows(row_limit: u64) -> ApiError {
    ApiError::InvalidPayload(format!(
        "The file has more than {row_limit} rows (the limit of this server)"
    ))
}

/// Reads the multipart body, stores field `file` as the upload of `id`, and describes it.
/// Any failure deletes what was stored.
pub async fn store_csv(
    state: &AppState,
    id: &ActionId,
    multipart: Multipart,
) -> Result<Upload, ApiError> {
    let Ok(_permit) = state.uploads.clone().try_acquire_owned() else {
        return Err(ApiError::TooManyUploads(state.config.max_concurrent_uploads));
    };
    // Deletes what was stored unless the upload is accepted — also when this future is
    // dropped half-way (the request's time limit, a client gone).
    let mut guard = PartsGuard { state, id, accepted: false };
    let result = receive(state, id, multipart).await;
    guard.accepted = result.is_ok();
    result
}

/// Deletes an upload's stored parts when dropped before the upload was accepted.
struct PartsGuard<'a> {
    state: &'a AppState,
    id: &'a ActionId,
    accepted: bool,
}

impl Drop for PartsGuard<'_> {
    fn drop(&mut self) {
        if self.accepted {
            return;
        }
        let (store, id) = (self.state.store.clone(), self.id.clone());
        tokio::spawn(async move {
            if let Err(err) = store.delete_upload(&id).await {
                tracing::warn!(message = "Could not delete a refused upload.", upload = %id, %err);
            }
        });
    }
}

async fn receive(
    state: &AppState,
    id: &ActionId,
    mut multipart: Multipart,
) -> Result<Upload, ApiError> {
    let missing =
        || ApiError::InvalidPayload("Payload should have required property 'file'".to_owned());
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(state, e))?
            .ok_or_else(missing)?;
        if field.name() == Some("file") {
            return store_field(state, id, field).await;
        }
    }
}

async fn store_field(
    state: &AppState,
    id: &ActionId,
    mut field: Field<'_>,
) -> Result<Upload, ApiError> {
    let limit = state.config.csv_limit_bytes;
    let rows_limit = state.config.csv_row_limit;
    let mut scan = CsvScan::new();
    let mut part = Vec::with_capacity(PART_BYTES);
    let (mut parts, mut bytes) = (0u32, 0u64);
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(state, e))? {
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(ApiError::PayloadTooLarge(limit as usize));
        }
        scan.feed(&chunk);
        if scan.exceeds(rows_limit) {
            return Err(too_many_rows(rows_limit));
        }
        part.extend_from_slice(&chunk);
        if part.len() >= PART_BYTES {
            state.store.put_upload_part(id, parts, std::mem::take(&mut part)).await?;
            parts += 1;
        }
    }
    scan.finish();
    let rows = scan.verdict(rows_limit)?;
    if !part.is_empty() {
        state.store.put_upload_part(id, parts, part).await?;
        parts += 1;
    }
    Ok(Upload { parts, bytes, rows })
}

fn multipart_error(state: &AppState, err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(state.config.csv_limit_bytes as usize)
    } else {
        ApiError::InvalidPayload(format!(
            "Payload is not valid multipart/form-data: {}",
            err.body_text()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(input: &[u8], pieces: usize) -> CsvScan {
        let mut s = CsvScan::new();
        for piece in input.chunks(pieces.max(1)) {
            s.feed(piece);
        }
        s.finish();
        s
    }

    fn refusal(input: &[u8]) -> Option<&'static str> {
        scan(input, 10).refusal()
    }

    #[test]
    fn counts_records_across_any_split() {
        let file = b"name,source_id\n\"a,\nb\",1\nc,2\r\nd,3";
        for size in [1, 2, 3, 7, 100] {
            let s = scan(file, size);
            assert_eq!(s.records(), 4, "split {size}");
            assert_eq!(s.header, b"name,source_id");
            assert_eq!(s.refusal(), None);
            assert_eq!(s.verdict(0).ok(), Some(3));
        }
    }

    /// Regression (fuzz corpus `csv_import/regression-bom-split*`): a byte-order mark split across two
    /// upload chunks used to reach the counter as text, so a quoted first header cell holding a
    /// line break counted as two records.
    #[test]
    fn a_byte_order_mark_is_dropped_whatever_the_split() {
        let one = &b"\xEF\xBB\xBF\"na\nme\",source_id\na,1\n"[..];
        let two = &b"\xEF\xBB\xBF\xEF\xBB\xBF\"na\nme\",source_id\na,1\n"[..];
        for file in [one, two] {
            for size in 1..=7 {
                let s = scan(file, size);
                assert_eq!(s.records(), 2, "split {size}");
                assert_eq!(s.header, b"\"na");
            }
        }
    }

    /// An empty piece (a chunk without bytes) is not the end of the file.
    #[test]
    fn an_empty_piece_changes_nothing() {
        let mut s = CsvScan::new();
        for piece in [&b"name,sou"[..], b"", b"rce_id\n\"a", b"", b"\",1\n"] {
            s.feed(piece);
        }
        s.finish();
        assert_eq!((s.records(), s.verdict(0).ok()), (2, Some(1)));
    }

    #[test]
    fn the_row_limit_counts_data_rows() {
        let s = scan(b"h\n1\n2\n3\n", 3);
        assert_eq!(s.verdict(3).ok(), Some(3));
        assert!(!s.exceeds(3) && s.exceeds(2));
        let err = s.verdict(2).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid payload: The file has more than 2 rows (the limit of this server)")
        );
    }

    #[test]
    fn refuses_files_that_cannot_be_imports() {
        assert_eq!(refusal(b""), Some("The file is empty"));
        assert_eq!(refusal(b"\xEF\xBB\xBF"), Some("The file is empty"));
        assert_eq!(
            refusal(b"name,source_id\n"),
            Some("The file has a header line but no data rows")
        );
        assert_eq!(refusal(b"name,source_id"), Some("The file has a header line but no data rows"));
        let binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        assert!(scan(binary, 4).refusal().is_some_and(|r| r.contains("not UTF-8")));
        assert_eq!(refusal(b"\nname\n"), Some("The file's first line (the header) is empty"));
    }
}
