use tokio_postgres::GenericClient;

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
    include_str!("../migrations/0015_action_key_collation.sql"),
    include_str!("../migrations/0016_queue_indexes.sql"),
    include_str!("../migrations/0017_finished_at.sql"),
];

/// The schema version this build expects.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The transaction-level advisory lock that serialises migrations (and schema creation)
/// across every process using the database.
const MIGRATION_LOCK: i64 = 0x436f_6e76_6579_6f72; // "Conveyor"

/// Creates `schema` if needed, under the migration lock so concurrent starts do not race.
/// `schema` must already be a valid, quoted-safe identifier.
pub async fn ensure_schema(
    client: &mut tokio_postgres::Client,
    schema: &str,
) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await?;
    tx.commit().await
}

/// Applies every migration newer than the database's version, in one transaction holding
/// an advisory lock, so several processes starting at once apply each migration exactly once.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let current = version(&tx).await?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version > current {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) \
                 VALUES ($1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)",
                &[&version],
            )
            .await?;
        }
    }
    tx.commit().await
}

/// The database's schema version.
pub async fn version(client: &impl GenericClient) -> Result<i64, tokio_postgres::Error> {
    let row =
        client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?;
    row.try_get(0)
}
