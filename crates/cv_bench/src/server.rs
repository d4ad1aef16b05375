//! Running the real `conveyor` binary as a child process.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

/// The app id and token the server is started with.
pub const APP: (&str, &str) = ("bench-app", "bench-token");

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
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

impl Server {
    /// Starts `binary serve` on a free port over `database_url` and waits until it is ready.
    pub async fn start(binary: &Path, database_url: &str, csv_limit: u64) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binary)
            .arg("serve")
            .env("CONVEYOR_BIND", format!("127.0.0.1:{port}"))
            .env("CONVEYOR_DATABASE_URL", database_url)
            .env("CONVEYOR_APP_ID", APP.0)
            .env("CONVEYOR_APP_TOKEN", APP.1)
            .env("CONVEYOR_CSV_LIMIT_BYTES", csv_limit.to_string())
            .env("CONVEYOR_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Self { child, base: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(res) = client.get(format!("{}/readyz", server.base)).send().await
                && res.status().is_success()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not become ready")
    }

    /// The server's peak resident set size so far, in bytes (Linux `VmHWM`).
    pub fn peak_rss(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
