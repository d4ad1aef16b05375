//! P2, latency: single-customer bulk updates sent one after another, each timed from the
//! POST to the first `GET /v1/async-actions/{id}` that shows it DONE, the client polling back
//! to back, exactly as a client waiting for its action would see it.

use std::{
    fmt,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use cv_bench::{
    Backend,
    api::Api,
    database::fresh_database,
    server::Server,
    stats::{Summary, verdict},
};

/// Actions sent before the measured ones (the first requests warm connections and caches).
const WARMUP: usize = 20;

/// The targets of POST → DONE on `backend`, in milliseconds: p50, and p99 if it has one
/// (SQLite commits synced, `synchronous = FULL`).
fn targets(backend: Backend) -> (f64, Option<f64>) {
    match backend {
        Backend::Sqlite => (3.0, Some(15.0)),
        Backend::Postgres => (5.0, None),
    }
}

/// The figures of one backend.
pub struct Report {
    backend: Backend,
    /// POST → DONE as the client saw it.
    done: Summary,
    /// POST → 202 alone.
    accepted: Summary,
    /// GETs per action until DONE, on average.
    polls_per_action: f64,
    wall: Duration,
}

impl Report {
    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": "latency",
            "backend": self.backend.name(),
            "actions": self.done.count,
            "warmup_actions": WARMUP,
            "post_to_done": self.done.to_json(),
            "post_to_202": self.accepted.to_json(),
            "polls_per_action": self.polls_per_action,
            "wall_seconds": self.wall.as_secs_f64(),
            "targets": self.targets(),
        })
    }

    fn targets(&self) -> Value {
        let (p50, p99) = targets(self.backend);
        json!({
            "p50_ms": {"target": p50, "met": self.done.p50 <= p50},
            "p99_ms": p99.map(|p99| json!({"target": p99, "met": self.done.p99 <= p99})),
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, a) = (&self.done, &self.accepted);
        writeln!(
            f,
            "latency on {:?}: {} single-customer bulk updates, one after another ({} warm-up \
             actions not counted), {:.1} GETs per action",
            self.backend, d.count, WARMUP, self.polls_per_action
        )?;
        writeln!(
            f,
            "  {:<16} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "ms", "p50", "p95", "p99", "max", "mean"
        )?;
        writeln!(
            f,
            "  {:<16} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            "POST → DONE", d.p50, d.p95, d.p99, d.max, d.mean
        )?;
        write!(
            f,
            "  {:<16} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            "POST → 202", a.p50, a.p95, a.p99, a.max, a.mean
        )?;
        let (p50, p99) = targets(self.backend);
        write!(f, "\n  target p50 ≤ {p50} ms: {}", verdict(d.p50 <= p50))?;
        if let Some(p99) = p99 {
            write!(f, "; p99 ≤ {p99} ms: {}", verdict(d.p99 <= p99))?;
        }
        Ok(())
    }
}

/// Sends `count` (plus [`WARMUP`]) actions to a fresh server on `backend`.
pub async fn run(
    count: usize,
    backend: Backend,
    url: Option<&str>,
    binary: &Path,
) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("conveyor-bench-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = fresh_database(backend, url, &dir, "latency").await?;
    let server = Server::start(binary, &database_url, 1024 * 1024).await?;
    let api = Api::new(&server.base);
    let started = Instant::now();
    let mut done = Vec::with_capacity(count);
    let mut accepted = Vec::with_capacity(count);
    let mut polls = 0_u64;
    for i in 0..WARMUP + count {
        let body = json!([{"source_id": format!("latency-{i}"), "name": format!("Latency {i}")}]);
        let sent = Instant::now();
        let created = api.post("/v1/customers/bulk/async", &body).await?;
        let took = sent.elapsed();
        let id = created["async_action_id"].as_str().context("no async_action_id")?.to_owned();
        let path = format!("/v1/async-actions/{id}");
        let mut n = 0;
        loop {
            let action = api.get(&path).await?;
            n += 1;
            match action["status"].as_str() {
                Some("DONE") => break,
                Some("FAILED") => bail!("action {id} failed: {action}"),
                _ => {}
            }
        }
        if i >= WARMUP {
            done.push(sent.elapsed());
            accepted.push(took);
            polls += n;
        }
    }
    let wall = started.elapsed();
    server.stop().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(Report {
        backend,
        done: Summary::of(&done),
        accepted: Summary::of(&accepted),
        polls_per_action: polls as f64 / count.max(1) as f64,
        wall,
    })
}
