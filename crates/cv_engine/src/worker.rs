use std::sync::Arc;

use cv_domain::ActionStatus;
use cv_store::{ChunkCommit, ClaimedAction, CommitMode, Fence, StoreError};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::{ActionError, FailureLocation, engine::Inner};

/// How one claim of an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    /// DONE or FAILED was committed.
    Finished,
    /// A failure point fired: the worker stopped dead, lease held.
    Crashed,
    /// The lease was given back (shutdown, or a transient store error).
    Released,
    /// Another attempt owns the action now.
    LeaseLost,
}

/// Why a run stopped before finishing.
enum Stop {
    Crashed,
    Shutdown,
    LeaseLost,
    Transient(String),
    Fatal(String),
    Internal(anyhow::Error),
}

impl From<StoreError> for Stop {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::LeaseLost(_) => Stop::LeaseLost,
            StoreError::InjectedFailure => Stop::Crashed,
            StoreError::Unavailable(msg) => Stop::Transient(msg),
            other => Stop::Internal(other.into()),
        }
    }
}

impl From<ActionError> for Stop {
    fn from(err: ActionError) -> Self {
        match err {
            ActionError::Fatal(msg) => Stop::Fatal(msg),
            ActionError::Store(e) => e.into(),
        }
    }
}

pub(crate) struct Worker {
    inner: Arc<Inner>,
    name: String,
}

impl Worker {
    pub fn new(inner: Arc<Inner>, name: String) -> Self {
        Self { inner, name }
    }

    pub async fn claim(&self) -> Result<Option<ClaimedAction>, StoreError> {
        let lease = self.inner.config.lease_ms as i64;
        self.inner.store.claim_next(&self.name, self.inner.clock.now(), lease).await
    }

    /// Claims and runs actions until `shutdown`; sleeps on wake-ups with a poll fallback.
    pub async fn run_loop(&self, shutdown: CancellationToken) {
        let wake = self.inner.store.wakeups();
        while !shutdown.is_cancelled() {
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.claim().await {
                Ok(Some(claim)) => {
                    self.execute(claim, &shutdown).await;
                    continue;
                }
                Ok(None) => {}
                Err(err) => warn!(message = "Claim failed.", %err),
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.inner.config.poll_interval()) => {}
                () = shutdown.cancelled() => {}
            }
        }
    }

    /// Runs one claimed action in its own task (a panic in action code fails that action, not
    /// the worker), with a heartbeat alongside.
    pub async fn execute(&self, claim: ClaimedAction, shutdown: &CancellationToken) -> RunOutcome {
        let fence = claim.fence.clone();
        let lost = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(self.inner.clone(), fence.clone(), lost.clone()));
        let run = tokio::spawn(run(self.inner.clone(), claim, shutdown.clone(), lost));
        let stop = match run.await {
            Ok(Ok(())) => None,
            Ok(Err(stop)) => Some(stop),
            Err(join) => Some(Stop::Internal(anyhow::anyhow!("action code panicked: {join}"))),
        };
        heartbeat.abort();
        self.settle(&fence, stop).await
    }

    async fn settle(&self, fence: &Fence, stop: Option<Stop>) -> RunOutcome {
        let store = &self.inner.store;
        let now = self.inner.clock.now();
        let (message, key) = match stop {
            None => return RunOutcome::Finished,
            Some(Stop::Crashed) => return RunOutcome::Crashed,
            Some(Stop::LeaseLost) => {
                warn!(message = "Lease lost; stopping.", async_action.id = %fence.action_id, attempt = fence.attempt);
                return RunOutcome::LeaseLost;
            }
            Some(Stop::Shutdown) => {
                if let Err(err) = store.release_lease(fence, now).await {
                    warn!(message = "Could not release the lease; it will expire.", async_action.id = %fence.action_id, %err);
                }
                info!(message = "Released on shutdown.", async_action.id = %fence.action_id);
                return RunOutcome::Released;
            }
            Some(Stop::Transient(msg)) => {
                warn!(message = "Transient store error; releasing.", async_action.id = %fence.action_id, error = %msg);
                if let Err(err) = store.release_lease(fence, now).await {
                    warn!(message = "Could not release the lease; it will expire.", async_action.id = %fence.action_id, %err);
                }
                return RunOutcome::Released;
            }
            Some(Stop::Fatal(msg)) => (msg, "action_failed"),
            Some(Stop::Internal(err)) => {
                error!(message = "Action failed with an internal error.", async_action.id = %fence.action_id, error = %err);
                ("Internal error".to_owned(), "internal_error")
            }
        };
        let result = json!({"message": message, "error": {"key": key, "message": message}});
        match store.finish_action(fence, now, ActionStatus::Failed, result).await {
            Ok(()) => RunOutcome::Finished,
            Err(StoreError::LeaseLost(_)) => RunOutcome::LeaseLost,
            Err(err) => {
                error!(message = "Could not record failure.", async_action.id = %fence.action_id, %err);
                RunOutcome::Released
            }
        }
    }
}

async fn heartbeat(inner: Arc<Inner>, fence: Fence, lost: CancellationToken) {
    loop {
        tokio::time::sleep(inner.config.heartbeat()).await;
        let now = inner.clock.now();
        match inner.store.extend_lease(&fence, now, inner.config.lease_ms as i64).await {
            Ok(()) => {}
            Err(StoreError::LeaseLost(_)) => {
                lost.cancel();
                return;
            }
            Err(err) => {
                warn!(message = "Heartbeat failed.", async_action.id = %fence.action_id, %err)
            }
        }
    }
}

/// The chunk loop of one claim.
async fn run(
    inner: Arc<Inner>,
    claim: ClaimedAction,
    shutdown: CancellationToken,
    lost: CancellationToken,
) -> Result<(), Stop> {
    let store = inner.store.as_ref();
    let fence = claim.fence;
    let payload = store.load_payload(&fence.action_id).await?;
    let mut action = inner.handlers.start(&claim.record, payload, inner.store.clone()).await?;
    let mut cursor = claim.record.cursor;
    loop {
        if lost.is_cancelled() {
            return Err(Stop::LeaseLost);
        }
        if shutdown.is_cancelled() {
            return Err(Stop::Shutdown);
        }
        let items = action.chunk(cursor, inner.config.chunk_size.max(1)).await?;
        if items.is_empty() {
            break;
        }
        let next_cursor = cursor + items.len() as u64;
        let mode = if inner.failpoints.hit(FailureLocation::InsideChunkBeforeCommit) {
            CommitMode::RollbackAfterWrites
        } else {
            CommitMode::Commit
        };
        let chunk = ChunkCommit {
            first_item: cursor,
            items,
            next_cursor,
            report: action.report_mode(),
            mode,
        };
        store.commit_chunk(&fence, inner.clock.now(), chunk).await?;
        cursor = next_cursor;
        if inner.failpoints.hit(FailureLocation::AfterChunkCommit) {
            return Err(Stop::Crashed);
        }
    }
    if inner.failpoints.hit(FailureLocation::BeforeFinish) {
        return Err(Stop::Crashed);
    }
    let record = store
        .get_action(&claim.record.project_id, &fence.action_id)
        .await?
        .ok_or(Stop::LeaseLost)?;
    let result = action.result(store, &record).await?;
    store.finish_action(&fence, inner.clock.now(), ActionStatus::Done, result).await?;
    info!(message = "Action done.", async_action.id = %fence.action_id, kind = %record.kind, done = record.done_count, failed = record.failed_count);
    Ok(())
}
