//! What a node does for all the actions it holds at once: their leases, extended together by
//! one heartbeat ([`Held`]), and their finishes, written together ([`Completions`]). Each
//! action keeps its own fence: a stale one is refused alone, the others go through.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use cv_domain::{ActionId, Clock};
use cv_store::{Fence, Finishing, Queue, StoreError};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::EngineConfig;

/// The actions this node holds, each with the token that tells its run the lease is lost.
#[derive(Default)]
pub(crate) struct Held {
    actions: Mutex<HashMap<ActionId, (u32, CancellationToken)>>,
}

impl Held {
    /// Starts keeping `fence`'s lease; the token is cancelled if a heartbeat finds it lost.
    pub fn hold(&self, fence: &Fence) -> CancellationToken {
        let lost = CancellationToken::new();
        let mut actions = self.actions.lock().unwrap_or_else(|p| p.into_inner());
        actions.insert(fence.action_id.clone(), (fence.attempt, lost.clone()));
        lost
    }

    /// Stops keeping `fence`'s lease (its run ended, one way or another).
    pub fn drop_fence(&self, fence: &Fence) {
        let mut actions = self.actions.lock().unwrap_or_else(|p| p.into_inner());
        if actions.get(&fence.action_id).is_some_and(|(attempt, _)| *attempt == fence.attempt) {
            actions.remove(&fence.action_id);
        }
    }

    fn fences(&self) -> Vec<Fence> {
        let actions = self.actions.lock().unwrap_or_else(|p| p.into_inner());
        actions
            .iter()
            .map(|(id, (attempt, _))| Fence { action_id: id.clone(), attempt: *attempt })
            .collect()
    }

    fn lose(&self, fence: &Fence) {
        let mut actions = self.actions.lock().unwrap_or_else(|p| p.into_inner());
        if actions.get(&fence.action_id).is_some_and(|(attempt, _)| *attempt == fence.attempt)
            && let Some((_, lost)) = actions.remove(&fence.action_id)
        {
            lost.cancel();
        }
    }
}

/// Every `heartbeat_ms`, extends the lease of every action `held` holds, in one statement, and
/// tells the runs whose lease is gone. Runs until dropped (the engine aborts it).
pub(crate) async fn heartbeat(
    queue: Arc<dyn Queue>,
    held: Arc<Held>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
) {
    loop {
        tokio::time::sleep(config.heartbeat()).await;
        let fences = held.fences();
        if fences.is_empty() {
            continue;
        }
        match queue.extend_leases(&fences, clock.now(), config.lease_ms as i64).await {
            Ok(lost) => lost.iter().for_each(|fence| held.lose(fence)),
            Err(err) => warn!(message = "Heartbeat failed.", actions = fences.len(), %err),
        }
    }
}

/// At most this many finishes share one transaction.
const MAX_BATCH: usize = 512;

type Waiting = (Finishing, oneshot::Sender<Result<(), StoreError>>);

/// Finishes written in groups: a finish that arrives while another group is being written
/// waits for it, then goes out with every other finish that queued meanwhile, in one
/// transaction. A finish alone goes out at once: batching adds no wait.
#[derive(Default)]
pub(crate) struct Completions {
    queued: Mutex<Vec<Waiting>>,
    writing: tokio::sync::Mutex<()>,
}

impl Completions {
    /// Ends `finishing`'s action (see [`Queue::finish_actions`]) with whatever other finishes
    /// are queued; its own answer.
    pub async fn finish(
        &self,
        queue: &dyn Queue,
        clock: &dyn Clock,
        finishing: Finishing,
    ) -> Result<(), StoreError> {
        let (answer, mut answered) = oneshot::channel();
        self.queued.lock().unwrap_or_else(|p| p.into_inner()).push((finishing, answer));
        loop {
            let _writing = self.writing.lock().await;
            match answered.try_recv() {
                Ok(answer) => return answer,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::Unavailable("the finish was interrupted".to_owned()));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let group: Vec<Waiting> = {
                let mut queued = self.queued.lock().unwrap_or_else(|p| p.into_inner());
                let n = queued.len().min(MAX_BATCH);
                queued.drain(..n).collect()
            };
            let (finishes, answers): (Vec<_>, Vec<_>) = group.into_iter().unzip();
            match queue.finish_actions(clock.now(), &finishes).await {
                Ok(results) => {
                    for (answer, result) in answers.into_iter().zip(results) {
                        let _ = answer.send(result);
                    }
                }
                Err(err) => {
                    for answer in answers {
                        let _ = answer.send(Err(copy(&err)));
                    }
                }
            }
        }
    }
}

/// The same error for each finish of a group that failed as a whole.
fn copy(err: &StoreError) -> StoreError {
    match err {
        StoreError::LeaseLost(id) => StoreError::LeaseLost(id.clone()),
        StoreError::DeliveryClaimLost(id) => StoreError::DeliveryClaimLost(id.clone()),
        StoreError::Conflict { constraint } => {
            StoreError::Conflict { constraint: constraint.clone() }
        }
        StoreError::InjectedFailure => StoreError::InjectedFailure,
        StoreError::Unavailable(msg) => StoreError::Unavailable(msg.clone()),
        StoreError::Other(err) => StoreError::Other(anyhow::anyhow!("{err:#}")),
    }
}
