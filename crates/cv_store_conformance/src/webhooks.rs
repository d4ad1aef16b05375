//! Conformance of [`cv_store::WebhookStore`]: endpoints, the outbox written with an action's end,
//! exclusive leased claims, and the record of attempts with their retry schedule.

use std::sync::Arc;

use cv_domain::{
    ActionId, ActionStatus, DeliveryStatus, ProjectId, Timestamp, WebhookEndpoint, WebhookEvent,
    WebhookEvents, WebhookId,
};

use super::{LEASE, done, enqueue, failure, project, t};
use cv_store::{
    CancelOutcome, DeliveryAttempt, DeliveryOutcome, DeliveryRecord, Store, StoreError, cancel,
};

async fn endpoint(store: &dyn Store, p: &ProjectId, events: &[WebhookEvent]) -> WebhookEndpoint {
    let endpoint = WebhookEndpoint {
        id: WebhookId::generate(),
        project_id: p.clone(),
        target_url: format!("http://127.0.0.1:9/{}", events.len()),
        events: WebhookEvents::of(events.iter().copied()).expect("events"),
        secret: "s3cret".to_owned(),
        created_at: t(0),
    };
    store.create_webhook(&endpoint).await.expect("create webhook");
    endpoint
}

/// Enqueues, claims and ends an action of `p` at `at` with `status`.
async fn finished(store: &dyn Store, p: &ProjectId, at: i64, status: ActionStatus) -> ActionId {
    let id = enqueue(store, p, t(at), 1).await;
    let claim = store.claim_next("w", t(at), LEASE).await.expect("claim").expect("claimed");
    assert_eq!(claim.record.id, id, "the test's actions run one at a time");
    let result = if status == ActionStatus::Done { done() } else { failure() };
    store.finish_action(&claim.fence, t(at + 1), &result, None).await.expect("finish");
    id
}

async fn deliveries(store: &dyn Store, p: &ProjectId, e: &WebhookEndpoint) -> Vec<DeliveryRecord> {
    let page = store.list_deliveries(p, &e.id, 100, 1).await.expect("list deliveries");
    assert_eq!(page.total, page.deliveries.len() as u64);
    page.deliveries.into_iter().map(|(d, _)| d).collect()
}

fn attempt(n: u32, at: Timestamp, code: Option<u16>, error: Option<&str>) -> DeliveryAttempt {
    DeliveryAttempt {
        attempt: n,
        attempted_at: at,
        duration_ms: 7,
        status_code: code,
        error: error.map(str::to_owned),
    }
}

/// Endpoints are created, listed oldest first, read and deleted per project; another
/// project's ids are unknown.
pub async fn webhook_endpoints_round_trip_per_project(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    let first = endpoint(&*store, &p, &[WebhookEvent::AsyncActionFailed]).await;
    let mut second = endpoint(&*store, &p, &WebhookEvent::ALL).await;
    second.created_at = t(5);
    store.delete_webhook(&p, &second.id).await.expect("delete");
    store.create_webhook(&second).await.expect("create again");
    let theirs = endpoint(&*store, &other, &WebhookEvent::ALL).await;

    assert_eq!(store.list_webhooks(&p).await.expect("list"), vec![first.clone(), second.clone()]);
    assert_eq!(store.get_webhook(&p, &first.id).await.expect("get"), Some(first.clone()));
    assert_eq!(store.get_webhook(&other, &first.id).await.expect("get"), None);
    assert!(!store.delete_webhook(&other, &first.id).await.expect("delete"));
    assert!(store.delete_webhook(&p, &first.id).await.expect("delete"));
    assert!(!store.delete_webhook(&p, &first.id).await.expect("delete twice"));
    assert_eq!(store.list_webhooks(&p).await.expect("list"), vec![second]);
    assert_eq!(store.list_webhooks(&other).await.expect("list"), vec![theirs]);
}

/// Ending an action queues one delivery per endpoint of its project that wants its event, in
/// the ending transaction: a refused (stale) finish or cancel queues nothing; other projects'
/// endpoints get nothing; deleting an endpoint or pruning the action removes its deliveries.
pub async fn finishing_an_action_queues_its_deliveries_atomically(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    let all = endpoint(&*store, &p, &WebhookEvent::ALL).await;
    let failures = endpoint(&*store, &p, &[WebhookEvent::AsyncActionFailed]).await;
    let theirs = endpoint(&*store, &other, &WebhookEvent::ALL).await;
    assert_eq!(store.next_delivery_at().await.expect("next"), None);

    let done = finished(&*store, &p, 100, ActionStatus::Done).await;
    let queued = deliveries(&*store, &p, &all).await;
    assert_eq!(queued.len(), 1);
    let d = &queued[0];
    assert_eq!((&d.action_id, &d.endpoint_id, &d.project_id), (&done, &all.id, &p));
    assert_eq!(
        (d.event, d.status, d.attempts),
        (WebhookEvent::AsyncActionDone, DeliveryStatus::Pending, 0)
    );
    assert_eq!((d.created_at, d.next_attempt_at), (t(101), Some(t(101))));
    assert!(deliveries(&*store, &p, &failures).await.is_empty(), "only wants failures");
    assert!(deliveries(&*store, &other, &theirs).await.is_empty(), "another project");
    assert_eq!(store.next_delivery_at().await.expect("next"), Some(t(101)));

    // A finish whose claim is stale ends nothing and queues nothing.
    let slow = enqueue(&*store, &p, t(200), 1).await;
    let stale = store.claim_next("a", t(200), LEASE).await.expect("claim").expect("claimed");
    let fresh = store.claim_next("b", t(201 + LEASE), LEASE).await.expect("claim").expect("again");
    let failed = failure();
    let refused = store.finish_action(&stale.fence, t(202 + LEASE), &failed, None);
    assert!(matches!(refused.await, Err(StoreError::LeaseLost(_))));
    assert_eq!(deliveries(&*store, &p, &all).await.len(), 1);
    store.finish_action(&fresh.fence, t(203 + LEASE), &failure(), None).await.expect("finish");
    let failed = deliveries(&*store, &p, &failures).await;
    assert_eq!(failed.len(), 1);
    assert_eq!((&failed[0].action_id, failed[0].event), (&slow, WebhookEvent::AsyncActionFailed));
    assert_eq!(deliveries(&*store, &p, &all).await.len(), 2);

    // A cancel of an idle action queues its failure; one that changes nothing queues nothing.
    let cancelled = enqueue(&*store, &p, t(100_000), 3).await;
    assert!(!store.cancel_idle(&p, &cancelled, 7, 0, t(100_001), &failure()).await.expect("idle"));
    assert_eq!(deliveries(&*store, &p, &failures).await.len(), 1);
    let outcome = cancel(&*store, &p, &cancelled, t(100_002)).await.expect("cancel");
    assert!(matches!(outcome, CancelOutcome::Cancelled(_)), "{outcome:?}");
    let failed = deliveries(&*store, &p, &failures).await;
    assert_eq!(failed.len(), 2);
    assert_eq!((&failed[0].action_id, failed[0].created_at), (&cancelled, t(100_002)));
    assert_eq!(deliveries(&*store, &p, &all).await.len(), 3);
    assert!(deliveries(&*store, &other, &theirs).await.is_empty());
    assert!(
        store.list_deliveries(&other, &all.id, 100, 1).await.expect("list").deliveries.is_empty()
    );

    // Pruning an action takes its deliveries along; so does deleting an endpoint.
    assert_eq!(store.prune_finished(t(150), 10).await.expect("prune"), 1);
    let left: Vec<_> =
        deliveries(&*store, &p, &all).await.into_iter().map(|d| d.action_id).collect();
    assert_eq!(left, vec![cancelled.clone(), slow.clone()]);
    assert!(store.delete_webhook(&p, &failures.id).await.expect("delete"));
    assert!(deliveries(&*store, &p, &failures).await.is_empty());
    let claimed = store.claim_deliveries("s", t(200_000), LEASE, 10).await.expect("claim");
    let mut claimed: Vec<_> = claimed.into_iter().map(|c| c.delivery.action_id).collect();
    claimed.sort();
    let mut expected = vec![cancelled, slow];
    expected.sort();
    assert_eq!(claimed, expected, "only the remaining endpoint's deliveries are sent");
}

/// Senders racing for due deliveries never take one twice; a leased delivery is taken again
/// only after its lease, with the next claim number, and the stale holder's record is refused.
pub async fn delivery_claims_are_exclusive_and_leased(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    endpoint(&*store, &p, &WebhookEvent::ALL).await;
    for i in 0..6 {
        finished(&*store, &p, i * 10, ActionStatus::Done).await;
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let mut tasks = Vec::new();
    for sender in 0..4 {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.claim_deliveries(&format!("s{sender}"), t(1_000), LEASE, 2).await
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        let batch = task.await.expect("join").expect("claim");
        assert!(batch.len() <= 2, "the limit holds");
        claimed.extend(batch);
    }
    let mut ids: Vec<_> = claimed.iter().map(|c| c.delivery.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((ids.len(), claimed.len()), (6, 6), "every delivery claimed exactly once");
    for c in &claimed {
        assert_eq!((c.fence.attempt, c.delivery.attempts), (1, 1));
        assert_eq!(c.fence.delivery_id, c.delivery.id);
        assert_eq!((c.target_url.as_str(), c.secret.as_str()), ("http://127.0.0.1:9/2", "s3cret"));
    }

    let expiry = t(1_000 + LEASE);
    assert!(
        store
            .claim_deliveries("x", t(1_000 + LEASE - 1), LEASE, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(store.next_delivery_at().await.expect("next"), Some(expiry));
    let again = store.claim_deliveries("x", expiry, LEASE, 10).await.expect("claim");
    assert_eq!(again.len(), 6, "expired leases are taken again");
    assert!(again.iter().all(|c| c.fence.attempt == 2));
    let stale = &claimed[0];
    let late = attempt(1, t(1_001), Some(200), None);
    let record = store
        .record_delivery_attempt(&stale.fence, &late, DeliveryOutcome::Delivered, expiry)
        .await;
    assert!(matches!(record, Err(StoreError::DeliveryClaimLost(id)) if id == stale.delivery.id));
    let page = store.list_deliveries(&p, &stale.delivery.endpoint_id, 10, 1).await.expect("list");
    assert!(
        page.deliveries
            .iter()
            .all(|(d, attempts)| attempts.is_empty() && d.status == DeliveryStatus::Pending),
        "the stale record wrote nothing"
    );
}

/// A retry is not claimable before its time and is claimable at it; a delivered or failed
/// delivery is never claimed again; every attempt is listed in order with its status code,
/// error and time; pages are newest first.
pub async fn delivery_attempts_schedule_retries_and_end(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let e = endpoint(&*store, &p, &WebhookEvent::ALL).await;
    let first = finished(&*store, &p, 0, ActionStatus::Done).await;
    let second = finished(&*store, &p, 10, ActionStatus::Failed).await;

    let batch = store.claim_deliveries("s", t(100), LEASE, 1).await.expect("claim");
    assert_eq!(batch.len(), 1, "the limit holds");
    let one = &batch[0];
    assert_eq!(one.delivery.action_id, first, "earliest due first");
    store
        .record_delivery_attempt(
            &one.fence,
            &attempt(1, t(100), Some(500), Some("HTTP 500 Internal Server Error")),
            DeliveryOutcome::RetryAt(t(5_000)),
            t(110),
        )
        .await
        .expect("record");
    let batch = store.claim_deliveries("s", t(200), LEASE, 10).await.expect("claim");
    assert_eq!(batch.len(), 1);
    let two = &batch[0];
    assert_eq!(two.delivery.action_id, second);
    store
        .record_delivery_attempt(
            &two.fence,
            &attempt(1, t(200), None, Some("connection refused")),
            DeliveryOutcome::GiveUp,
            t(210),
        )
        .await
        .expect("record");

    assert!(store.claim_deliveries("s", t(4_999), LEASE, 10).await.expect("claim").is_empty());
    assert_eq!(store.next_delivery_at().await.expect("next"), Some(t(5_000)));
    let batch = store.claim_deliveries("s", t(5_000), LEASE, 10).await.expect("claim");
    assert_eq!(batch.len(), 1);
    let retry = &batch[0];
    assert_eq!((&retry.delivery.id, retry.fence.attempt), (&one.delivery.id, 2));
    store
        .record_delivery_attempt(
            &retry.fence,
            &attempt(2, t(5_000), Some(204), None),
            DeliveryOutcome::Delivered,
            t(5_010),
        )
        .await
        .expect("record");
    let repeat = attempt(2, t(5_000), Some(204), None);
    let again = store
        .record_delivery_attempt(&retry.fence, &repeat, DeliveryOutcome::Delivered, t(5_020))
        .await;
    assert!(matches!(again, Err(StoreError::DeliveryClaimLost(_))), "an ended delivery");
    assert!(store.claim_deliveries("s", t(10_000_000), LEASE, 10).await.expect("claim").is_empty());
    assert_eq!(store.next_delivery_at().await.expect("next"), None);

    let page = store.list_deliveries(&p, &e.id, 10, 1).await.expect("list");
    assert_eq!(page.total, 2);
    let [(failed, failed_attempts), (delivered, delivered_attempts)] = &page.deliveries[..] else {
        panic!("two deliveries: {page:?}");
    };
    assert_eq!(
        (&failed.action_id, failed.status, failed.next_attempt_at),
        (&second, DeliveryStatus::Failed, None)
    );
    assert_eq!(failed_attempts, &vec![attempt(1, t(200), None, Some("connection refused"))]);
    assert_eq!(
        (delivered.status, delivered.attempts, delivered.next_attempt_at),
        (DeliveryStatus::Delivered, 2, None)
    );
    assert_eq!(
        delivered_attempts,
        &vec![
            attempt(1, t(100), Some(500), Some("HTTP 500 Internal Server Error")),
            attempt(2, t(5_000), Some(204), None),
        ]
    );
    let second_page = store.list_deliveries(&p, &e.id, 1, 2).await.expect("list");
    assert_eq!(second_page.total, 2);
    assert_eq!(second_page.deliveries.len(), 1);
    assert_eq!(second_page.deliveries[0].0.id, delivered.id);
}
