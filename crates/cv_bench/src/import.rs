//! The import benchmark: the server's import of a generated file next to the raw baseline.

use std::{
    fmt,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use cv_bench::{
    Backend, data,
    database::fresh_database,
    server::{APP, Server},
    stats::verdict,
};

use crate::baseline;

/// P5 on SQLite: the server's peak RSS during the import, at most 150 MB (10^6 bytes).
const TARGET_RSS_BYTES: u64 = 150_000_000;

/// P1: the fraction of the raw insert's rows/s the import reaches at least on `backend`
/// (SQLite: of one transaction of prepared INSERTs; PostgreSQL: of `COPY`).
fn target_ratio(backend: Backend) -> f64 {
    match backend {
        Backend::Sqlite => 0.5,
        Backend::Postgres => 0.6,
    }
}

/// The figures of one run.
pub struct Report {
    backend: Backend,
    rows: usize,
    file_bytes: u64,
    upload: Duration,
    total: Duration,
    processing_ms: u64,
    import_rate: f64,
    raw_rate: f64,
    peak_rss: Option<u64>,
    failed: u64,
}

impl Report {
    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": "import-customers",
            "backend": self.backend.name(),
            "rows": self.rows,
            "file_bytes": self.file_bytes,
            "upload_seconds": self.upload.as_secs_f64(),
            "upload_to_done_seconds": self.total.as_secs_f64(),
            "server_processing_ms": self.processing_ms,
            "import_rows_per_second": self.import_rate,
            "raw_rows_per_second": self.raw_rate,
            "ratio": self.ratio(),
            "server_peak_rss_bytes": self.peak_rss,
            "failed_rows": self.failed,
            "targets": {
                "ratio": {"target": self.target_ratio(), "met": self.ratio() >= self.target_ratio()},
                "server_peak_rss_bytes": (self.backend == Backend::Sqlite).then(|| json!({
                    "target": TARGET_RSS_BYTES,
                    "met": self.peak_rss.map(|rss| rss <= TARGET_RSS_BYTES),
                })),
            },
        })
    }

    fn ratio(&self) -> f64 {
        self.import_rate / self.raw_rate
    }

    fn target_ratio(&self) -> f64 {
        target_ratio(self.backend)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        writeln!(
            f,
            "import-customers on {:?}: {} rows, {:.1} MiB CSV",
            self.backend,
            self.rows,
            mib(self.file_bytes)
        )?;
        writeln!(f, "  upload                 {:>10.2} s", self.upload.as_secs_f64())?;
        writeln!(
            f,
            "  upload → DONE          {:>10.2} s  ({} rows failed)",
            self.total.as_secs_f64(),
            self.failed
        )?;
        writeln!(f, "  import                 {:>10.0} rows/s", self.import_rate)?;
        writeln!(f, "  raw insert (baseline)  {:>10.0} rows/s", self.raw_rate)?;
        writeln!(
            f,
            "  ratio                  {:>10.2}   target ≥ {}: {}",
            self.ratio(),
            self.target_ratio(),
            verdict(self.ratio() >= self.target_ratio())
        )?;
        match self.peak_rss {
            Some(rss) if self.backend == Backend::Sqlite => write!(
                f,
                "  server peak RSS        {:>10.1} MiB ({:.1} MB)   target ≤ 150 MB: {}",
                mib(rss),
                rss as f64 / 1e6,
                verdict(rss <= TARGET_RSS_BYTES)
            ),
            Some(rss) => write!(
                f,
                "  server peak RSS        {:>10.1} MiB ({:.1} MB)",
                mib(rss),
                rss as f64 / 1e6
            ),
            None => write!(f, "  server peak RSS        unknown"),
        }
    }
}

/// Runs the benchmark.
pub async fn run(
    rows: usize,
    backend: Backend,
    url: Option<&str>,
    binary: &Path,
) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("conveyor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    eprintln!("generating {rows} rows…");
    let generated = data::generate(rows);
    let csv = dir.join("customers.csv");
    let file_bytes = data::write_csv(&generated, &csv)?;

    let database_url = fresh_database(backend, url, &dir, "import").await?;
    let server = Server::start(binary, &database_url, file_bytes * 2).await?;
    eprintln!("importing through {}…", server.base);
    let client = reqwest::Client::new();
    let started = Instant::now();
    let file = tokio::fs::File::open(&csv).await?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let part =
        reqwest::multipart::Part::stream_with_length(body, file_bytes).file_name("customers.csv");
    let res = client
        .post(format!("{}/v1/customers/importCSV", server.base))
        .header("X-App-Id", APP.0)
        .header("X-App-Token", APP.1)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    let upload = started.elapsed();
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() {
        bail!("upload refused: {status} {body}");
    }
    let id = body["async_action_id"].as_str().context("no async_action_id")?.to_owned();
    let action = loop {
        let a: Value = client
            .get(format!("{}/v1/async-actions/{id}", server.base))
            .header("X-App-Id", APP.0)
            .header("X-App-Token", APP.1)
            .send()
            .await?
            .json()
            .await?;
        if a["status"] == "DONE" || a["status"] == "FAILED" {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let total = started.elapsed();
    let peak_rss = server.peak_rss();
    server.stop().await;
    if action["status"] != "DONE" {
        bail!("the import failed: {action}");
    }
    let failed = action["result"]["failed_count"].as_u64().unwrap_or(0);
    let done = action["result"]["done_count"].as_u64().unwrap_or(0);
    if done != rows as u64 {
        bail!("imported {done} of {rows} rows: {}", action["result"]);
    }

    eprintln!("raw baseline…");
    let raw_rate = match backend {
        Backend::Sqlite => baseline::sqlite(&generated, &dir.join("raw.db")).await?,
        Backend::Postgres => {
            baseline::postgres(&generated, &fresh_database(backend, url, &dir, "raw").await?)
                .await?
        }
    };
    std::fs::remove_dir_all(&dir).ok();
    Ok(Report {
        backend,
        rows,
        file_bytes,
        upload,
        total,
        processing_ms: action["processing_time"].as_u64().unwrap_or(0),
        import_rate: rows as f64 / total.as_secs_f64(),
        raw_rate,
        peak_rss,
        failed,
    })
}
