//! What only the PostgreSQL backend does: concurrent migrations, cross-node wake-ups over
//! LISTEN/NOTIFY (and after the listening connection is killed), error mapping, big chunks.
//!
//! Same switches as the conformance suite: `CONVEYOR_TEST_DATABASE_URL`, without which the
//! tests are ignored, and `CONVEYOR_TEST_REQUIRE_POSTGRES=1` to fail instead.

use std::time::Duration;

use cv_domain::{
    ActionId, CustomerPatch, ProjectId, RequestId, Timestamp,
    payload::{CustomersBulkUpdate, OrdersImport},
};
use cv_store::{
    ActionReads as _, ChunkCommit, ChunkWrites, CommitMode, Item, NewAction, Queue as _,
    ReportMode, Resources as _, StoreError,
};
use cv_store_postgres::PostgresStore;
use rand::Rng as _;

/// The database of the tests; they are ignored at build time when it is not configured, so a
/// test that runs without it fails.
fn url() -> String {
    std::env::var("CONVEYOR_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL \
             (start one with `bash .ci/pg-test.sh start`)"
        )
    })
}

fn schema() -> String {
    format!("t_{:016x}", rand::rng().random::<u64>())
}

fn new_action(project: &ProjectId, total: u64) -> NewAction {
    let payload = CustomersBulkUpdate { customers: Vec::new() };
    let (id, request, at) =
        (ActionId::generate(), RequestId::generate(), Timestamp::from_millis(1));
    NewAction::new(id, project.clone(), request, &payload, total, at).expect("a payload")
}

/// Enqueues on `a` until `b`'s wake-ups fire (its LISTEN may still be starting); after how
/// many enqueues.
async fn woken_across(a: &PostgresStore, b: &PostgresStore, project: &ProjectId) -> Option<u32> {
    let wake = b.wakeups();
    for attempt in 1..=50 {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        a.create_action(new_action(project, 0)).await.expect("create");
        if tokio::time::timeout(Duration::from_millis(200), notified).await.is_ok() {
            return Some(attempt);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    postgres_unconfigured,
    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
)]
async fn concurrent_starts_migrate_once() {
    let url = url();
    let schema = schema();
    let starts = (0..4).map(|_| {
        let (url, schema) = (url.clone(), schema.clone());
        tokio::spawn(async move { PostgresStore::connect_in_schema(&url, &schema).await })
    });
    for start in starts {
        let store = start.await.expect("join").expect("connect");
        store.check_ready().await.expect("ready");
        assert_eq!(store.backend(), "postgres");
    }
    assert!(PostgresStore::connect_in_schema(&url, "Bad-Name").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    postgres_unconfigured,
    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
)]
async fn notify_wakes_other_nodes_and_survives_reconnects() {
    let url = url();
    let schema = schema();
    let a = PostgresStore::connect_in_schema(&url, &schema).await.expect("connect a");
    let b = PostgresStore::connect_in_schema(&url, &schema).await.expect("connect b");
    let p = a.ensure_project("default", Timestamp::from_millis(0)).await.expect("project");
    assert!(woken_across(&a, &b, &p).await.is_some(), "b's listener starts");
    assert_eq!(woken_across(&a, &b, &p).await, Some(1), "b is woken by a's enqueue");

    // Kill every LISTEN connection on this schema's channel; the listener reconnects.
    let (admin, connection) =
        tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("admin");
    tokio::spawn(connection);
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE starts_with(query, $1) AND pid <> pg_backend_pid()",
            &[&format!("LISTEN \"conveyor_actions_{schema}\";")],
        )
        .await
        .expect("terminate");
    assert_eq!(killed.len(), 2, "both stores were listening");
    // Past the reconnect backoff, a wake-up can only come from a NOTIFY.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(woken_across(&a, &b, &p).await, Some(1), "b is woken after reconnecting");
    assert_eq!(woken_across(&b, &a, &p).await, Some(1), "and so is a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    postgres_unconfigured,
    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
)]
async fn errors_map_to_store_errors() {
    let url = url();
    let store = PostgresStore::connect_in_schema(&url, &schema()).await.expect("connect");
    let p = store.ensure_project("default", Timestamp::from_millis(0)).await.expect("project");
    let action = new_action(&p, 0);
    store.create_action(action.clone()).await.expect("create");
    let err = store.create_action(action).await;
    assert!(matches!(err, Err(StoreError::Conflict { .. })), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    postgres_unconfigured,
    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
)]
async fn large_chunk_commits_in_one_go() {
    let url = url();
    let store = PostgresStore::connect_in_schema(&url, &schema()).await.expect("connect");
    let p = store.ensure_project("default", Timestamp::from_millis(0)).await.expect("project");
    const N: u64 = 5_000;
    let action = store.create_action(new_action(&p, 2 * N)).await.expect("create");
    let claim = store.claim_next("w", Timestamp::from_millis(2), 60_000).await.expect("claim");
    let fence = claim.expect("claimed").fence;
    let items = |offset: u64| -> Vec<Item<CustomerPatch>> {
        (0..N)
            .map(|i| {
                Item::Write(CustomerPatch {
                    source_id: Some(format!("s{}", (i + offset) % N)),
                    ..Default::default()
                })
            })
            .collect()
    };
    for (first, offset) in [(0, 0), (N, 7)] {
        let chunk = ChunkCommit {
            first_item: first,
            writes: ChunkWrites::from(items(offset)),
            next_cursor: first + N,
            report: ReportMode::AllItems,
            mode: CommitMode::Commit,
        };
        store.commit_chunk(&fence, Timestamp::from_millis(3), chunk).await.expect("commit");
    }
    let rec = store.get_action(&p, &action.id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.progress.get()), (2 * N, 2 * N, 99));
    let lines = store.report_lines(&action.id, Some(N - 1), 10).await.expect("lines");
    assert_eq!((lines[0].line, lines[0].found), (N, true));
    assert_eq!(store.list_customers(&p, 1, 1).await.expect("list").total, N);
}

/// Two actions creating the same new customers at once: both commit (the second sees the
/// first's rows, as with SQLite's single writer) instead of one failing on the unique key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    postgres_unconfigured,
    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
)]
async fn concurrent_chunks_on_the_same_customers_serialise() {
    let url = url();
    let store = PostgresStore::connect_in_schema(&url, &schema()).await.expect("connect");
    let p = store.ensure_project("default", Timestamp::from_millis(0)).await.expect("project");
    const N: u64 = 300;
    for round in 0..5u64 {
        let mut tasks = Vec::new();
        for reverse in [false, true] {
            let action = store.create_action(new_action(&p, N)).await.expect("create");
            let claim =
                store.claim_next("w", Timestamp::from_millis(2), 60_000).await.expect("claim");
            let fence = claim.expect("claimed").fence;
            let mut keys: Vec<u64> = (0..N).collect();
            if reverse {
                keys.reverse();
            }
            let items: Vec<Item<CustomerPatch>> = keys
                .into_iter()
                .map(|i| {
                    Item::Write(CustomerPatch {
                        source_id: Some(format!("r{round}-{i}")),
                        metadata: serde_json::json!({ format!("from_{reverse}"): true })
                            .as_object()
                            .cloned(),
                        ..Default::default()
                    })
                })
                .collect();
            let chunk = ChunkCommit {
                first_item: 0,
                writes: ChunkWrites::from(items),
                next_cursor: N,
                report: ReportMode::AllItems,
                mode: CommitMode::Commit,
            };
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .commit_chunk(&fence, Timestamp::from_millis(3), chunk)
                    .await
                    .map(|_| action.id)
            }));
        }
        let mut found = 0;
        for task in tasks {
            let id = task.await.expect("join").expect("both chunks commit");
            let lines = store.report_lines(&id, None, N as u32).await.expect("lines");
            found += lines.iter().filter(|l| l.found).count() as u64;
        }
        assert_eq!(found, N, "round {round}: each customer is created once, then found once");
        let c = store.get_customer(&p, &format!("r{round}-0")).await.expect("get").expect("exists");
        assert_eq!(c.metadata.len(), 2, "round {round}: both chunks' metadata merged");
    }
    assert_eq!(store.list_customers(&p, 1, 1).await.expect("list").total, 5 * N);
}

/// Another node's claim of an order import that the claim statement's snapshot missed (an
/// import inserted meanwhile with an older `created_at`): the re-check under the group's
/// lock sees it once that claim commits, so the older import is not started alongside.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    postgres_unconfigured,
    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
)]
async fn serial_claims_recheck_under_the_group_lock() {
    let url = url();
    let schema = schema();
    let store = PostgresStore::connect_in_schema(&url, &schema).await.expect("connect");
    let p = store.ensure_project("default", Timestamp::from_millis(0)).await.expect("project");
    let import = |at: i64| {
        let payload = OrdersImport { orders: Vec::new() };
        let (id, request, at) =
            (ActionId::generate(), RequestId::generate(), Timestamp::from_millis(at));
        NewAction::new(id, p.clone(), request, &payload, 1, at).expect("a payload")
    };
    let running = store.create_action(import(10)).await.expect("create").id;

    // "Another node" claims `running` and holds the group's lock, uncommitted.
    let mut config: tokio_postgres::Config = url.parse().expect("url");
    config.options(format!("-c search_path={schema}"));
    let (mut other, connection) = config.connect(tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    let tx = other.transaction().await.expect("begin");
    tx.execute(
        "UPDATE async_actions SET status = 'IN_PROGRESS', attempt = 1, lease_expires_at = $2 \
         WHERE id = $1",
        &[&running.as_str(), &i64::MAX],
    )
    .await
    .expect("claim");
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('serial/' || $1::TEXT || '/' || $2::TEXT, 0))",
        &[&p.as_str(), &"ORDERS.IMPORT"],
    )
    .await
    .expect("lock");

    // An older import arrives; this node's claim statement cannot see the other claim yet.
    let older = store.create_action(import(5)).await.expect("create").id;
    let claimer = tokio::spawn({
        let store = store.clone();
        async move { store.claim_next("w", Timestamp::from_millis(20), 60_000).await }
    });
    // Wait (bounded) until the claimer is blocked on the group's lock, then commit. Watched
    // from a third connection: a transaction sees pg_stat_activity as of its first look.
    let (watcher, connection) = config.connect(tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    let mut waited = 0;
    loop {
        let rows = watcher
            .query(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory' \
                 AND query LIKE '%serial/%' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .expect("activity");
        if !rows.is_empty() {
            break;
        }
        waited += 1;
        assert!(waited < 500, "the claimer never waited on the group's lock");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.commit().await.expect("commit");
    let claimed = claimer.await.expect("join").expect("claim");
    assert!(claimed.is_none(), "the older import waits: {:?}", claimed.map(|c| c.record.id));
    let older = store.get_action(&p, &older).await.expect("get").expect("older");
    assert_eq!(older.status, cv_domain::ActionStatus::Enqueued);
}
