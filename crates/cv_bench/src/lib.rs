//! What Conveyor's benchmark and harness commands share: the generated data, fresh databases,
//! the real `conveyor` binary run as a child process, and a proxy that delays its traffic.

pub mod api;
pub mod data;
pub mod database;
pub mod delay_proxy;
pub mod machine;
pub mod server;
pub mod stats;

use clap::ValueEnum;

/// Which store a benchmark runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at `--database-url`.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`, as the JSON figures name it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
