//! What the harness checks while it watches: progress never goes down.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure};
use serde_json::Value;

use cv_bench::api::Api;

/// The highest progress seen so far for each action, and how many reads were made.
#[derive(Default)]
pub struct Observer {
    highest: HashMap<String, u64>,
    /// Reads made.
    pub reads: u64,
}

impl Observer {
    /// Reads `id` and fails when its progress is lower than an earlier read's.
    pub async fn read(&mut self, api: &Api, id: &str) -> anyhow::Result<Value> {
        let action = api.action(id).await?;
        let progress = action["progress"].as_u64().unwrap_or(0);
        let highest = self.highest.entry(id.to_owned()).or_default();
        if progress < *highest {
            bail!("progress of {id} went down from {highest} to {progress}");
        }
        *highest = progress;
        self.reads += 1;
        Ok(action)
    }

    /// Reads every action of `ids`; whether all of them are DONE or FAILED.
    pub async fn all_finished(&mut self, api: &Api, ids: &[String]) -> anyhow::Result<bool> {
        let mut finished = true;
        for id in ids {
            let a = self.read(api, id).await?;
            finished &= matches!(a["status"].as_str(), Some("DONE" | "FAILED"));
        }
        Ok(finished)
    }

    /// The highest progress seen for `id`.
    pub fn progress(&self, id: &str) -> u64 {
        self.highest.get(id).copied().unwrap_or(0)
    }

    /// Reads `ids` until all are DONE or FAILED; fails when none of them moved for
    /// `stuck_after` (an action left IN_PROGRESS after its lease expired).
    pub async fn wait_all_finished(
        &mut self,
        api: &Api,
        ids: &[String],
        stuck_after: Duration,
    ) -> anyhow::Result<()> {
        let mut last: Vec<u64> = Vec::new();
        let mut last_change = Instant::now();
        while !self.all_finished(api, ids).await? {
            let now: Vec<u64> = ids.iter().map(|id| self.progress(id)).collect();
            if now != last {
                (last, last_change) = (now, Instant::now());
            }
            ensure!(last_change.elapsed() < stuck_after, "no progress for {stuck_after:?}: stuck");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}
