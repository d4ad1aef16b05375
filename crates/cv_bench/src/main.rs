//! `conveyor-bench`: benchmark commands that measure Conveyor next to the database's own
//! limit, in the same run, on the same machine.

mod baseline;
mod generate;
mod import;

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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::ImportCustomers { rows, backend, database_url, server, json } => {
            let server = server.map_or_else(server::default_binary, Ok)?;
            let report = import::run(rows, backend, database_url.as_deref(), &server).await?;
            println!("{report}");
            if let Some(path) = json {
                std::fs::write(path, serde_json::to_string_pretty(&report.to_json())?)?;
            }
        }
        Command::GenerateCodes { count, backend, database_url, server, json } => {
            let server = server.map_or_else(server::default_binary, Ok)?;
            let figures = generate::run(count, backend, database_url.as_deref(), &server).await?;
            if let Some(path) = json {
                std::fs::write(path, serde_json::to_string_pretty(&figures)?)?;
            }
        }
    }
    Ok(())
}
