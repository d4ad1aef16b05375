//! Conveyor's HTTP API: Voucherify's async-actions endpoints, the producers that enqueue
//! actions, and the resources they act on, byte-compatible with Voucherify's wire format.
//!
//! This is the only crate that knows Voucherify's JSON shapes ([`wire`]); it converts them to
//! domain types by hand at the edge and enqueues work through the store, never running it.

mod auth;
mod config;
mod error;
mod extract;
mod limits;
mod live;
mod metrics;
pub mod openapi;
mod rate_limit;
pub mod read_cache;
mod request_id;
mod router;
mod routes;
mod state;
mod upload;
pub mod wire;

pub use auth::hash_token;
pub use config::ApiConfig;
pub use error::ApiError;
pub use extract::{ActionListQuery, JsonBody, QueryMap};
pub use live::{LongPoll, Seen};
pub use metrics::ApiMetrics;
pub use router::{Access, ROUTES, Route, UNDOCUMENTED, Verb, router};
pub use state::{AppState, Shared};
pub use upload::CsvScan;
