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
    /// How often a long-poll (`GET /v1/async-actions/{id}?wait=…`) or event stream
    /// (`…/events`) re-reads its action when no change notification arrived, in milliseconds.
    /// Notifications wake them at once; this only bounds how late a missed one is noticed
    /// (e.g. a change written by a process that does not share this one's notifications).
    pub live_recheck_ms: u64,
    /// How often an event stream sends a keep-alive comment while its action does not change,
    /// in milliseconds, so proxies do not close an idle stream.
    pub events_keep_alive_ms: u64,
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
            live_recheck_ms: 5000,
            events_keep_alive_ms: 15000,
        }
    }
}
