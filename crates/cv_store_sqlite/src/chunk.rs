//! Chunk commits (one `match` over the write family: customers here, products, vouchers,
//! orders, purges and campaign deletes in their modules), and the customer writes they share with the customer calls.

use cv_domain::{Customer, CustomerId, CustomerPatch, CustomerRecord, Timestamp};
use cv_store::{
    ChunkCommit, ChunkCounts, ChunkWrites, CommitMode, Fence, Item, ReportLine, ReportMode,
    StoreError,
    plan::{self, CustomerPlan, metadata_purge::PurgeBatch},
    sql as q,
};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    campaigns,
    convert::{self, error, sql},
    metadata_purge, orders, products, vouchers,
};

/// `?1` project, `?2` a JSON array of source_ids.
const SELECT_CUSTOMERS_BY_SOURCE: &str = "SELECT id, source_id, name, description, email, phone, \
       birthdate, birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = ?1 AND source_id IN (SELECT value FROM json_each(?2))";

/// The fence of a stale attempt (or a moved cursor).
pub fn lease_lost(fence: &Fence) -> StoreError {
    StoreError::LeaseLost(fence.action_id.clone())
}

/// Applies one chunk in `tx`: the fence, the writes, one report line per item. For
/// [`CommitMode::RollbackAfterWrites`] it answers [`StoreError::InjectedFailure`] after the
/// writes, so the writer rolls them back. Returns the action's project and what the chunk
/// added to its counters.
pub fn commit(
    tx: &Transaction<'_>,
    fence: &Fence,
    now: Timestamp,
    chunk: ChunkCommit,
) -> Result<(String, ChunkCounts), StoreError> {
    let (done, failed) = chunk.outcome_counts();
    let fenced: Option<(String, i64, i64)> = tx
        .row(
            &sql(q::FENCE_CHUNK),
            params![
                fence.action_id.as_str(),
                i64::from(fence.attempt),
                chunk.first_item as i64,
                chunk.next_cursor as i64,
                done,
                failed,
                now.as_millis()
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(error)?;
    let (project, fenced_done, fenced_failed) = fenced.ok_or_else(|| lease_lost(fence))?;
    let first = chunk.first_item;
    let mut lines = match chunk.writes {
        ChunkWrites::CustomerUpserts(items) => {
            apply_customer_items(tx, &project, items, first, now)?.lines
        }
        ChunkWrites::CustomerImport(items) => {
            import_customers(tx, fence, &project, items, first, now)?
        }
        ChunkWrites::Products(writes) => products::commit_items(tx, &project, writes, first, now)?,
        ChunkWrites::SkuImport(items) => {
            products::commit_skus(tx, fence, &project, items, first, now)?
        }
        ChunkWrites::Vouchers(writes) => {
            vouchers::commit_items(tx, fence, &project, writes, first, now)?
        }
        ChunkWrites::OrderImport(items) => {
            orders::commit_items(tx, fence, &project, items, first, now)?
        }
        ChunkWrites::MetadataKeyPurge { resource, key, ids } => {
            let batch = PurgeBatch::new(resource, key, ids);
            metadata_purge::commit_items(tx, fence, &project, batch, now)?;
            Vec::new()
        }
        ChunkWrites::CampaignVoucherDeletes { campaign_id, force, ids } => {
            campaigns::delete_vouchers(tx, fence, &project, &campaign_id, force, ids, now)?;
            Vec::new()
        }
    };
    if chunk.report == ReportMode::FailuresOnly {
        lines.retain(|l| l.error.is_some());
    }
    {
        let mut stmt = tx.prepare_cached(&sql(q::INSERT_REPORT_LINE)).map_err(error)?;
        for line in &lines {
            stmt.execute(params![
                fence.action_id.as_str(),
                line.line as i64,
                line.key,
                line.found,
                line.updated,
                line.error.as_ref().map(convert::to_json),
            ])
            .map_err(error)?;
        }
    }
    let after = tx
        .row(&sql(q::SELECT_COUNTERS), params![fence.action_id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(error)?;
    let counts = q::chunk_counts((fenced_done, fenced_failed), (done, failed), after);
    match chunk.mode {
        CommitMode::Commit => Ok((project, counts)),
        CommitMode::RollbackAfterWrites => Err(StoreError::InjectedFailure),
    }
}

/// A new imported customer. `?1` id, `?2` project, `?3` source_id, `?4` name,
/// `?5` description, `?6` email, `?7` phone, `?8` birthdate, `?9` address, `?10` metadata,
/// `?11` now, `?12` action id.
const INSERT_IMPORTED: &str = "INSERT INTO customers \
     (id, project_id, source_id, name, description, email, phone, birthdate, address, metadata, \
      created_at, last_action_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// Replaces the profile of an existing customer, unless this action already wrote it. Same
/// parameters as [`INSERT_IMPORTED`] (`?1` unused).
const UPDATE_IMPORTED: &str = "UPDATE customers SET name = ?4, description = ?5, email = ?6, \
       phone = ?7, birthdate = ?8, birthday = NULL, address = ?9, metadata = ?10, \
       updated_at = ?11, last_action_id = ?12 \
     WHERE project_id = ?2 AND source_id = ?3 AND last_action_id IS DISTINCT FROM ?12";

/// Imports one row; false when this action already imported its source_id. New customers
/// are the common case of a large import, so the plain INSERT goes first (one index probe)
/// and only a unique-key conflict on the source_id falls back to the UPDATE. (SQLite only:
/// a failed statement does not abort the transaction there.)
fn import_customer(
    insert: &mut rusqlite::CachedStatement<'_>,
    update: &mut rusqlite::CachedStatement<'_>,
    fence: &Fence,
    project: &str,
    c: &CustomerRecord,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let id = CustomerId::generate();
    let address = c.address.as_ref().map(convert::to_json);
    let metadata = convert::to_json(&c.metadata);
    let values = params![
        id.as_str(),
        project,
        c.source_id,
        c.name,
        c.description,
        c.email,
        c.phone,
        c.birthdate,
        address,
        metadata,
        now.as_millis(),
        fence.action_id.as_str(),
    ];
    match insert.execute(values) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                && msg.contains("customers.source_id") =>
        {
            Ok(update.execute(values).map_err(error)? > 0)
        }
        Err(err) => Err(error(err)),
    }
}

/// Writes an import chunk row by row; a row whose source_id this action already imported
/// fails as a duplicate (and moves from the done to the failed count).
fn import_customers(
    tx: &Transaction<'_>,
    fence: &Fence,
    project: &str,
    items: Vec<Item<CustomerRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let mut insert = tx.prepare_cached(INSERT_IMPORTED).map_err(error)?;
    let mut update = tx.prepare_cached(UPDATE_IMPORTED).map_err(error)?;
    let tried = plan::import_rows(&items);
    let mut written = Vec::with_capacity(tried.len());
    for &i in &tried {
        let Item::Write(c) = &items[i] else { continue };
        written.push(import_customer(&mut insert, &mut update, fence, project, c, now)?);
    }
    let (lines, duplicates) = plan::import_lines(items, &tried, &written, first_line);
    if duplicates > 0 {
        tx.exec(&sql(q::MOVE_DONE_TO_FAILED), params![fence.action_id.as_str(), duplicates])
            .map_err(error)?;
    }
    Ok(lines)
}

/// Reads the customers a chunk touches, plans the chunk and writes the planned rows.
pub fn apply_customer_items(
    tx: &Transaction<'_>,
    project: &str,
    items: Vec<Item<CustomerPatch>>,
    first_line: u64,
    now: Timestamp,
) -> Result<CustomerPlan, StoreError> {
    let keys = serde_json::to_string(&plan::customer_keys(&items)).map_err(anyhow::Error::from)?;
    let existing = {
        let mut stmt = tx.prepare_cached(SELECT_CUSTOMERS_BY_SOURCE).map_err(error)?;
        stmt.query_map(params![project, keys], convert::customer)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(error)?
    };
    let plan = plan::plan_customers(existing, items, first_line, now);
    for customer in &plan.rows {
        write_customer(tx, project, customer)?;
    }
    Ok(plan)
}

/// Inserts or overwrites one planned customer row.
pub fn write_customer(tx: &Transaction<'_>, project: &str, c: &Customer) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(&sql(q::UPSERT_CUSTOMER)).map_err(error)?;
    stmt.execute(params![
        c.id.as_str(),
        project,
        c.source_id,
        c.name,
        c.description,
        c.email,
        c.phone,
        c.birthdate,
        c.birthday,
        c.address.as_ref().map(convert::to_json),
        convert::to_json(&c.metadata),
        c.created_at.as_millis(),
        c.updated_at.map(Timestamp::as_millis),
    ])
    .map_err(error)?;
    Ok(())
}
