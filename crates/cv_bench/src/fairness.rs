//! P6, fairness: while the customers import of P1 runs, small actions (a 10-customer bulk
//! update each) are submitted one at a time, a second apart, and each is timed from its POST
//! to the first `GET` that shows it DONE (polled every 5 ms). A probe counts only if the
//! import was still running when the probe finished.

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
    data,
    database::fresh_database,
    server::Server,
    stats::{Summary, verdict},
};

/// Every probe must be DONE within this.
const TARGET_MS: f64 = 1000.0;

/// Items per probe action.
const PROBE_ITEMS: usize = 10;

/// The figures of one run.
pub struct Report {
    backend: Backend,
    rows: usize,
    probes: Vec<Duration>,
    late: usize,
    import: Duration,
}

impl Report {
    fn summary(&self) -> Summary {
        Summary::of(&self.probes)
    }

    fn met(&self) -> bool {
        !self.probes.is_empty() && self.summary().max <= TARGET_MS
    }

    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        let ms: Vec<f64> = self.probes.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        json!({
            "scenario": "fairness",
            "backend": self.backend.name(),
            "import_rows": self.rows,
            "import_seconds": self.import.as_secs_f64(),
            "probe_items": PROBE_ITEMS,
            "probes_ms": ms,
            "probes_finished_after_the_import": self.late,
            "probe": self.summary().to_json(),
            "target": {"max_ms": TARGET_MS, "met": self.met()},
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary();
        writeln!(
            f,
            "fairness on {:?}: {}-item actions submitted during a {}-row customers import ({:.1} s)",
            self.backend,
            PROBE_ITEMS,
            self.rows,
            self.import.as_secs_f64()
        )?;
        let each: Vec<String> =
            self.probes.iter().map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0)).collect();
        writeln!(f, "  POST → DONE, ms, each probe: {}", each.join(" "))?;
        writeln!(
            f,
            "  probes {}  p50 {:.1} ms  max {:.1} ms  (not counted: {} that ended after the import)",
            s.count, s.p50, s.max, self.late
        )?;
        write!(f, "  target: every probe ≤ {TARGET_MS:.0} ms: {}", verdict(self.met()))
    }
}

/// Imports `rows` customers and sends `probes` small actions while it runs.
pub async fn run(
    rows: usize,
    probes: usize,
    backend: Backend,
    url: Option<&str>,
    binary: &Path,
) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("conveyor-bench-fair-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    eprintln!("fairness: generating {rows} rows…");
    let csv = dir.join("customers.csv");
    let file_bytes = data::write_csv(&data::generate(rows), &csv)?;
    let database_url = fresh_database(backend, url, &dir, "fairness").await?;
    let server = Server::start(binary, &database_url, file_bytes * 2).await?;
    let api = Api::new(&server.base);
    let started = Instant::now();
    let import = api.import_customers(&csv).await?;
    let import_path = format!("/v1/async-actions/{import}");
    // Probes start once a worker runs the import.
    api.until_running(&import, Duration::from_millis(20), "any probe").await?;
    eprintln!("fairness: import running; probing…");
    let mut times = Vec::new();
    let mut late = 0;
    for k in 0..probes {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let body: Vec<Value> = (0..PROBE_ITEMS)
            .map(|j| json!({"source_id": format!("probe-{k}-{j}"), "name": "Probe"}))
            .collect();
        let sent = Instant::now();
        let created = api.post("/v1/customers/bulk/async", &Value::Array(body)).await?;
        let id = created["async_action_id"].as_str().context("no async_action_id")?.to_owned();
        let path = format!("/v1/async-actions/{id}");
        loop {
            let a = api.get(&path).await?;
            match a["status"].as_str() {
                Some("DONE") => break,
                Some("FAILED") => bail!("probe {id} failed: {a}"),
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
        let took = sent.elapsed();
        let status = api.get(&import_path).await?["status"].as_str().unwrap_or("").to_owned();
        if status == "IN_PROGRESS" {
            times.push(took);
        } else {
            late += 1;
            break;
        }
    }
    let action = loop {
        let a = api.get(&import_path).await?;
        if a["status"] == "DONE" || a["status"] == "FAILED" {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let import_time = started.elapsed();
    server.stop().await;
    std::fs::remove_dir_all(&dir).ok();
    if action["status"] != "DONE" || action["result"]["done_count"].as_u64() != Some(rows as u64) {
        bail!("the import did not finish with {rows} rows: {action}");
    }
    Ok(Report { backend, rows, probes: times, late, import: import_time })
}
