//! The properties Conveyor's parsers keep on any input, one module per fuzz target.
//!
//! Each module's `check(data)` takes the raw bytes a fuzzer produces, runs them through the
//! parser exactly as the server does, and panics when a property fails: not only "does not
//! panic", but parse → print → parse round trips, a refused input becoming a Voucherify-shaped
//! 400, a CSV upload's counted rows being the rows its import reads. The fuzz targets in
//! `fuzz/fuzz_targets/` (cargo-fuzz, libFuzzer) call these functions, and the crate's test
//! `corpus` replays every committed input of `fuzz/corpus/<target>/` through them, so
//! `cargo test` covers the corpus on stable Rust.
//!
//! Inputs that choose between parsers start with a selector byte: its distance from `a`
//! (wrapping, modulo the number of choices) picks the parser, so seed files stay readable
//! (`a[{"source_id": "c1"}]` is a customers bulk update).

pub mod code_config;
pub mod csv_import;
pub mod json_body;
pub mod query_params;
pub mod timestamp;

mod shape;

/// A check over a fuzzer's raw input; it panics when a property fails.
pub type Check = fn(&[u8]);

/// Every fuzz target by name (the name of its corpus folder and of its file in
/// `fuzz/fuzz_targets/`), with its check.
pub const TARGETS: [(&str, Check); 5] = [
    ("code_config", code_config::check),
    ("csv_import", csv_import::check),
    ("json_body", json_body::check),
    ("query_params", query_params::check),
    ("timestamp", timestamp::check),
];

/// The choice among `count` that a selector byte makes (`a` is the first).
fn select(byte: u8, count: usize) -> usize {
    usize::from(byte.wrapping_sub(b'a')) % count
}
