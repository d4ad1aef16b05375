//! The engine's Prometheus series. They live in a registry the process passes in (one per
//! server, never the crate's global default), and count what this process's workers did: the
//! counters of two nodes add up to the cluster's.

use std::time::Duration;

use cv_domain::{ActionKind, ActionStatus};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// Bucket bounds of the chunk duration histogram, in seconds: from a chunk of a few rows to
/// one of 20,000 (the default size) on a busy database.
const CHUNK_SECONDS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// What the engine counts, by action type (`type`, Voucherify's name, e.g.
/// `CUSTOMERS.IMPORT_CSV`). Cheap to clone; clones count into the same series.
#[derive(Clone)]
pub struct EngineMetrics {
    /// `conveyor_items_processed_total{type, outcome}`: items of committed chunks, `done` or
    /// `failed`.
    items: IntCounterVec,
    /// `conveyor_chunk_duration_seconds{type}`: from asking the action for a chunk's items to
    /// the chunk's commit.
    chunk_seconds: HistogramVec,
    /// `conveyor_action_claims_total{type}`: every claim.
    claims: IntCounterVec,
    /// `conveyor_action_reclaims_total{type}`: claims of an action claimed before (attempt > 1:
    /// after a lease ran out or was given back).
    reclaims: IntCounterVec,
    /// `conveyor_lease_expiries_total{type}`: claims that took an action over from a holder
    /// whose lease ran out.
    lease_expiries: IntCounterVec,
    /// `conveyor_action_retries_total{type}`: runs started again in place after a transient
    /// database error.
    retries: IntCounterVec,
    /// `conveyor_actions_finished_total{type, status}`: actions this process ended DONE or
    /// FAILED.
    finished: IntCounterVec,
}

impl EngineMetrics {
    /// The engine's series, registered in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let vec = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(vec.clone()))?;
            Ok::<_, prometheus::Error>(vec)
        };
        let chunk_seconds = HistogramVec::new(
            HistogramOpts::new(
                "conveyor_chunk_duration_seconds",
                "Time to prepare and commit one chunk, by action type.",
            )
            .buckets(CHUNK_SECONDS.to_vec()),
            &["type"],
        )?;
        registry.register(Box::new(chunk_seconds.clone()))?;
        Ok(Self {
            items: counter(
                "conveyor_items_processed_total",
                "Items of committed chunks, by action type and outcome (done or failed).",
                &["type", "outcome"],
            )?,
            chunk_seconds,
            claims: counter(
                "conveyor_action_claims_total",
                "Actions claimed by this process's workers, by action type.",
                &["type"],
            )?,
            reclaims: counter(
                "conveyor_action_reclaims_total",
                "Claims of an action claimed before (attempt > 1), by action type.",
                &["type"],
            )?,
            lease_expiries: counter(
                "conveyor_lease_expiries_total",
                "Claims that took an action over from a holder whose lease ran out, by action type.",
                &["type"],
            )?,
            retries: counter(
                "conveyor_action_retries_total",
                "Runs started again in place after a transient database error, by action type.",
                &["type"],
            )?,
            finished: counter(
                "conveyor_actions_finished_total",
                "Actions this process ended, by action type and final status.",
                &["type", "status"],
            )?,
        })
    }

    pub(crate) fn claimed(&self, kind: ActionKind, attempt: u32, lease_expired: bool) {
        self.claims.with_label_values(&[kind.as_str()]).inc();
        if attempt > 1 {
            self.reclaims.with_label_values(&[kind.as_str()]).inc();
        }
        if lease_expired {
            self.lease_expiries.with_label_values(&[kind.as_str()]).inc();
        }
    }

    pub(crate) fn chunk_committed(&self, kind: ActionKind, done: u64, failed: u64, took: Duration) {
        self.items.with_label_values(&[kind.as_str(), "done"]).inc_by(done);
        self.items.with_label_values(&[kind.as_str(), "failed"]).inc_by(failed);
        self.chunk_seconds.with_label_values(&[kind.as_str()]).observe(took.as_secs_f64());
    }

    pub(crate) fn retried(&self, kind: ActionKind) {
        self.retries.with_label_values(&[kind.as_str()]).inc();
    }

    pub(crate) fn finished(&self, kind: ActionKind, status: ActionStatus) {
        self.finished.with_label_values(&[kind.as_str(), status.as_str()]).inc();
    }
}
