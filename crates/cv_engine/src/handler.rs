use std::sync::Arc;

use async_trait::async_trait;
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};

/// Why an action could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The action cannot run (unreadable payload, vanished resource…): it ends FAILED with
    /// this message in its result.
    #[error("{0}")]
    Fatal(String),
    /// A store error; the engine decides whether to retry.
    #[error(transparent)]
    Store(#[from] cv_store::StoreError),
}

/// What the engine asks of the action types: implemented once, by the actions crate, as a
/// `match` over the closed set of kinds.
#[async_trait]
pub trait Handlers: Send + Sync + 'static {
    /// Prepares a run of `action` from its stored payload. Called once per claim, so a run
    /// may keep the parsed payload in memory (or an open upload) for all its chunks. `store`
    /// is there for what the payload only points to, such as an uploaded file.
    async fn start(
        &self,
        action: &ActionRecord,
        payload: Vec<u8>,
        store: Arc<dyn Store>,
    ) -> Result<Box<dyn ActionRun>, ActionError>;
}

/// One claim's run of one action.
#[async_trait]
pub trait ActionRun: Send {
    /// The items from `cursor` on, at most `max` of them; empty when every item is done.
    /// Must be deterministic for a given payload and cursor, because a chunk may be
    /// recomputed after a crash — or select only work not yet done (a purge asks for objects
    /// that still have the key), so that a recomputed chunk does what the lost one would have.
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError>;

    /// Which items get a report line.
    fn report_mode(&self) -> ReportMode;

    /// The action's `result` once every item is done. `action` carries the final counters.
    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<serde_json::Value, ActionError>;
}
