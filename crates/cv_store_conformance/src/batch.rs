//! Batches: many actions claimed in one statement, their leases extended together and their
//! finishes written together, each still fenced on its own.

use std::sync::Arc;

use cv_domain::{ActionId, ActionKind, ActionResult, ActionStatus};
use cv_store::{
    ChunkCommit, ChunkWrites, ClaimedAction, CommitMode, Fence, Finishing, ReportMode, Store,
    StoreError, cancel,
};

use super::{LEASE, done, enqueue, orders::enqueue_kind, patch, project, t};

/// A batch takes turns across projects: it never takes a project's second action while
/// another project's action waits, whatever their order in the queue; serial groups hold
/// within a batch; each claim carries its payload.
pub async fn batch_claims_take_turns_across_projects(store: Arc<dyn Store>) {
    let a = project(&*store, "a").await;
    let b = project(&*store, "b").await;
    let c = project(&*store, "c").await;
    // Project a's burst is queued at t(10), t(20), t(30), t(40); b's and c's later.
    let mut burst = Vec::new();
    for _ in 0..4 {
        burst.push(enqueue(&*store, &a, t(10), 1).await);
    }
    let late_b = enqueue(&*store, &b, t(35), 1).await;
    let late_c = enqueue(&*store, &c, t(36), 1).await;

    let first = store.claim_batch("w", t(100), LEASE, 3).await.expect("claim");
    assert_eq!(ids(&first), [burst[0].clone(), late_b.clone(), late_c.clone()]);
    for claim in &first {
        assert_eq!(claim.fence.attempt, 1);
        assert_eq!(claim.record.status, ActionStatus::InProgress);
        assert!(!claim.lease_expired && !claim.cancel_requested);
        assert_eq!(claim.payload, br#"{"customers":[]}"#.to_vec(), "the payload comes along");
    }
    // Only project a waits now: its actions, in queue order.
    let rest = store.claim_batch("w", t(100), LEASE, 10).await.expect("claim");
    assert_eq!(ids(&rest), burst[1..]);
    assert!(store.claim_batch("w", t(100), LEASE, 10).await.expect("claim").is_empty());

    // Two order imports of one project (a serial group) and a bulk update: one batch takes
    // the older import and the bulk update, never both imports.
    let d = project(&*store, "d").await;
    let import = enqueue_kind(&*store, &d, ActionKind::OrdersImport, t(200)).await;
    let second_import = enqueue_kind(&*store, &d, ActionKind::OrdersImport, t(201)).await;
    let bulk = enqueue_kind(&*store, &d, ActionKind::CustomersBulkUpdate, t(202)).await;
    let batch = store.claim_batch("w", t(300), LEASE, 10).await.expect("claim");
    assert_eq!(ids(&batch), [import, bulk]);
    assert!(store.claim_batch("w", t(300), LEASE, 10).await.expect("claim").is_empty());
    let import_fence = batch[0].fence.clone();
    store.finish_action(&import_fence, t(301), &done(), None).await.expect("finish");
    let next = store.claim_batch("w", t(302), LEASE, 10).await.expect("claim");
    assert_eq!(ids(&next), [second_import]);
}

/// A worker that dies in the middle of a claimed batch — one action finished, one half done,
/// one not started — loses and repeats nothing: once the leases run out, another worker
/// takes the two unfinished ones from their checkpoints, the dead worker's writes are refused
/// (a stale fence in a group of finishes is refused alone), and every item is applied once.
pub async fn crash_inside_a_claimed_batch_loses_and_repeats_nothing(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let mut actions = Vec::new();
    for n in 0..3 {
        actions.push(enqueue(&*store, &p, t(n), 2).await);
    }
    let batch = store.claim_batch("dead", t(10), LEASE, 3).await.expect("claim");
    assert_eq!(ids(&batch), actions);
    let fences: Vec<Fence> = batch.iter().map(|c| c.fence.clone()).collect();
    store.commit_chunk(&fences[0], t(11), items(0, &["a0", "a1"])).await.expect("commit");
    store.commit_chunk(&fences[1], t(11), items(0, &["b0"])).await.expect("commit");
    let answers = store.finish_actions(t(12), &[finishing(&fences[0])]).await.expect("finish");
    assert!(answers.iter().all(Result::is_ok));
    // Heartbeats of the whole batch: all three still held.
    let lost = store.extend_leases(&fences, t(13), LEASE).await.expect("heartbeat");
    assert_eq!(lost, [fences[0].clone()], "only the finished action is no longer held");
    // The worker dies here. Nothing is claimable while its leases run.
    assert!(
        store.claim_batch("next", t(13 + LEASE - 1), LEASE, 3).await.expect("claim").is_empty()
    );

    let after = t(13 + LEASE + 1);
    let retaken = store.claim_batch("next", after, LEASE, 3).await.expect("claim");
    assert_eq!(ids(&retaken), actions[1..]);
    assert!(retaken.iter().all(|c| c.lease_expired && c.fence.attempt == 2));
    assert_eq!(
        retaken.iter().map(|c| c.record.cursor).collect::<Vec<_>>(),
        [1, 0],
        "each from its checkpoint"
    );
    let stale = store.commit_chunk(&fences[1], after, items(1, &["b1"])).await;
    assert!(matches!(stale, Err(StoreError::LeaseLost(_))), "{stale:?}");
    let lost = store.extend_leases(&fences[1..], after, LEASE).await.expect("heartbeat");
    assert_eq!(lost, fences[1..], "the dead worker's leases are gone");

    let (b, c) = (&retaken[0].fence, &retaken[1].fence);
    store.commit_chunk(b, after, items(1, &["b1"])).await.expect("commit");
    store.commit_chunk(c, after, items(0, &["c0", "c1"])).await.expect("commit");
    let group = [finishing(&fences[2]), finishing(b), finishing(c)];
    let answers = store.finish_actions(after, &group).await.expect("finish");
    assert!(matches!(answers[0], Err(StoreError::LeaseLost(_))), "{:?}", answers[0]);
    assert!(answers[1].is_ok() && answers[2].is_ok(), "{answers:?}");

    for (id, keys) in actions.iter().zip([["a0", "a1"], ["b0", "b1"], ["c0", "c1"]]) {
        let rec = store.get_action(&p, id).await.expect("get").expect("exists");
        assert_eq!(
            (rec.status, rec.cursor, rec.done_count, rec.failed_count),
            (ActionStatus::Done, 2, 2, 0)
        );
        let lines = store.report_lines(id, None, 10).await.expect("lines");
        assert_eq!(lines.iter().map(|l| l.key.as_str()).collect::<Vec<_>>(), keys);
        for key in keys {
            let customer = store.get_customer(&p, key).await.expect("get").expect("applied");
            assert_eq!(customer.name.as_deref(), Some(key));
        }
    }
    let customers = store.list_customers(&p, 100, 1).await.expect("list");
    assert_eq!(customers.total, 6, "each item applied exactly once");
}

/// A cancel asked for one action of a batch is seen at its next chunk boundary, and only by
/// that action; it ends there with what it committed, while the rest of the batch goes on.
/// A cancel asked of an action whose holder then died comes with its next claim.
pub async fn cancel_inside_a_batch_stops_at_its_chunk_boundary(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let first = enqueue(&*store, &p, t(0), 4).await;
    let second = enqueue(&*store, &p, t(1), 4).await;
    let batch = store.claim_batch("w", t(10), LEASE, 2).await.expect("claim");
    assert_eq!(ids(&batch), [first.clone(), second.clone()]);
    let (f1, f2) = (&batch[0].fence, &batch[1].fence);
    store.commit_chunk(f1, t(11), items(0, &["a0", "a1"])).await.expect("commit");
    store.commit_chunk(f2, t(11), items(0, &["b0", "b1"])).await.expect("commit");
    let requested = cancel(&*store, &p, &first, t(12)).await.expect("cancel");
    assert!(matches!(requested, cv_store::CancelOutcome::Requested(_)), "{requested:?}");

    // The chunk boundary: each run asks for its own flag.
    assert!(store.cancel_requested(f1).await.expect("flag"));
    assert!(!store.cancel_requested(f2).await.expect("flag"));
    store.commit_chunk(f2, t(13), items(2, &["b2", "b3"])).await.expect("commit");
    let group = [
        Finishing { fence: f1.clone(), result: ActionResult::cancelled(2, 0), effect: None },
        finishing(f2),
    ];
    let answers = store.finish_actions(t(14), &group).await.expect("finish");
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    let rec = store.get_action(&p, &first).await.expect("get").expect("exists");
    assert_eq!((rec.status, rec.cursor, rec.done_count), (ActionStatus::Failed, 2, 2));
    assert_eq!(rec.result, Some(ActionResult::cancelled(2, 0)));
    assert!(store.get_customer(&p, "a2").await.expect("get").is_none(), "stopped at the boundary");
    let rec = store.get_action(&p, &second).await.expect("get").expect("exists");
    assert_eq!((rec.status, rec.done_count), (ActionStatus::Done, 4));

    // A flagged action whose holder dies is claimed again with the flag, so its next run
    // stops before its first chunk.
    let third = enqueue(&*store, &p, t(20), 4).await;
    let claim = store.claim_batch("w", t(21), LEASE, 5).await.expect("claim");
    assert_eq!(ids(&claim), std::slice::from_ref(&third));
    assert!(store.flag_cancel(&p, &third, t(22)).await.expect("flag"));
    let again = store.claim_batch("w", t(23 + LEASE), LEASE, 5).await.expect("claim");
    assert_eq!(ids(&again), [third]);
    assert!(again[0].cancel_requested, "the claim carries the flag");
}

fn ids(claims: &[ClaimedAction]) -> Vec<ActionId> {
    claims.iter().map(|c| c.record.id.clone()).collect()
}

fn finishing(fence: &Fence) -> Finishing {
    Finishing { fence: fence.clone(), result: done(), effect: None }
}

/// A chunk from item `first` upserting one customer per key, named after it.
fn items(first: u64, keys: &[&str]) -> ChunkCommit {
    ChunkCommit {
        first_item: first,
        writes: ChunkWrites::from(keys.iter().map(|k| patch(k, k)).collect::<Vec<_>>()),
        next_cursor: first + keys.len() as u64,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    }
}
