//! Control of actions from outside their run: cancellation. [`ControlStore`] is part of the
//! API's role ([`crate::ApiStore`]); [`cancel`] is the one cancellation procedure every caller
//! uses.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionResult, ActionStatus, ProjectId, Timestamp};

use crate::{ActionRecord, ApiStore, StoreError};

/// Cancellation. Each call is one short transaction.
#[async_trait]
pub trait ControlStore: Send + Sync {
    /// Ends an action nobody holds (ENQUEUED, or IN_PROGRESS with its lease expired or
    /// given back) as FAILED with `result`, if its attempt and cursor are still `attempt` and
    /// `cursor`. Bumps the attempt, so a stale holder can write nothing more. In the same
    /// transaction, queues the action's webhook deliveries ([`crate::plan_deliveries`]).
    /// Whether it did.
    async fn cancel_idle(
        &self,
        project: &ProjectId,
        id: &ActionId,
        attempt: u32,
        cursor: u64,
        now: Timestamp,
        result: &ActionResult,
    ) -> Result<bool, StoreError>;

    /// Asks the holder of an IN_PROGRESS action to stop at its next chunk boundary. Whether
    /// the action was IN_PROGRESS.
    async fn flag_cancel(
        &self,
        project: &ProjectId,
        id: &ActionId,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// What a cancel request did.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelOutcome {
    /// The action was not running: it is FAILED with the cancellation result now.
    Cancelled(ActionRecord),
    /// The action is running: its holder ends it at the next chunk boundary.
    Requested(ActionRecord),
    /// The action had already finished; nothing changed.
    AlreadyFinished(ActionRecord),
    /// No such action in this project.
    NotFound,
}

/// Cancels an action: at once when nobody holds it, else by asking its holder. Retries
/// when the action changes hands between the read and the write.
pub async fn cancel(
    store: &dyn ApiStore,
    project: &ProjectId,
    id: &ActionId,
    now: Timestamp,
) -> Result<CancelOutcome, StoreError> {
    for _ in 0..8 {
        let Some(action) = store.get_action(project, id).await? else {
            return Ok(CancelOutcome::NotFound);
        };
        if action.status.is_final() {
            return Ok(CancelOutcome::AlreadyFinished(action));
        }
        let result = ActionResult::cancelled(action.done_count, action.failed_count);
        if store.cancel_idle(project, id, action.attempt, action.cursor, now, &result).await? {
            return Ok(match store.get_action(project, id).await? {
                Some(action) => CancelOutcome::Cancelled(action),
                None => CancelOutcome::NotFound,
            });
        }
        if action.status == ActionStatus::InProgress && store.flag_cancel(project, id, now).await? {
            return Ok(match store.get_action(project, id).await? {
                Some(action) if action.status.is_final() => CancelOutcome::AlreadyFinished(action),
                Some(action) => CancelOutcome::Requested(action),
                None => CancelOutcome::NotFound,
            });
        }
    }
    Err(StoreError::Unavailable(format!("async action {id} kept changing while being cancelled")))
}
