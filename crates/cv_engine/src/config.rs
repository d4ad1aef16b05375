use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the engine runs actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// How many actions one process runs at the same time.
    pub workers: usize,
    /// Items per chunk: the unit of one transaction and one checkpoint. Larger chunks write
    /// each touched index page once for more rows (SQLite writes every dirty page of a commit
    /// to its WAL); smaller ones checkpoint more often.
    pub chunk_size: usize,
    /// How long a claim stays valid without a heartbeat, in milliseconds. A crashed worker's
    /// action becomes claimable again this long after its last heartbeat.
    pub lease_ms: u64,
    /// How often a worker extends its lease, in milliseconds (well under `lease_ms`).
    pub heartbeat_ms: u64,
    /// How often idle workers look for work when no wake-up arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long a worker keeps one action before giving it a turn break, in milliseconds: at
    /// the first chunk boundary after this, if any other action is waiting, the action goes
    /// behind its project's queue and the worker claims the first waiting one. So a small
    /// action waits at most about one slice (plus one chunk) behind a long one, even when
    /// every worker is busy.
    pub slice_ms: u64,
    /// How many times a chunk whose commit hit a transient database error (busy, locked,
    /// connection lost) is retried in place before the worker gives the action back.
    pub max_retries: u32,
    /// The first retry's delay, in milliseconds; each further retry doubles it.
    pub retry_base_ms: u64,
    /// The longest delay between two retries, in milliseconds.
    pub retry_max_ms: u64,
    /// Retention of finished actions.
    pub retention: RetentionConfig,
}

/// What the maintenance task deletes. It runs on one node at a time (a lease in the
/// database), every `interval_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Finished (DONE or FAILED) actions older than this many days, counted from when they
    /// finished, are deleted with their payloads, uploads and reports. Unset: kept forever,
    /// as Voucherify does.
    pub keep_finished_days: Option<u32>,
    /// Deletes the stored request (payload and uploaded file) of every finished action; its
    /// status, result and report stay.
    pub drop_finished_payloads: bool,
    /// How often the maintenance task runs, in milliseconds.
    pub interval_ms: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self { keep_finished_days: None, drop_finished_payloads: false, interval_ms: 60_000 }
    }
}

impl RetentionConfig {
    /// Whether there is anything to do.
    pub fn enabled(&self) -> bool {
        self.keep_finished_days.is_some() || self.drop_finished_payloads
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 16,
            chunk_size: 20_000,
            lease_ms: 30_000,
            heartbeat_ms: 10_000,
            poll_interval_ms: 1_000,
            slice_ms: 500,
            max_retries: 8,
            retry_base_ms: 50,
            retry_max_ms: 5_000,
            retention: RetentionConfig::default(),
        }
    }
}

impl EngineConfig {
    pub(crate) fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(1))
    }

    pub(crate) fn slice(&self) -> Duration {
        Duration::from_millis(self.slice_ms)
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(1))
    }

    /// The delay before retry number `retry` (1-based): `retry_base_ms · 2^(retry-1)`, capped
    /// at `retry_max_ms`, of which the upper half is random ("equal jitter"), so workers that
    /// failed together do not retry together.
    pub fn retry_delay(&self, retry: u32, random: f64) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let full = self.retry_base_ms.saturating_mul(1 << exp).min(self.retry_max_ms).max(1);
        let half = full / 2;
        Duration::from_millis(full - half + (half as f64 * random.clamp(0.0, 1.0)) as u64)
    }
}
