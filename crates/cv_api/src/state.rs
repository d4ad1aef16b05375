use std::sync::Arc;

use cv_domain::{Clock, ProjectId, SystemClock, Timestamp};
use cv_store::Store;
use tokio_util::sync::CancellationToken;

use crate::{ApiConfig, ApiMetrics, read_cache::ReadCache, routes::async_actions::ListKey};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// HTTP settings.
    pub config: Arc<ApiConfig>,
    /// Where handlers read the time (the wall clock, or a test's manual clock).
    pub clock: Arc<dyn Clock>,
    /// The per-project call counters.
    pub rate_limiter: Arc<crate::rate_limit::RateLimiter>,
    /// Permits of CSV uploads being received (`max_concurrent_uploads`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the server shuts down: long-polls answer and event streams end, so the
    /// graceful shutdown does not wait for them.
    pub shutdown: CancellationToken,
    /// Pages of the action list, kept while the store is not written (see
    /// [`crate::read_cache`]).
    pub(crate) list_cache: Arc<ReadCache<ListKey>>,
    /// App keys by app id (absent ones too), kept while the store is not written.
    pub(crate) credentials: Arc<ReadCache<String, Option<(ProjectId, String)>>>,
    /// The HTTP series and the registry `/metrics` exposes.
    pub metrics: ApiMetrics,
}

impl AppState {
    /// State over `store` with `config`, on the wall clock, recording into `metrics`.
    pub fn new(store: Arc<dyn Store>, config: ApiConfig, metrics: ApiMetrics) -> Self {
        let uploads = match config.max_concurrent_uploads {
            0 => tokio::sync::Semaphore::MAX_PERMITS,
            n => n,
        };
        Self {
            uploads: Arc::new(tokio::sync::Semaphore::new(uploads)),
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            rate_limiter: Arc::default(),
            shutdown: CancellationToken::new(),
            list_cache: Arc::default(),
            credentials: Arc::default(),
            metrics,
        }
    }

    /// The same state reading the time from `clock`.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The same state ending its live requests when `shutdown` is cancelled.
    pub fn with_shutdown(self, shutdown: CancellationToken) -> Self {
        Self { shutdown, ..self }
    }

    /// The current time on the state's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
