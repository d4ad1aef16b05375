//! Control of actions from outside their run: cancellation, and the maintenance that keeps
//! the database from growing forever. [`ControlStore`] is a supertrait of [`crate::Store`];
//! [`cancel`] is the one cancellation procedure every caller uses.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionStatus, ProjectId, Timestamp};
use serde_json::{Value, json};

use crate::{ActionRecord, Fence, Store, StoreError};

/// Cancellation, the maintenance lease and retention. Each call is one short transaction.
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
        result: Value,
    ) -> Result<bool, StoreError>;

    /// Asks the holder of an IN_PROGRESS action to stop at its next chunk boundary. Whether
    /// the action was IN_PROGRESS.
    async fn flag_cancel(
        &self,
        project: &ProjectId,
        id: &ActionId,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Gives a held action back after a slice, so other actions get a turn: the lease ends
    /// at `now` (any worker may claim it again, the attempt counter moves on then), and the
    /// action goes behind its project's queue. [`StoreError::LeaseLost`] when the fence is
    /// stale.
    async fn requeue(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError>;

    /// Whether an action is waiting to be claimed at `now` (ENQUEUED, or held by an expired
    /// lease, and not held back by its serial group).
    async fn any_runnable(&self, now: Timestamp) -> Result<bool, StoreError>;

    /// Whether a cancel was asked for the action this fence holds; [`StoreError::LeaseLost`]
    /// when the fence is stale.
    async fn cancel_requested(&self, fence: &Fence) -> Result<bool, StoreError>;

    /// Takes (or, for its holder, renews) the lease called `name` until `now + ttl_ms`, if
    /// nobody else holds it. Whether `holder` holds it now.
    async fn take_maintenance_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes up to `limit` finished actions last changed before `before`, with their
    /// payloads, uploads and report lines. How many actions it deleted.
    async fn prune_finished(&self, before: Timestamp, limit: u32) -> Result<u64, StoreError>;

    /// Deletes the payloads, and the uploaded files, of up to `limit` finished actions each
    /// (their results and reports stay). How many rows it deleted; 0 when none is left.
    async fn drop_finished_payloads(&self, limit: u32) -> Result<u64, StoreError>;
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

/// The `result` of a cancelled action: Voucherify's failure shape plus the counters of the
/// chunks that committed before the cancel (those stay applied).
pub fn cancelled_result(action: &ActionRecord) -> Value {
    json!({
        "message": "Cancelled.",
        "error": {"key": "cancelled", "message": "Cancelled."},
        "done_count": action.done_count,
        "failed_count": action.failed_count,
    })
}

/// Cancels an action: at once when nobody holds it, else by asking its holder. Retries
/// when the action changes hands between the read and the write.
pub async fn cancel(
    store: &dyn Store,
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
        let result = cancelled_result(&action);
        if store.cancel_idle(project, id, action.attempt, action.cursor, now, result).await? {
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
