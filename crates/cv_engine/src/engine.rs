use std::sync::Arc;

use cv_store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::{
    Clock, EngineConfig, FailPoints, Handlers, SystemClock,
    worker::{RunOutcome, Worker},
};

/// The action engine of one process. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Arc<dyn Store>,
    pub handlers: Arc<dyn Handlers>,
    pub config: EngineConfig,
    pub clock: Arc<dyn Clock>,
    pub failpoints: FailPoints,
    pub node: String,
}

/// What [`Engine::run_pending`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// Actions that reached DONE or FAILED.
    pub finished: usize,
    /// Whether a failure point stopped the engine (the drain ends there, as a dead process).
    pub crashed: bool,
}

impl Engine {
    /// An engine on the wall clock with no failure points.
    pub fn new(store: Arc<dyn Store>, handlers: Arc<dyn Handlers>, config: EngineConfig) -> Self {
        Self::with_parts(store, handlers, config, Arc::new(SystemClock), FailPoints::none())
    }

    /// An engine with an explicit clock and failure points (tests).
    pub fn with_parts(
        store: Arc<dyn Store>,
        handlers: Arc<dyn Handlers>,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
        failpoints: FailPoints,
    ) -> Self {
        let node = format!("{}-{}", hostname(), std::process::id());
        let node = format!("{node}-{}", cv_domain::ids::random_secret(6));
        Self { inner: Arc::new(Inner { store, handlers, config, clock, failpoints, node }) }
    }

    /// Runs actions until none is runnable, one at a time, then returns. Tests use it to drive
    /// the queue deterministically. A failure point ends the drain at once.
    pub async fn run_pending(&self) -> anyhow::Result<DrainReport> {
        let worker = Worker::new(self.inner.clone(), format!("{}-drain", self.inner.node));
        let never = CancellationToken::new();
        let mut report = DrainReport::default();
        while let Some(claim) = worker.claim().await? {
            match worker.execute(claim, &never).await {
                RunOutcome::Finished => report.finished += 1,
                RunOutcome::Crashed => {
                    report.crashed = true;
                    return Ok(report);
                }
                RunOutcome::Released | RunOutcome::LeaseLost => {}
            }
        }
        Ok(report)
    }

    /// Runs `config.workers` worker loops until `shutdown` is cancelled. Each worker finishes
    /// or abandons its current chunk (never half-commits), releases its lease and stops.
    pub async fn run(&self, shutdown: CancellationToken) {
        info!(message = "Engine started.", node = %self.inner.node, workers = self.inner.config.workers, backend = self.inner.store.backend());
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..self.inner.config.workers.max(1) {
            let worker = Worker::new(self.inner.clone(), format!("{}-w{n}", self.inner.node));
            let shutdown = shutdown.clone();
            tasks.spawn(async move { worker.run_loop(shutdown).await });
        }
        while tasks.join_next().await.is_some() {}
        debug!(message = "Engine stopped.", node = %self.inner.node);
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned())
}
