//! Metadata-key purges on SQLite: the chunk writes of the `*.METADATA_KEY_PURGE` actions and
//! `impl MetadataPurgeStore for SqliteStore`.
//!
//! A JSON path cannot name every key safely (quotes, dots, `$`), so nothing here builds one:
//! holders are found with `json_each` (which compares the key as plain text), and a chunk
//! reads each named document, removes the key in Rust
//! ([`cv_store::plan::metadata_purge::remove_key`]) and writes it back, all inside the chunk's
//! `BEGIN IMMEDIATE` transaction on the single writer, so no other write can interleave.

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
use rusqlite::{Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{error, sql},
};

/// The column holding the document a purge changes: the metadata itself, or the whole body.
fn document(t: MetadataTable) -> &'static str {
    match t.layout {
        MetadataLayout::Column => "metadata",
        MetadataLayout::Body { .. } => "body",
    }
}

/// Whether the row's metadata has the key in parameter `key` (e.g. `$4`).
fn has_key(t: MetadataTable, key: &str) -> String {
    let source = match t.layout {
        MetadataLayout::Column => format!("{}.metadata", t.table),
        // `->` with a plain label: no `$` path, which the `$N` → `?N` rewrite would break.
        MetadataLayout::Body { .. } => format!("{}.body -> 'metadata'", t.table),
    };
    format!("EXISTS (SELECT 1 FROM json_each({source}) AS j WHERE j.key = {key})")
}

/// Writes one purged document back: `?1` id, `?2` document, `?3` now (millis) where the
/// table has an `updated_at` column.
fn update(t: MetadataTable) -> String {
    let set_updated_at = match t.layout {
        MetadataLayout::Column | MetadataLayout::Body { updated_at_column: true } => {
            ", updated_at = ?3"
        }
        MetadataLayout::Body { updated_at_column: false } => "",
    };
    format!("UPDATE {} SET {} = ?2{set_updated_at} WHERE id = ?1", t.table, document(t))
}

/// Removes the chunk's key from the objects it names that still have it, and takes those that
/// did not (or no longer exist) off the done count the fence added. Purges report no lines.
pub fn commit_items(
    tx: &Transaction<'_>,
    fence: &Fence,
    project: &str,
    batch: PurgeBatch,
    now: Timestamp,
) -> Result<(), StoreError> {
    let PurgeBatch { table: t, key, ids } = batch;
    let select = format!(
        "SELECT id, {} FROM {} WHERE project_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        document(t),
        t.table
    );
    let named = serde_json::to_string(&ids).map_err(anyhow::Error::from)?;
    let rows: Vec<(String, String)> = tx
        .prepare_cached(&select)
        .and_then(|mut stmt| {
            stmt.query_map(params![project, named], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })
        .map_err(error)?;
    let mut stmt = tx.prepare_cached(&update(t)).map_err(error)?;
    let mut purged = 0usize;
    for (id, text) in rows {
        let mut doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| StoreError::Other(anyhow::anyhow!("bad stored JSON in {id}: {e}")))?;
        if plan::remove_key(&mut doc, t.layout, &key, now) {
            let text = doc.to_string();
            match t.layout {
                MetadataLayout::Body { updated_at_column: false } => {
                    stmt.execute(params![id, text])
                }
                _ => stmt.execute(params![id, text, now.as_millis()]),
            }
            .map_err(error)?;
            purged += 1;
        }
    }
    let skipped = (ids.len() - purged) as i64;
    if skipped > 0 {
        tx.exec(&sql(q::UNCOUNT_DONE), params![fence.action_id.as_str(), skipped])
            .map_err(error)?;
    }
    Ok(())
}

#[async_trait]
impl MetadataPurgeStore for SqliteStore {
    async fn metadata_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
        after: Option<&MetadataHolder>,
        limit: u32,
    ) -> Result<Vec<MetadataHolder>, StoreError> {
        let t = metadata_table(resource);
        let (project, key) = (project.clone(), key.to_owned());
        let (before_at, before_id) =
            after.map_or((i64::MAX, String::new()), |h| (h.created_at.as_millis(), h.id.clone()));
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(&qm::select_holders(t, &has_key(t, "$4"))))?;
            stmt.query_map(
                params![project.as_str(), before_at, before_id, key, i64::from(limit)],
                |r| {
                    Ok(MetadataHolder {
                        id: r.get(0)?,
                        created_at: Timestamp::from_millis(r.get(1)?),
                    })
                },
            )?
            .collect()
        })
        .await
    }

    async fn count_metadata_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
    ) -> Result<u64, StoreError> {
        let t = metadata_table(resource);
        let (project, key) = (project.clone(), key.to_owned());
        self.read(move |c| {
            c.row(
                &sql(&qm::count_holders(t, &has_key(t, "$2"))),
                params![project.as_str(), key],
                |r| r.get::<_, i64>(0),
            )
        })
        .await
        .map(|n| n as u64)
    }
}
