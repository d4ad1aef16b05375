//! P4, the read API under load: `GET /v1/async-actions?limit=100` with 100,000 actions
//! stored and `GET /v1/async-actions/{id}`, next to the server's trivial `GET /healthz`,
//! each driven by `wrk` at 64 connections; requests/s and latency percentiles, and the two
//! reads' throughput as a fraction of the trivial endpoint's.
//!
//! With `--during-import ROWS`, the same loads run while a customers import of that many rows
//! commits its chunks (the variant where kept answers are dropped at every commit): the reads
//! go first, then `/healthz`, and the report says whether the import was still running at the
//! end of each.
//!
//! The actions are seeded straight into the store through `cv_store`'s API while the server
//! is stopped, the way the engine stores a finished single-customer bulk update:
//! `create_action` (row and payload), `claim_next`, `finish_action` with a bulk-report
//! result. That is several times faster than 100,000 real requests and leaves the same rows.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

use cv_bench::{
    Backend,
    database::{action_statuses, fresh_database},
    server::{APP, Server},
    stats::verdict,
};
use cv_domain::{
    ActionId, ActionResult, CustomerPatch, RequestId, Timestamp, customer::Field,
    payload::CustomersBulkUpdate, result::BulkReport,
};
use cv_store::{NewAction, Store};

/// Targets: each read's requests/s as a fraction of `/healthz`'s.
const TARGET_LIST: f64 = 0.3;
const TARGET_GET: f64 = 0.5;

/// Ids the `get` load picks from, round robin.
const GET_IDS: usize = 1000;

/// What to run.
pub struct Options {
    /// Actions stored before the load.
    pub actions: u64,
    /// wrk connections.
    pub connections: u32,
    /// wrk threads.
    pub threads: u32,
    /// Measured seconds per endpoint (each after a warm-up of a fifth of it, at least 1 s).
    pub seconds: u32,
    /// The store.
    pub backend: Backend,
    /// PostgreSQL server URL.
    pub url: Option<String>,
    /// The `conveyor` binary.
    pub binary: PathBuf,
    /// The `wrk` binary.
    pub wrk: PathBuf,
    /// Keep the SQLite database in this directory, and reuse the actions it already holds
    /// (seeding only when it holds a different set), so that repeated runs skip the seeding.
    pub data_dir: Option<PathBuf>,
    /// Run the loads while a customers import of this many rows runs.
    pub during_import: Option<usize>,
}

/// One endpoint's figures, from wrk.
#[derive(Debug, Clone)]
pub struct Load {
    name: &'static str,
    requests: u64,
    seconds: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    bytes: u64,
    /// With `--during-import`: whether the import was still running when this load ended.
    import_running: Option<bool>,
}

impl Load {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// The figures of one backend.
pub struct Report {
    backend: Backend,
    actions: u64,
    seed_seconds: f64,
    connections: u32,
    loads: Vec<Load>,
    /// With `--during-import`: the import's rows.
    import_rows: Option<usize>,
}

impl Report {
    fn ratio(&self, name: &str) -> Option<f64> {
        let base = self.loads.iter().find(|l| l.name == "healthz")?;
        let load = self.loads.iter().find(|l| l.name == name)?;
        Some(load.rate() / base.rate())
    }

    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        let loads: Vec<Value> = self
            .loads
            .iter()
            .map(|l| {
                json!({
                    "endpoint": l.name,
                    "requests": l.requests,
                    "seconds": l.seconds,
                    "requests_per_second": l.rate(),
                    "p50_ms": l.p50_ms,
                    "p90_ms": l.p90_ms,
                    "p99_ms": l.p99_ms,
                    "max_ms": l.max_ms,
                    "bytes_per_response": l.bytes as f64 / l.requests.max(1) as f64,
                    "ratio_to_healthz": self.ratio(l.name),
                    "import_still_running_at_end": l.import_running,
                })
            })
            .collect();
        let target = |name: &str, target: f64| {
            self.ratio(name).map(|r| json!({"target": target, "value": r, "met": r >= target}))
        };
        json!({
            "scenario": "api",
            "backend": self.backend.name(),
            "actions_stored": self.actions,
            "seeded_through": "cv_store API (create_action, claim_next, finish_action)",
            "seed_seconds": self.seed_seconds,
            "connections": self.connections,
            "during_import_rows": self.import_rows,
            "tool": "wrk",
            "loads": loads,
            "targets": {"list_ratio": target("list", TARGET_LIST), "get_ratio": target("get", TARGET_GET)},
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "api on {:?}: {} actions stored (seeded through cv_store in {:.1} s), wrk at {} connections",
            self.backend, self.actions, self.seed_seconds, self.connections
        )?;
        if let Some(rows) = self.import_rows {
            let all = self.loads.iter().all(|l| l.import_running == Some(true));
            let ran = if all { "throughout" } else { "NOT throughout (see the JSON)" };
            writeln!(f, "  while a {rows}-row customers import ran: {ran}")?;
        }
        writeln!(
            f,
            "  {:<44} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7}",
            "endpoint", "req/s", "p50 ms", "p90 ms", "p99 ms", "bytes", "ratio"
        )?;
        for l in &self.loads {
            let path = match l.name {
                "healthz" => "GET /healthz",
                "list" => "GET /v1/async-actions?limit=100",
                _ => "GET /v1/async-actions/{id}",
            };
            writeln!(
                f,
                "  {:<44} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>8.0} {:>7.2}",
                path,
                l.rate(),
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.bytes as f64 / l.requests.max(1) as f64,
                self.ratio(l.name).unwrap_or(0.0)
            )?;
        }
        let show = |r: Option<f64>, t: f64| match r {
            Some(r) => format!("{} ({r:.2})", verdict(r >= t)),
            None => "not measured".to_owned(),
        };
        write!(
            f,
            "  targets: list ≥ {TARGET_LIST}× healthz: {}; get ≥ {TARGET_GET}× healthz: {}",
            show(self.ratio("list"), TARGET_LIST),
            show(self.ratio("get"), TARGET_GET)
        )
    }
}

/// Seeds the store, starts the server, and loads each endpoint in turn.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let kept = options.data_dir.is_some() && options.backend == Backend::Sqlite;
    let dir = match (&options.data_dir, kept) {
        (Some(dir), true) => dir.clone(),
        _ => std::env::temp_dir().join(format!("conveyor-bench-api-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let database_url = if kept {
        format!("sqlite://{}", dir.join("api.db").display())
    } else {
        fresh_database(options.backend, options.url.as_deref(), &dir, "api").await?
    };
    // A first start creates the schema, the default project and the bench credentials.
    let server = Server::start(&options.binary, &database_url, 1024 * 1024).await?;
    server.terminate(Duration::from_secs(30)).await?;

    let started = Instant::now();
    let held = action_statuses(&database_url).await?;
    let ids = if kept && held == [("DONE".to_owned(), options.actions)] {
        eprintln!("api: reusing the {} actions in {}", options.actions, dir.display());
        stored_action_ids(&database_url)?
    } else if held.is_empty() {
        eprintln!("api: seeding {} actions through cv_store…", options.actions);
        seed(&database_url, options.actions).await?
    } else {
        bail!("{} holds other actions ({held:?}); remove it to seed anew", dir.display());
    };
    let seed_seconds = started.elapsed().as_secs_f64();
    let statuses = action_statuses(&database_url).await?;
    if statuses != [("DONE".to_owned(), options.actions)] {
        bail!("expected {} DONE actions after seeding, found {statuses:?}", options.actions);
    }

    // The import of `--during-import` is a file of about 100 bytes a row.
    let csv_limit = options.during_import.map_or(1 << 20, |rows| (rows as u64 + 1) * 1024);
    let server = Server::start(&options.binary, &database_url, csv_limit).await?;
    let mut rng = rand::rng();
    let sample: Vec<String> = ids.choose_multiple(&mut rng, GET_IDS).cloned().collect();
    let targets: [(&'static str, Vec<String>); 3] = [
        ("healthz", vec!["/healthz".to_owned()]),
        ("list", vec!["/v1/async-actions?limit=100".to_owned()]),
        ("get", sample.iter().map(|id| format!("/v1/async-actions/{id}")).collect()),
    ];
    // Every path answers 200 before the load starts.
    let client = reqwest::Client::new();
    for (_, paths) in &targets {
        for path in paths.iter().take(3) {
            let res = client
                .get(format!("{}{path}", server.base))
                .header("X-App-Id", APP.0)
                .header("X-App-Token", APP.1)
                .send()
                .await?;
            if !res.status().is_success() {
                bail!("GET {path}: {}", res.status());
            }
        }
    }
    let import = match options.during_import {
        Some(rows) => Some(start_import(&server, &dir, rows).await?),
        None => None,
    };
    let mut targets = Vec::from(targets);
    if import.is_some() {
        // The reads first, while the import surely runs; the baseline after them.
        targets.rotate_left(1);
    }
    let mut loads = Vec::new();
    for (name, paths) in &targets {
        let script = dir.join(format!("{name}.lua"));
        std::fs::write(&script, lua_script(paths))?;
        eprintln!("api: wrk on {name}…");
        let warmup = (options.seconds / 5).max(1);
        wrk(options, &server.base, &script, warmup).await?;
        let mut load = wrk(options, &server.base, &script, options.seconds).await?;
        load.name = name;
        if let Some((api, id)) = &import {
            let status = api.action(id).await?["status"].as_str().unwrap_or("").to_owned();
            load.import_running = Some(status == "IN_PROGRESS");
        }
        loads.push(load);
    }
    server.stop().await;
    if !kept {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(Report {
        backend: options.backend,
        actions: options.actions,
        seed_seconds,
        connections: options.connections,
        loads,
        import_rows: options.during_import,
    })
}

/// Uploads a generated customers CSV of `rows` rows to `server` and waits until a worker runs
/// it; a client for the server and the import's id.
async fn start_import(
    server: &Server,
    dir: &Path,
    rows: usize,
) -> anyhow::Result<(cv_bench::api::Api, String)> {
    let csv = dir.join("during-import.csv");
    cv_bench::data::write_csv(&cv_bench::data::generate(rows), &csv)?;
    let api = cv_bench::api::Api::new(&server.base);
    eprintln!("api: importing {rows} customers during the loads…");
    let id = api.import_customers(&csv).await?;
    api.until_running(&id, Duration::from_millis(50), "the loads").await?;
    Ok((api, id))
}

/// The ids of the actions a kept SQLite database holds.
fn stored_action_ids(database_url: &str) -> anyhow::Result<Vec<String>> {
    let path = database_url.strip_prefix("sqlite://").context("not a SQLite database")?;
    let conn = rusqlite::Connection::open(path)?;
    let mut stmt = conn.prepare("SELECT id FROM async_actions")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Stores `count` finished single-customer bulk updates in the project of the bench
/// credentials; their ids.
async fn seed(database_url: &str, count: u64) -> anyhow::Result<Vec<String>> {
    let store: Arc<dyn Store> = match database_url.strip_prefix("sqlite://") {
        Some(path) => Arc::new(cv_store_sqlite::SqliteStore::open(path).await?),
        None => Arc::new(cv_store_postgres::PostgresStore::connect(database_url).await?),
    };
    let (project, _) =
        store.find_credential(APP.0).await?.context("the bench credentials are not stored")?;
    let tasks = if database_url.starts_with("sqlite://") { 2 } else { 8 };
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (store, project, next) = (store.clone(), project.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return anyhow::Ok(ids);
                }
                let payload = CustomersBulkUpdate {
                    customers: vec![CustomerPatch {
                        source_id: Some(format!("seed-{i}")),
                        name: Field::Set(format!("Seed {i}")),
                        ..CustomerPatch::default()
                    }],
                };
                let (id, request) = (ActionId::generate(), RequestId::generate());
                let new =
                    NewAction::new(id, project.clone(), request, &payload, 1, Timestamp::now())?;
                let created = store.create_action(new).await?;
                ids.push(created.id.to_string());
                // Finish whichever action the claim returns (another task's, perhaps; none
                // when concurrent claims hold them all: the drain below finishes those).
                finish_one(store.as_ref()).await?;
            }
        }));
    }
    let mut ids = Vec::with_capacity(count as usize);
    for handle in handles {
        ids.extend(handle.await??);
    }
    while finish_one(store.as_ref()).await? {}
    Ok(ids)
}

/// Claims the oldest queued action and finishes it DONE with a single-item bulk report;
/// whether there was one.
async fn finish_one(store: &dyn Store) -> anyhow::Result<bool> {
    let Some(claim) = store.claim_next("bench-seed", Timestamp::now(), 60_000).await? else {
        return Ok(false);
    };
    let id = claim.record.id.to_string();
    let result = ActionResult::BulkReport(BulkReport {
        done_count: 1,
        failed_count: 0,
        reports: vec![format!("/v1/async-actions/{id}/report")],
        reports_available_till: Timestamp::now().plus_millis(30 * 24 * 3600 * 1000),
        errors: Vec::new(),
    });
    store.finish_action(&claim.fence, Timestamp::now(), &result, None).await?;
    Ok(true)
}

/// A wrk script that sends `paths` round robin with the bench credentials, and prints its
/// figures as one `BENCH_JSON {…}` line when done.
fn lua_script(paths: &[String]) -> String {
    let list: Vec<String> = paths.iter().map(|p| format!("  {p:?},")).collect();
    format!(
        r#"local paths = {{
{list}
}}
local headers = {{ ["X-App-Id"] = "{app}", ["X-App-Token"] = "{token}" }}
local requests = {{}}
local n = 0
function init(args)
  for i, p in ipairs(paths) do requests[i] = wrk.format("GET", p, headers) end
end
function request()
  n = n + 1
  if n > #requests then n = 1 end
  return requests[n]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {{\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"connect_errors\":%d,\"read_errors\":%d,\"write_errors\":%d,\"status_errors\":%d,\"timeouts\":%d}}\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"#,
        list = list.join("\n"),
        app = APP.0,
        token = APP.1,
    )
}

async fn wrk(options: &Options, base: &str, script: &Path, seconds: u32) -> anyhow::Result<Load> {
    let output = tokio::process::Command::new(&options.wrk)
        .arg(format!("-t{}", options.threads))
        .arg(format!("-c{}", options.connections))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "-s"])
        .arg(script)
        .arg(base)
        .output()
        .await
        .with_context(|| format!("starting {} (apt-get install -y wrk)", options.wrk.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("wrk failed: {}{stdout}", String::from_utf8_lossy(&output.stderr));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_JSON "))
        .with_context(|| format!("no figures in wrk's output: {stdout}"))?;
    let v: Value = serde_json::from_str(line)?;
    let int = |k: &str| v[k].as_u64().with_context(|| format!("no {k} in {line}"));
    let errors: u64 =
        ["connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"]
            .iter()
            .map(|k| int(k))
            .sum::<anyhow::Result<u64>>()?;
    if errors > 0 {
        bail!("wrk saw errors or non-2xx answers: {line}");
    }
    let ms = |k: &str| int(k).map(|us| us as f64 / 1000.0);
    Ok(Load {
        name: "",
        requests: int("requests")?,
        seconds: int("duration_us")? as f64 / 1e6,
        p50_ms: ms("p50_us")?,
        p90_ms: ms("p90_us")?,
        p99_ms: ms("p99_us")?,
        max_ms: ms("max_us")?,
        bytes: int("bytes")?,
        import_running: None,
    })
}
