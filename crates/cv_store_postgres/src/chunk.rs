//! Chunk commits (one `match` over the write family: customers here, products, vouchers,
//! orders, purges and campaign deletes in their modules), and the customer writes they share with the customer calls.
//!
//! Round trips matter here (a chunk may carry thousands of items), so independent statements
//! are pipelined: tokio-postgres sends every statement of a `try_join` before reading the
//! first answer, and the server still runs them in the order they were sent.

use std::collections::HashSet;

use cv_domain::{ActionId, Customer, CustomerId, CustomerPatch, CustomerRecord, Timestamp};
use cv_store::{
    ChunkCommit, ChunkCounts, ChunkWrites, CommitMode, Fence, Finishing, Item, ReportLine,
    ReportMode, StoreError,
    plan::{self, CustomerPlan, metadata_purge::PurgeBatch},
    sql as q,
};
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use crate::{
    campaigns,
    convert::{self, error},
    db::{LOCK_KEYS, execute_each, lease_lost},
    metadata_purge,
    notify::Notifier,
    orders, products, vouchers,
};

/// `$1` project, `$2` source_ids. Locks the rows until the chunk commits.
const SELECT_CUSTOMERS_BY_SOURCE: &str = "SELECT id, source_id, name, description, email, phone, \
       birthdate, birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = $1 AND source_id = ANY($2) FOR UPDATE";

/// Every report line of a chunk in one statement: `$1` action, then one array per column
/// (`$2` line, `$3` key, `$4` found, `$5` updated, `$6` error JSON text or NULL).
const INSERT_REPORT_LINES: &str = "INSERT INTO action_report_lines \
       (action_id, line, item_key, found, updated, error) \
     SELECT $1::TEXT, l.line, l.item_key, l.found, l.updated, l.error \
     FROM unnest($2::BIGINT[], $3::TEXT[], $4::BOOLEAN[], $5::BOOLEAN[], $6::TEXT[]) \
       AS l (line, item_key, found, updated, error)";

/// Applies one chunk in one transaction on `client`: the fence, the customer writes, the
/// report lines, the change announced on `changes_channel`; then commits, or rolls back for
/// [`CommitMode::RollbackAfterWrites`]. Returns what the chunk added to the counters.
pub async fn commit(
    client: &mut deadpool_postgres::Client,
    notifier: &Notifier,
    fence: &Fence,
    now: Timestamp,
    chunk: ChunkCommit,
    finish: Option<&Finishing>,
) -> Result<(ChunkCounts, bool), StoreError> {
    let tx = client.transaction().await.map_err(error)?;
    let planned = chunk.planned();
    let (done, failed) = chunk.outcome_counts();
    let params: &[&(dyn ToSql + Sync)] = &[
        &fence.action_id.as_str(),
        &i64::from(fence.attempt),
        &(chunk.first_item as i64),
        &(chunk.next_cursor as i64),
        &done,
        &failed,
        &now.as_millis(),
    ];
    let stmt = tx.prepare_cached(q::FENCE_CHUNK).await.map_err(error)?;
    let row = tx.query_opt(&stmt, params).await.map_err(error)?.ok_or_else(|| lease_lost(fence))?;
    let project: String = row.try_get(0).map_err(error)?;
    let fenced = (row.try_get(1).map_err(error)?, row.try_get(2).map_err(error)?);
    let first = chunk.first_item;
    let mut lines = match chunk.writes {
        ChunkWrites::CustomerUpserts(items) => {
            apply_customer_items(&tx, &project, items, first, now).await?.lines
        }
        ChunkWrites::CustomerImport(items) => {
            import_customers(&tx, fence, &project, items, first, now).await?
        }
        ChunkWrites::Products(writes) => {
            products::commit_items(&tx, &project, writes, first, now).await?
        }
        ChunkWrites::SkuImport(items) => {
            products::commit_skus(&tx, fence, &project, items, first, now).await?
        }
        ChunkWrites::Vouchers(writes) => {
            vouchers::commit_items(&tx, fence, &project, writes, first, now).await?
        }
        ChunkWrites::OrderImport(items) => {
            orders::commit_items(&tx, fence, &project, items, first, now).await?
        }
        ChunkWrites::MetadataKeyPurge { resource, key, ids } => {
            let batch = PurgeBatch::new(resource, key, ids);
            metadata_purge::commit_items(&tx, fence, &project, batch, now).await?;
            Vec::new()
        }
        ChunkWrites::CampaignVoucherDeletes { campaign_id, force, ids } => {
            campaigns::delete_vouchers(&tx, fence, &project, &campaign_id, force, ids, now).await?;
            Vec::new()
        }
    };
    if chunk.report == ReportMode::FailuresOnly {
        lines.retain(|l| l.error.is_some());
    }
    // The report, the counters and a last chunk's finish go out together. The finish
    // applies only if the counters are as planned: what they were before the chunk plus
    // what it planned.
    let planned_counters =
        (fenced.0 - done + planned.done as i64, fenced.1 - failed + planned.failed as i64);
    let end = async {
        match finish {
            Some(f) => crate::queue::finish(&tx, f, now, Some(planned_counters)).await,
            None => Ok(None),
        }
    };
    let counters = async {
        let stmt = tx.prepare_cached(q::SELECT_COUNTERS).await.map_err(error)?;
        tx.query_one(&stmt, &[&fence.action_id.as_str()]).await.map_err(error)
    };
    let (_, row, ended) =
        futures_util::try_join!(insert_report_lines(&tx, &fence.action_id, &lines), counters, end)?;
    let after = (row.try_get(0).map_err(error)?, row.try_get(1).map_err(error)?);
    let counts = q::chunk_counts(fenced, (done, failed), after);
    let finished = ended.is_some();
    match chunk.mode {
        CommitMode::Commit => {
            tx.commit().await.map_err(error)?;
            notifier.changed(&project, fence.action_id.as_str());
            Ok((counts, finished))
        }
        CommitMode::RollbackAfterWrites => {
            tx.rollback().await.map_err(error)?;
            Err(StoreError::InjectedFailure)
        }
    }
}

/// Creates or replaces a chunk of imported customers in one statement (`$1` project, `$2` now,
/// `$3` action, then one array per column), skipping those this action already wrote.
/// Returns the source_ids written.
const IMPORT_CUSTOMERS: &str = "INSERT INTO customers \
       (id, project_id, source_id, name, description, email, phone, birthdate, birthday, \
        address, metadata, created_at, updated_at, last_action_id) \
     SELECT r.id, $1, r.source_id, r.name, r.description, r.email, r.phone, r.birthdate, NULL, \
       r.address, r.metadata, $2, NULL, $3 \
     FROM unnest($4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], \
       $10::TEXT[], $11::JSONB[], $12::JSONB[]) \
       AS r (id, source_id, name, description, email, phone, birthdate, address, metadata) \
     ON CONFLICT (project_id, source_id) DO UPDATE SET name = excluded.name, \
       description = excluded.description, email = excluded.email, phone = excluded.phone, \
       birthdate = excluded.birthdate, birthday = NULL, address = excluded.address, \
       metadata = excluded.metadata, updated_at = excluded.created_at, \
       last_action_id = excluded.last_action_id \
     WHERE customers.last_action_id IS DISTINCT FROM excluded.last_action_id \
     RETURNING source_id";

/// Writes an import chunk in one statement; a row whose source_id this
/// action already imported fails as a duplicate (and moves from the done to the failed
/// count).
async fn import_customers(
    tx: &impl GenericClient,
    fence: &Fence,
    project: &str,
    items: Vec<Item<CustomerRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let action = fence.action_id.as_str();
    // The first row of each source_id goes into the one statement (which cannot touch a row
    // twice); the rows it did not return were written by an earlier chunk of this action.
    let tried = plan::import_rows(&items);
    let batch: Vec<&CustomerRecord> = tried
        .iter()
        .filter_map(|&i| match &items[i] {
            Item::Write(c) => Some(c),
            Item::Failed { .. } => None,
        })
        .collect();
    let returned: HashSet<String> = if batch.is_empty() {
        HashSet::new()
    } else {
        let ids: Vec<String> = batch.iter().map(|_| CustomerId::generate().to_string()).collect();
        let source_ids: Vec<&str> = batch.iter().map(|c| c.source_id.as_str()).collect();
        let text = |f: fn(&CustomerRecord) -> &Option<String>| -> Vec<Option<&str>> {
            batch.iter().map(|c| f(c).as_deref()).collect()
        };
        let (names, descriptions, emails) =
            (text(|c| &c.name), text(|c| &c.description), text(|c| &c.email));
        let (phones, birthdates) = (text(|c| &c.phone), text(|c| &c.birthdate));
        let addresses: Vec<Option<serde_json::Value>> =
            batch.iter().map(|c| c.address.as_ref().map(convert::to_jsonb)).collect();
        let metadata: Vec<serde_json::Value> =
            batch.iter().map(|c| convert::to_jsonb(&c.metadata)).collect();
        let stmt = tx.prepare_cached(IMPORT_CUSTOMERS).await.map_err(error)?;
        let params: &[&(dyn ToSql + Sync)] = &[
            &project,
            &now.as_millis(),
            &action,
            &ids,
            &source_ids,
            &names,
            &descriptions,
            &emails,
            &phones,
            &birthdates,
            &addresses,
            &metadata,
        ];
        let rows = tx.query(&stmt, params).await.map_err(error)?;
        rows.iter().map(|r| r.try_get::<_, String>(0)).collect::<Result<_, _>>().map_err(error)?
    };
    let written: Vec<bool> = batch.iter().map(|c| returned.contains(&c.source_id)).collect();
    let (lines, duplicates) = plan::import_lines(items, &tried, &written, first_line);
    if duplicates > 0 {
        tx.execute(q::MOVE_DONE_TO_FAILED, &[&action, &duplicates]).await.map_err(error)?;
    }
    Ok(lines)
}

/// Reads (and locks) the customers a chunk touches, plans the chunk and writes the planned
/// rows. Must run inside a transaction.
pub async fn apply_customer_items(
    tx: &impl GenericClient,
    project: &str,
    items: Vec<Item<CustomerPatch>>,
    first_line: u64,
    now: Timestamp,
) -> Result<CustomerPlan, StoreError> {
    let keys = plan::customer_keys(&items);
    let existing = if keys.is_empty() {
        Vec::new()
    } else {
        let (lock, select) = futures_util::try_join!(
            tx.prepare_cached(LOCK_KEYS),
            tx.prepare_cached(SELECT_CUSTOMERS_BY_SOURCE),
        )
        .map_err(error)?;
        // Pipelined, and run in order: the SELECT's snapshot is taken after the locks.
        let params: &[&(dyn ToSql + Sync)] = &[&project, &keys];
        let (_, rows) =
            futures_util::try_join!(tx.execute(&lock, params), tx.query(&select, params))
                .map_err(error)?;
        convert::all(&rows, convert::customer)?
    };
    let plan = plan::plan_customers(existing, items, first_line, now);
    write_customers(tx, project, &plan.rows).await?;
    Ok(plan)
}

/// Inserts or overwrites fully planned customer rows with the shared UPSERT, pipelined.
pub async fn write_customers(
    tx: &impl GenericClient,
    project: &str,
    rows: &[Customer],
) -> Result<(), StoreError> {
    execute_each(tx, q::UPSERT_CUSTOMER, rows, |stmt, c| async move {
        let address = c.address.as_ref().map(convert::to_jsonb);
        let metadata = convert::to_jsonb(&c.metadata);
        tx.execute(
            &stmt,
            &[
                &c.id.as_str(),
                &project,
                &c.source_id,
                &c.name,
                &c.description,
                &c.email,
                &c.phone,
                &c.birthdate,
                &c.birthday,
                &address,
                &metadata,
                &c.created_at.as_millis(),
                &c.updated_at.map(Timestamp::as_millis),
            ],
        )
        .await
        .map_err(error)
    })
    .await
}

async fn insert_report_lines(
    tx: &impl GenericClient,
    action: &ActionId,
    lines: &[ReportLine],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let numbers: Vec<i64> = lines.iter().map(|l| l.line as i64).collect();
    let keys: Vec<&str> = lines.iter().map(|l| l.key.as_str()).collect();
    let found: Vec<bool> = lines.iter().map(|l| l.found).collect();
    let updated: Vec<bool> = lines.iter().map(|l| l.updated).collect();
    let errors: Vec<Option<String>> =
        lines.iter().map(|l| l.error.as_ref().map(convert::to_json)).collect();
    let stmt = tx.prepare_cached(INSERT_REPORT_LINES).await.map_err(error)?;
    tx.execute(&stmt, &[&action.as_str(), &numbers, &keys, &found, &updated, &errors])
        .await
        .map_err(error)?;
    Ok(())
}
