use std::{
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use anyhow::Context as _;
use async_trait::async_trait;
use cv_domain::{
    ActionId, ActionStatus, Customer, CustomerId, CustomerPatch, ProjectId, Timestamp,
};
use cv_store::{
    ActionRecord, ChunkCommit, ChunkItem, ClaimedAction, CommitMode, CustomerPage, Fence,
    NewAction, ReportLine, Store, StoreError, Wakeups,
    plan::{self, CustomerPlan},
    sql as q,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{
    convert::{self, error, sql},
    migrate,
};

const READERS: usize = 4;

const CLAIM: &str = "UPDATE async_actions SET status = 'IN_PROGRESS', attempt = attempt + 1, \
       lease_owner = ?1, lease_expires_at = ?3, updated_at = ?2 \
     WHERE id = (SELECT id FROM async_actions \
         WHERE status IN ('ENQUEUED', 'IN_PROGRESS') \
           AND (status = 'ENQUEUED' OR lease_expires_at < ?2) \
         ORDER BY created_at, id LIMIT 1) \
     RETURNING id, project_id, kind, status, progress, attempt, cursor, total_items, \
       done_count, failed_count, request_id, result, created_at, updated_at";

const SELECT_CUSTOMERS_BY_SOURCE: &str = "SELECT id, source_id, name, description, email, phone, \
       birthdate, birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = ?1 AND source_id IN (SELECT value FROM json_each(?2))";

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    wake: Wakeups,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -65536;",
    )
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies migrations.
    pub async fn open(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref().to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path)).await?
    }

    fn open_blocking(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating directory {}", dir.display()))?;
        }
        let mut writer = Connection::open(path)
            .with_context(|| format!("opening SQLite database {}", path.display()))?;
        configure(&writer)?;
        migrate::migrate(&mut writer).context("applying SQLite migrations")?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open(path)?;
                configure(&conn)?;
                conn.execute_batch("PRAGMA query_only = ON;")?;
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                wake: Wakeups::default(),
            }),
        })
    }

    /// Runs `f` in an immediate write transaction on the writer connection; commits when
    /// `f` returns `Ok`.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(error)?;
            let value = f(&tx)?;
            tx.commit().map_err(error)?;
            Ok(value)
        })
        .await
        .map_err(|e| StoreError::Other(e.into()))?
    }

    /// Runs `f` on one of the read connections.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&conn).map_err(error)
        })
        .await
        .map_err(|e| StoreError::Other(e.into()))?
    }
}

fn lease_lost(fence: &Fence) -> StoreError {
    StoreError::LeaseLost(fence.action_id.clone())
}

/// Reads the customers a chunk touches, plans the chunk and writes the planned rows.
fn apply_customer_items(
    tx: &Transaction<'_>,
    project: &str,
    items: Vec<ChunkItem>,
    first_line: u64,
    now: Timestamp,
) -> Result<CustomerPlan, StoreError> {
    let keys = serde_json::to_string(&plan::customer_keys(&items)).map_err(anyhow::Error::from)?;
    let existing = {
        let mut stmt = tx
            .prepare_cached(SELECT_CUSTOMERS_BY_SOURCE)
            .map_err(error)?;
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

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn wakeups(&self) -> Wakeups {
        self.inner.wake.clone()
    }

    async fn check_ready(&self) -> Result<(), StoreError> {
        let version = self.read(migrate::version).await?;
        if version == migrate::LATEST {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "schema version {version}, expected {}",
                migrate::LATEST
            )))
        }
    }

    async fn ensure_project(&self, name: &str, now: Timestamp) -> Result<ProjectId, StoreError> {
        let name = name.to_owned();
        self.write(move |tx| {
            let id = ProjectId::generate();
            tx.execute(
                &sql(q::INSERT_PROJECT),
                params![id.as_str(), name, now.as_millis()],
            )
            .map_err(error)?;
            let id: String = tx
                .query_row(&sql(q::SELECT_PROJECT), [&name], |r| r.get(0))
                .map_err(error)?;
            Ok(ProjectId::from_string(id))
        })
        .await
    }

    async fn put_credential(
        &self,
        project: &ProjectId,
        app_id: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (project, app_id, hash) = (project.clone(), app_id.to_owned(), token_hash.to_owned());
        self.write(move |tx| {
            tx.execute(
                &sql(q::UPSERT_CREDENTIAL),
                params![app_id, project.as_str(), hash, now.as_millis()],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn find_credential(
        &self,
        app_id: &str,
    ) -> Result<Option<(ProjectId, String)>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            c.query_row(&sql(q::SELECT_CREDENTIAL), [&app_id], |r| {
                Ok((ProjectId::from_string(r.get::<_, String>(0)?), r.get(1)?))
            })
            .optional()
        })
        .await
    }

    async fn count_credentials(&self, project: &ProjectId) -> Result<u64, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            c.query_row(&sql(q::COUNT_CREDENTIALS), [project.as_str()], |r| {
                r.get::<_, i64>(0)
            })
        })
        .await
        .map(|n| n as u64)
    }

    async fn create_action(&self, new: NewAction) -> Result<ActionRecord, StoreError> {
        let record = self
            .write(move |tx| {
                tx.execute(
                    &sql(q::INSERT_ACTION),
                    params![
                        new.id.as_str(),
                        new.project_id.as_str(),
                        new.kind.as_str(),
                        new.request_id.as_str(),
                        new.total_items as i64,
                        new.created_at.as_millis(),
                    ],
                )
                .map_err(error)?;
                tx.execute(
                    &sql(q::INSERT_PAYLOAD),
                    params![new.id.as_str(), new.payload],
                )
                .map_err(error)?;
                tx.query_row(
                    &sql(q::SELECT_ACTION),
                    params![new.project_id.as_str(), new.id.as_str()],
                    convert::action,
                )
                .map_err(error)
            })
            .await?;
        self.inner.wake.notify_waiters();
        Ok(record)
    }

    async fn get_action(
        &self,
        project: &ProjectId,
        id: &ActionId,
    ) -> Result<Option<ActionRecord>, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.read(move |c| {
            c.query_row(
                &sql(q::SELECT_ACTION),
                params![project.as_str(), id.as_str()],
                convert::action,
            )
            .optional()
        })
        .await
    }

    async fn list_actions_before(
        &self,
        project: &ProjectId,
        before: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let project = project.clone();
        let before = before.map_or(i64::MAX, Timestamp::as_millis);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_ACTIONS_BEFORE))?;
            stmt.query_map(
                params![project.as_str(), before, i64::from(limit)],
                convert::action,
            )?
            .collect()
        })
        .await
    }

    async fn list_actions_at(
        &self,
        project: &ProjectId,
        at: Timestamp,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_ACTIONS_AT))?;
            stmt.query_map(params![project.as_str(), at.as_millis()], convert::action)?
                .collect()
        })
        .await
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<ClaimedAction>, StoreError> {
        let worker = worker.to_owned();
        let record = self
            .write(move |tx| {
                tx.query_row(
                    CLAIM,
                    params![
                        worker,
                        now.as_millis(),
                        now.plus_millis(lease_ms).as_millis()
                    ],
                    convert::action,
                )
                .optional()
                .map_err(error)
            })
            .await?;
        Ok(record.map(|record| ClaimedAction {
            fence: Fence {
                action_id: record.id.clone(),
                attempt: record.attempt,
            },
            record,
        }))
    }

    async fn extend_lease(
        &self,
        fence: &Fence,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            let n = tx
                .execute(
                    &sql(q::EXTEND_LEASE),
                    params![
                        fence.action_id.as_str(),
                        i64::from(fence.attempt),
                        now.plus_millis(lease_ms).as_millis()
                    ],
                )
                .map_err(error)?;
            if n == 0 {
                Err(lease_lost(&fence))
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn release_lease(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            tx.execute(
                &sql(q::RELEASE_LEASE),
                params![
                    fence.action_id.as_str(),
                    i64::from(fence.attempt),
                    now.as_millis()
                ],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn load_payload(&self, id: &ActionId) -> Result<Vec<u8>, StoreError> {
        let id = id.clone();
        self.read(move |c| c.query_row(&sql(q::SELECT_PAYLOAD), [id.as_str()], |r| r.get(0)))
            .await
    }

    async fn commit_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
    ) -> Result<(), StoreError> {
        let fence = fence.clone();
        let inner = self.inner.clone();
        // Not `self.write`: a chunk in RollbackAfterWrites mode must roll back after writing.
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(error)?;
            let (done, failed) = count_outcomes(&chunk.items);
            let project: Option<String> = tx
                .query_row(
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
                    |r| r.get(0),
                )
                .optional()
                .map_err(error)?;
            let project = project.ok_or_else(|| lease_lost(&fence))?;
            let plan = apply_customer_items(&tx, &project, chunk.items, chunk.first_item, now)?;
            let mut stmt = tx
                .prepare_cached(&sql(q::INSERT_REPORT_LINE))
                .map_err(error)?;
            for line in &plan.lines {
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
            drop(stmt);
            match chunk.mode {
                CommitMode::Commit => tx.commit().map_err(error),
                CommitMode::RollbackAfterWrites => Err(StoreError::InjectedFailure),
            }
        })
        .await
        .map_err(|e| StoreError::Other(e.into()))?
    }

    async fn finish_action(
        &self,
        fence: &Fence,
        now: Timestamp,
        status: ActionStatus,
        result: serde_json::Value,
    ) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            let n = tx
                .execute(
                    &sql(q::FINISH_ACTION),
                    params![
                        fence.action_id.as_str(),
                        i64::from(fence.attempt),
                        status.as_str(),
                        result.to_string(),
                        now.as_millis()
                    ],
                )
                .map_err(error)?;
            if n == 0 {
                Err(lease_lost(&fence))
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn report_lines(
        &self,
        id: &ActionId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError> {
        let id = id.clone();
        let after = after.map_or(-1, |a| a as i64);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_REPORT_LINES))?;
            stmt.query_map(
                params![id.as_str(), after, i64::from(limit)],
                convert::report_line,
            )?
            .collect()
        })
        .await
    }

    async fn failed_report_lines(
        &self,
        id: &ActionId,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError> {
        let id = id.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_FAILED_REPORT_LINES))?;
            stmt.query_map(params![id.as_str(), i64::from(limit)], convert::report_line)?
                .collect()
        })
        .await
    }

    async fn upsert_customers(
        &self,
        project: &ProjectId,
        patches: Vec<CustomerPatch>,
        now: Timestamp,
    ) -> Result<Vec<Customer>, StoreError> {
        let project = project.clone();
        self.write(move |tx| {
            let items = patches.into_iter().map(ChunkItem::Customer).collect();
            Ok(apply_customer_items(tx, project.as_str(), items, 0, now)?.rows)
        })
        .await
    }

    async fn get_customer(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let (project, key) = (project.clone(), id_or_source_id.to_owned());
        self.read(move |c| {
            c.query_row(
                &sql(q::SELECT_CUSTOMER),
                params![project.as_str(), key],
                convert::customer,
            )
            .optional()
        })
        .await
    }

    async fn update_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
        patch: CustomerPatch,
        now: Timestamp,
    ) -> Result<Option<Customer>, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let Some(mut customer) = tx
                .query_row(
                    &sql(q::SELECT_CUSTOMER_BY_ID),
                    params![project.as_str(), id.as_str()],
                    convert::customer,
                )
                .optional()
                .map_err(error)?
            else {
                return Ok(None);
            };
            patch.apply(&mut customer, now);
            write_customer(tx, project.as_str(), &customer)?;
            Ok(Some(customer))
        })
        .await
    }

    async fn delete_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
    ) -> Result<bool, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let n = tx
                .execute(
                    &sql(q::DELETE_CUSTOMER),
                    params![project.as_str(), id.as_str()],
                )
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_customers(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CustomerPage, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let offset = i64::from(page.saturating_sub(1)) * i64::from(limit);
            let mut stmt = c.prepare_cached(&sql(q::SELECT_CUSTOMER_PAGE))?;
            let customers = stmt
                .query_map(
                    params![project.as_str(), i64::from(limit), offset],
                    convert::customer,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 =
                c.query_row(&sql(q::COUNT_CUSTOMERS), [project.as_str()], |r| r.get(0))?;
            Ok(CustomerPage {
                customers,
                total: total as u64,
            })
        })
        .await
    }
}

fn write_customer(tx: &Transaction<'_>, project: &str, c: &Customer) -> Result<(), StoreError> {
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

fn count_outcomes(items: &[ChunkItem]) -> (i64, i64) {
    let failed = items
        .iter()
        .filter(|i| matches!(i, ChunkItem::Failed { .. }))
        .count() as i64;
    (items.len() as i64 - failed, failed)
}
