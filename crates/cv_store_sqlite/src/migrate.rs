use rusqlite::{Connection, TransactionBehavior};

/// Schema migrations, in order. Version N is the N-th entry.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_uploads.sql"),
    include_str!("../migrations/0003_metadata_schemas.sql"),
    include_str!("../migrations/0004_products.sql"),
    include_str!("../migrations/0005_vouchers.sql"),
    include_str!("../migrations/0006_campaigns.sql"),
    include_str!("../migrations/0007_campaign_bin.sql"),
    include_str!("../migrations/0008_orders.sql"),
    include_str!("../migrations/0009_oauth_tokens.sql"),
    include_str!("../migrations/0010_fair_queue.sql"),
    include_str!("../migrations/0011_control.sql"),
    include_str!("../migrations/0013_action_list_filters.sql"),
    include_str!("../migrations/0014_webhooks.sql"),
    include_str!("../migrations/0016_queue_indexes.sql"),
    include_str!("../migrations/0017_finished_at.sql"),
];

/// The schema version this build expects.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Applies every migration newer than the database's version, in one immediate transaction,
/// so several processes starting at once apply each migration exactly once.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    let current: i64 =
        tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version > current {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, CAST(strftime('%s','now') AS INTEGER) * 1000)",
                [version],
            )?;
        }
    }
    tx.commit()
}

/// The database's schema version.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))
}
