//! Planner statistics for tables that grow faster than autovacuum looks at them.
//!
//! Autovacuum analyzes a table at most once a minute (`autovacuum_naptime`), and only once a
//! tenth of it changed. Until a table's first `ANALYZE` the planner sizes it from its pages
//! and knows nothing of its columns, so a fresh database filling up — the first import, the
//! first thousands of actions — runs on plans made for an empty table: a customer lookup by
//! `source_id` walked every customer of its project through the listing index instead of
//! the `(project_id, source_id)` key, and the claim scanned actions by status. This task,
//! every [`PERIOD`], analyzes each table of the store's schema whose changes since its last
//! analysis reach [`MIN_CHANGES`] and its own row count (so each table is analyzed again
//! when it has doubled, until autovacuum keeps up). An `ANALYZE` invalidates the cached plans
//! on the table, so every connection plans again with the new figures.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::task::JoinHandle;

/// How often the tables are checked.
const PERIOD: Duration = Duration::from_secs(2);

/// Changes since the last analysis below which a table is left to autovacuum.
const MIN_CHANGES: i64 = 1_000;

/// The tables of the current schema that changed by at least `$1` rows and by at least
/// their own estimated size since they were last analyzed (never, for a fresh table, whose
/// estimate is -1).
const GROWN_TABLES: &str = "SELECT s.relname::TEXT FROM pg_stat_user_tables s \
     JOIN pg_class c ON c.oid = s.relid \
     WHERE s.schemaname = current_schema() \
       AND s.n_mod_since_analyze >= GREATEST($1, c.reltuples::BIGINT)";

/// Starts the task; it runs until the returned handle is aborted.
pub fn start(pool: Pool) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PERIOD);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = analyze_grown(&pool).await {
                tracing::debug!(%err, "could not refresh planner statistics");
            }
        }
    })
}

async fn analyze_grown(pool: &Pool) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let tables: Vec<String> = client
        .query(GROWN_TABLES, &[&MIN_CHANGES])
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    for table in tables {
        // Names come from the catalogue; quoted as identifiers all the same.
        client.batch_execute(&format!("ANALYZE \"{}\"", table.replace('"', "\"\""))).await?;
        tracing::debug!(table, "analyzed a table that outgrew its planner statistics");
    }
    Ok(())
}
