//! P3, tiny-action throughput: single-item actions submitted by concurrent clients, counted
//! until every one is DONE; next to graphile-worker (the peer, `bench/peer`) processing the
//! same number of no-op jobs added in one batch, on the same PostgreSQL server, in the same
//! run.
//!
//! Conveyor's clock runs from the first POST until the database holds every action DONE
//! (counted every 10 ms on a separate connection). The peer's runs from its `addJobs` call
//! until its task has run for the last job (counted inside the worker process): the peer is
//! timed without polling, which can only favour it.

use std::{
    fmt,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use cv_bench::{
    Backend,
    api::Api,
    database::{FinishedCounter, action_statuses, fresh_database},
    server::Server,
    stats::verdict,
};

/// Conveyor on SQLite must reach this fraction of the peer's jobs/s.
const TARGET_RATIO: f64 = 1.0;

/// One system's run.
pub struct Run {
    /// `conveyor (sqlite)`, `graphile-worker 0.17.3 (postgres)`…
    pub name: String,
    /// Conveyor's backend; `None` for the peer.
    pub backend: Option<Backend>,
    /// Actions or jobs.
    pub items: u64,
    /// Submission (Conveyor: the last 202; the peer: `addJobs` returned).
    pub submitted: Duration,
    /// Until every item was done.
    pub total: Duration,
    /// Other facts (the peer's settings).
    pub extra: Value,
}

impl Run {
    fn rate(&self) -> f64 {
        self.items as f64 / self.total.as_secs_f64()
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "backend": self.backend.map(Backend::name),
            "items": self.items,
            "submit_seconds": self.submitted.as_secs_f64(),
            "total_seconds": self.total.as_secs_f64(),
            "per_second": self.rate(),
            "extra": self.extra,
        })
    }
}

/// The figures of one invocation.
pub struct Report {
    clients: usize,
    runs: Vec<Run>,
}

impl Report {
    fn peer(&self) -> Option<&Run> {
        self.runs.iter().find(|r| r.backend.is_none())
    }

    fn ratio(&self, run: &Run) -> Option<f64> {
        self.peer().map(|p| run.rate() / p.rate())
    }

    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                let mut v = r.to_json();
                if r.backend.is_some() {
                    v["ratio_to_peer"] = json!(self.ratio(r));
                }
                v
            })
            .collect();
        let sqlite = self.runs.iter().find(|r| r.backend == Some(Backend::Sqlite));
        let target = sqlite.and_then(|r| self.ratio(r)).map(|ratio| {
            json!({"ratio_sqlite_to_peer": {"target": TARGET_RATIO, "value": ratio, "met": ratio >= TARGET_RATIO}})
        });
        json!({"scenario": "tiny-actions", "clients": self.clients, "runs": runs, "targets": target})
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tiny-actions: single-item actions from {} concurrent clients vs no-op jobs added in one batch",
            self.clients
        )?;
        writeln!(
            f,
            "  {:<40} {:>8} {:>10} {:>10} {:>10} {:>8}",
            "system", "items", "submit s", "total s", "items/s", "ratio"
        )?;
        for run in &self.runs {
            let ratio = match (run.backend, self.ratio(run)) {
                (Some(_), Some(r)) => format!("{r:.2}"),
                _ => "-".to_owned(),
            };
            writeln!(
                f,
                "  {:<40} {:>8} {:>10.2} {:>10.2} {:>10.0} {:>8}",
                run.name,
                run.items,
                run.submitted.as_secs_f64(),
                run.total.as_secs_f64(),
                run.rate(),
                ratio
            )?;
        }
        let sqlite = self.runs.iter().find(|r| r.backend == Some(Backend::Sqlite));
        match sqlite.and_then(|r| self.ratio(r)) {
            Some(ratio) => write!(
                f,
                "  target: Conveyor on SQLite ≥ {TARGET_RATIO:.1}× the peer: {} ({ratio:.2})",
                verdict(ratio >= TARGET_RATIO)
            ),
            None => write!(f, "  target: needs a SQLite run and the peer"),
        }
    }
}

/// What to run.
pub struct Options {
    /// Actions (and peer jobs).
    pub actions: u64,
    /// Concurrent submitting clients.
    pub clients: usize,
    /// Conveyor's backends, in order.
    pub backends: Vec<Backend>,
    /// The PostgreSQL server (Conveyor on PostgreSQL and the peer).
    pub url: Option<String>,
    /// The `conveyor` binary.
    pub binary: PathBuf,
    /// `bench/peer` with its `node_modules` installed; no peer run without it.
    pub peer: Option<PathBuf>,
}

/// Runs Conveyor on each backend, then the peer.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let mut runs = Vec::new();
    for &backend in &options.backends {
        let run = conveyor(options, backend).await?;
        eprintln!("tiny-actions: {} → {:.0} actions/s", run.name, run.rate());
        runs.push(run);
    }
    if let Some(peer) = &options.peer {
        let url = options.url.as_deref().context(
            "the peer needs PostgreSQL: --database-url (or CONVEYOR_BENCH_DATABASE_URL)",
        )?;
        let run = graphile(peer, url, options.actions).await?;
        eprintln!("tiny-actions: {} → {:.0} jobs/s", run.name, run.rate());
        runs.push(run);
    }
    Ok(Report { clients: options.clients, runs })
}

async fn conveyor(options: &Options, backend: Backend) -> anyhow::Result<Run> {
    let dir = std::env::temp_dir().join(format!("conveyor-bench-tiny-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = fresh_database(backend, options.url.as_deref(), &dir, "tiny").await?;
    let server = Server::start(&options.binary, &database_url, 1024 * 1024).await?;
    let counter = FinishedCounter::connect(&database_url).await?;
    let api = Api::new(&server.base);
    eprintln!("tiny-actions: {} actions on {backend:?}…", options.actions);
    let clients = options.clients.max(1) as u64;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (api, next, total) = (api.clone(), next.clone(), options.actions);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return anyhow::Ok(());
                }
                let body = json!([{"source_id": format!("tiny-{i}"), "name": format!("Tiny {i}")}]);
                api.post("/v1/customers/bulk/async", &body).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let submitted = started.elapsed();
    let deadline = Duration::from_secs(600);
    while counter.finished().await? < options.actions {
        if started.elapsed() > deadline {
            bail!("not every action finished within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = started.elapsed();
    drop(counter);
    server.stop().await;
    let statuses = action_statuses(&database_url).await?;
    if statuses != [("DONE".to_owned(), options.actions)] {
        bail!("expected {} DONE actions, found {statuses:?}", options.actions);
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(Run {
        name: format!("conveyor ({})", backend.name()),
        backend: Some(backend),
        items: options.actions,
        submitted,
        total,
        extra: json!({"workers": "default (4)"}),
    })
}

/// Runs `bench/peer/run.mjs` on a fresh database of the PostgreSQL server at `url`.
async fn graphile(peer: &Path, url: &str, jobs: u64) -> anyhow::Result<Run> {
    let peer = peer.canonicalize().with_context(|| format!("no peer at {}", peer.display()))?;
    let script = peer.join("run.mjs");
    if !peer.join("node_modules/graphile-worker").exists() {
        bail!(
            "{} has no node_modules/graphile-worker: run `npm ci` there (bench/run.sh does)",
            peer.display()
        );
    }
    let dir = std::env::temp_dir().join(format!("conveyor-bench-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = fresh_database(Backend::Postgres, Some(url), &dir, "peer").await?;
    let out = dir.join("peer.json");
    eprintln!("tiny-actions: {jobs} graphile-worker jobs…");
    let status = tokio::process::Command::new("node")
        .arg(&script)
        .args(["--jobs", &jobs.to_string(), "--out"])
        .arg(&out)
        .env("DATABASE_URL", &database_url)
        .current_dir(&peer)
        .stdout(Stdio::null())
        .status()
        .await
        .context("starting node (is Node.js installed?)")?;
    if !status.success() {
        bail!("the peer failed: {status}");
    }
    let figures: Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    std::fs::remove_dir_all(&dir).ok();
    let seconds = |key: &str| {
        figures[key].as_f64().map(Duration::from_secs_f64).with_context(|| format!("no {key}"))
    };
    if figures["jobs"].as_u64() != Some(jobs) {
        bail!("the peer ran {} jobs, not {jobs}", figures["jobs"]);
    }
    Ok(Run {
        name: format!("graphile-worker {} (postgres)", figures["version"].as_str().unwrap_or("?")),
        backend: None,
        items: jobs,
        submitted: seconds("add_seconds")?,
        total: seconds("total_seconds")?,
        extra: figures,
    })
}
