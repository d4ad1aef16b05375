use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use cv_domain::ActionId;
use cv_store::{Fence, Inputs, Queue, StoreError};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::{
    ActionRun, Clock, EngineConfig, EngineMetrics, FailPoints, Handlers, SystemClock,
    batch::{self, Completions, Held},
    worker::{RunOutcome, Worker},
};

/// The action engine of one process. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The engine's part of the store.
    pub queue: Arc<dyn Queue>,
    /// What actions may read, handed to each run.
    pub inputs: Arc<dyn Inputs>,
    pub handlers: Arc<dyn Handlers>,
    pub config: EngineConfig,
    pub clock: Arc<dyn Clock>,
    pub failpoints: FailPoints,
    pub node: String,
    /// Chunk runs started again after a transient error, since the engine started.
    pub retries: AtomicU64,
    /// Runs given back after a slice, for the next claim of the same action here.
    pub parked: Parked,
    /// What the workers count, for `/metrics`.
    pub metrics: EngineMetrics,
    /// The actions this node holds, whose leases the heartbeat extends together.
    pub held: Arc<Held>,
    /// Finishes, written in groups.
    pub completions: Completions,
}

/// Runs given back after a slice, kept for the next claim of the same action on this node, so
/// a long action resumes without opening its input again (a CSV is not re-read up to the
/// cursor). A parked run is used only by the claim right after its own (attempt + 1) at the
/// same cursor; anything else means another node ran the action meanwhile, and the run is
/// dropped. At most `capacity` runs are kept, the oldest dropped first.
pub(crate) struct Parked {
    capacity: usize,
    runs: Mutex<VecDeque<ParkedRun>>,
}

struct ParkedRun {
    id: ActionId,
    attempt: u32,
    cursor: u64,
    run: Box<dyn ActionRun>,
}

impl Parked {
    fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), runs: Mutex::new(VecDeque::new()) }
    }

    /// Keeps `run`, given back by `fence`'s claim at `cursor`.
    pub fn park(&self, fence: &Fence, cursor: u64, run: Box<dyn ActionRun>) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.retain(|r| r.id != fence.action_id);
        runs.push_back(ParkedRun {
            id: fence.action_id.clone(),
            attempt: fence.attempt,
            cursor,
            run,
        });
        while runs.len() > self.capacity {
            runs.pop_front();
        }
    }

    /// The run parked by the claim just before `fence`'s, if it stopped at `cursor`.
    pub fn take(&self, fence: &Fence, cursor: u64) -> Option<Box<dyn ActionRun>> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        let at = runs.iter().position(|r| r.id == fence.action_id)?;
        let parked = runs.remove(at)?;
        (parked.attempt + 1 == fence.attempt && parked.cursor == cursor).then_some(parked.run)
    }
}

/// What [`Engine::run_pending`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// Actions that reached DONE or FAILED.
    pub finished: usize,
    /// Whether a failure point stopped the engine (the drain ends there, as a dead process).
    pub crashed: bool,
    /// How many times a run was started again in place after a transient database error.
    pub retries: u64,
}

/// What one maintenance pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Whether this node held the maintenance lease and ran the pass.
    pub ran: bool,
    /// Finished actions deleted (with payloads, uploads and reports).
    pub pruned_actions: u64,
    /// Payload and upload rows of finished actions deleted.
    pub dropped_payload_rows: u64,
}

/// Rows deleted per maintenance transaction.
const MAINTENANCE_BATCH: u32 = 1_000;

impl Engine {
    /// An engine on the wall clock with no failure points, counting into `metrics`. It
    /// claims, commits and finishes through `queue`, and hands actions `inputs`.
    pub fn new(
        queue: Arc<dyn Queue>,
        inputs: Arc<dyn Inputs>,
        handlers: Arc<dyn Handlers>,
        config: EngineConfig,
        metrics: EngineMetrics,
    ) -> Self {
        let clock = Arc::new(SystemClock);
        Self::with_parts(queue, inputs, handlers, config, clock, FailPoints::none(), metrics)
    }

    /// An engine with an explicit clock and failure points (tests).
    pub fn with_parts(
        queue: Arc<dyn Queue>,
        inputs: Arc<dyn Inputs>,
        handlers: Arc<dyn Handlers>,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
        failpoints: FailPoints,
        metrics: EngineMetrics,
    ) -> Self {
        let node = format!("{}-{}", hostname(), std::process::id());
        let node = format!("{node}-{}", cv_domain::ids::random_secret(6));
        let retries = AtomicU64::new(0);
        let parked = Parked::new(config.workers.saturating_mul(2));
        Self {
            inner: Arc::new(Inner {
                queue,
                inputs,
                handlers,
                config,
                clock,
                failpoints,
                node,
                retries,
                parked,
                metrics,
                held: Arc::default(),
                completions: Completions::default(),
            }),
        }
    }

    /// Runs actions until none is runnable, one at a time, then returns. Tests use it to drive
    /// the queue deterministically. A failure point ends the drain at once.
    pub async fn run_pending(&self) -> anyhow::Result<DrainReport> {
        let worker = Worker::new(self.inner.clone(), format!("{}-drain", self.inner.node));
        let never = CancellationToken::new();
        let _heartbeat = AbortOnDrop(tokio::spawn(self.heartbeat()));
        let mut report = DrainReport::default();
        let retries_before = self.inner.retries.load(Ordering::Relaxed);
        let retries = || self.inner.retries.load(Ordering::Relaxed) - retries_before;
        while let Some(claim) = worker.claim().await? {
            match worker.execute(claim, &never).await {
                RunOutcome::Finished => report.finished += 1,
                RunOutcome::Crashed => {
                    report.crashed = true;
                    report.retries = retries();
                    return Ok(report);
                }
                RunOutcome::Released | RunOutcome::LeaseLost => {}
            }
        }
        report.retries = retries();
        Ok(report)
    }

    /// One retention pass, if this node can take the maintenance lease: deletes finished
    /// actions older than `retention.keep_finished_days`, then (if configured) the payloads
    /// of finished actions, in batches of one short transaction each.
    pub async fn run_maintenance(&self) -> Result<MaintenanceReport, StoreError> {
        let (store, config) = (&self.inner.queue, &self.inner.config.retention);
        let now = self.inner.clock.now();
        let ttl = i64::try_from(config.interval_ms.saturating_mul(2)).unwrap_or(i64::MAX);
        if !store.take_maintenance_lease("retention", &self.inner.node, now, ttl.max(1_000)).await?
        {
            return Ok(MaintenanceReport::default());
        }
        let mut report = MaintenanceReport { ran: true, ..MaintenanceReport::default() };
        if let Some(days) = config.keep_finished_days {
            let before = now.plus_millis(-i64::from(days) * 86_400_000);
            loop {
                let n = store.prune_finished(before, MAINTENANCE_BATCH).await?;
                report.pruned_actions += n;
                if n < u64::from(MAINTENANCE_BATCH) {
                    break;
                }
            }
        }
        if config.drop_finished_payloads {
            loop {
                let n = store.drop_finished_payloads(MAINTENANCE_BATCH).await?;
                report.dropped_payload_rows += n;
                if n == 0 {
                    break;
                }
            }
        }
        if report.pruned_actions + report.dropped_payload_rows > 0 {
            info!(
                message = "Retention pass.",
                pruned_actions = report.pruned_actions,
                dropped_payload_rows = report.dropped_payload_rows
            );
        }
        Ok(report)
    }

    /// Runs up to `config.workers` actions at a time until `shutdown` is cancelled: claims
    /// them in batches (as many as there are free slots, in one statement), extends the leases
    /// of those it holds with one heartbeat, and writes their finishes in groups. Each run
    /// finishes or abandons its current chunk (never half-commits) and releases its lease
    /// before this returns.
    pub async fn run(&self, shutdown: CancellationToken) {
        info!(message = "Engine started.", node = %self.inner.node, workers = self.inner.config.workers, backend = self.inner.queue.backend());
        let _heartbeat = AbortOnDrop(tokio::spawn(self.heartbeat()));
        let mut tasks = tokio::task::JoinSet::new();
        let dispatcher = Worker::new(self.inner.clone(), self.inner.node.clone());
        let (slots, stop) = (self.inner.config.workers.max(1), shutdown.clone());
        tasks.spawn(async move { dispatcher.dispatch(slots, stop).await });
        if self.inner.config.retention.enabled() {
            let (engine, shutdown) = (self.clone(), shutdown.clone());
            tasks.spawn(async move { engine.maintenance_loop(shutdown).await });
        }
        while tasks.join_next().await.is_some() {}
        debug!(message = "Engine stopped.", node = %self.inner.node);
    }

    fn heartbeat(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = &self.inner;
        batch::heartbeat(
            inner.queue.clone(),
            inner.held.clone(),
            inner.clock.clone(),
            inner.config.clone(),
        )
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    async fn maintenance_loop(&self, shutdown: CancellationToken) {
        let every =
            std::time::Duration::from_millis(self.inner.config.retention.interval_ms.max(1));
        while !shutdown.is_cancelled() {
            if let Err(err) = self.run_maintenance().await {
                warn!(message = "Retention pass failed; trying again later.", %err);
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shutdown.cancelled() => {}
            }
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned())
}
