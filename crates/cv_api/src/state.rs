use std::sync::Arc;

use cv_domain::{Clock, ProjectId, SystemClock, Timestamp};
use cv_store::ApiStore;
use tokio_util::sync::CancellationToken;

use crate::{
    ApiConfig, ApiMetrics,
    read_cache::ReadCache,
    routes::async_actions::{GetKey, ListKey},
};

/// What every handler can reach: one shared [`Shared`], so that the clone each middleware
/// layer and handler takes per request is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    /// The database.
    pub store: Arc<dyn ApiStore>,
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
    /// Answers of `GET /v1/async-actions/{id}` (without a long-poll), kept the same way.
    pub(crate) get_cache: Arc<ReadCache<GetKey>>,
    /// App keys by app id (absent ones too), kept while the store is not written.
    pub(crate) credentials: Arc<ReadCache<String, Option<(ProjectId, String)>>>,
    /// The HTTP series and the registry `/metrics` exposes.
    pub metrics: ApiMetrics,
}

impl AppState {
    /// State over `store` with `config`, on the wall clock, recording into `metrics`.
    pub fn new(store: Arc<dyn ApiStore>, config: ApiConfig, metrics: ApiMetrics) -> Self {
        let uploads = match config.max_concurrent_uploads {
            0 => tokio::sync::Semaphore::MAX_PERMITS,
            n => n,
        };
        Self(Arc::new(Shared {
            uploads: Arc::new(tokio::sync::Semaphore::new(uploads)),
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            rate_limiter: Arc::default(),
            shutdown: CancellationToken::new(),
            list_cache: Arc::default(),
            get_cache: Arc::default(),
            credentials: Arc::default(),
            metrics,
        }))
    }

    /// The same state reading the time from `clock`.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self(Arc::new(Shared { clock, ..Arc::unwrap_or_clone(self.0) }))
    }

    /// The same state ending its live requests when `shutdown` is cancelled.
    pub fn with_shutdown(self, shutdown: CancellationToken) -> Self {
        Self(Arc::new(Shared { shutdown, ..Arc::unwrap_or_clone(self.0) }))
    }

    /// The current time on the state's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
