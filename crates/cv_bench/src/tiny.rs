//! P3, tiny-action throughput: single-item actions submitted by concurrent clients, counted
//! until every one is DONE; next to graphile-worker (the peer, `bench/peer`) processing the
//! same number of no-op jobs added in one batch, on the same PostgreSQL server (durable:
//! fsync and synchronous_commit on, as `bench/run.sh` starts it), in the same run.
//!
//! The peer runs twice, each time on a fresh database and with 16 concurrent jobs (and a pool
//! of 18 connections, as its docs recommend):
//!
//! - **default**: graphile-worker's documented defaults otherwise: each worker fetches its
//!   next job with a query of its own and completes each job with a statement of its own;
//! - **batched**: the batching of its performance guide: a local queue of 500 jobs fetched
//!   (and locked) at once and handed out to the workers, and completions batched
//!   (`completeJobBatchDelay` 0).
//!
//! Every Conveyor run is reported as a ratio to each mode. The targets are against the
//! default mode (SQLite ≥ 2.0×, PostgreSQL ≥ 1.0×); the ratios to the batched mode are
//! reported, with SQLite ≥ 1.0× as the moonshot.
//!
//! Conveyor's clock runs from the first POST until the database holds every action DONE
//! (counted every 10 ms on a separate connection). The peer's runs from its `addJobs` call
//! until its task has run for the last job (counted inside the worker process, before that
//! job's completion is written): the peer is timed without polling, which can only favour it.
//! The peer also records when its jobs table was seen empty (`drained_seconds` in the JSON).

use std::{
    fmt,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use cv_bench::{
    Backend,
    api::Api,
    database::{Durability, FinishedCounter, action_statuses, drop_database, fresh_database},
    server::Server,
    stats::verdict,
};

/// Conveyor on SQLite must reach this multiple of the peer's default mode's jobs/s.
const TARGET_SQLITE_TO_DEFAULT: f64 = 2.0;
/// Conveyor on PostgreSQL must reach this multiple of the peer's default mode's jobs/s.
const TARGET_POSTGRES_TO_DEFAULT: f64 = 1.0;
/// The moonshot, reported only: Conveyor on SQLite at this multiple of the batched mode.
const MOONSHOT_SQLITE_TO_BATCHED: f64 = 1.0;

/// How graphile-worker runs (`run.mjs --mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerMode {
    /// Documented defaults, 16 concurrent jobs: no local queue, completions one by one.
    Default,
    /// 16 concurrent jobs, a local queue of 500 jobs and batched completions.
    Batched,
}

impl PeerMode {
    /// Both modes, in the order they run.
    pub const ALL: [PeerMode; 2] = [PeerMode::Default, PeerMode::Batched];

    /// `default` or `batched`, as `run.mjs --mode` and the JSON figures name it.
    pub fn name(self) -> &'static str {
        match self {
            PeerMode::Default => "default",
            PeerMode::Batched => "batched",
        }
    }
}

/// One system's run.
pub struct Run {
    /// `conveyor (sqlite)`, `graphile-worker 0.17.3 default (postgres)`…
    pub name: String,
    /// Conveyor's backend; `None` for the peer.
    pub backend: Option<Backend>,
    /// The peer's mode; `None` for Conveyor.
    pub mode: Option<PeerMode>,
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
            "peer_mode": self.mode.map(PeerMode::name),
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
    /// The PostgreSQL server's `fsync` and `synchronous_commit`, when one was used.
    durability: Option<Durability>,
    runs: Vec<Run>,
}

impl Report {
    fn peer(&self, mode: PeerMode) -> Option<&Run> {
        self.runs.iter().find(|r| r.mode == Some(mode))
    }

    fn conveyor(&self, backend: Backend) -> Option<&Run> {
        self.runs.iter().find(|r| r.backend == Some(backend))
    }

    /// A Conveyor run's rate over the peer's in `mode`; `None` for a peer run or a mode not run.
    fn ratio(&self, run: &Run, mode: PeerMode) -> Option<f64> {
        run.backend?;
        self.peer(mode).map(|p| run.rate() / p.rate())
    }

    /// Conveyor on `backend` over the peer in `mode`.
    fn ratio_of(&self, backend: Backend, mode: PeerMode) -> Option<f64> {
        self.conveyor(backend).and_then(|r| self.ratio(r, mode))
    }

    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                let mut v = r.to_json();
                if r.backend.is_some() {
                    v["ratio_to_peer_default"] = json!(self.ratio(r, PeerMode::Default));
                    v["ratio_to_peer_batched"] = json!(self.ratio(r, PeerMode::Batched));
                }
                v
            })
            .collect();
        let target = |backend, mode, target: f64| {
            self.ratio_of(backend, mode)
                .map(|ratio| json!({"target": target, "value": ratio, "met": ratio >= target}))
        };
        let targets = json!({
            "ratio_sqlite_to_peer_default":
                target(Backend::Sqlite, PeerMode::Default, TARGET_SQLITE_TO_DEFAULT),
            "ratio_postgres_to_peer_default":
                target(Backend::Postgres, PeerMode::Default, TARGET_POSTGRES_TO_DEFAULT),
        });
        let reported = json!({
            "ratio_sqlite_to_peer_batched": self.ratio_of(Backend::Sqlite, PeerMode::Batched),
            "ratio_postgres_to_peer_batched": self.ratio_of(Backend::Postgres, PeerMode::Batched),
            "moonshot_sqlite_to_peer_batched":
                target(Backend::Sqlite, PeerMode::Batched, MOONSHOT_SQLITE_TO_BATCHED),
        });
        let postgres = self.durability.as_ref().map(Durability::to_json);
        json!({
            "scenario": "tiny-actions",
            "clients": self.clients,
            "postgres": postgres,
            "runs": runs,
            "targets": targets,
            "reported": reported,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tiny-actions: single-item actions from {} concurrent clients vs no-op jobs added in one batch",
            self.clients
        )?;
        if let Some(durability) = &self.durability {
            writeln!(f, "  PostgreSQL: {durability}")?;
        }
        if let Some(peer) = self.runs.iter().find(|r| r.mode.is_some()) {
            writeln!(
                f,
                "  graphile-worker: {} concurrent jobs in both modes",
                peer.extra["concurrency"]
            )?;
        }
        writeln!(
            f,
            "  {:<42} {:>8} {:>9} {:>9} {:>9} {:>10} {:>10}",
            "system", "items", "submit s", "total s", "items/s", "÷ default", "÷ batched"
        )?;
        for run in &self.runs {
            let ratio = |mode| match self.ratio(run, mode) {
                Some(r) => format!("{r:.2}"),
                None => "-".to_owned(),
            };
            writeln!(
                f,
                "  {:<42} {:>8} {:>9.2} {:>9.2} {:>9.0} {:>10} {:>10}",
                run.name,
                run.items,
                run.submitted.as_secs_f64(),
                run.total.as_secs_f64(),
                run.rate(),
                ratio(PeerMode::Default),
                ratio(PeerMode::Batched),
            )?;
        }
        for (backend, store, target) in [
            (Backend::Sqlite, "SQLite", TARGET_SQLITE_TO_DEFAULT),
            (Backend::Postgres, "PostgreSQL", TARGET_POSTGRES_TO_DEFAULT),
        ] {
            let line = format!("Conveyor on {store} ≥ {target:.1}× graphile-worker default");
            match self.ratio_of(backend, PeerMode::Default) {
                Some(ratio) => {
                    writeln!(f, "  target: {line}: {} ({ratio:.2})", verdict(ratio >= target))?
                }
                None => writeln!(f, "  target: {line}: needs a {store} run and the peer")?,
            }
        }
        for (backend, store) in [(Backend::Sqlite, "SQLite"), (Backend::Postgres, "PostgreSQL")] {
            let Some(ratio) = self.ratio_of(backend, PeerMode::Batched) else { continue };
            let moonshot = match backend {
                Backend::Sqlite => format!(
                    " (moonshot ≥ {MOONSHOT_SQLITE_TO_BATCHED:.1}×: {})",
                    if ratio >= MOONSHOT_SQLITE_TO_BATCHED { "reached" } else { "not reached" }
                ),
                Backend::Postgres => String::new(),
            };
            writeln!(
                f,
                "  reported: Conveyor on {store} {ratio:.2}× graphile-worker batched{moonshot}"
            )?;
        }
        Ok(())
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

/// Runs Conveyor on each backend, then the peer in each mode (default, then batched).
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let uses_postgres = options.peer.is_some() || options.backends.contains(&Backend::Postgres);
    let durability = match (&options.url, uses_postgres) {
        (Some(url), true) => Some(Durability::of(url).await?),
        _ => None,
    };
    if let Some(durability) = &durability
        && !durability.is_durable()
    {
        eprintln!(
            "tiny-actions: warning: PostgreSQL runs with {durability}; P3's figures are for a durable server"
        );
    }
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
        for mode in PeerMode::ALL {
            let run = graphile(peer, url, options.actions, mode).await?;
            eprintln!("tiny-actions: {} → {:.0} jobs/s", run.name, run.rate());
            runs.push(run);
        }
    }
    Ok(Report { clients: options.clients, durability, runs })
}

async fn conveyor(options: &Options, backend: Backend) -> anyhow::Result<Run> {
    let dir = std::env::temp_dir().join(format!("conveyor-bench-tiny-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = fresh_database(backend, options.url.as_deref(), &dir, "tiny").await?;
    let server = Server::start(&options.binary, &database_url, 1024 * 1024).await?;
    let counter = FinishedCounter::connect(&database_url).await?;
    let api = Api::new(&server.base);
    eprintln!("tiny-actions: {} actions on {backend:?}…", options.actions);
    let (submitted, total) =
        submit_and_count(&[api], options.clients, options.actions, &counter).await?;
    drop(counter);
    server.stop().await;
    ensure_all_done(&database_url, options.actions).await?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(Run {
        name: format!("conveyor ({})", backend.name()),
        backend: Some(backend),
        mode: None,
        items: options.actions,
        submitted,
        total,
        extra: json!({"workers": "default (16)"}),
    })
}

/// Submits `actions` single-item actions (single-customer `POST /v1/customers/bulk/async`) from
/// `clients` concurrent keep-alive clients, the i-th action to `apis[i % apis.len()]`, then
/// counts unfinished actions on `counter` every 10 ms until none is left. Returns the time from
/// the first POST to the last 202, and from the first POST until all were finished.
pub async fn submit_and_count(
    apis: &[Api],
    clients: usize,
    actions: u64,
    counter: &FinishedCounter,
) -> anyhow::Result<(Duration, Duration)> {
    let apis: Arc<[Api]> = apis.into();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (apis, next) = (apis.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= actions {
                    return anyhow::Ok(());
                }
                let api = &apis[(i % apis.len() as u64) as usize];
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
    // Every action exists now (each POST was answered), so none left means all finished.
    while counter.any_unfinished().await? {
        if started.elapsed() > deadline {
            bail!("not every action finished within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok((submitted, started.elapsed()))
}

/// Fails unless the database at `database_url` holds `actions` actions, every one DONE.
pub async fn ensure_all_done(database_url: &str, actions: u64) -> anyhow::Result<()> {
    let statuses = action_statuses(database_url).await?;
    if statuses != [("DONE".to_owned(), actions)] {
        bail!("expected {actions} DONE actions, found {statuses:?}");
    }
    Ok(())
}

/// Runs `bench/peer/run.mjs --mode …` on a fresh database of the PostgreSQL server at `url`,
/// dropped afterwards.
async fn graphile(peer: &Path, url: &str, jobs: u64, mode: PeerMode) -> anyhow::Result<Run> {
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
    let name = format!("peer_{}", mode.name());
    let database_url = fresh_database(Backend::Postgres, Some(url), &dir, &name).await?;
    let out = dir.join(format!("{name}.json"));
    eprintln!("tiny-actions: {jobs} graphile-worker jobs, {} mode…", mode.name());
    let status = tokio::process::Command::new("node")
        .arg(&script)
        .args(["--jobs", &jobs.to_string(), "--mode", mode.name(), "--out"])
        .arg(&out)
        .env("DATABASE_URL", &database_url)
        .current_dir(&peer)
        .stdout(Stdio::null())
        .status()
        .await
        .context("starting node (is Node.js installed?)")?;
    if !status.success() {
        bail!("the peer failed in {} mode: {status}", mode.name());
    }
    let figures: Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    std::fs::remove_dir_all(&dir).ok();
    drop_database(Some(url), &database_url).await?;
    let seconds = |key: &str| {
        figures[key].as_f64().map(Duration::from_secs_f64).with_context(|| format!("no {key}"))
    };
    if figures["jobs"].as_u64() != Some(jobs) {
        bail!("the peer ran {} jobs, not {jobs}", figures["jobs"]);
    }
    if figures["mode"].as_str() != Some(mode.name()) {
        bail!("the peer ran in mode {}, not {}", figures["mode"], mode.name());
    }
    Ok(Run {
        name: format!(
            "graphile-worker {} {} (postgres)",
            figures["version"].as_str().unwrap_or("?"),
            mode.name()
        ),
        backend: None,
        mode: Some(mode),
        items: jobs,
        submitted: seconds("add_seconds")?,
        total: seconds("total_seconds")?,
        extra: figures,
    })
}
