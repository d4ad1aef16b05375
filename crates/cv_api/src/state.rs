use std::sync::Arc;

use cv_domain::{Clock, SystemClock, Timestamp};
use cv_store::Store;

use crate::ApiConfig;

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
}

impl AppState {
    /// State over `store` with `config`, on the wall clock.
    pub fn new(store: Arc<dyn Store>, config: ApiConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
            clock: Arc::new(SystemClock),
            rate_limiter: Arc::default(),
        }
    }

    /// The same state reading the time from `clock`.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The current time on the state's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
