//! `conveyor-bench`: benchmark commands that measure Conveyor next to the database's own
//! limit, in the same run, on the same machine.

mod api_load;
mod baseline;
mod fairness;
mod generate;
mod import;
mod latency;
mod load;
mod scale_out;
mod tiny;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use cv_bench::{Backend, server};

/// Conveyor's benchmarks.
#[derive(Debug, Parser)]
#[command(name = "conveyor-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a customers CSV, import it through a running server (upload → DONE), and
    /// insert the same rows straight into the same backend (SQLite: one prepared INSERT per
    /// row in one transaction; PostgreSQL: COPY). Prints rows/s for both, their ratio, and the
    /// server's peak RSS.
    ImportCustomers {
        /// Rows in the file.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// The store.
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// P2: send single-customer bulk updates one after another and time each from the POST
    /// to the first GET that shows it DONE (polling back to back); prints p50/p95/p99.
    Latency {
        /// Measured actions (20 more are sent first as a warm-up).
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// The store.
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// P3: submit single-item actions from concurrent clients and count actions/s until all
    /// are DONE, on each backend given; then graphile-worker (`--peer`) processing as many
    /// no-op jobs added in one batch on the same PostgreSQL server, in its default mode and
    /// in its batched mode (local queue); prints the ratios to each.
    TinyActions {
        /// Actions (and peer jobs).
        #[arg(long, default_value_t = 20_000)]
        actions: u64,
        /// Concurrent submitting clients.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Conveyor's stores, in order (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite")]
        backend: Vec<Backend>,
        /// PostgreSQL server URL (fresh databases are created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The peer's directory (`bench/peer`, after `npm ci` there); no peer run without it.
        /// The peer runs twice: default mode, then batched mode.
        #[arg(long)]
        peer: Option<PathBuf>,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// P7: P3's single-item actions on 1, 2 and 3 Conveyor nodes sharing one PostgreSQL
    /// database, each node reaching it through a proxy that delays every byte by
    /// `--delay-ms` each way; the clients' POSTs go round robin to every node. Prints
    /// actions/s per node count and each one's ratio to one node.
    ScaleOut {
        /// Actions per run.
        #[arg(long, default_value_t = 10_000)]
        actions: u64,
        /// Concurrent submitting clients, spread over the nodes.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Node counts, one run each on a fresh database (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        nodes: Vec<usize>,
        /// Delay added between each node and PostgreSQL, each way, in milliseconds.
        #[arg(long, default_value_t = 1)]
        delay_ms: u64,
        /// PostgreSQL server URL (fresh databases are created on it; meant to be durable).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: String,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// P4: store finished actions (through cv_store, server stopped), then load
    /// `GET /v1/async-actions?limit=100`, `GET /v1/async-actions/{id}` and `GET /healthz`
    /// with wrk; prints requests/s, percentiles and each read's ratio to /healthz.
    Api {
        /// Actions stored before the load.
        #[arg(long, default_value_t = 100_000)]
        actions: u64,
        /// wrk connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// wrk threads.
        #[arg(long, default_value_t = 2)]
        threads: u32,
        /// Measured seconds per endpoint.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// The store.
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The `wrk` binary.
        #[arg(long, default_value = "wrk")]
        wrk: PathBuf,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// SQLite: keep the database in this directory and reuse its actions in later runs.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Run the loads while a customers import of this many rows commits its chunks.
        #[arg(long)]
        during_import: Option<usize>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// P6: import a generated customers CSV and, while it runs, send 10-item bulk updates a
    /// second apart; prints each one's POST → DONE time.
    Fairness {
        /// Rows in the file.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Small actions sent during the import (fewer if it ends first).
        #[arg(long, default_value_t = 10)]
        probes: usize,
        /// The store.
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Concurrent clients mixing bulk and metadata updates, CSV uploads, polls of their
    /// actions and the action list for a fixed time, rate limits off; then every accepted
    /// action is checked DONE with the items sent. Prints each call's count and p50/p95/p99;
    /// fails on any 5xx, transport error, unexpected status, or lost or unfinished action.
    Load {
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds of load.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The stores, in order (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite")]
        backend: Vec<Backend>,
        /// PostgreSQL server URL (fresh databases are created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Seconds the queue may take to drain after the load.
        #[arg(long, default_value_t = 900)]
        drain_timeout: u64,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Print what this machine is (cores, CPU, memory, kernel, SQLite) and, given a URL, the
    /// PostgreSQL server's version and fsync setting, as JSON.
    Machine {
        /// PostgreSQL server URL.
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Also write the JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Create a campaign whose vouchers the server generates (CAMPAIGN.VOUCHERS_GENERATE),
    /// time it to DONE, check every code is distinct, and print codes/s.
    GenerateCodes {
        /// Codes to generate.
        #[arg(long, default_value_t = 100_000)]
        count: u64,
        /// The store.
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The `conveyor` binary to start [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
        /// Also write the figures as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// Writes `figures` as pretty JSON to `path`, when one is given.
fn write_json(path: Option<PathBuf>, figures: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(path, serde_json::to_string_pretty(figures)? + "\n")?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::ImportCustomers { rows, backend, database_url, server, json } => {
            let server = server.map_or_else(server::default_binary, Ok)?;
            let report = import::run(rows, backend, database_url.as_deref(), &server).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
        }
        Command::Latency { count, backend, database_url, server, json } => {
            let server = server.map_or_else(server::default_binary, Ok)?;
            let report = latency::run(count, backend, database_url.as_deref(), &server).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
        }
        Command::TinyActions { actions, clients, backend, database_url, peer, server, json } => {
            let options = tiny::Options {
                actions,
                clients,
                backends: backend,
                url: database_url,
                binary: server.map_or_else(server::default_binary, Ok)?,
                peer,
            };
            let report = tiny::run(&options).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
        }
        Command::ScaleOut { actions, clients, nodes, delay_ms, database_url, server, json } => {
            let options = scale_out::Options {
                actions,
                clients,
                nodes,
                delay: std::time::Duration::from_millis(delay_ms),
                url: database_url,
                binary: server.map_or_else(server::default_binary, Ok)?,
            };
            let report = scale_out::run(&options).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
        }
        Command::Api {
            actions,
            connections,
            threads,
            seconds,
            backend,
            database_url,
            wrk,
            server,
            data_dir,
            during_import,
            json,
        } => {
            let options = api_load::Options {
                actions,
                connections,
                threads,
                seconds,
                backend,
                url: database_url,
                binary: server.map_or_else(server::default_binary, Ok)?,
                wrk,
                data_dir,
                during_import,
            };
            let report = api_load::run(&options).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
        }
        Command::Fairness { rows, probes, backend, database_url, server, json } => {
            let server = server.map_or_else(server::default_binary, Ok)?;
            let report =
                fairness::run(rows, probes, backend, database_url.as_deref(), &server).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
        }
        Command::Load { clients, seconds, backend, database_url, drain_timeout, server, json } => {
            let options = load::Options {
                clients,
                seconds,
                backends: backend,
                url: database_url,
                binary: server.map_or_else(server::default_binary, Ok)?,
                drain_timeout: std::time::Duration::from_secs(drain_timeout),
            };
            let report = load::run(&options).await?;
            println!("{report}");
            write_json(json, &report.to_json())?;
            if !report.passed() {
                anyhow::bail!("the load run failed (see above)");
            }
        }
        Command::Machine { database_url, json } => {
            let facts = cv_bench::machine::describe(database_url.as_deref()).await?;
            println!("{}", serde_json::to_string_pretty(&facts)?);
            write_json(json, &facts)?;
        }
        Command::GenerateCodes { count, backend, database_url, server, json } => {
            let server = server.map_or_else(server::default_binary, Ok)?;
            let figures = generate::run(count, backend, database_url.as_deref(), &server).await?;
            write_json(json, &figures)?;
        }
    }
    Ok(())
}
