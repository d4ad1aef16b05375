use std::sync::Arc;

use cv_store::Store;

use crate::ApiConfig;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// HTTP settings.
    pub config: Arc<ApiConfig>,
}

impl AppState {
    /// State over `store` with `config`.
    pub fn new(store: Arc<dyn Store>, config: ApiConfig) -> Self {
        Self { store, config: Arc::new(config) }
    }
}
