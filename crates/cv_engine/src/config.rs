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
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            chunk_size: 20_000,
            lease_ms: 30_000,
            heartbeat_ms: 10_000,
            poll_interval_ms: 1_000,
        }
    }
}

impl EngineConfig {
    pub(crate) fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(1))
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(1))
    }
}
