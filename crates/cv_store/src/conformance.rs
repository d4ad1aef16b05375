//! The backend conformance suite: one story per behaviour, run against SQLite and PostgreSQL
//! by the integration tests (`tests/it/conformance.rs`). A backend is correct when every
//! function here passes on a freshly migrated, empty store.

use std::{collections::HashSet, sync::Arc};

use cv_domain::{
    ActionId, ActionKind, ActionStatus, CustomerPatch, ProjectId, RequestId, Timestamp,
    customer::Field,
};
use serde_json::json;

use crate::{ChunkCommit, ChunkItem, CommitMode, Fence, ItemError, NewAction, Store, StoreError};

const LEASE: i64 = 30_000;

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + ms)
}

async fn project(store: &dyn Store, name: &str) -> ProjectId {
    store
        .ensure_project(name, t(0))
        .await
        .expect("ensure project")
}

async fn enqueue(
    store: &dyn Store,
    project: &ProjectId,
    created_at: Timestamp,
    total: u64,
) -> ActionId {
    let id = ActionId::generate();
    store
        .create_action(NewAction {
            id: id.clone(),
            project_id: project.clone(),
            kind: ActionKind::CustomersBulkUpdate,
            request_id: RequestId::generate(),
            payload: br#"{"items":[]}"#.to_vec(),
            total_items: total,
            created_at,
        })
        .await
        .expect("create action");
    id
}

fn patch(source_id: &str, name: &str) -> ChunkItem {
    ChunkItem::Customer(CustomerPatch {
        source_id: Some(source_id.to_owned()),
        name: Field::Set(name.to_owned()),
        ..Default::default()
    })
}

/// Two claimers racing for one action: exactly one wins, at attempt 1.
pub async fn claim_race_has_exactly_one_winner(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    for round in 0..5 {
        let id = enqueue(&*store, &p, t(round), 1).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let (store, barrier) = (store.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                store.claim_next(&format!("w{worker}"), t(100), LEASE).await
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            if let Some(claimed) = task.await.expect("join").expect("claim") {
                winners.push(claimed);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one claimer wins");
        assert_eq!(winners[0].record.id, id);
        assert_eq!(winners[0].record.attempt, 1);
        assert_eq!(winners[0].record.status, ActionStatus::InProgress);
    }
}

/// A live lease blocks other claimers; an expired one lets the action be re-claimed with
/// `attempt + 1`.
pub async fn expired_lease_is_reclaimed_with_next_attempt(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 10).await;
    let first = store
        .claim_next("a", t(1_000), LEASE)
        .await
        .expect("claim")
        .expect("claimed");
    assert_eq!(
        (first.record.id.clone(), first.fence.attempt),
        (id.clone(), 1)
    );
    assert!(
        store
            .claim_next("b", t(1_000 + LEASE - 1), LEASE)
            .await
            .expect("claim")
            .is_none()
    );
    // A heartbeat moves the expiry forward.
    store
        .extend_lease(&first.fence, t(20_000), LEASE)
        .await
        .expect("heartbeat");
    assert!(
        store
            .claim_next("b", t(1_000 + LEASE + 1), LEASE)
            .await
            .expect("claim")
            .is_none()
    );
    let second = store
        .claim_next("b", t(20_000 + LEASE + 1), LEASE)
        .await
        .expect("claim")
        .expect("re-claimed after expiry");
    assert_eq!(second.record.id, id);
    assert_eq!(second.fence.attempt, 2);
    assert_eq!(second.record.attempt, 2);
    // The old owner's heartbeat is refused.
    let err = store
        .extend_lease(&first.fence, t(20_000 + LEASE + 2), LEASE)
        .await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
}

/// A worker whose attempt is stale writes nothing: no items, no cursor, no result.
pub async fn stale_attempt_commit_changes_nothing(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 2).await;
    let old = store
        .claim_next("a", t(1), LEASE)
        .await
        .expect("claim")
        .expect("claimed");
    let new = store
        .claim_next("b", t(2 + LEASE), LEASE)
        .await
        .expect("claim")
        .expect("re-claimed");
    assert_eq!(new.fence.attempt, 2);
    let chunk = ChunkCommit {
        first_item: 0,
        items: vec![patch("s1", "Old"), patch("s2", "Old")],
        next_cursor: 2,
        mode: CommitMode::Commit,
    };
    let err = store
        .commit_chunk(&old.fence, t(3 + LEASE), chunk.clone())
        .await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    assert!(store.get_customer(&p, "s1").await.expect("get").is_none());
    assert!(
        store
            .report_lines(&id, None, 10)
            .await
            .expect("lines")
            .is_empty()
    );
    let rec = store
        .get_action(&p, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.attempt), (0, 0, 2));
    let err = store
        .finish_action(&old.fence, t(4 + LEASE), ActionStatus::Done, json!({}))
        .await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    // The current owner commits normally.
    store
        .commit_chunk(&new.fence, t(5 + LEASE), chunk)
        .await
        .expect("commit");
    let rec = store
        .get_action(&p, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (rec.cursor, rec.done_count, rec.status),
        (2, 2, ActionStatus::InProgress)
    );
    // Replaying the same chunk (same first_item) after the cursor moved is refused too.
    let replay = ChunkCommit {
        first_item: 0,
        items: vec![patch("s1", "Again")],
        next_cursor: 1,
        mode: CommitMode::Commit,
    };
    assert!(
        store
            .commit_chunk(&new.fence, t(6 + LEASE), replay)
            .await
            .is_err()
    );
    let c = store
        .get_customer(&p, "s1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(c.name.as_deref(), Some("Old"));
}

/// A chunk's writes, report lines, cursor, counters and progress land together; a chunk rolled
/// back after its writes leaves no trace.
pub async fn chunk_commit_is_atomic(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 4).await;
    let claim = store
        .claim_next("a", t(1), LEASE)
        .await
        .expect("claim")
        .expect("claimed");
    let failed = ChunkItem::Failed {
        key: "bad".into(),
        error: ItemError {
            message: "Invalid payload".into(),
            details: "x".into(),
            key: "invalid_payload".into(),
        },
    };
    let rolled_back = ChunkCommit {
        first_item: 0,
        items: vec![patch("s1", "A"), failed.clone()],
        next_cursor: 2,
        mode: CommitMode::RollbackAfterWrites,
    };
    let err = store.commit_chunk(&claim.fence, t(2), rolled_back).await;
    assert!(matches!(err, Err(StoreError::InjectedFailure)), "{err:?}");
    assert!(store.get_customer(&p, "s1").await.expect("get").is_none());
    let rec = store
        .get_action(&p, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((rec.cursor, rec.progress.get()), (0, 0));

    let chunk = ChunkCommit {
        first_item: 0,
        items: vec![patch("s1", "A"), failed],
        next_cursor: 2,
        mode: CommitMode::Commit,
    };
    store
        .commit_chunk(&claim.fence, t(3), chunk)
        .await
        .expect("commit");
    let rec = store
        .get_action(&p, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (
            rec.cursor,
            rec.done_count,
            rec.failed_count,
            rec.progress.get()
        ),
        (2, 1, 1, 50)
    );
    assert_eq!(rec.updated_at, t(3));
    let lines = store.report_lines(&id, None, 10).await.expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0].key.as_str(), lines[0].found, lines[0].updated),
        ("s1", false, true)
    );
    assert_eq!((lines[1].key.as_str(), lines[1].updated), ("bad", false));
    assert_eq!(
        store
            .failed_report_lines(&id, 10)
            .await
            .expect("failed")
            .len(),
        1
    );

    let chunk = ChunkCommit {
        first_item: 2,
        items: vec![patch("s1", "B"), patch("s2", "C")],
        next_cursor: 4,
        mode: CommitMode::Commit,
    };
    store
        .commit_chunk(&claim.fence, t(4), chunk)
        .await
        .expect("commit");
    let lines = store.report_lines(&id, Some(1), 10).await.expect("lines");
    assert_eq!(
        lines.iter().map(|l| (l.line, l.found)).collect::<Vec<_>>(),
        vec![(2, true), (3, false)]
    );
    let rec = store
        .get_action(&p, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        rec.progress.get(),
        99,
        "progress stays below 100 until finished"
    );
    store
        .finish_action(
            &claim.fence,
            t(5),
            ActionStatus::Done,
            json!({"done_count": 3}),
        )
        .await
        .expect("finish");
    let rec = store
        .get_action(&p, &id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!((rec.status, rec.progress.get()), (ActionStatus::Done, 100));
    assert_eq!(rec.result, Some(json!({"done_count": 3})));
    assert!(
        store
            .claim_next("b", t(10 * LEASE), LEASE)
            .await
            .expect("claim")
            .is_none(),
        "finished actions are never claimed"
    );
}

/// Newest first with ties broken by id; `end_date` paging with any limit returns every action
/// exactly once even when several share one `created_at`.
pub async fn list_pages_never_skip_or_repeat(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    enqueue(&*store, &other, t(5), 0).await;
    // created_at offsets: a tie group of 3 at 5, a tie group of 2 at 3, singles elsewhere.
    let mut ids = Vec::new();
    for at in [1, 3, 3, 5, 5, 5, 7, 9] {
        ids.push((at, enqueue(&*store, &p, t(at), 0).await));
    }
    let all = store.list_actions(&p, None, 100).await.expect("list");
    assert!(!all.has_more);
    let mut expected = ids.clone();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    assert_eq!(
        all.actions.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        expected
            .iter()
            .map(|(_, id)| id.clone())
            .collect::<Vec<_>>()
    );
    for limit in 1..=9 {
        let mut seen = Vec::new();
        let mut end_date = None;
        for _ in 0..20 {
            let page = store.list_actions(&p, end_date, limit).await.expect("page");
            seen.extend(page.actions.iter().map(|a| a.id.clone()));
            if !page.has_more {
                break;
            }
            end_date = page.actions.last().map(|a| a.created_at);
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "limit {limit}: no action repeated"
        );
        assert_eq!(seen.len(), ids.len(), "limit {limit}: no action skipped");
    }
    let before = store
        .list_actions(&p, Some(t(5)), 10)
        .await
        .expect("before");
    assert_eq!(before.actions.len(), 3, "end_date is strictly before");
}

/// Actions, customers and credentials of one project are invisible to another.
pub async fn projects_are_isolated(store: Arc<dyn Store>) {
    let a = project(&*store, "a").await;
    let b = project(&*store, "b").await;
    assert_ne!(a, b);
    assert_eq!(
        project(&*store, "a").await,
        a,
        "ensure_project is idempotent"
    );
    let id = enqueue(&*store, &a, t(0), 0).await;
    assert!(store.get_action(&a, &id).await.expect("get").is_some());
    assert!(store.get_action(&b, &id).await.expect("get").is_none());
    assert!(
        store
            .list_actions(&b, None, 10)
            .await
            .expect("list")
            .actions
            .is_empty()
    );
    let created = store
        .upsert_customers(
            &a,
            vec![CustomerPatch {
                source_id: Some("s".into()),
                ..Default::default()
            }],
            t(1),
        )
        .await
        .expect("upsert");
    let cid = created[0].id.clone();
    assert!(
        store
            .get_customer(&b, cid.as_str())
            .await
            .expect("get")
            .is_none()
    );
    assert!(store.get_customer(&b, "s").await.expect("get").is_none());
    assert!(!store.delete_customer(&b, &cid).await.expect("delete"));
    assert!(
        store
            .update_customer(&b, &cid, CustomerPatch::default(), t(2))
            .await
            .expect("update")
            .is_none()
    );
    // The same source_id may exist in both projects.
    store
        .upsert_customers(
            &b,
            vec![CustomerPatch {
                source_id: Some("s".into()),
                ..Default::default()
            }],
            t(1),
        )
        .await
        .expect("upsert in b");
    store
        .put_credential(&a, "app-a", "hash-a", t(0))
        .await
        .expect("cred");
    store
        .put_credential(&b, "app-b", "hash-b", t(0))
        .await
        .expect("cred");
    assert_eq!(
        store.find_credential("app-a").await.expect("find"),
        Some((a.clone(), "hash-a".into()))
    );
    assert_eq!(store.find_credential("nope").await.expect("find"), None);
    assert_eq!(store.count_credentials(&b).await.expect("count"), 1);
}

/// Customer CRUD: upsert by source_id merges metadata, lookups by id or source_id, update,
/// delete, and newest-first pages with a total.
pub async fn customers_round_trip(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let meta = |v: serde_json::Value| v.as_object().cloned();
    let first = store
        .upsert_customers(
            &p,
            vec![CustomerPatch {
                source_id: Some("s1".into()),
                name: Field::Set("Ann".into()),
                metadata: meta(json!({"a": 1, "nested": {"x": [1, 2]}})),
                address: Field::Set(cv_domain::Address {
                    city: Some("Oslo".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            t(1),
        )
        .await
        .expect("create");
    let id = first[0].id.clone();
    assert!(id.as_str().starts_with("cust_"));
    let again = store
        .upsert_customers(
            &p,
            vec![CustomerPatch {
                source_id: Some("s1".into()),
                metadata: meta(json!({"b": true})),
                ..Default::default()
            }],
            t(2),
        )
        .await
        .expect("upsert");
    assert_eq!(again[0].id, id);
    let got = store
        .get_customer(&p, id.as_str())
        .await
        .expect("get")
        .expect("by id");
    assert_eq!(
        got.metadata,
        meta(json!({"a": 1, "nested": {"x": [1, 2]}, "b": true})).unwrap_or_default()
    );
    assert_eq!(got.name.as_deref(), Some("Ann"));
    assert_eq!(
        got.address.as_ref().and_then(|a| a.city.as_deref()),
        Some("Oslo")
    );
    assert_eq!((got.created_at, got.updated_at), (t(1), Some(t(2))));
    assert_eq!(
        store
            .get_customer(&p, "s1")
            .await
            .expect("get")
            .map(|c| c.id),
        Some(id.clone())
    );
    let updated = store
        .update_customer(
            &p,
            &id,
            CustomerPatch {
                email: Field::Set("a@b.c".into()),
                name: Field::Clear,
                ..Default::default()
            },
            t(3),
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!(
        (updated.email.as_deref(), updated.name),
        (Some("a@b.c"), None)
    );
    for i in 0..5 {
        store
            .upsert_customers(
                &p,
                vec![CustomerPatch {
                    source_id: Some(format!("n{i}")),
                    ..Default::default()
                }],
                t(10 + i),
            )
            .await
            .expect("create");
    }
    let page1 = store.list_customers(&p, 2, 1).await.expect("list");
    assert_eq!(page1.total, 6);
    assert_eq!(
        page1
            .customers
            .iter()
            .map(|c| c.source_id.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["n4", "n3"]
    );
    let page3 = store.list_customers(&p, 2, 3).await.expect("list");
    assert_eq!(
        page3
            .customers
            .iter()
            .map(|c| c.source_id.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["n0", "s1"]
    );
    assert!(store.delete_customer(&p, &id).await.expect("delete"));
    assert!(!store.delete_customer(&p, &id).await.expect("delete again"));
    assert!(store.get_customer(&p, "s1").await.expect("get").is_none());
}

/// Releasing a lease makes the action claimable at once, from its checkpoint.
pub async fn released_lease_is_claimable_at_once(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 3).await;
    let claim = store
        .claim_next("a", t(1), LEASE)
        .await
        .expect("claim")
        .expect("claimed");
    let chunk = ChunkCommit {
        first_item: 0,
        items: vec![patch("s1", "A")],
        next_cursor: 1,
        mode: CommitMode::Commit,
    };
    store
        .commit_chunk(&claim.fence, t(2), chunk)
        .await
        .expect("commit");
    store
        .release_lease(&claim.fence, t(3))
        .await
        .expect("release");
    let next = store
        .claim_next("b", t(4), LEASE)
        .await
        .expect("claim")
        .expect("claimable");
    assert_eq!(
        (next.record.id, next.record.cursor, next.fence.attempt),
        (id, 1, 2)
    );
    assert_eq!(
        next.fence,
        Fence {
            action_id: next.fence.action_id.clone(),
            attempt: 2
        }
    );
}

/// The oldest runnable action is claimed first.
pub async fn claims_oldest_first(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let newer = enqueue(&*store, &p, t(10), 0).await;
    let older = enqueue(&*store, &p, t(5), 0).await;
    let first = store
        .claim_next("a", t(20), LEASE)
        .await
        .expect("claim")
        .expect("claimed");
    let second = store
        .claim_next("a", t(20), LEASE)
        .await
        .expect("claim")
        .expect("claimed");
    assert_eq!((first.record.id, second.record.id), (older, newer));
    assert!(
        store
            .claim_next("a", t(20), LEASE)
            .await
            .expect("claim")
            .is_none()
    );
    assert_eq!(
        store
            .load_payload(&first.fence.action_id)
            .await
            .expect("payload"),
        br#"{"items":[]}"#.to_vec()
    );
}

/// Generates one `#[tokio::test]` per conformance case. `$fresh` is an async fn returning
/// `Option<Arc<dyn Store>>`: a freshly migrated, empty store, or `None` to skip (a backend
/// that is not configured on this machine).
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@cases $fresh;
            claim_race_has_exactly_one_winner,
            expired_lease_is_reclaimed_with_next_attempt,
            stale_attempt_commit_changes_nothing,
            chunk_commit_is_atomic,
            list_pages_never_skip_or_repeat,
            projects_are_isolated,
            customers_round_trip,
            released_lease_is_claimable_at_once,
            claims_oldest_first
        );
    };
    (@cases $fresh:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some(store) = $fresh().await {
                    $crate::conformance::$case(store).await;
                }
            }
        )*
    };
}
