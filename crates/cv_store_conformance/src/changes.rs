//! Change notification: which writes tell the followers of an action.

use std::{sync::Arc, time::Duration};

use cv_domain::ProjectId;

use cv_store::{
    ActionChange, ActionChangeReceiver, ChunkCommit, ChunkWrites, CommitMode, ReportMode, Store,
    StoreError,
};

use super::{LEASE, done, enqueue, failure, patch, project, t};

/// How long a committed change may take to arrive (PostgreSQL: through LISTEN).
const DELIVERY: Duration = Duration::from_secs(10);

/// The next change that is not a resync (those may come at any time, e.g. when a listener
/// reconnects).
async fn next(rx: &mut ActionChangeReceiver) -> ActionChange {
    loop {
        match tokio::time::timeout(DELIVERY, rx.recv()).await {
            Ok(Some(ActionChange::Resync)) => {}
            Ok(Some(change)) => return change,
            Ok(None) => panic!("the store's change channel closed"),
            Err(_) => panic!("no change arrived within {DELIVERY:?}"),
        }
    }
}

/// Creates marker actions until one's change arrives (on PostgreSQL the listener may still be
/// connecting), then returns with everything before it consumed.
async fn settle(store: &dyn Store, rx: &mut ActionChangeReceiver, p: &ProjectId) {
    for _ in 0..50 {
        let marker = enqueue(store, p, t(0), 0).await;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while let Ok(Some(change)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if change == ActionChange::changed(p, &marker) {
                return;
            }
        }
    }
    panic!("no change was ever delivered");
}

/// Asserts that nothing about `quiet` arrives before a marker action's own change (changes
/// arrive in commit order).
async fn nothing_for(store: &dyn Store, rx: &mut ActionChangeReceiver, p: &ProjectId, quiet: &str) {
    let marker = enqueue(store, p, t(0), 0).await;
    let change = next(rx).await;
    assert_eq!(change, ActionChange::changed(p, &marker), "nothing about {quiet} came first");
}

/// Every committed write a client can see — creation, claim, chunk commit, finish, cancel —
/// publishes one change naming the action and its project; writes that change nothing (a
/// stale fence) or nothing visible (a heartbeat) publish none.
pub async fn action_changes_follow_every_committed_write(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let q = project(&*store, "other").await;
    let mut rx = store.action_changes().subscribe();
    settle(&*store, &mut rx, &p).await;

    let id = enqueue(&*store, &p, t(1), 2).await;
    assert_eq!(next(&mut rx).await, ActionChange::changed(&p, &id), "creation");
    // The markers were created at t(0), so the claim takes them first; finish them.
    let claimed = loop {
        let c = store.claim_next("w", t(2), LEASE).await.expect("claim").expect("claimed");
        assert_eq!(next(&mut rx).await, ActionChange::changed(&p, &c.record.id), "claim");
        if c.record.id == id {
            break c;
        }
        store.finish_action(&c.fence, t(2), &done(), None).await.expect("finish");
        assert_eq!(next(&mut rx).await, ActionChange::changed(&p, &c.record.id), "finish");
    };
    let chunk = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![patch("s1", "One")]),
        next_cursor: 1,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    };
    store.commit_chunk(&claimed.fence, t(3), chunk.clone()).await.expect("chunk");
    assert_eq!(next(&mut rx).await, ActionChange::changed(&p, &id), "chunk commit");

    // A chunk that rolls back, and one whose cursor moved on, publish nothing.
    let rolled_back = ChunkCommit {
        first_item: 1,
        next_cursor: 2,
        mode: CommitMode::RollbackAfterWrites,
        ..chunk.clone()
    };
    let err = store.commit_chunk(&claimed.fence, t(4), rolled_back).await;
    assert!(matches!(err, Err(StoreError::InjectedFailure)), "{err:?}");
    let err = store.commit_chunk(&claimed.fence, t(4), chunk.clone()).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    store.extend_lease(&claimed.fence, t(4), LEASE).await.expect("heartbeat");
    nothing_for(&*store, &mut rx, &p, "a rolled-back or stale chunk, or a heartbeat").await;

    store.finish_action(&claimed.fence, t(5), &done(), None).await.expect("finish");
    assert_eq!(next(&mut rx).await, ActionChange::changed(&p, &id), "finish");
    let err = store.finish_action(&claimed.fence, t(6), &done(), None).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    nothing_for(&*store, &mut rx, &p, "a second finish").await;

    // Another project's action names that project; a cancel of a queued action is a change.
    let theirs = enqueue(&*store, &q, t(7), 0).await;
    assert_eq!(next(&mut rx).await, ActionChange::changed(&q, &theirs), "other project");
    assert!(store.cancel_idle(&q, &theirs, 0, 0, t(8), &failure()).await.expect("cancel"));
    assert_eq!(next(&mut rx).await, ActionChange::changed(&q, &theirs), "cancel");
    assert!(!store.cancel_idle(&q, &theirs, 0, 0, t(9), &failure()).await.expect("cancel"));
    nothing_for(&*store, &mut rx, &p, "a cancel that matched nothing").await;
}

/// A store that reports a write generation moves it on with every write, committed or rolled
/// back, and keeps it while only reads happen; one that cannot tell reports none, always.
pub async fn write_generation_moves_with_every_write(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let Some(before) = store.write_generation() else {
        let id = enqueue(&*store, &p, t(0), 1).await;
        store.claim_next("w", t(1), LEASE).await.expect("claim");
        assert_eq!(store.write_generation(), None, "{id}: a store without generations");
        return;
    };
    // Reads leave it.
    store.list_actions_before(&p, &Default::default(), None, 10).await.expect("list");
    store.find_credential("nobody").await.expect("credential");
    assert_eq!(store.write_generation(), Some(before));
    // A committed write moves it on.
    let id = enqueue(&*store, &p, t(0), 1).await;
    let created = store.write_generation().expect("generation");
    assert!(created > before, "creating {id} moved it on");
    // So does one that fails and rolls back.
    let claim = store.claim_next("w", t(1), LEASE).await.expect("claim").expect("claimed");
    let claimed = store.write_generation().expect("generation");
    assert!(claimed > created);
    let failed = store
        .commit_chunk(
            &claim.fence,
            t(2),
            ChunkCommit {
                first_item: 0,
                next_cursor: 1,
                writes: ChunkWrites::from(vec![patch("c1", "One")]),
                mode: CommitMode::RollbackAfterWrites,
                report: ReportMode::AllItems,
            },
        )
        .await;
    assert!(matches!(failed, Err(StoreError::InjectedFailure)), "{failed:?}");
    assert!(store.write_generation().expect("generation") > claimed);
}
