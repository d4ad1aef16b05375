use std::{
    sync::{Arc, atomic::Ordering},
    time::Instant,
};

use cv_domain::{ActionKind, ActionResult, ActionStatus};
use cv_store::{
    ActionRecord, ChunkCommit, ClaimedAction, CommitMode, Fence, Finishing, Queue, StoreError,
};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::{ActionError, ActionRun, FailureLocation, engine::Inner};

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
    Cancelled,
    /// The slice is over and other work waits: give the action back, keeping the run (at
    /// `cursor`) for a later claim on this node.
    Yield {
        run: Box<dyn ActionRun>,
        cursor: u64,
    },
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
        let claim = self.inner.queue.claim_next(&self.name, self.inner.clock.now(), lease).await?;
        if let Some(c) = &claim {
            self.inner.metrics.claimed(c.record.kind, c.fence.attempt, c.lease_expired);
            if c.lease_expired {
                info!(message = "Lease ran out; action taken over.", async_action.id = %c.fence.action_id, attempt = c.fence.attempt);
            }
        }
        Ok(claim)
    }

    /// Claims batches of actions, one for each free slot of `slots`, and runs each claimed
    /// action in a task of its own until `shutdown`; sleeps on wake-ups with a poll fallback
    /// when the queue is empty. Returns once every run it started has ended.
    pub async fn dispatch(&self, slots: usize, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(slots.max(1)));
        let wake = self.inner.queue.wakeups();
        let mut running = tokio::task::JoinSet::new();
        let lease = self.inner.config.lease_ms as i64;
        while !shutdown.is_cancelled() {
            let first = tokio::select! {
                permit = slots.clone().acquire_owned() => permit.expect("the slots are never closed"),
                () = shutdown.cancelled() => break,
            };
            let mut permits = vec![first];
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                permits.push(permit);
            }
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wanted = permits.len();
            let now = self.inner.clock.now();
            let limit = u32::try_from(wanted).unwrap_or(u32::MAX);
            let claimed = match self.inner.queue.claim_batch(&self.name, now, lease, limit).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    warn!(message = "Claim failed.", %err);
                    Vec::new()
                }
            };
            let got = claimed.len();
            for claim in claimed {
                self.inner.metrics.claimed(
                    claim.record.kind,
                    claim.fence.attempt,
                    claim.lease_expired,
                );
                if claim.lease_expired {
                    info!(message = "Lease ran out; action taken over.", async_action.id = %claim.fence.action_id, attempt = claim.fence.attempt);
                }
                let permit = permits.pop().expect("one permit per claimed action");
                let worker = Worker::new(self.inner.clone(), self.name.clone());
                let shutdown = shutdown.clone();
                running.spawn(async move {
                    worker.execute(claim, &shutdown).await;
                    drop(permit);
                });
            }
            drop(permits);
            while running.try_join_next().is_some() {}
            if got == wanted {
                continue;
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.inner.config.poll_interval()) => {}
                () = shutdown.cancelled() => {}
            }
        }
        while running.join_next().await.is_some() {}
    }

    /// Runs one claimed action in its own task (a panic in action code fails that action, not
    /// the worker), with a heartbeat alongside.
    pub async fn execute(&self, claim: ClaimedAction, shutdown: &CancellationToken) -> RunOutcome {
        let fence = claim.fence.clone();
        let (project, kind) = (claim.record.project_id.clone(), claim.record.kind);
        let lost = self.inner.held.hold(&fence);
        let run = tokio::spawn(run(self.inner.clone(), claim, shutdown.clone(), lost));
        let stop = match run.await {
            Ok(result) => result,
            Err(join) => Err(Stop::Internal(anyhow::anyhow!("action code panicked: {join}"))),
        };
        let outcome = self.settle(&project, kind, &fence, stop).await;
        self.inner.held.drop_fence(&fence);
        outcome
    }

    async fn settle(
        &self,
        project: &cv_domain::ProjectId,
        kind: ActionKind,
        fence: &Fence,
        ended: Result<ActionStatus, Stop>,
    ) -> RunOutcome {
        let store = &self.inner.queue;
        let now = self.inner.clock.now();
        let stop = match ended {
            Ok(status) => {
                self.inner.metrics.finished(kind, status);
                return RunOutcome::Finished;
            }
            Err(stop) => stop,
        };
        let (message, key) = match stop {
            Stop::Crashed => return RunOutcome::Crashed,
            Stop::LeaseLost => {
                warn!(message = "Lease lost; stopping.", async_action.id = %fence.action_id, attempt = fence.attempt);
                return RunOutcome::LeaseLost;
            }
            Stop::Shutdown => {
                if let Err(err) = store.release_lease(fence, now).await {
                    warn!(message = "Could not release the lease; it will expire.", async_action.id = %fence.action_id, %err);
                }
                info!(message = "Released on shutdown.", async_action.id = %fence.action_id);
                return RunOutcome::Released;
            }
            Stop::Transient(msg) => {
                warn!(message = "Transient store error; releasing.", async_action.id = %fence.action_id, error = %msg);
                if let Err(err) = store.release_lease(fence, now).await {
                    warn!(message = "Could not release the lease; it will expire.", async_action.id = %fence.action_id, %err);
                }
                return RunOutcome::Released;
            }
            Stop::Yield { run, cursor } => {
                // Parked first: the next claim may come from this node's other workers at once.
                self.inner.parked.park(fence, cursor, run);
                return match store.requeue(fence, now).await {
                    Ok(()) => {
                        debug!(message = "Slice over; back in the queue.", async_action.id = %fence.action_id, cursor);
                        RunOutcome::Released
                    }
                    Err(StoreError::LeaseLost(_)) => RunOutcome::LeaseLost,
                    Err(err) => {
                        warn!(message = "Could not give the action back; its lease will expire.", async_action.id = %fence.action_id, %err);
                        RunOutcome::Released
                    }
                };
            }
            Stop::Cancelled => {
                return match held(store.as_ref(), project, fence).await {
                    Ok(record) => {
                        let result =
                            ActionResult::cancelled(record.done_count, record.failed_count);
                        info!(message = "Cancelled.", async_action.id = %fence.action_id, done = record.done_count);
                        self.finish_failed(kind, fence, result).await
                    }
                    Err(StoreError::LeaseLost(_)) => RunOutcome::LeaseLost,
                    Err(err) => {
                        warn!(message = "Could not end a cancelled action; it will be retried.", async_action.id = %fence.action_id, %err);
                        RunOutcome::Released
                    }
                };
            }
            Stop::Fatal(msg) => (msg, "action_failed"),
            Stop::Internal(err) => {
                error!(message = "Action failed with an internal error.", async_action.id = %fence.action_id, error = %err);
                ("Internal error".to_owned(), "internal_error")
            }
        };
        self.finish_failed(kind, fence, ActionResult::failure(key, message)).await
    }

    async fn finish_failed(
        &self,
        kind: ActionKind,
        fence: &Fence,
        result: ActionResult,
    ) -> RunOutcome {
        let finishing = Finishing { fence: fence.clone(), result, effect: None };
        match self
            .inner
            .completions
            .finish(self.inner.queue.as_ref(), self.inner.clock.as_ref(), finishing)
            .await
        {
            Ok(()) => {
                self.inner.metrics.finished(kind, ActionStatus::Failed);
                RunOutcome::Finished
            }
            Err(StoreError::LeaseLost(_)) => RunOutcome::LeaseLost,
            Err(err) => {
                error!(message = "Could not record failure.", async_action.id = %fence.action_id, %err);
                RunOutcome::Released
            }
        }
    }
}

/// The action as stored, if `fence` still holds it.
async fn held(
    store: &dyn Queue,
    project: &cv_domain::ProjectId,
    fence: &Fence,
) -> Result<ActionRecord, StoreError> {
    match store.get_action(project, &fence.action_id).await? {
        Some(r) if r.attempt == fence.attempt && r.status == ActionStatus::InProgress => Ok(r),
        _ => Err(StoreError::LeaseLost(fence.action_id.clone())),
    }
}

/// One claim's run: the chunk loop from the checkpoint, started again in place (same claim,
/// after a backoff) when a transient database error stops it, up to `max_retries` times.
async fn run(
    inner: Arc<Inner>,
    claim: ClaimedAction,
    shutdown: CancellationToken,
    lost: CancellationToken,
) -> Result<ActionStatus, Stop> {
    let fence = claim.fence;
    let mut record = claim.record;
    // The first run starts from what the claim read: the payload and the cancel flag.
    let mut claimed = Some((claim.payload, claim.cancel_requested));
    let mut retry = 0;
    loop {
        let from_claim = claimed.take();
        let err = match run_from(&inner, &mut record, &fence, from_claim, &shutdown, &lost).await {
            Err(Stop::Transient(msg)) => msg,
            other => return other,
        };
        if retry >= inner.config.max_retries {
            return Err(Stop::Transient(err));
        }
        retry += 1;
        inner.retries.fetch_add(1, Ordering::Relaxed);
        inner.metrics.retried(record.kind);
        let delay = inner.config.retry_delay(retry, rand::random::<f64>());
        warn!(message = "Transient database error; retrying from the checkpoint.", async_action.id = %fence.action_id, retry, delay_ms = delay.as_millis() as u64, error = %err);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.cancelled() => return Err(Stop::Shutdown),
            () = lost.cancelled() => return Err(Stop::LeaseLost),
        }
        match held(inner.queue.as_ref(), &record.project_id, &fence).await {
            Ok(fresh) => record = fresh,
            Err(StoreError::Unavailable(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
}

/// The chunk loop of one claim, from the checkpoint in `record`, which it keeps up to date
/// with the counters each chunk adds. `from_claim` is what the claim read (payload, cancel
/// flag), for the claim's first run.
async fn run_from(
    inner: &Arc<Inner>,
    record: &mut ActionRecord,
    fence: &Fence,
    from_claim: Option<(Vec<u8>, bool)>,
    shutdown: &CancellationToken,
    lost: &CancellationToken,
) -> Result<ActionStatus, Stop> {
    let store = inner.queue.as_ref();
    let (payload, mut cancel_known) = match from_claim {
        Some((payload, cancel_requested)) => (Some(payload), Some(cancel_requested)),
        None => (None, None),
    };
    let mut action = match inner.parked.take(fence, record.cursor) {
        Some(run) => run,
        None => {
            let payload = match payload {
                Some(payload) => payload,
                None => store.load_payload(&fence.action_id).await?,
            };
            let run = inner.handlers.start(record, payload, inner.inputs.clone()).await?;
            if let Some(remaining) = run.remaining() {
                store.set_remaining_items(fence, remaining).await?;
            }
            run
        }
    };
    let mut cursor = record.cursor;
    let slice = Instant::now();
    loop {
        if lost.is_cancelled() {
            return Err(Stop::LeaseLost);
        }
        if shutdown.is_cancelled() {
            return Err(Stop::Shutdown);
        }
        let cancel = match cancel_known.take() {
            Some(known) => known,
            None => store.cancel_requested(fence).await?,
        };
        if cancel {
            return Err(Stop::Cancelled);
        }
        if inner.failpoints.hit(FailureLocation::PanicInChunk) {
            panic!("injected panic in action code");
        }
        let started = Instant::now();
        let writes = action.chunk(cursor, inner.config.chunk_size.max(1)).await?;
        if writes.is_empty() {
            break;
        }
        let next_cursor = cursor + writes.len() as u64;
        let mode = if inner.failpoints.hit(FailureLocation::InsideChunkBeforeCommit) {
            CommitMode::RollbackAfterWrites
        } else {
            CommitMode::Commit
        };
        let chunk = ChunkCommit {
            first_item: cursor,
            writes,
            next_cursor,
            report: action.report_mode(),
            mode,
        };
        if inner.failpoints.hit(FailureLocation::TransientCommitError) {
            return Err(Stop::Transient("injected transient error before commit".to_owned()));
        }
        // A last chunk carries the action's finish into its transaction.
        let finishing = last_chunk_finish(inner, action.as_mut(), record, fence, &chunk).await;
        let now = inner.clock.now();
        let (counts, finished) = match &finishing {
            Some(finishing) => store.commit_last_chunk(fence, now, chunk, finishing).await?,
            None => (store.commit_chunk(fence, now, chunk).await?, false),
        };
        inner.metrics.chunk_committed(record.kind, counts.done, counts.failed, started.elapsed());
        cursor = next_cursor;
        // The fence makes this run the counters' only writer: they are what it added.
        record.cursor = cursor;
        record.done_count += counts.done;
        record.failed_count += counts.failed;
        if let Some(finishing) = finishing.filter(|_| finished) {
            return Ok(finished_as(fence, record, finishing.result.status()));
        }
        if inner.failpoints.hit(FailureLocation::AfterChunkCommit) {
            return Err(Stop::Crashed);
        }
        if slice.elapsed() >= inner.config.slice() && store.any_runnable(inner.clock.now()).await? {
            return Err(Stop::Yield { run: action, cursor });
        }
    }
    if inner.failpoints.hit(FailureLocation::BeforeFinish) {
        return Err(Stop::Crashed);
    }
    let finish = action.finish(inner.inputs.as_ref(), record).await?;
    let status = finish.result.status();
    let finishing =
        Finishing { fence: fence.clone(), result: finish.result, effect: finish.effect };
    inner.completions.finish(store, inner.clock.as_ref(), finishing).await?;
    Ok(finished_as(fence, record, status))
}

/// Logs that the action ended with `status`, and answers it.
fn finished_as(fence: &Fence, record: &ActionRecord, status: ActionStatus) -> ActionStatus {
    info!(message = "Action finished.", async_action.id = %fence.action_id, kind = %record.kind, status = status.as_str(), done = record.done_count, failed = record.failed_count);
    status
}

/// The finish to write with `chunk`, when it is the action's last: the run knows no item is
/// left after it, it plans no failed item (so its result needs no report line it has not
/// committed yet), and no failure point waits between its commit and the finish. The result
/// is built from the counters as they will be once the chunk commits as planned; the store
/// writes it only if the chunk does (see `Queue::commit_last_chunk`).
async fn last_chunk_finish(
    inner: &Arc<Inner>,
    action: &mut dyn ActionRun,
    record: &ActionRecord,
    fence: &Fence,
    chunk: &ChunkCommit,
) -> Option<Finishing> {
    let planned = chunk.planned();
    let last = action.items_left(chunk.next_cursor) == Some(0) && planned.failed == 0;
    let failpoints = &inner.failpoints;
    if !last
        || chunk.mode != CommitMode::Commit
        || failpoints.armed(FailureLocation::AfterChunkCommit)
        || failpoints.armed(FailureLocation::BeforeFinish)
    {
        return None;
    }
    let mut then = record.clone();
    then.cursor = chunk.next_cursor;
    then.done_count += planned.done;
    let finish = action.finish(inner.inputs.as_ref(), &then).await.ok()?;
    Some(Finishing { fence: fence.clone(), result: finish.result, effect: finish.effect })
}
