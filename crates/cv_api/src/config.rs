use serde::{Deserialize, Serialize};

/// HTTP settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Largest accepted request body, in bytes (Voucherify: 10 MB). Larger bodies get 413.
    pub body_limit_bytes: usize,
    /// Largest accepted CSV upload, in bytes (Voucherify: 10 MB). Uploads are streamed to the
    /// database in parts, so raising it costs no memory. Larger files get 413.
    pub csv_limit_bytes: u64,
    /// The most orders one `POST /v1/orders/import` may carry (Voucherify: 2000). Larger
    /// imports get 400.
    pub orders_import_limit: usize,
    /// The externally visible base URL (e.g. `https://promo.example.com`), used for report
    /// links. When unset, links are built from the request's `Host` header.
    pub public_url: Option<String>,
    /// Lifetime of an OAuth access token, in seconds (Voucherify: 900).
    pub oauth_token_ttl_secs: u32,
    /// Most live (unexpired, unrevoked) OAuth access tokens a project may hold at once
    /// (Voucherify: 1000). Past it, `POST /v1/oauth/token` answers 429.
    pub oauth_token_limit: u32,
    /// Authenticated calls one project may make per minute (bulk calls apart); over it, 429.
    /// 0: no limit.
    pub rate_limit_per_minute: u32,
    /// Calls that create async actions one project may make per minute; over it, 429.
    /// 0: no limit.
    pub bulk_rate_limit_per_minute: u32,
    /// Time a request may take, reading its body included, in milliseconds; over it, 408.
    /// (A long-poll waits at most 30 s; streamed responses are timed until their headers.)
    /// 0: no limit.
    pub request_timeout_ms: u64,
    /// The same for CSV uploads, which may be large. 0: no limit.
    pub upload_timeout_ms: u64,
    /// Time a client may take to send a request's headers, in milliseconds; then the
    /// connection is closed (slow clients holding connections open). 0: no limit.
    pub header_read_timeout_ms: u64,
    /// Largest request head (request line and headers), in bytes; over it, 431.
    pub max_header_bytes: usize,
    /// CSV uploads received at the same time (each streams into the database); more get
    /// 429 `too_many_uploads`. 0: no limit.
    pub max_concurrent_uploads: usize,
    /// Most data rows one CSV file may have; more get 400. 0: no limit.
    pub csv_row_limit: u64,
    /// How often a long-poll (`GET /v1/async-actions/{id}?wait=…`) or event stream
    /// (`…/events`) re-reads its action when no change notification arrived, in milliseconds.
    /// Notifications wake them at once; this only bounds how late a missed one is noticed
    /// (e.g. a change written by a process that does not share this one's notifications).
    pub live_recheck_ms: u64,
    /// How often an event stream sends a keep-alive comment while its action does not change,
    /// in milliseconds, so proxies do not close an idle stream.
    pub events_keep_alive_ms: u64,
    /// When set (and not empty), `GET /metrics` requires `Authorization: Bearer <token>` with
    /// this token, else 401. Unset: `/metrics` is open, as `/healthz` is; it shows counts and
    /// timings for operators, no project data.
    pub metrics_token: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 10 * 1024 * 1024,
            csv_limit_bytes: 10 * 1024 * 1024,
            orders_import_limit: 2000,
            public_url: None,
            oauth_token_ttl_secs: 900,
            oauth_token_limit: 1000,
            rate_limit_per_minute: 60_000,
            bulk_rate_limit_per_minute: 60_000,
            request_timeout_ms: 60_000,
            upload_timeout_ms: 3_600_000,
            header_read_timeout_ms: 10_000,
            max_header_bytes: 64 * 1024,
            max_concurrent_uploads: 8,
            csv_row_limit: 10_000_000,
            live_recheck_ms: 5000,
            events_keep_alive_ms: 15000,
            metrics_token: None,
        }
    }
}
