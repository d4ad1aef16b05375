//! `conveyor-harness`: the real `conveyor` binary under SIGKILL, SIGTERM and several nodes,
//! checked from outside: nothing lost, nothing applied twice.

mod crash;
mod nodes;
mod observe;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use cv_bench::{Backend, server};

/// Conveyor's failure harness.
#[derive(Debug, Parser)]
#[command(name = "conveyor-harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import a customers CSV and generate a campaign's codes while the server is killed
    /// (SIGKILL) at random moments and restarted, then stopped once with SIGTERM under load;
    /// check every row and code is stored exactly once with its final values, progress never
    /// went down, and no action is left unfinished.
    Crash {
        /// Rows in the customers file.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Codes to generate.
        #[arg(long, default_value_t = 100_000)]
        codes: u64,
        /// SIGKILLs while work remains.
        #[arg(long, default_value_t = 10)]
        kills: u32,
        /// Seed of the kill moments.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The server's lease (a killed server's actions are re-claimed after it).
        #[arg(long, default_value_t = 1_000)]
        lease_ms: u64,
        /// Items per chunk.
        #[arg(long, default_value_t = 5_000)]
        chunk_size: usize,
        /// Each kill lands at a random moment within this many milliseconds after the work
        /// was seen moving again.
        #[arg(long, default_value_t = 400)]
        window_ms: u64,
        /// The store.
        #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
        backend: Backend,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// The `conveyor` binary [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
    },
    /// Three processes (one `serve`, two `worker`) share one PostgreSQL database; one worker
    /// is killed mid-run; every action must finish with each item applied exactly once.
    Nodes {
        /// Rows in each of the two customers files.
        #[arg(long, default_value_t = 200_000)]
        rows: usize,
        /// Codes to generate.
        #[arg(long, default_value_t = 50_000)]
        codes: u64,
        /// Small bulk updates submitted alongside.
        #[arg(long, default_value_t = 20)]
        small: usize,
        /// The lease of every node.
        #[arg(long, default_value_t = 2_000)]
        lease_ms: u64,
        /// PostgreSQL server URL (a fresh database is created on it).
        #[arg(long, env = "CONVEYOR_BENCH_DATABASE_URL")]
        database_url: String,
        /// The `conveyor` binary [default: next to this one].
        #[arg(long)]
        server: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crash {
            rows,
            codes,
            kills,
            seed,
            lease_ms,
            chunk_size,
            window_ms,
            backend,
            database_url,
            server,
        } => {
            let binary = server.map_or_else(server::default_binary, Ok)?;
            crash::run(crash::Plan {
                backend,
                database_url,
                binary,
                rows,
                codes,
                kills,
                seed,
                lease_ms,
                chunk_size,
                window_ms,
            })
            .await
        }
        Command::Nodes { rows, codes, small, lease_ms, database_url, server } => {
            let binary = server.map_or_else(server::default_binary, Ok)?;
            nodes::run(nodes::Plan { database_url, binary, rows, codes, small, lease_ms }).await
        }
    }
}
