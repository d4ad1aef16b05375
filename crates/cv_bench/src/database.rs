//! Fresh databases for one run of a benchmark or harness.

use std::path::Path;

use anyhow::Context as _;

use crate::{Backend, data::Row};

/// A fresh database for one run: a temporary SQLite file, or a new PostgreSQL database.
pub async fn fresh_database(
    backend: Backend,
    url: Option<&str>,
    dir: &Path,
    name: &str,
) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => Ok(format!("sqlite://{}", dir.join(format!("{name}.db")).display())),
        Backend::Postgres => {
            let url = url.context(
                "--database-url (or CONVEYOR_BENCH_DATABASE_URL) is needed for postgres",
            )?;
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            let db = format!("conveyor_bench_{name}_{}", std::process::id());
            client.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).await?;
            client.batch_execute(&format!("CREATE DATABASE {db}")).await?;
            let (base, _) = url.rsplit_once('/').context("the URL names no database")?;
            Ok(format!("{base}/{db}"))
        }
    }
}

/// Drops a PostgreSQL database [`fresh_database`] made (`database_url` names it) through the
/// server at `url`; nothing for SQLite, whose file goes with its directory.
pub async fn drop_database(url: Option<&str>, database_url: &str) -> anyhow::Result<()> {
    let (Some(url), false) = (url, database_url.starts_with("sqlite://")) else {
        return Ok(());
    };
    let (_, db) = database_url.rsplit_once('/').context("the URL names no database")?;
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).await?;
    Ok(())
}

/// Vouchers of the campaign and their distinct codes, counted in the database.
pub async fn count_codes(database_url: &str, campaign: &str) -> anyhow::Result<(u64, u64)> {
    const SQL: &str = "SELECT COUNT(*), COUNT(DISTINCT code) FROM vouchers WHERE campaign_id = $1";
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path)?;
        let (total, distinct): (i64, i64) =
            conn.query_row(&SQL.replace('$', "?"), [campaign], |r| Ok((r.get(0)?, r.get(1)?)))?;
        return Ok((total as u64, distinct as u64));
    }
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let row = client.query_one(SQL, &[&campaign]).await?;
    Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
}

/// One action row as the database holds it.
#[derive(Debug, Clone)]
pub struct ActionRow {
    /// `aa_…`.
    pub id: String,
    /// The action type.
    pub kind: String,
    /// Life-cycle status.
    pub status: String,
    /// How many times it was claimed.
    pub attempt: i64,
    /// Items applied.
    pub done_count: i64,
    /// Items failed.
    pub failed_count: i64,
}

/// Every action, oldest first, read from the database itself.
pub async fn actions(database_url: &str) -> anyhow::Result<Vec<ActionRow>> {
    const SQL: &str = "SELECT id, kind, status, attempt, done_count, failed_count \
                       FROM async_actions ORDER BY created_at, id";
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path)?;
        let mut stmt = conn.prepare(SQL)?;
        let rows = stmt.query_map([], |r| {
            Ok(ActionRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                attempt: r.get(3)?,
                done_count: r.get(4)?,
                failed_count: r.get(5)?,
            })
        })?;
        return Ok(rows.collect::<Result<_, _>>()?);
    }
    let client = connect(database_url).await?;
    Ok(client
        .query(SQL, &[])
        .await?
        .iter()
        .map(|r| ActionRow {
            id: r.get(0),
            kind: r.get(1),
            status: r.get(2),
            attempt: r.get(3),
            done_count: r.get(4),
            failed_count: r.get(5),
        })
        .collect())
}

/// Compares every stored customer with the generated rows: the same source_ids, each once,
/// with the row's name, email, phone, city and metadata. The first mismatches, up to 10.
pub async fn customer_mismatches(database_url: &str, rows: &[Row]) -> anyhow::Result<Vec<String>> {
    const SQL: &str = "SELECT source_id, name, email, phone, CAST(address AS TEXT), \
                       CAST(metadata AS TEXT) FROM customers ORDER BY source_id";
    type Stored = (String, Option<String>, Option<String>, Option<String>, Option<String>, String);
    let stored: Vec<Stored> = if let Some(path) = database_url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path)?;
        let mut stmt = conn.prepare(SQL)?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        rows.collect::<Result<_, _>>()?
    } else {
        let client = connect(database_url).await?;
        client
            .query(SQL, &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            .collect()
    };
    let mut expected: Vec<&Row> = rows.iter().collect();
    expected.sort_unstable_by(|a, b| a.source_id.cmp(&b.source_id));
    let mut out = Vec::new();
    if stored.len() != expected.len() {
        out.push(format!("{} customers stored, {} expected", stored.len(), expected.len()));
    }
    for (s, e) in stored.iter().zip(&expected) {
        if out.len() >= 10 {
            break;
        }
        let city =
            s.4.as_deref()
                .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
                .and_then(|a| a.get("city").and_then(|c| c.as_str()).map(str::to_owned));
        let metadata: serde_json::Value = serde_json::from_str(&s.5)?;
        let want: serde_json::Value = serde_json::from_str(&e.metadata)?;
        let same = s.0 == e.source_id
            && s.1.as_deref() == Some(e.name.as_str())
            && s.2.as_deref() == Some(e.email.as_str())
            && s.3.as_deref() == Some(e.phone.as_str())
            && city.as_deref() == Some(e.city.as_str())
            && metadata == want;
        if !same {
            out.push(format!(
                "stored {s:?}, expected {} {} {} {} {} {}",
                e.source_id, e.name, e.email, e.phone, e.city, e.metadata
            ));
        }
    }
    Ok(out)
}

async fn connect(database_url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The number of rows of `table` (a name from this crate, never user input).
pub async fn count_rows(database_url: &str, table: &'static str) -> anyhow::Result<u64> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path)?;
        let n: i64 = conn.query_row(&sql, [], |r| r.get(0))?;
        return Ok(n as u64);
    }
    let client = connect(database_url).await?;
    Ok(client.query_one(&sql, &[]).await?.get::<_, i64>(0) as u64)
}

/// A connection that counts finished actions while a benchmark runs, read straight from the
/// database the server writes (SQLite: a second connection to its WAL file).
pub enum FinishedCounter {
    /// A read connection to the server's SQLite file.
    Sqlite(std::sync::Arc<std::sync::Mutex<rusqlite::Connection>>),
    /// A connection to the server's PostgreSQL database.
    Postgres(tokio_postgres::Client),
}

impl FinishedCounter {
    /// Whether any action is not finished yet: the first entry of each of the queue's partial
    /// indexes answers (the ENQUEUED actions in queue order, the IN_PROGRESS ones by lease).
    /// Asked as an `EXISTS` over both statuses, PostgreSQL's planner chose a sequential scan
    /// over the finished rows, a tenth of its CPU time in P3; counting took a fifth. Once
    /// every submission is acknowledged, all are finished exactly when none is left.
    const SQL: &'static str = "SELECT CAST(\
         (SELECT id FROM async_actions WHERE status = 'ENQUEUED' ORDER BY queued_at, id LIMIT 1) \
           IS NOT NULL \
         OR (SELECT id FROM async_actions WHERE status = 'IN_PROGRESS' \
             ORDER BY lease_expires_at LIMIT 1) IS NOT NULL AS INTEGER)";

    /// Connects to the database at `database_url`.
    pub async fn connect(database_url: &str) -> anyhow::Result<Self> {
        if let Some(path) = database_url.strip_prefix("sqlite://") {
            let conn = rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            return Ok(Self::Sqlite(std::sync::Arc::new(std::sync::Mutex::new(conn))));
        }
        Ok(Self::Postgres(connect(database_url).await?))
    }

    /// Whether an action is ENQUEUED or IN_PROGRESS now.
    pub async fn any_unfinished(&self) -> anyhow::Result<bool> {
        match self {
            Self::Sqlite(conn) => {
                let conn = conn.clone();
                let n = tokio::task::spawn_blocking(move || {
                    let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                    conn.query_row(Self::SQL, [], |r| r.get::<_, i64>(0))
                })
                .await??;
                Ok(n > 0)
            }
            Self::Postgres(client) => {
                Ok(client.query_one(Self::SQL, &[]).await?.get::<_, i32>(0) > 0)
            }
        }
    }
}

/// How many actions of each status the database holds, e.g. `[("DONE", 20000)]`.
pub async fn action_statuses(database_url: &str) -> anyhow::Result<Vec<(String, u64)>> {
    const SQL: &str = "SELECT status, COUNT(*) FROM async_actions GROUP BY status ORDER BY status";
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path)?;
        let mut stmt = conn.prepare(SQL)?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        return Ok(rows.collect::<Result<_, _>>()?);
    }
    let client = connect(database_url).await?;
    Ok(client
        .query(SQL, &[])
        .await?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect())
}

/// A PostgreSQL server's `fsync` and `synchronous_commit`: whether a commit it acknowledges
/// has reached the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durability {
    /// `fsync`: `on` or `off`.
    pub fsync: String,
    /// `synchronous_commit`: `on`, `off`, `local`…
    pub synchronous_commit: String,
}

impl Durability {
    /// The settings of the server at `url`.
    pub async fn of(url: &str) -> anyhow::Result<Self> {
        let client = connect(url).await?;
        let row = client
            .query_one(
                "SELECT current_setting('fsync'), current_setting('synchronous_commit')",
                &[],
            )
            .await?;
        Ok(Self { fsync: row.get(0), synchronous_commit: row.get(1) })
    }

    /// Both on.
    pub fn is_durable(&self) -> bool {
        self.fsync == "on" && self.synchronous_commit == "on"
    }

    /// `{"fsync": …, "synchronous_commit": …}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"fsync": self.fsync, "synchronous_commit": self.synchronous_commit})
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let note = if self.is_durable() { "" } else { " (not durable)" };
        write!(f, "fsync {}, synchronous_commit {}{note}", self.fsync, self.synchronous_commit)
    }
}

/// The server's settings of the PostgreSQL database at `database_url` that bear on speed:
/// its version, `fsync` and `synchronous_commit`.
pub async fn postgres_settings(database_url: &str) -> anyhow::Result<serde_json::Value> {
    let client = connect(database_url).await?;
    let mut out = serde_json::Map::new();
    for name in ["server_version", "fsync", "synchronous_commit"] {
        let row = client.query_one(&format!("SHOW {name}"), &[]).await?;
        out.insert(name.to_owned(), serde_json::Value::String(row.get(0)));
    }
    Ok(serde_json::Value::Object(out))
}
