//! The connections: one writer behind a mutex, driven by a thread of its own that runs the
//! queued writes in groups (group commit), and a few readers, used from `spawn_blocking`.

use std::{
    path::Path,
    sync::{
        Arc, Mutex, MutexGuard, TryLockError,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
};

use anyhow::Context as _;
use cv_domain::ProjectId;
use cv_store::{ActionChanges, StoreError, Wakeups};
use rusqlite::{
    Connection, OptionalExtension, Row, Transaction, TransactionBehavior, config::DbConfig, params,
};

use crate::{
    convert::{Cached as _, error, sql},
    migrate,
};

const READERS: usize = 4;

/// How much of the database file each reader maps (address space, not memory: the pages are
/// the kernel's page cache, shared by all readers).
const READER_MMAP_BYTES: u64 = 1 << 30;

/// A queued write: runs in the group's transaction and says whether it succeeded, with what
/// to do once the transaction has ended.
/// It is given the group's transaction, or the error that kept the group from starting.
type Job = Box<dyn FnOnce(Result<&Transaction<'_>, &Shared>) -> (bool, Deliver) + Send>;

/// Hands a write its answer, given how the group's commit went.
type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// At most this many queued writes share one transaction.
const GROUP_LIMIT: usize = 256;

impl Inner {
    /// Takes the writer connection and runs every queued write, in groups of at most
    /// [`GROUP_LIMIT`] per transaction, until the queue is empty.
    fn run_queued(&self) {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let jobs: Vec<Job> = {
                let mut queued = self.queued.lock().unwrap_or_else(|p| p.into_inner());
                let n = queued.len().min(GROUP_LIMIT);
                queued.drain(..n).collect()
            };
            if jobs.is_empty() {
                return;
            }
            self.run_group(&mut conn, jobs);
        }
    }

    /// Runs `jobs` in one immediate transaction, each in a savepoint, commits, and answers
    /// them.
    fn run_group(&self, conn: &mut Connection, jobs: Vec<Job>) {
        // Odd from before the transaction begins until after it has ended either way.
        self.write_generation.fetch_add(1, Ordering::AcqRel);
        let ended = WriteEnded(&self.write_generation);
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(err) => {
                drop(ended);
                let failed = Shared::from(err);
                for job in jobs {
                    let (_, deliver) = job(Err(&failed));
                    deliver(Ok(()));
                }
                return;
            }
        };
        // A write alone needs no savepoint (whose page copies cost an import chunk as much
        // as its writes): if it fails, the whole transaction rolls back.
        let alone = jobs.len() == 1;
        let mut delivers = Vec::with_capacity(jobs.len());
        for job in jobs {
            if alone {
                let (ok, deliver) = job(Ok(&tx));
                if !ok {
                    let rolled_back = tx.rollback().err().map(Shared::from);
                    drop(ended);
                    deliver(rolled_back.map_or(Ok(()), |err| Err(err.store_error())));
                    return;
                }
                delivers.push((deliver, None));
                break;
            }
            if let Err(err) = savepoint(&tx, "write", Savepoint::Open) {
                let (_, deliver) = job(Err(&Shared::from(err)));
                delivers.push((deliver, None));
                continue;
            }
            let (ok, deliver) = job(Ok(&tx));
            let close = if ok { Savepoint::Release } else { Savepoint::RollBack };
            let closed = savepoint(&tx, "write", close).err().map(Shared::from);
            delivers.push((deliver, closed));
        }
        let commit = tx.commit().map_err(Shared::from);
        drop(ended);
        for (deliver, failed) in delivers {
            match (&commit, &failed) {
                (_, Some(err)) | (Err(err), None) => deliver(Err(err.store_error())),
                (Ok(()), None) => deliver(Ok(())),
            }
        }
    }

    /// A read connection nobody holds, if any.
    fn free_reader(&self) -> Option<MutexGuard<'_, Connection>> {
        self.readers.iter().find_map(|reader| match reader.try_lock() {
            Ok(conn) => Some(conn),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        })
    }
}

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) writer: Mutex<Connection>,
    /// Writes waiting for the writer connection (see [`SqliteStore::write`]).
    queued: Mutex<Vec<Job>>,
    /// Rung after a write is queued: wakes the writer thread.
    doorbell: Mutex<std::sync::mpsc::Sender<()>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    pub(crate) wake: Wakeups,
    /// Odd while a write transaction is open, moved on at its start and at its end (see
    /// `ActionReads::write_generation`). Every write goes through the one writer connection of this
    /// process, and a SQLite database is served by one process.
    pub(crate) write_generation: AtomicU64,
    /// Published after each committed change to an action row (see `cv_store::changes`).
    pub(crate) changes: ActionChanges,
}

/// Statements each connection keeps prepared (rusqlite's default is 16, fewer than the
/// store's distinct statements, so a busy engine would evict and re-parse them in turn).
const STATEMENT_CACHE: usize = 256;

/// When a commit reaches the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// Every commit is synced to the disk before it is acknowledged (`PRAGMA synchronous =
    /// FULL`): an answered request survives a power loss. The writer's group commit shares one
    /// sync among the writes that queue up meanwhile.
    #[default]
    Full,
    /// Commits are synced at WAL checkpoints only (`NORMAL`): a crash of the process loses
    /// nothing, but a power loss or a kernel crash may lose the last commits.
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Every connection's settings. The page cache (16 MiB; the readers lower theirs) is the
/// writer's: a 1M-row import ran as fast with 16 MiB as with 32, and the server's peak memory
/// during it dropped by about as much (the pages beyond are in the kernel's file cache).
fn configure(conn: &Connection, synchronous: Synchronous) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -16384;",
        synchronous.pragma()
    ))
}

/// What to do with a savepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Savepoint {
    /// Start it.
    Open,
    /// Keep its writes and end it.
    Release,
    /// Undo its writes and end it.
    RollBack,
}

/// Opens, releases or rolls back the savepoint `name`, with statements prepared once per
/// connection (a savepoint per write made parsing them a tenth of the writer's time).
pub(crate) fn savepoint(
    tx: &Connection,
    name: &'static str,
    what: Savepoint,
) -> rusqlite::Result<()> {
    let run = |sql: String| tx.prepare_cached(&sql)?.execute([]).map(|_| ());
    match what {
        Savepoint::Open => run(format!("SAVEPOINT {name}")),
        Savepoint::Release => run(format!("RELEASE {name}")),
        Savepoint::RollBack => {
            run(format!("ROLLBACK TO {name}"))?;
            run(format!("RELEASE {name}"))
        }
    }
}

/// A writer error to hand to every write of a group: the error [`error`] maps it to, rebuilt
/// for each (a `StoreError` is not `Clone`).
#[derive(Debug, Clone)]
struct Shared {
    transient: bool,
    message: String,
}

impl From<rusqlite::Error> for Shared {
    fn from(err: rusqlite::Error) -> Self {
        let transient = matches!(
            error_code(&err),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        Self { transient, message: err.to_string() }
    }
}

impl Shared {
    fn store_error(&self) -> StoreError {
        if self.transient {
            StoreError::Unavailable(self.message.clone())
        } else {
            StoreError::Other(anyhow::anyhow!("{}", self.message))
        }
    }
}

fn error_code(err: &rusqlite::Error) -> Option<rusqlite::ErrorCode> {
    match err {
        rusqlite::Error::SqliteFailure(e, _) => Some(e.code),
        _ => None,
    }
}

/// The writer thread: runs the queued writes whenever the doorbell rings, until the store is
/// gone. A write that panics loses its group (its callers get an error; the transaction rolls
/// back), not the thread.
fn write_loop(inner: &std::sync::Weak<Inner>, rung: &std::sync::mpsc::Receiver<()>) {
    while rung.recv().is_ok() {
        while rung.try_recv().is_ok() {}
        let Some(inner) = inner.upgrade() else { return };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.run_queued()));
        if ran.is_err() {
            tracing::error!(message = "A write panicked; its group was rolled back.");
        }
    }
}

/// Moves the write generation on to even when dropped: after the transaction ended, by
/// commit, rollback or a panic.
struct WriteEnded<'a>(&'a AtomicU64);

impl Drop for WriteEnded<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies migrations; commits
    /// are synced to the disk before they are acknowledged ([`Synchronous::Full`]).
    pub async fn open(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        Self::open_with(path, Synchronous::default()).await
    }

    /// [`SqliteStore::open`] with commits synced as `synchronous` says.
    pub async fn open_with(
        path: impl AsRef<Path>,
        synchronous: Synchronous,
    ) -> anyhow::Result<Self> {
        let path = path.as_ref().to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, synchronous)).await?
    }

    fn open_blocking(path: &Path, synchronous: Synchronous) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating directory {}", dir.display()))?;
        }
        let mut writer = Connection::open(path)
            .with_context(|| format!("opening SQLite database {}", path.display()))?;
        configure(&writer, synchronous)?;
        // Plans never depend on bound values (see the readers below): without this, SQLite
        // re-prepared several of the writer's cached statements on every run, a third of its
        // time under many small actions.
        writer.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // Checkpoint every 64 MiB of WAL rather than every 4 MiB: a page rewritten by several
        // chunk commits (random index keys) is then copied into the database file once.
        writer.execute_batch(
            "PRAGMA wal_autocheckpoint = 16384; PRAGMA journal_size_limit = 67108864;",
        )?;
        migrate::migrate(&mut writer).context("applying SQLite migrations")?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open(path)?;
                configure(&conn, synchronous)?;
                // Readers do point lookups and stream upload parts; a small cache keeps those
                // megabyte-sized blobs from piling up in four page caches.
                conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -4096;")?;
                // Reads of the database file go through a shared memory map instead of a
                // `pread` into each reader's own page cache: a B-tree descent over a table
                // larger than that cache then costs no system calls or copies.
                conn.execute_batch(&format!("PRAGMA mmap_size = {READER_MMAP_BYTES};"))?;
                // Plans never depend on bound values: without this, SQLite re-prepares a
                // cached statement with `LIMIT ?` on every execution (it plans with the bound
                // limit), which was a tenth of the action list's CPU time.
                conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (doorbell, rung) = std::sync::mpsc::channel();
        let store = Self {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                queued: Mutex::new(Vec::new()),
                doorbell: Mutex::new(doorbell),
                readers,
                next_reader: AtomicUsize::new(0),
                write_generation: AtomicU64::new(0),
                wake: Wakeups::default(),
                changes: ActionChanges::default(),
            }),
        };
        let inner = Arc::downgrade(&store.inner);
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || write_loop(&inner, &rung))
            .context("starting the SQLite writer thread")?;
        Ok(store)
    }

    /// Runs `f` in an immediate write transaction on the writer connection and answers once
    /// that transaction has committed; when `f` fails, its writes are rolled back and its error
    /// is the answer.
    ///
    /// Group commit: writes wait in a queue for the writer thread, which runs all of those
    /// queued in one transaction, each inside a savepoint of its own (a failing one is rolled
    /// back alone), then commits once and hands each its answer. A write alone in the queue
    /// runs at once; many small ones (creates, claims, chunk commits, finishes) share the
    /// transaction's fixed cost, and no write costs a hand-off to a thread of its own.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |tx: Result<&Transaction<'_>, &Shared>| {
            let result = match tx {
                Ok(tx) => f(tx),
                Err(failed) => Err(failed.store_error()),
            };
            let ok = result.is_ok();
            let deliver: Deliver = Box::new(move |commit: Result<(), StoreError>| {
                let _ = answer.send(result.and_then(|value| commit.map(|()| value)));
            });
            (ok, deliver)
        });
        self.inner.queued.lock().unwrap_or_else(|p| p.into_inner()).push(job);
        // The writer thread only stops when the store is dropped, and we hold it.
        let _ = self.inner.doorbell.lock().unwrap_or_else(|p| p.into_inner()).send(());
        answered.await.map_err(|_| StoreError::Other(anyhow::anyhow!("a write was dropped")))?
    }

    /// Runs `f` on one of the read connections, in a blocking thread: the first free one, else
    /// the next in turn once it is free.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(conn) = inner.free_reader() {
                return f(&conn).map_err(error);
            }
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&conn).map_err(error)
        })
        .await
        .map_err(|e| StoreError::Other(e.into()))?
    }

    /// Runs a point read (one row by its key) on a free read connection right here, on the
    /// calling task's thread: it takes a few microseconds, less than handing it to a blocking
    /// thread and back (which was a third of `GET /v1/async-actions/{id}`'s CPU time, twice
    /// per request with the credential lookup). In WAL mode a reader never waits for the
    /// writer. When every reader is busy, it runs like [`SqliteStore::read`].
    pub(crate) async fn read_point<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if let Some(conn) = self.inner.free_reader() {
            return f(&conn).map_err(error);
        }
        self.read(f).await
    }

    /// The row `query` finds by `$1` project and `$2` key (an id, source_id, code or name),
    /// decoded with `decode`.
    pub(crate) async fn find<T: Send + 'static>(
        &self,
        query: &'static str,
        project: &ProjectId,
        key: &str,
        decode: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let (project, key) = (project.clone(), key.to_owned());
        self.read(move |c| c.row(&sql(query), params![project.as_str(), key], decode).optional())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous_of(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("pragma")
    }

    #[tokio::test]
    async fn commits_are_synced_as_configured_and_full_by_default() {
        let dir = tempfile::tempdir().expect("dir");
        // SQLite's codes: 1 NORMAL, 2 FULL.
        for (store, expected) in [
            (SqliteStore::open(dir.path().join("default.db")).await.expect("open"), 2),
            (
                SqliteStore::open_with(dir.path().join("normal.db"), Synchronous::Normal)
                    .await
                    .expect("open"),
                1,
            ),
        ] {
            let writer = store.inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            assert_eq!(synchronous_of(&writer), expected);
            for reader in &store.inner.readers {
                let reader = reader.lock().unwrap_or_else(|p| p.into_inner());
                assert_eq!(synchronous_of(&reader), expected);
            }
        }
    }

    async fn project_names(store: &SqliteStore) -> Vec<String> {
        store
            .read(|c| {
                c.prepare("SELECT name FROM projects ORDER BY name")?
                    .query_map([], |r| r.get(0))?
                    .collect()
            })
            .await
            .expect("names")
    }

    #[tokio::test]
    async fn a_failing_write_alone_is_rolled_back_and_the_next_one_commits() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("alone.db")).await.expect("open");
        let insert = |name: &'static str, fail: bool| {
            store.write(move |tx| {
                let sql = "INSERT INTO projects (id, name, created_at) VALUES (?1, ?1, 0)";
                tx.execute(sql, params![name]).map_err(error)?;
                if fail { Err(StoreError::Unavailable("refused".to_owned())) } else { Ok(()) }
            })
        };
        let failed = insert("a", true).await;
        assert!(matches!(failed, Err(StoreError::Unavailable(_))), "{failed:?}");
        insert("b", false).await.expect("the next write commits");
        let names = project_names(&store).await;
        assert_eq!(names, ["b"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_in_a_group_is_rolled_back_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("group.db")).await.expect("open");
        let insert = |name: &'static str, fail: bool| {
            let store = store.clone();
            async move {
                store
                    .write(move |tx| {
                        let at = 0i64;
                        tx.execute(
                            "INSERT INTO projects (id, name, created_at) VALUES (?1, ?1, ?2)",
                            params![name, at],
                        )
                        .map_err(error)?;
                        if fail {
                            Err(StoreError::Unavailable("refused".to_owned()))
                        } else {
                            Ok(())
                        }
                    })
                    .await
            }
        };
        // The writer is held while the three queue up, so one group runs them all; the failing
        // one writes nothing and the others commit.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (locked, is_locked) = tokio::sync::oneshot::channel::<()>();
        let inner = store.inner.clone();
        let holder = tokio::task::spawn_blocking(move || {
            let _held = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let _ = locked.send(());
            let _ = released.recv();
        });
        is_locked.await.expect("locked");
        let writes =
            [("a", false), ("b", true), ("c", false)].map(|(n, f)| tokio::spawn(insert(n, f)));
        for _ in 0..10_000 {
            if store.inner.queued.lock().unwrap_or_else(|p| p.into_inner()).len() == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(store.inner.queued.lock().unwrap_or_else(|p| p.into_inner()).len(), 3);
        release.send(()).expect("release");
        holder.await.expect("holder");
        let [a, b, c] = writes;
        let (a, b, c) = (a.await.expect("a"), b.await.expect("b"), c.await.expect("c"));
        assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
        assert!(matches!(b, Err(StoreError::Unavailable(_))), "{b:?}");
        let names = project_names(&store).await;
        assert_eq!(names, ["a", "c"]);
    }
}
