//! Running the real `conveyor` binary as a child process.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

/// The app id and token the server is started with.
pub const APP: (&str, &str) = ("bench-app", "bench-token");

/// A running `conveyor serve` or `conveyor worker`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (a worker listens nowhere; its base is unused).
    pub base: String,
}

/// `conveyor` next to the running executable.
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("conveyor");
    if !path.exists() {
        bail!(
            "{} not found: build it (cargo build --release -p conveyor) or pass --server",
            path.display()
        );
    }
    Ok(path)
}

/// How to start a process.
#[derive(Debug, Clone)]
pub struct Options {
    /// `serve` (API and engine) or `worker` (engine only).
    pub command: &'static str,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Largest accepted CSV upload.
    pub csv_limit: u64,
    /// Extra `CONVEYOR_*` settings.
    pub env: Vec<(String, String)>,
}

impl Options {
    /// `conveyor serve` over `database_url` accepting CSV files up to `csv_limit` bytes.
    pub fn serve(database_url: &str, csv_limit: u64) -> Self {
        Self { command: "serve", database_url: database_url.to_owned(), csv_limit, env: Vec::new() }
    }

    /// The same settings with `key=value` added to the environment.
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.env.push((key.to_owned(), value.to_string()));
        self
    }
}

impl Server {
    /// Starts `binary serve` on a free port over `database_url` and waits until it is ready.
    pub async fn start(binary: &Path, database_url: &str, csv_limit: u64) -> anyhow::Result<Self> {
        Self::launch(binary, &Options::serve(database_url, csv_limit)).await
    }

    /// Starts `binary` with `options`; a `serve` is awaited until it answers `/readyz`.
    pub async fn launch(binary: &Path, options: &Options) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new(binary);
        command
            .arg(options.command)
            .env("CONVEYOR_BIND", format!("127.0.0.1:{port}"))
            .env("CONVEYOR_DATABASE_URL", &options.database_url)
            .env("CONVEYOR_APP_ID", APP.0)
            .env("CONVEYOR_APP_TOKEN", APP.1)
            .env("CONVEYOR_CSV_LIMIT_BYTES", options.csv_limit.to_string())
            .env("CONVEYOR_LOG", "warn")
            // The benchmarks measure the server, not its per-project rate limits (which still
            // count every request); a scenario can set them lower through `options.env`.
            .env("CONVEYOR_RATE_LIMIT_PER_MINUTE", u32::MAX.to_string())
            .env("CONVEYOR_BULK_RATE_LIMIT_PER_MINUTE", u32::MAX.to_string())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let child = command.spawn().with_context(|| format!("starting {}", binary.display()))?;
        let server = Self { child, base: format!("http://127.0.0.1:{port}") };
        if options.command != "serve" {
            return Ok(server);
        }
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(res) = client.get(format!("{}/readyz", server.base)).send().await
                && res.status().is_success()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not become ready")
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The server's peak resident set size so far, in bytes (Linux `VmHWM`).
    pub fn peak_rss(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    /// Kills the process with SIGKILL: no chance to release leases or finish a chunk.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Sends SIGTERM and waits for the exit; how long it took, and whether it exited
    /// successfully. Killed with SIGKILL after `patience`.
    pub async fn terminate(mut self, patience: Duration) -> anyhow::Result<(Duration, bool)> {
        let pid = self.child.id().context("the process already exited")?;
        let started = Instant::now();
        let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await?;
        if !status.success() {
            bail!("kill -TERM {pid} failed");
        }
        match tokio::time::timeout(patience, self.child.wait()).await {
            Ok(exit) => Ok((started.elapsed(), exit?.success())),
            Err(_) => {
                let _ = self.child.kill().await;
                Ok((started.elapsed(), false))
            }
        }
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.kill().await;
    }
}
