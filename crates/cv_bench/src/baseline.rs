//! The database's own speed for the same rows: what an import can at best approach.
//!
//! SQLite: a fresh file with Conveyor's schema, one transaction, one prepared INSERT per row
//! (the fastest way rusqlite writes rows). PostgreSQL: a fresh database with Conveyor's
//! schema, one `COPY … FROM STDIN (FORMAT csv)`. Both into the real `customers` table with its
//! indexes; rows (ids, JSON metadata) are built before the clock starts.

use std::{path::Path, time::Instant};

use anyhow::Context as _;
use futures_util::SinkExt;
use rusqlite::params;

use cv_bench::data::Row;

/// An id exactly as the server makes one (time-ordered), so both sides maintain the same
/// indexes the same way.
fn customer_id() -> String {
    cv_domain::CustomerId::generate().to_string()
}

/// Rows per second of the raw SQLite insert into a fresh database at `path`.
pub async fn sqlite(rows: &[Row], path: &Path) -> anyhow::Result<f64> {
    // Opening through the store creates Conveyor's schema exactly as the server would.
    drop(cv_store_sqlite::SqliteStore::open(path).await?);
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    conn.execute(
        "INSERT INTO projects (id, name, created_at) VALUES ('proj_bench', 'bench', 0)",
        [],
    )?;
    let ids: Vec<String> = rows.iter().map(|_| customer_id()).collect();
    let address: Vec<String> = rows.iter().map(|r| format!(r#"{{"city":"{}"}}"#, r.city)).collect();
    let started = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO customers (id, project_id, source_id, name, email, phone, address, metadata, created_at) \
             VALUES (?1, 'proj_bench', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for ((row, id), address) in rows.iter().zip(&ids).zip(&address) {
            stmt.execute(params![
                id,
                row.source_id,
                row.name,
                row.email,
                row.phone,
                address,
                row.metadata,
                1_i64
            ])?;
        }
    }
    tx.commit()?;
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}

/// Rows per second of `COPY` into the customers table of the database at `url`.
pub async fn postgres(rows: &[Row], url: &str) -> anyhow::Result<f64> {
    drop(cv_store_postgres::PostgresStore::connect(url).await?);
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .execute(
            "INSERT INTO projects (id, name, created_at) VALUES ('proj_bench', 'bench', 0)",
            &[],
        )
        .await?;
    let mut data = Vec::with_capacity(rows.len() * 200);
    for row in rows {
        let metadata = row.metadata.replace('"', "\"\"");
        let line = format!(
            "{},proj_bench,{},{},{},{},\"{{\"\"city\"\":\"\"{}\"\"}}\",\"{metadata}\",1\n",
            customer_id(),
            row.source_id,
            row.name,
            row.email,
            row.phone,
            row.city
        );
        data.extend_from_slice(line.as_bytes());
    }
    let started = Instant::now();
    let sink = client
        .copy_in(
            "COPY customers (id, project_id, source_id, name, email, phone, address, metadata, created_at) \
             FROM STDIN WITH (FORMAT csv)",
        )
        .await
        .context("starting COPY")?;
    futures_util::pin_mut!(sink);
    for piece in data.chunks(1 << 20) {
        sink.send(bytes_of(piece)).await?;
    }
    sink.close().await?;
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}

fn bytes_of(piece: &[u8]) -> std::io::Cursor<Vec<u8>> {
    std::io::Cursor::new(piece.to_vec())
}
