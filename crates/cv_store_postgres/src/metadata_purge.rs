//! Metadata-key purges on PostgreSQL: the chunk writes of the `*.METADATA_KEY_PURGE` actions
//! and `impl MetadataPurgeStore for PostgresStore`.
//!
//! The key is always a bound parameter, tested with JSONB `?` and removed with JSONB `-`, so
//! any character is safe and the other keys keep their JSON values untouched. A chunk locks
//! the rows it purges in id order (`FOR UPDATE` in the statement's subquery) and re-checks
//! the key on the newest row version, so a concurrent writer either lands first (and the
//! purge sees its result) or waits for the chunk to commit.

use async_trait::async_trait;
use cv_domain::{ProjectId, Timestamp, metadata_schema::MetadataResource};
use cv_store::{
    Fence, MetadataHolder, MetadataPurgeStore, StoreError,
    plan::metadata_purge::{self as plan, PurgeBatch},
    sql::{
        self as q,
        metadata_purge::{self as qm, MetadataLayout, MetadataTable, metadata_table},
    },
};
use deadpool_postgres::GenericClient;

use crate::{
    PostgresStore,
    convert::error,
    db::{Params, count, execute, query, query_opt},
};

/// The row's metadata object.
fn metadata(t: MetadataTable) -> &'static str {
    match t.layout {
        MetadataLayout::Column => "metadata",
        MetadataLayout::Body { .. } => "(body -> 'metadata')",
    }
}

/// Whether the row's metadata has the key in parameter `key` (e.g. `$4`).
fn has_key(t: MetadataTable, key: &str) -> String {
    format!("{} ? CAST({key} AS TEXT)", metadata(t))
}

/// The purge of one chunk: `$1` project, `$2` ids, `$3` key, then what the layout sets —
/// `$4` now in milliseconds for an `updated_at` column, and the JSON `updated_at` of a body
/// (`$5` after a column, else `$4`).
fn purge(t: MetadataTable) -> String {
    let removed = "(body -> 'metadata') - CAST($3 AS TEXT)";
    let set = match t.layout {
        MetadataLayout::Column => {
            "metadata = metadata - CAST($3 AS TEXT), updated_at = $4".to_owned()
        }
        MetadataLayout::Body { updated_at_column: true } => format!(
            "body = jsonb_set(jsonb_set(body, '{{metadata}}', {removed}), '{{updated_at}}', \
             CAST($5 AS JSONB)), updated_at = $4"
        ),
        MetadataLayout::Body { updated_at_column: false } => format!(
            "body = jsonb_set(jsonb_set(body, '{{metadata}}', {removed}), '{{updated_at}}', \
             CAST($4 AS JSONB))"
        ),
    };
    format!(
        "UPDATE {table} SET {set} WHERE id IN (SELECT id FROM {table} \
           WHERE project_id = $1 AND id = ANY(CAST($2 AS TEXT[])) AND {has} \
           ORDER BY id FOR UPDATE)",
        table = t.table,
        has = has_key(t, "$3"),
    )
}

/// Removes the chunk's key from the objects it names that still have it, and takes those that
/// did not (or no longer exist) off the done count the fence added. Purges report no lines.
pub async fn commit_items(
    tx: &impl GenericClient,
    fence: &Fence,
    project: &str,
    batch: PurgeBatch,
    now: Timestamp,
) -> Result<(), StoreError> {
    let PurgeBatch { table: t, key, ids } = batch;
    let (millis, updated_at) = (now.as_millis(), plan::updated_at(now));
    let params: Params<'_> = match t.layout {
        MetadataLayout::Column => &[&project, &ids, &key, &millis],
        MetadataLayout::Body { updated_at_column: true } => {
            &[&project, &ids, &key, &millis, &updated_at]
        }
        MetadataLayout::Body { updated_at_column: false } => &[&project, &ids, &key, &updated_at],
    };
    let purged = execute(tx, &purge(t), params).await?;
    let skipped = ids.len() as i64 - purged as i64;
    if skipped > 0 {
        execute(tx, q::UNCOUNT_DONE, &[&fence.action_id.as_str(), &skipped]).await?;
    }
    Ok(())
}

#[async_trait]
impl MetadataPurgeStore for PostgresStore {
    async fn metadata_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
        after: Option<&MetadataHolder>,
        limit: u32,
    ) -> Result<Vec<MetadataHolder>, StoreError> {
        let t = metadata_table(resource);
        let (before_at, before_id) =
            after.map_or((i64::MAX, ""), |h| (h.created_at.as_millis(), h.id.as_str()));
        let client = self.client().await?;
        let params: Params<'_> =
            &[&project.as_str(), &before_at, &before_id, &key, &i64::from(limit)];
        let rows = query(&client, &qm::select_holders(t, &has_key(t, "$4")), params).await?;
        rows.iter()
            .map(|r| {
                Ok(MetadataHolder {
                    id: r.try_get(0).map_err(error)?,
                    created_at: Timestamp::from_millis(r.try_get(1).map_err(error)?),
                })
            })
            .collect()
    }

    async fn count_metadata_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
    ) -> Result<u64, StoreError> {
        let t = metadata_table(resource);
        let client = self.client().await?;
        let sql = qm::count_holders(t, &has_key(t, "$2"));
        query_opt(&client, &sql, &[&project.as_str(), &key]).await?.as_ref().map_or(Ok(0), count)
    }
}
