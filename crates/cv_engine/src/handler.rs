use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::ActionResult;
use cv_store::{ActionRecord, ChunkWrites, FinishEffect, Inputs, ReportMode};

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

/// How an action ends: its result (DONE, or FAILED for a failure), and what its finish writes
/// besides the action row, in the same fenced transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Finish {
    /// The action's `result`.
    pub result: ActionResult,
    /// The finish's other write, if any.
    pub effect: Option<FinishEffect>,
}

impl From<ActionResult> for Finish {
    fn from(result: ActionResult) -> Self {
        Self { result, effect: None }
    }
}

/// What the engine asks of the action types: implemented once, by the actions crate, as a
/// `match` over the closed set of kinds.
#[async_trait]
pub trait Handlers: Send + Sync + 'static {
    /// Prepares a run of `action` from its stored payload. Called once per claim, so a run
    /// may keep the parsed payload in memory (or an open upload) for all its chunks. `inputs`
    /// is the only part of the store an action sees: read-only, for what the payload points
    /// to (an uploaded file, a schema, a campaign).
    async fn start(
        &self,
        action: &ActionRecord,
        payload: Vec<u8>,
        inputs: Arc<dyn Inputs>,
    ) -> Result<Box<dyn ActionRun>, ActionError>;
}

/// One claim's run of one action. A run changes nothing itself: the engine commits the writes
/// it returns, fenced, one chunk per transaction, and then its [`Finish`].
#[async_trait]
pub trait ActionRun: Send {
    /// The writes of the items from `cursor` on, at most `max` of them; empty when every item
    /// is done. Must be deterministic for a given payload and cursor, because a chunk may be
    /// recomputed after a crash — or select only work not yet done (a purge asks for objects
    /// that still have the key), so that a recomputed chunk does what the lost one would have.
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError>;

    /// Which items get a report line.
    fn report_mode(&self) -> ReportMode;

    /// For an action that learns its size only when it runs: how many items are left, as
    /// counted when this run started. The engine sets the action's total from it.
    fn remaining(&self) -> Option<u64> {
        None
    }

    /// How many items are left from `cursor` on, when the run knows without reading anything
    /// (its items are in the payload it holds); `None` when it cannot tell. When none are
    /// left after a chunk, the engine ends the action in that chunk's transaction.
    fn items_left(&self, _cursor: u64) -> Option<u64> {
        None
    }

    /// How the action ends once every item is done. `action` carries the final counters.
    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError>;
}
