//! The machine a benchmark ran on, as BENCHMARKS.md records it: cores, CPU model, memory,
//! kernel, SQLite's version, and the PostgreSQL server's version and durability settings.

use serde_json::{Value, json};

fn first_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// What this machine is, and, when `database_url` is given, what its PostgreSQL server is.
pub async fn describe(database_url: Option<&str>) -> anyhow::Result<Value> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: Option<u64> = first_value(&meminfo, "MemTotal")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()));
    let kernel =
        std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_owned()).ok();
    let postgres = match database_url {
        Some(url) => crate::database::postgres_settings(url).await?,
        None => Value::Null,
    };
    Ok(json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "cpu_model": first_value(&cpuinfo, "model name"),
        "memory_bytes": mem_kib.map(|k| k * 1024),
        "kernel": kernel,
        "sqlite_version": rusqlite::version(),
        "postgres": postgres,
    }))
}
