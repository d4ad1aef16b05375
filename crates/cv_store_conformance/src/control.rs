//! Conformance of [`cv_store::ControlStore`]: cancellation, the maintenance lease, retention.

use std::sync::Arc;

use cv_domain::ActionStatus;

use cv_domain::ActionResult;

use super::{LEASE, done, enqueue, failure, patch, project, t};
use cv_store::{
    CancelOutcome, ChunkCommit, ChunkWrites, CommitMode, ReportMode, Store, StoreError, cancel,
};

fn chunk(first: u64, items: usize) -> ChunkCommit {
    ChunkCommit {
        first_item: first,
        writes: ChunkWrites::from(
            (0..items).map(|i| patch(&format!("s{}", first as usize + i), "N")).collect::<Vec<_>>(),
        ),
        next_cursor: first + items as u64,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    }
}

/// A queued action is cancelled at once; a held one is flagged for its holder, whose fence
/// sees the flag; an expired holder's action is cancelled at once and the stale holder can
/// write nothing more; a finished one is left alone; other projects see nothing.
pub async fn cancellation_follows_the_holder(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;

    let queued = enqueue(&*store, &p, t(0), 4).await;
    assert_eq!(
        cancel(&*store, &other, &queued, t(1)).await.expect("cancel"),
        CancelOutcome::NotFound
    );
    let CancelOutcome::Cancelled(rec) = cancel(&*store, &p, &queued, t(1)).await.expect("cancel")
    else {
        panic!("a queued action is cancelled at once");
    };
    assert_eq!(rec.status, ActionStatus::Failed);
    assert_eq!(rec.result, Some(ActionResult::cancelled(0, 0)));
    assert!(store.claim_next("w", t(2), LEASE).await.expect("claim").is_none());

    let held = enqueue(&*store, &p, t(10), 4).await;
    let claim = store.claim_next("w", t(11), LEASE).await.expect("claim").expect("claimed");
    store.commit_chunk(&claim.fence, t(12), chunk(0, 2)).await.expect("commit");
    assert!(!store.cancel_requested(&claim.fence).await.expect("flag"));
    let CancelOutcome::Requested(rec) = cancel(&*store, &p, &held, t(13)).await.expect("cancel")
    else {
        panic!("a held action is flagged");
    };
    assert_eq!(rec.status, ActionStatus::InProgress);
    assert!(store.cancel_requested(&claim.fence).await.expect("flag"));
    assert!(
        !store
            .cancel_idle(&p, &held, rec.attempt, rec.cursor, t(14), &failure())
            .await
            .expect("idle"),
        "the lease is live"
    );

    // The holder dies; once its lease is over, a cancel ends the action at once and the
    // stale holder's writes are refused.
    let after = t(12 + LEASE + 1);
    let CancelOutcome::Cancelled(rec) = cancel(&*store, &p, &held, after).await.expect("cancel")
    else {
        panic!("an action whose lease expired is cancelled at once");
    };
    assert_eq!((rec.done_count, rec.status), (2, ActionStatus::Failed));
    assert_eq!(rec.result, Some(ActionResult::cancelled(2, 0)));
    let err = store.commit_chunk(&claim.fence, after, chunk(2, 2)).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    assert!(matches!(store.cancel_requested(&claim.fence).await, Err(StoreError::LeaseLost(_))));
    assert!(matches!(
        cancel(&*store, &p, &held, after).await.expect("cancel"),
        CancelOutcome::AlreadyFinished(_)
    ));
    assert!(!store.flag_cancel(&p, &held, after).await.expect("flag"), "only running actions");
}

/// One holder at a time; the holder renews; another takes over once it expires.
pub async fn maintenance_lease_has_one_holder(store: Arc<dyn Store>) {
    assert!(store.take_maintenance_lease("retention", "a", t(0), 1_000).await.expect("take"));
    assert!(!store.take_maintenance_lease("retention", "b", t(500), 1_000).await.expect("take"));
    assert!(store.take_maintenance_lease("other-task", "b", t(500), 1_000).await.expect("take"));
    assert!(store.take_maintenance_lease("retention", "a", t(900), 1_000).await.expect("renew"));
    assert!(!store.take_maintenance_lease("retention", "b", t(1_500), 1_000).await.expect("take"));
    assert!(store.take_maintenance_lease("retention", "b", t(1_900), 1_000).await.expect("take"));
    assert!(!store.take_maintenance_lease("retention", "a", t(2_000), 1_000).await.expect("take"));
}

/// Only finished actions last changed before the cutoff go, with their payloads, uploads
/// and report lines; batches are bounded; payloads of finished actions can go alone.
pub async fn retention_deletes_only_old_finished_actions(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let mut finished = Vec::new();
    for i in 0..3 {
        let id = enqueue(&*store, &p, t(i), 1).await;
        store.put_upload_part(&id, 0, b"a,b\n".to_vec()).await.expect("upload");
        let claim = store.claim_next("w", t(10 + i), LEASE).await.expect("claim").expect("claimed");
        store.commit_chunk(&claim.fence, t(20 + i), chunk(0, 1)).await.expect("commit");
        store.finish_action(&claim.fence, t(100 + i), &done(), None).await.expect("finish");
        finished.push(id);
    }
    let running = enqueue(&*store, &p, t(5), 1).await;
    store.claim_next("w", t(6), LEASE).await.expect("claim").expect("claimed");
    let queued = enqueue(&*store, &p, t(7), 1).await;

    assert_eq!(store.prune_finished(t(100), 10).await.expect("prune"), 0, "strictly before");
    assert_eq!(store.prune_finished(t(102), 1).await.expect("prune"), 1, "bounded batch");
    assert_eq!(store.prune_finished(t(102), 10).await.expect("prune"), 1);
    for id in &finished[..2] {
        assert!(store.get_action(&p, id).await.expect("get").is_none());
        assert!(store.load_payload(id).await.is_err());
        assert!(store.read_upload_part(id, 0).await.expect("read").is_none());
        assert!(store.report_lines(id, None, 10).await.expect("lines").is_empty());
    }
    let kept = &finished[2];
    assert!(store.get_action(&p, kept).await.expect("get").is_some());
    assert_eq!(store.report_lines(kept, None, 10).await.expect("lines").len(), 1);
    assert_eq!(store.prune_finished(t(1_000_000), 10).await.expect("prune"), 1);
    for id in [&running, &queued] {
        assert!(store.get_action(&p, id).await.expect("get").is_some(), "unfinished stay");
    }

    // In a project of its own, created before `queued`: the one claimed next.
    let fresh = project(&*store, "fresh").await;
    let done = enqueue(&*store, &fresh, t(-10), 1).await;
    store.put_upload_part(&done, 0, b"a\n".to_vec()).await.expect("upload");
    let claim = store.claim_next("w", t(201), LEASE).await.expect("claim").expect("claimed");
    assert_eq!(claim.fence.action_id, done);
    store
        .finish_action(&claim.fence, t(202), &ActionResult::count("Done.".into(), 0), None)
        .await
        .expect("finish");
    assert_eq!(store.drop_finished_payloads(10).await.expect("drop"), 2, "one payload, one part");
    assert_eq!(store.drop_finished_payloads(10).await.expect("drop"), 0);
    assert!(store.load_payload(&done).await.is_err());
    assert!(store.read_upload_part(&done, 0).await.expect("read").is_none());
    assert!(
        store.get_action(&fresh, &done).await.expect("get").is_some_and(|a| a.result.is_some())
    );
    for id in [&running, &queued] {
        assert!(store.load_payload(id).await.is_ok(), "unfinished actions keep their payload");
    }
}
