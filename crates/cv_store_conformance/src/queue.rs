//! Claims, leases, fences and chunk commits.

use std::sync::Arc;

use cv_domain::{ActionResult, ActionStatus};

use cv_store::{
    ActionCount, ChunkCommit, ChunkCounts, ChunkWrites, CommitMode, Fence, Item, ItemError,
    ReportMode, Store, StoreError,
};

use super::{LEASE, done, enqueue, failure, new_action_of, patch, project, t};

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
    let first = store.claim_next("a", t(1_000), LEASE).await.expect("claim").expect("claimed");
    assert_eq!((first.record.id.clone(), first.fence.attempt), (id.clone(), 1));
    assert!(!first.lease_expired, "a first claim takes over no lease");
    assert!(store.claim_next("b", t(1_000 + LEASE - 1), LEASE).await.expect("claim").is_none());
    // A heartbeat moves the expiry forward.
    store.extend_lease(&first.fence, t(20_000), LEASE).await.expect("heartbeat");
    assert!(store.claim_next("b", t(1_000 + LEASE + 1), LEASE).await.expect("claim").is_none());
    let second = store
        .claim_next("b", t(20_000 + LEASE + 1), LEASE)
        .await
        .expect("claim")
        .expect("re-claimed after expiry");
    assert_eq!(second.record.id, id);
    assert_eq!(second.fence.attempt, 2);
    assert_eq!(second.record.attempt, 2);
    assert!(second.lease_expired, "the claim took over a lease that ran out");
    // The old owner's heartbeat is refused.
    let err = store.extend_lease(&first.fence, t(20_000 + LEASE + 2), LEASE).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
}

/// A worker whose attempt is stale writes nothing: no items, no cursor, no result.
pub async fn stale_attempt_commit_changes_nothing(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 2).await;
    let old = store.claim_next("a", t(1), LEASE).await.expect("claim").expect("claimed");
    let new = store.claim_next("b", t(2 + LEASE), LEASE).await.expect("claim").expect("re-claimed");
    assert_eq!(new.fence.attempt, 2);
    let chunk = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![patch("s1", "Old"), patch("s2", "Old")]),
        next_cursor: 2,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    };
    let err = store.commit_chunk(&old.fence, t(3 + LEASE), chunk.clone()).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    assert!(store.get_customer(&p, "s1").await.expect("get").is_none());
    assert!(store.report_lines(&id, None, 10).await.expect("lines").is_empty());
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.attempt), (0, 0, 2));
    let err = store.finish_action(&old.fence, t(4 + LEASE), &done(), None).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    // The current owner commits normally.
    store.commit_chunk(&new.fence, t(5 + LEASE), chunk).await.expect("commit");
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.status), (2, 2, ActionStatus::InProgress));
    // Replaying the same chunk (same first_item) after the cursor moved is refused too.
    let replay = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![patch("s1", "Again")]),
        next_cursor: 1,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    };
    assert!(store.commit_chunk(&new.fence, t(6 + LEASE), replay).await.is_err());
    let c = store.get_customer(&p, "s1").await.expect("get").expect("exists");
    assert_eq!(c.name.as_deref(), Some("Old"));
}

/// A chunk's writes, report lines, cursor, counters and progress land together; a chunk rolled
/// back after its writes leaves no trace.
pub async fn chunk_commit_is_atomic(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 4).await;
    let claim = store.claim_next("a", t(1), LEASE).await.expect("claim").expect("claimed");
    let failed = Item::Failed {
        key: "bad".into(),
        error: ItemError {
            message: "Invalid payload".into(),
            details: "x".into(),
            key: "invalid_payload".into(),
        },
    };
    let rolled_back = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![patch("s1", "A"), failed.clone()]),
        next_cursor: 2,
        report: ReportMode::AllItems,
        mode: CommitMode::RollbackAfterWrites,
    };
    let err = store.commit_chunk(&claim.fence, t(2), rolled_back).await;
    assert!(matches!(err, Err(StoreError::InjectedFailure)), "{err:?}");
    assert!(store.get_customer(&p, "s1").await.expect("get").is_none());
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.progress.get()), (0, 0));

    let chunk = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![patch("s1", "A"), failed]),
        next_cursor: 2,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    };
    let counts = store.commit_chunk(&claim.fence, t(3), chunk).await.expect("commit");
    assert_eq!(counts, ChunkCounts { done: 1, failed: 1 });
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.failed_count, rec.progress.get()), (2, 1, 1, 50));
    assert_eq!(rec.updated_at, t(3));
    let lines = store.report_lines(&id, None, 10).await.expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].key.as_str(), lines[0].found, lines[0].updated), ("s1", false, true));
    assert_eq!((lines[1].key.as_str(), lines[1].updated), ("bad", false));
    assert_eq!(store.failed_report_lines(&id, 10).await.expect("failed").len(), 1);

    let chunk = ChunkCommit {
        first_item: 2,
        writes: ChunkWrites::from(vec![patch("s1", "B"), patch("s2", "C")]),
        next_cursor: 4,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    };
    store.commit_chunk(&claim.fence, t(4), chunk).await.expect("commit");
    let lines = store.report_lines(&id, Some(1), 10).await.expect("lines");
    assert_eq!(
        lines.iter().map(|l| (l.line, l.found)).collect::<Vec<_>>(),
        vec![(2, true), (3, false)]
    );
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!(rec.progress.get(), 99, "progress stays below 100 until finished");
    store
        .finish_action(&claim.fence, t(5), &ActionResult::count("Three.".into(), 3), None)
        .await
        .expect("finish");
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.status, rec.progress.get()), (ActionStatus::Done, 100));
    assert_eq!(rec.result, Some(ActionResult::count("Three.".into(), 3)));
    assert!(
        store.claim_next("b", t(10 * LEASE), LEASE).await.expect("claim").is_none(),
        "finished actions are never claimed"
    );
}

/// Releasing a lease makes the action claimable at once (even in the same millisecond), from
/// its checkpoint.
pub async fn released_lease_is_claimable_at_once(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(0), 3).await;
    let claim = store.claim_next("a", t(1), LEASE).await.expect("claim").expect("claimed");
    let chunk = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![patch("s1", "A")]),
        next_cursor: 1,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    };
    store.commit_chunk(&claim.fence, t(2), chunk).await.expect("commit");
    store.release_lease(&claim.fence, t(3)).await.expect("release");
    let next = store.claim_next("b", t(3), LEASE).await.expect("claim").expect("claimable");
    assert!(!next.lease_expired, "a lease given back did not run out");
    assert_eq!((next.record.id, next.record.cursor, next.fence.attempt), (id, 1, 2));
    assert_eq!(next.fence, Fence { action_id: next.fence.action_id.clone(), attempt: 2 });
}

/// Claims follow the queue: across projects the oldest first; a project's actions one behind
/// the other in the order they were enqueued (each placed 10 ms behind the project's last
/// waiting one), so another project's action, enqueued a moment later, goes ahead of most of
/// a burst; an action given back after a slice goes behind its project's queue.
pub async fn claims_follow_the_queue(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    let burst = burst(&*store, &p, 3).await;
    let late = enqueue(&*store, &other, t(15), 0).await;
    let mut order = Vec::new();
    for _ in 0..4 {
        order.push(store.claim_next("a", t(100), LEASE).await.expect("claim").expect("claimed"));
    }
    let ids: Vec<_> = order.iter().map(|c| c.record.id.clone()).collect();
    assert_eq!(ids, [burst[0].clone(), late.clone(), burst[1].clone(), burst[2].clone()]);
    assert!(store.claim_next("a", t(100), LEASE).await.expect("claim").is_none());

    // The first of the burst gives its worker up after a slice: it queues behind the
    // project's other runnable actions (the rest of the burst, held but still unfinished).
    let next = enqueue(&*store, &p, t(101), 0).await;
    store.requeue(&order[0].fence, t(102)).await.expect("requeue");
    let again = store.claim_next("a", t(103), LEASE).await.expect("claim").expect("claimed");
    assert_eq!(again.record.id, next, "the action waiting longer goes first");
    let again = store.claim_next("a", t(103), LEASE).await.expect("claim").expect("claimed");
    assert_eq!((again.record.id.clone(), again.fence.attempt), (burst[0].clone(), 2));
    assert!(!again.lease_expired, "an action given back after a slice did not expire");
    assert!(store.requeue(&order[0].fence, t(104)).await.is_err(), "the old claim is stale");
    assert!(!store.any_runnable(t(104)).await.expect("any"), "every action is held");
    enqueue(&*store, &other, t(105), 0).await;
    assert!(store.any_runnable(t(105)).await.expect("any"));
    let first = &order[0];
    assert_eq!(
        store.load_payload(&first.fence.action_id).await.expect("payload"),
        br#"{"customers":[]}"#.to_vec()
    );
}

/// `n` actions of `project` enqueued at the same moment, `t(10)`.
async fn burst(
    store: &dyn Store,
    project: &cv_domain::ProjectId,
    n: usize,
) -> Vec<cv_domain::ActionId> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(enqueue(store, project, t(10), 0).await);
    }
    ids
}

/// Actions are counted by type and status across all projects, only the pairs that have
/// actions, and each count follows the actions through claims and ends.
pub async fn actions_are_counted_by_type_and_status(store: Arc<dyn Store>) {
    use cv_domain::{ActionId, ActionKind};

    assert!(store.count_actions().await.expect("count").is_empty(), "an empty store counts none");
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    for n in 0..3 {
        enqueue(&*store, &p, t(n), 1).await;
    }
    enqueue(&*store, &other, t(3), 1).await;
    store
        .create_action(new_action_of(
            ActionKind::CustomersImportCsv,
            &ActionId::generate(),
            &other,
            t(100),
            5,
        ))
        .await
        .expect("create import");
    let claimed = store.claim_next("w", t(200), LEASE).await.expect("claim").expect("claimed");
    store.finish_action(&claimed.fence, t(201), &done(), None).await.expect("done");
    let failed = store.claim_next("w", t(202), LEASE).await.expect("claim").expect("claimed");
    store.finish_action(&failed.fence, t(203), &failure(), None).await.expect("failed");
    store.claim_next("w", t(204), LEASE).await.expect("claim").expect("claimed");

    let bulk = ActionKind::CustomersBulkUpdate;
    let import = ActionKind::CustomersImportCsv;
    let count = |kind, status, count| ActionCount { kind, status, count };
    let mut counts = store.count_actions().await.expect("count");
    counts.sort_by_key(|c| (c.kind.as_str(), c.status.as_str()));
    assert_eq!(
        counts,
        vec![
            count(bulk, ActionStatus::Done, 1),
            count(bulk, ActionStatus::Enqueued, 1),
            count(bulk, ActionStatus::Failed, 1),
            count(bulk, ActionStatus::InProgress, 1),
            count(import, ActionStatus::Enqueued, 1),
        ]
    );
}
