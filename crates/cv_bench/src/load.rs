//! The load run: concurrent clients mixing every kind of call a busy integration makes —
//! bulk and metadata updates, CSV uploads, polls of their actions, the action list — for a
//! fixed time against the release (or debug) binary; then the queue is drained and every
//! action the server accepted is checked in the database: there, DONE, with exactly the items
//! sent and none failed. Any 5xx, transport error, unexpected status, lost or unfinished
//! action or wrong count fails the run.
//!
//! The server runs with its rate limits off (`CONVEYOR_RATE_LIMIT_PER_MINUTE=0`, the same for
//! bulk calls), so the run measures the server rather than the limiter; every call is in one
//! project. Its other settings are the defaults, so CSV uploads beyond
//! `max_concurrent_uploads` (8) get 429 `too_many_uploads`, which is counted apart and retried
//! by the client after a short pause.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use serde_json::{Value, json};

use cv_bench::{
    Backend,
    database::{FinishedCounter, actions, drop_database, fresh_database},
    server::{APP, Options as ServerOptions, Server},
    stats::Summary,
};

/// Customers per bulk update and per metadata update.
const BULK_ITEMS: usize = 10;
/// Rows per uploaded CSV file.
const CSV_ROWS: usize = 20;
/// How long an unused connection stays in the client's pool: well under the server's
/// `header_read_timeout_ms` (10 s), after which it closes idle connections.
const IDLE_CONNECTION: Duration = Duration::from_secs(4);
/// How long a client waits after a 429 `too_many_uploads`.
const UPLOAD_BACKOFF: Duration = Duration::from_millis(20);

/// What one call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `POST /v1/customers/bulk/async`, [`BULK_ITEMS`] customers.
    Bulk,
    /// `POST /v1/customers/metadata/async`, the client's last [`BULK_ITEMS`] customers.
    Metadata,
    /// `POST /v1/customers/importCSV`, [`CSV_ROWS`] rows.
    Csv,
    /// `GET /v1/async-actions/{id}` of one of the client's actions.
    Poll,
    /// `GET /v1/async-actions?limit=100`.
    List,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Bulk, Kind::Metadata, Kind::Csv, Kind::Poll, Kind::List];

    /// Relative frequency in the mix.
    fn weight(self) -> u32 {
        match self {
            Kind::Bulk => 20,
            Kind::Metadata => 15,
            Kind::Csv => 5,
            Kind::Poll => 45,
            Kind::List => 15,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Bulk => "bulk update",
            Kind::Metadata => "metadata update",
            Kind::Csv => "CSV upload",
            Kind::Poll => "poll action",
            Kind::List => "list actions",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Kind::Bulk => "bulk",
            Kind::Metadata => "metadata",
            Kind::Csv => "csv",
            Kind::Poll => "poll",
            Kind::List => "list",
        }
    }

    fn pick(rng: &mut impl rand::Rng) -> Kind {
        let total: u32 = Kind::ALL.iter().map(|k| k.weight()).sum();
        let mut n = rng.random_range(0..total);
        for kind in Kind::ALL {
            if n < kind.weight() {
                return kind;
            }
            n -= kind.weight();
        }
        Kind::Poll
    }
}

/// How the calls of one kind went.
#[derive(Debug, Default, Clone)]
pub struct Calls {
    /// Time of every answered call.
    latencies: Vec<Duration>,
    /// Answers by status code.
    statuses: BTreeMap<u16, u64>,
    /// Calls with no answer (connection refused or reset, timed out).
    transport_errors: u64,
    /// Answers the run does not expect (see [`expected`]).
    unexpected: u64,
    /// The first few unexpected answers, for the report.
    samples: Vec<String>,
}

impl Calls {
    fn count(&self, pred: impl Fn(u16) -> bool) -> u64 {
        self.statuses.iter().filter(|(s, _)| pred(**s)).map(|(_, n)| n).sum()
    }

    fn merge(&mut self, other: Calls) {
        self.latencies.extend(other.latencies);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
        self.unexpected += other.unexpected;
        self.samples
            .extend(other.samples.into_iter().take(5usize.saturating_sub(self.samples.len())));
    }
}

/// What one client saw and did.
#[derive(Default)]
struct ClientLog {
    calls: HashMap<Kind, Calls>,
    /// Accepted actions and the items each carried.
    submitted: Vec<(String, u64)>,
}

impl ClientLog {
    fn record(&mut self, kind: Kind, took: Duration, answer: &Result<(u16, String), String>) {
        let calls = self.calls.entry(kind).or_default();
        match answer {
            Ok((status, body)) => {
                calls.latencies.push(took);
                *calls.statuses.entry(*status).or_default() += 1;
                if !expected(kind, *status, body) {
                    calls.unexpected += 1;
                    if calls.samples.len() < 5 {
                        let body: String = body.chars().take(300).collect();
                        calls.samples.push(format!("{status} {body}"));
                    }
                }
            }
            Err(err) => {
                calls.transport_errors += 1;
                if calls.samples.len() < 5 {
                    calls.samples.push(err.clone());
                }
            }
        }
    }
}

/// Whether an answer is one the run expects: a 2xx, or a refused upload while the server
/// receives its most uploads at once.
fn expected(kind: Kind, status: u16, body: &str) -> bool {
    (200..300).contains(&status)
        || (kind == Kind::Csv && status == 429 && body.contains("too_many_uploads"))
}

/// One backend's run.
pub struct Run {
    backend: Backend,
    calls: BTreeMap<Kind, Calls>,
    window: Duration,
    drain: Duration,
    submitted: u64,
    items_sent: u64,
    done: u64,
    items_done: u64,
    /// Everything wrong with the accepted actions, the first ones.
    problems: Vec<String>,
    problem_count: usize,
}

impl Run {
    fn unexpected(&self) -> u64 {
        self.calls.values().map(|c| c.unexpected).sum()
    }

    fn server_errors(&self) -> u64 {
        self.calls.values().map(|c| c.count(|s| s >= 500)).sum()
    }

    fn transport_errors(&self) -> u64 {
        self.calls.values().map(|c| c.transport_errors).sum()
    }

    fn passed(&self) -> bool {
        self.server_errors() == 0
            && self.transport_errors() == 0
            && self.unexpected() == 0
            && self.problem_count == 0
            && self.done == self.submitted
    }

    fn to_json(&self) -> Value {
        let calls: serde_json::Map<String, Value> = self
            .calls
            .iter()
            .map(|(kind, c)| {
                let mut figures = Summary::of(&c.latencies).to_json();
                figures["statuses"] = json!(c.statuses);
                figures["transport_errors"] = json!(c.transport_errors);
                figures["unexpected"] = json!(c.unexpected);
                figures["per_second"] = json!(c.latencies.len() as f64 / self.window.as_secs_f64());
                figures["unexpected_samples"] = json!(c.samples);
                (kind.key().to_owned(), figures)
            })
            .collect();
        json!({
            "backend": self.backend.name(),
            "window_seconds": self.window.as_secs_f64(),
            "drain_seconds": self.drain.as_secs_f64(),
            "calls": calls,
            "server_errors": self.server_errors(),
            "transport_errors": self.transport_errors(),
            "unexpected_statuses": self.unexpected(),
            "actions_submitted": self.submitted,
            "actions_done": self.done,
            "items_sent": self.items_sent,
            "items_done": self.items_done,
            "problems": self.problems,
            "problem_count": self.problem_count,
            "passed": self.passed(),
        })
    }
}

/// The figures of one invocation.
pub struct Report {
    clients: usize,
    seconds: u64,
    runs: Vec<Run>,
}

impl Report {
    /// Whether every backend's run passed.
    pub fn passed(&self) -> bool {
        self.runs.iter().all(Run::passed)
    }

    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": "load",
            "clients": self.clients,
            "seconds": self.seconds,
            "rate_limits": "off (CONVEYOR_RATE_LIMIT_PER_MINUTE=0, CONVEYOR_BULK_RATE_LIMIT_PER_MINUTE=0), one project",
            "bulk_items": BULK_ITEMS,
            "csv_rows": CSV_ROWS,
            "runs": self.runs.iter().map(Run::to_json).collect::<Vec<_>>(),
            "passed": self.passed(),
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "load: {} clients for {} s, one project, rate limits off; bulk/metadata {BULK_ITEMS} items, CSV {CSV_ROWS} rows",
            self.clients, self.seconds
        )?;
        for run in &self.runs {
            writeln!(f, "  {}:", run.backend.name())?;
            writeln!(
                f,
                "    {:<16} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6} {:>6}",
                "call",
                "count",
                "per s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "429",
                "5xx",
                "err"
            )?;
            for (kind, c) in &run.calls {
                let s = Summary::of(&c.latencies);
                writeln!(
                    f,
                    "    {:<16} {:>8} {:>8.1} {:>9.2} {:>9.2} {:>9.2} {:>9.1} {:>6} {:>6} {:>6}",
                    kind.name(),
                    s.count,
                    s.count as f64 / run.window.as_secs_f64(),
                    s.p50,
                    s.p95,
                    s.p99,
                    s.max,
                    c.count(|st| st == 429),
                    c.count(|st| st >= 500),
                    c.transport_errors
                )?;
                for sample in &c.samples {
                    writeln!(f, "      unexpected: {sample}")?;
                }
            }
            writeln!(
                f,
                "    actions: {} submitted, {} DONE ({} items sent, {} done); queue drained {:.1} s after the window",
                run.submitted,
                run.done,
                run.items_sent,
                run.items_done,
                run.drain.as_secs_f64()
            )?;
            for problem in &run.problems {
                writeln!(f, "    PROBLEM: {problem}")?;
            }
            if run.problem_count > run.problems.len() {
                writeln!(f, "    … {} problems in all", run.problem_count)?;
            }
            writeln!(
                f,
                "    verdict: {} (5xx {}, transport errors {}, unexpected statuses {}, action problems {})",
                if run.passed() { "passed" } else { "FAILED" },
                run.server_errors(),
                run.transport_errors(),
                run.unexpected(),
                run.problem_count
            )?;
        }
        Ok(())
    }
}

/// What to run.
pub struct Options {
    /// Concurrent clients.
    pub clients: usize,
    /// Seconds of load.
    pub seconds: u64,
    /// Backends, in order.
    pub backends: Vec<Backend>,
    /// The PostgreSQL server (for `postgres`).
    pub url: Option<String>,
    /// The `conveyor` binary.
    pub binary: PathBuf,
    /// How long the queue may take to drain after the window.
    pub drain_timeout: Duration,
}

/// Runs the load on each backend.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let mut runs = Vec::new();
    for &backend in &options.backends {
        let run = one(options, backend).await?;
        eprintln!(
            "load: {} → {} actions, {} DONE, {}",
            backend.name(),
            run.submitted,
            run.done,
            if run.passed() { "passed" } else { "FAILED" }
        );
        runs.push(run);
    }
    Ok(Report { clients: options.clients, seconds: options.seconds, runs })
}

async fn one(options: &Options, backend: Backend) -> anyhow::Result<Run> {
    let dir = std::env::temp_dir().join(format!("conveyor-bench-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = fresh_database(backend, options.url.as_deref(), &dir, "load").await?;
    let server_options = ServerOptions::serve(&database_url, 10 * 1024 * 1024)
        .with("CONVEYOR_RATE_LIMIT_PER_MINUTE", 0)
        .with("CONVEYOR_BULK_RATE_LIMIT_PER_MINUTE", 0);
    let server = Server::launch(&options.binary, &server_options).await?;
    // The server closes a keep-alive connection that sends no request for
    // `header_read_timeout_ms` (10 s); a client must stop reusing one before that, or a request
    // may go out on a connection the server is closing at that moment.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(options.clients.max(1))
        .pool_idle_timeout(IDLE_CONNECTION)
        .build()?;
    eprintln!("load: {} clients for {} s on {}…", options.clients, options.seconds, backend.name());
    let started = Instant::now();
    let end = started + Duration::from_secs(options.seconds);
    let mut tasks = Vec::new();
    for index in 0..options.clients.max(1) {
        let (client, base) = (client.clone(), server.base.clone());
        tasks.push(tokio::spawn(async move { drive(&client, &base, index, end).await }));
    }
    let mut calls: BTreeMap<Kind, Calls> = BTreeMap::new();
    let mut submitted: HashMap<String, u64> = HashMap::new();
    for task in tasks {
        let log = task.await.context("a client task failed")?;
        for (kind, c) in log.calls {
            calls.entry(kind).or_default().merge(c);
        }
        submitted.extend(log.submitted);
    }
    let window = started.elapsed();
    let counter = FinishedCounter::connect(&database_url).await?;
    let drain_started = Instant::now();
    while counter.any_unfinished().await? {
        if drain_started.elapsed() > options.drain_timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drain = drain_started.elapsed();
    drop(counter);
    server.stop().await;
    let run = check(backend, calls, window, drain, &submitted, &database_url).await?;
    if run.passed() {
        drop_database(options.url.as_deref(), &database_url).await?;
        std::fs::remove_dir_all(&dir).ok();
    } else {
        eprintln!("load: the database is kept for inspection: {database_url}");
    }
    Ok(run)
}

/// Compares the accepted actions with the database's rows.
async fn check(
    backend: Backend,
    calls: BTreeMap<Kind, Calls>,
    window: Duration,
    drain: Duration,
    submitted: &HashMap<String, u64>,
    database_url: &str,
) -> anyhow::Result<Run> {
    let rows = actions(database_url).await?;
    let mut problems = Vec::new();
    let (mut done, mut items_done) = (0, 0);
    let mut seen = 0;
    for row in &rows {
        let Some(&sent) = submitted.get(&row.id) else {
            problems.push(format!("{} ({}) was never accepted by a client", row.id, row.kind));
            continue;
        };
        seen += 1;
        if row.status == "DONE" {
            done += 1;
        }
        items_done += row.done_count.max(0) as u64;
        if row.status != "DONE" || row.done_count != sent as i64 || row.failed_count != 0 {
            problems.push(format!(
                "{} ({}): {} with {} done and {} failed of {sent} sent",
                row.id, row.kind, row.status, row.done_count, row.failed_count
            ));
        }
    }
    if seen != submitted.len() {
        problems
            .push(format!("{} accepted actions are not in the database", submitted.len() - seen));
    }
    let problem_count = problems.len();
    problems.truncate(10);
    Ok(Run {
        backend,
        calls,
        window,
        drain,
        submitted: submitted.len() as u64,
        items_sent: submitted.values().sum(),
        done,
        items_done,
        problems,
        problem_count,
    })
}

/// One client: calls of the mix, back to back, until `end`.
async fn drive(client: &reqwest::Client, base: &str, index: usize, end: Instant) -> ClientLog {
    let mut log = ClientLog::default();
    let mut rng = StdRng::from_rng(&mut rand::rng());
    let mut seq = 0u64;
    let mut last_bulk: Vec<String> = Vec::new();
    while Instant::now() < end {
        seq += 1;
        let mut kind = Kind::pick(&mut rng);
        if matches!(kind, Kind::Poll) && log.submitted.is_empty() {
            kind = Kind::Bulk;
        }
        if matches!(kind, Kind::Metadata) && last_bulk.is_empty() {
            kind = Kind::Bulk;
        }
        let started = Instant::now();
        let (answer, items) = match kind {
            Kind::Bulk => {
                last_bulk = (0..BULK_ITEMS).map(|i| format!("l{index}-{seq}-{i}")).collect();
                let body: Vec<Value> = last_bulk
                    .iter()
                    .map(|id| json!({"source_id": id, "name": format!("Load {id}"), "metadata": {"client": index}}))
                    .collect();
                (
                    post_json(client, base, "/v1/customers/bulk/async", &json!(body)).await,
                    BULK_ITEMS,
                )
            }
            Kind::Metadata => {
                let body = json!({"source_ids": last_bulk, "metadata": {"seq": seq}});
                (
                    post_json(client, base, "/v1/customers/metadata/async", &body).await,
                    last_bulk.len(),
                )
            }
            Kind::Csv => {
                let mut csv = String::from("source_id,name,email\n");
                for i in 0..CSV_ROWS {
                    csv.push_str(&format!(
                        "u{index}-{seq}-{i},Row {i},u{index}-{seq}-{i}@example.com\n"
                    ));
                }
                (upload(client, base, csv).await, CSV_ROWS)
            }
            Kind::Poll => {
                let (id, _) = &log.submitted[rng.random_range(0..log.submitted.len())];
                (get(client, base, &format!("/v1/async-actions/{id}")).await, 0)
            }
            Kind::List => (get(client, base, "/v1/async-actions?limit=100").await, 0),
        };
        let took = started.elapsed();
        log.record(kind, took, &answer);
        match (&answer, kind) {
            (Ok((status, body)), Kind::Bulk | Kind::Metadata | Kind::Csv)
                if (200..300).contains(status) =>
            {
                let id = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v["async_action_id"].as_str().map(str::to_owned));
                match id {
                    Some(id) => log.submitted.push((id, items as u64)),
                    None => log.record(
                        kind,
                        Duration::ZERO,
                        &Err(format!("no async_action_id in {body}")),
                    ),
                }
            }
            (Ok((429, _)), Kind::Csv) => tokio::time::sleep(UPLOAD_BACKOFF).await,
            _ => {}
        }
    }
    log
}

type Answer = Result<(u16, String), String>;

async fn finish(request: reqwest::RequestBuilder) -> Answer {
    let request = request.header("X-App-Id", APP.0).header("X-App-Token", APP.1);
    let res = request.send().await.map_err(|e| describe("transport", &e))?;
    let status = res.status().as_u16();
    let body = res.text().await.map_err(|e| describe("transport (body)", &e))?;
    Ok((status, body))
}

/// An error with its causes (reqwest's own text says only which request failed).
fn describe(what: &str, err: &reqwest::Error) -> String {
    let mut text = format!("{what}: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

async fn post_json(client: &reqwest::Client, base: &str, path: &str, body: &Value) -> Answer {
    finish(client.post(format!("{base}{path}")).json(body)).await
}

async fn get(client: &reqwest::Client, base: &str, path: &str) -> Answer {
    finish(client.get(format!("{base}{path}"))).await
}

async fn upload(client: &reqwest::Client, base: &str, csv: String) -> Answer {
    let part = match reqwest::multipart::Part::text(csv).file_name("load.csv").mime_str("text/csv")
    {
        Ok(part) => part,
        Err(err) => return Err(format!("multipart: {err}")),
    };
    let form = reqwest::multipart::Form::new().part("file", part);
    finish(client.post(format!("{base}/v1/customers/importCSV")).multipart(form)).await
}
