//! CSV uploads: the multipart field `file` is streamed into the store in 1 MiB parts (the
//! claim-check of an import action) and never held whole in memory. On the way, the header
//! line is checked to be text and the records are counted (for progress); a file that is
//! empty, binary, header-only or over the limit is refused before any action exists, and its
//! parts are deleted.

use axum::extract::{Multipart, multipart::Field};
use csv_core::{ReadRecordResult, Reader};
use cv_domain::{ActionId, payload::Upload};

use crate::{ApiError, AppState};

const PART_BYTES: usize = 1024 * 1024;

/// What the upload stream has seen so far.
struct Scan {
    counter: Reader,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    records: u64,
    header: Vec<u8>,
    header_done: bool,
}

impl Scan {
    fn new() -> Self {
        Self {
            counter: Reader::new(),
            scratch: vec![0; 64 * 1024],
            ends: vec![0; 4096],
            records: 0,
            header: Vec::new(),
            header_done: false,
        }
    }

    /// Feeds bytes (an empty slice at the end of the file) to the record counter.
    fn feed(&mut self, mut input: &[u8]) {
        if !self.header_done {
            match input.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.header.extend_from_slice(&input[..end]);
                    self.header_done = true;
                }
                None => self.header.extend_from_slice(input),
            }
        }
        let at_end = input.is_empty();
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
    fn refusal(&self, bytes: u64) -> Option<&'static str> {
        let header = self.header.strip_suffix(b"\r").unwrap_or(&self.header);
        if bytes == 0 || self.records == 0 {
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
    let mut scan = Scan::new();
    let mut part = Vec::with_capacity(PART_BYTES);
    let (mut parts, mut bytes) = (0u32, 0u64);
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(state, e))? {
        bytes += chunk.len() as u64;
        if bytes > limit {
            return Err(ApiError::PayloadTooLarge(limit as usize));
        }
        scan.feed(&chunk);
        let rows_limit = state.config.csv_row_limit;
        if rows_limit > 0 && scan.records > rows_limit + 1 {
            return Err(ApiError::InvalidPayload(format!(
                "The file has more than {rows_limit} rows (the limit of this server)"
            )));
        }
        part.extend_from_slice(&chunk);
        if part.len() >= PART_BYTES {
            state.store.put_upload_part(id, parts, std::mem::take(&mut part)).await?;
            parts += 1;
        }
    }
    scan.feed(&[]);
    let rows_limit = state.config.csv_row_limit;
    if rows_limit > 0 && scan.records > rows_limit + 1 {
        return Err(ApiError::InvalidPayload(format!(
            "The file has more than {rows_limit} rows (the limit of this server)"
        )));
    }
    if let Some(reason) = scan.refusal(bytes) {
        return Err(ApiError::InvalidPayload(reason.to_owned()));
    }
    if !part.is_empty() {
        state.store.put_upload_part(id, parts, part).await?;
        parts += 1;
    }
    Ok(Upload { parts, bytes, rows: scan.records - 1 })
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

    fn scan(input: &[u8], pieces: usize) -> Scan {
        let mut s = Scan::new();
        for piece in input.chunks(pieces.max(1)) {
            s.feed(piece);
        }
        s.feed(&[]);
        s
    }

    #[test]
    fn counts_records_across_any_split() {
        let file = b"name,source_id\n\"a,\nb\",1\nc,2\r\nd,3";
        for size in [1, 2, 3, 7, 100] {
            let s = scan(file, size);
            assert_eq!(s.records, 4, "split {size}");
            assert_eq!(s.header, b"name,source_id");
            assert_eq!(s.refusal(file.len() as u64), None);
        }
    }

    #[test]
    fn refuses_files_that_cannot_be_imports() {
        assert_eq!(scan(b"", 10).refusal(0), Some("The file is empty"));
        assert_eq!(
            scan(b"name,source_id\n", 10).refusal(15),
            Some("The file has a header line but no data rows")
        );
        assert_eq!(
            scan(b"name,source_id", 10).refusal(14),
            Some("The file has a header line but no data rows")
        );
        let binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        assert!(
            scan(binary, 4).refusal(binary.len() as u64).is_some_and(|r| r.contains("not UTF-8"))
        );
        assert_eq!(
            scan(b"\nname\n", 10).refusal(6),
            Some("The file's first line (the header) is empty")
        );
    }
}
