//! Chunk commits, and the customer writes they share with the customer calls.
//!
//! Round trips matter here (a chunk may carry thousands of items), so independent statements
//! are pipelined: tokio-postgres sends every statement of a `try_join` before reading the
//! first answer, and the server still runs them in the order they were sent.

use cv_domain::{ActionId, Customer, Timestamp};
use cv_store::{
    ChunkCommit, ChunkItem, CommitMode, Fence, StoreError,
    plan::{self, CustomerPlan},
    sql as q,
};
use deadpool_postgres::GenericClient;
use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;

use crate::{
    convert::{self, error},
    db::lease_lost,
};

/// Serialises chunks that touch the same source_ids (`$1` project, `$2` keys), as SQLite's
/// single writer does: without it, two chunks could both miss a customer and both insert it.
/// Locks are taken in hash order, so two chunks never wait on each other in a cycle.
const LOCK_CUSTOMER_KEYS: &str = "SELECT pg_advisory_xact_lock(h) \
     FROM (SELECT DISTINCT hashtextextended($1::TEXT || '/' || k, 0) AS h \
           FROM unnest($2::TEXT[]) AS k ORDER BY h) AS keys";

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
/// report lines; then commits, or rolls back for [`CommitMode::RollbackAfterWrites`].
pub async fn commit(
    client: &mut deadpool_postgres::Client,
    fence: &Fence,
    now: Timestamp,
    chunk: ChunkCommit,
) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(error)?;
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
    let row = tx
        .query_opt(&stmt, params)
        .await
        .map_err(error)?
        .ok_or_else(|| lease_lost(fence))?;
    let project: String = row.try_get(0).map_err(error)?;
    let report = Some(&fence.action_id);
    apply_customer_items(&tx, &project, chunk.items, chunk.first_item, now, report).await?;
    match chunk.mode {
        CommitMode::Commit => tx.commit().await.map_err(error),
        CommitMode::RollbackAfterWrites => {
            tx.rollback().await.map_err(error)?;
            Err(StoreError::InjectedFailure)
        }
    }
}

/// Reads (and locks) the customers a chunk touches, plans the chunk and writes the planned
/// rows, plus the report lines of `report` when given. Must run inside a transaction.
pub async fn apply_customer_items(
    tx: &impl GenericClient,
    project: &str,
    items: Vec<ChunkItem>,
    first_line: u64,
    now: Timestamp,
    report: Option<&ActionId>,
) -> Result<CustomerPlan, StoreError> {
    let keys = plan::customer_keys(&items);
    let existing = if keys.is_empty() {
        Vec::new()
    } else {
        let (lock, select) = futures_util::try_join!(
            tx.prepare_cached(LOCK_CUSTOMER_KEYS),
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
    futures_util::try_join!(write_customers(tx, project, &plan.rows), async {
        match report {
            Some(action) => insert_report_lines(tx, action, &plan).await,
            None => Ok(()),
        }
    })?;
    Ok(plan)
}

/// Inserts or overwrites fully planned customer rows with the shared UPSERT, pipelined.
pub async fn write_customers(
    tx: &impl GenericClient,
    project: &str,
    rows: &[Customer],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let stmt = tx.prepare_cached(q::UPSERT_CUSTOMER).await.map_err(error)?;
    try_join_all(rows.iter().map(|c| {
        let stmt = &stmt;
        async move {
            let address = c.address.as_ref().map(convert::to_jsonb);
            let metadata = convert::to_jsonb(&c.metadata);
            tx.execute(
                stmt,
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
        }
    }))
    .await?;
    Ok(())
}

async fn insert_report_lines(
    tx: &impl GenericClient,
    action: &ActionId,
    plan: &CustomerPlan,
) -> Result<(), StoreError> {
    if plan.lines.is_empty() {
        return Ok(());
    }
    let lines: Vec<i64> = plan.lines.iter().map(|l| l.line as i64).collect();
    let keys: Vec<&str> = plan.lines.iter().map(|l| l.key.as_str()).collect();
    let found: Vec<bool> = plan.lines.iter().map(|l| l.found).collect();
    let updated: Vec<bool> = plan.lines.iter().map(|l| l.updated).collect();
    let errors: Vec<Option<String>> = plan
        .lines
        .iter()
        .map(|l| l.error.as_ref().map(convert::to_json))
        .collect();
    let stmt = tx
        .prepare_cached(INSERT_REPORT_LINES)
        .await
        .map_err(error)?;
    tx.execute(
        &stmt,
        &[&action.as_str(), &lines, &keys, &found, &updated, &errors],
    )
    .await
    .map_err(error)?;
    Ok(())
}
