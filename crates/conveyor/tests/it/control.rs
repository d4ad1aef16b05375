//! Control of actions from outside their run: cancellation (queued, held by a worker, and
//! running live), retries of transient database errors with backoff, a panic in action code,
//! and retention.

use cv_domain::ActionId;
use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use crate::support::{B, TestApp, customers, eventually};

const DAY_MS: i64 = 86_400_000;

async fn customer_total(app: &TestApp) -> u64 {
    app.get("/v1/customers?limit=1").await.json()["total"].as_u64().expect("total")
}

async fn action(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/async-actions/{id}")).await.json()
}

fn cancelled(done: u64, failed: u64) -> Value {
    json!({
        "message": "Cancelled.",
        "error": {"key": "cancelled", "message": "Cancelled."},
        "done_count": done,
        "failed_count": failed,
    })
}

backend_tests! {
    async fn cancelling_a_queued_action_ends_it_at_once(backend) {
        let app = TestApp::spawn(backend).await;
        let id = app.bulk_update(&customers(10)).await;
        let res = app.post(&format!("/v1/async-actions/{id}/cancel"), &json!({})).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let body = res.json();
        assert_eq!(body["id"], json!(id));
        assert_eq!(body["status"], "FAILED");
        assert_eq!(body["operation_status"], "FAILED");
        assert_eq!(body["result"], cancelled(0, 0));

        let drained = app.run_pending().await;
        assert_eq!(drained.finished, 0, "a cancelled action is never claimed");
        assert_eq!(customer_total(&app).await, 0);
        assert_eq!(action(&app, &id).await["result"], cancelled(0, 0));
    }

    async fn cancelling_a_held_action_stops_it_at_the_next_chunk_boundary(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 100).await;
        let lease = app.config.engine.lease_ms as i64;
        let id = app.bulk_update(&customers(500)).await;
        // A worker commits two chunks, then dies holding the lease.
        let first = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 1));
        assert!(first.run_pending().await.expect("run").crashed);

        let res = app.post(&format!("/v1/async-actions/{id}/cancel"), &json!({})).await;
        assert_eq!(res.status, 202, "{}", res.text);
        assert_eq!(res.json()["status"], "IN_PROGRESS", "ends at the holder's next boundary");

        app.clock.advance(lease + 1);
        assert_eq!(app.run_pending().await.finished, 1);
        let a = action(&app, &id).await;
        assert_eq!(a["status"], "FAILED");
        assert_eq!(a["result"], cancelled(200, 0), "committed chunks stay and are counted");
        assert_eq!(a["progress"], 40);
        assert_eq!(customer_total(&app).await, 200);
    }

    async fn cancelling_a_running_action_keeps_what_it_committed(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.chunk_size = 50;
            c.engine.workers = 1;
        })
        .await;
        let id = app.bulk_update(&customers(20_000)).await;
        let engine = app.engine(FailPoints::none());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { engine.run(shutdown).await }
        });
        eventually("the action started", async || {
            (action(&app, &id).await["progress"].as_u64() != Some(0)).then_some(())
        })
        .await;
        let res = app.post(&format!("/v1/async-actions/{id}/cancel"), &json!({})).await;
        assert!(matches!(res.status, 200 | 202), "{}", res.text);
        let a = eventually("the action cancelled", async || {
            let a = action(&app, &id).await;
            (a["status"] == "FAILED").then_some(a)
        })
        .await;
        shutdown.cancel();
        running.await.expect("engine");
        let done = a["result"]["done_count"].as_u64().expect("done_count");
        assert!(done > 0 && done < 20_000, "stopped mid-way, at {done}");
        assert_eq!(done % 50, 0, "only whole chunks are applied");
        assert_eq!(a["result"], cancelled(done, 0));
        assert_eq!(customer_total(&app).await, done);
    }

    async fn cancelling_a_finished_action_is_refused(backend) {
        let app = TestApp::spawn(backend).await;
        let id = app.bulk_update(&customers(3)).await;
        app.run_pending().await;
        let before = app.snapshot().await;
        let res = app.post(&format!("/v1/async-actions/{id}/cancel"), &json!({})).await;
        assert_eq!(res.status, 400);
        let body = res.json();
        assert_eq!(body["code"], 400);
        assert_eq!(body["key"], "async_action_finished");
        assert_eq!(body["message"], "Async action already finished");
        assert_eq!(
            body["details"],
            json!(format!("Async action {id} already finished with status DONE."))
        );
        assert!(body["request_id"].as_str().is_some_and(|r| r.starts_with("v-")));
        assert_eq!(app.snapshot().await, before, "a refused cancel changes nothing");

        for path in [
            "/v1/async-actions/aa_000000000000000000/cancel".to_owned(),
            "/v1/async-actions/nonsense/cancel".to_owned(),
        ] {
            let res = app.post(&path, &json!({})).await;
            assert_eq!(res.status, 404, "{path}");
            assert_eq!(res.json()["resource_type"], "async_action");
        }
        // Another project's credentials cannot see, let alone cancel, the action.
        let queued = app.bulk_update(&customers(2)).await;
        let path = format!("/v1/async-actions/{queued}/cancel");
        let res = app.send(reqwest::Method::POST, &path, Some(B), Some(b"{}".to_vec())).await;
        assert_eq!(res.status, 404);
        assert_eq!(action(&app, &queued).await["status"], "ENQUEUED");
    }

    async fn transient_errors_are_retried_in_place_with_backoff(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.chunk_size = 100;
            c.engine.retry_base_ms = 1;
            c.engine.retry_max_ms = 4;
        })
        .await;
        let id = app.bulk_update(&customers(300)).await;
        let failing = FailPoints::none()
            .arm(FailureLocation::TransientCommitError, 1)
            .arm(FailureLocation::TransientCommitError, 2)
            .arm(FailureLocation::TransientCommitError, 3);
        let drained = app.engine(failing).run_pending().await.expect("run");
        assert_eq!((drained.finished, drained.retries), (1, 3));
        let a = action(&app, &id).await;
        assert_eq!(a["status"], "DONE");
        assert_eq!(a["result"]["done_count"], 300);
        assert_eq!(customer_total(&app).await, 300);
        let claims = app.store.get_action(&app.project_a, &ActionId::from_string(&id)).await.expect("get");
        assert_eq!(claims.expect("action").attempt, 1, "retried within the same claim");
    }

    async fn retries_give_up_after_the_limit_and_the_next_claim_resumes(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.chunk_size = 100;
            c.engine.retry_base_ms = 1;
            c.engine.max_retries = 2;
        })
        .await;
        let id = app.bulk_update(&customers(300)).await;
        let mut failing = FailPoints::none();
        for n in 0..3 {
            failing = failing.arm(FailureLocation::TransientCommitError, 1 + n);
        }
        let drained = app.engine(failing).run_pending().await.expect("run");
        assert_eq!((drained.finished, drained.retries), (1, 2));
        let record = app.store.get_action(&app.project_a, &ActionId::from_string(&id)).await.expect("get").expect("action");
        assert_eq!(record.attempt, 2, "given back once, then claimed again");
        assert_eq!((record.done_count, record.failed_count), (300, 0));
        assert_eq!(customer_total(&app).await, 300);
    }

    async fn a_panic_fails_its_action_and_the_worker_goes_on(backend) {
        let app = TestApp::spawn(backend).await;
        let doomed = app.bulk_update(&customers(5)).await;
        let fine = app.bulk_update(&json!([{"source_id": "after-panic"}])).await;
        let engine = app.engine(FailPoints::none().arm(FailureLocation::PanicInChunk, 0));
        let drained = engine.run_pending().await.expect("run");
        assert_eq!(drained.finished, 2);
        let a = action(&app, &doomed).await;
        assert_eq!(a["status"], "FAILED");
        assert_eq!(a["result"]["message"], "Internal error");
        assert_eq!(action(&app, &fine).await["status"], "DONE");
        assert_eq!(customer_total(&app).await, 1);
    }

    async fn retention_prunes_old_finished_actions_only(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.retention.keep_finished_days = Some(30);
        })
        .await;
        let old = app.bulk_update(&customers(3)).await;
        app.run_pending().await;
        app.clock.advance(31 * DAY_MS);
        let recent = app.bulk_update(&customers(2)).await;
        app.run_pending().await;
        let queued = app.bulk_update(&customers(1)).await;

        let engine = app.engine(FailPoints::none());
        let other_node = app.engine(FailPoints::none());
        let report = engine.run_maintenance().await.expect("maintenance");
        assert!(report.ran);
        assert_eq!(report.pruned_actions, 1);
        assert!(!other_node.run_maintenance().await.expect("maintenance").ran, "one node at a time");

        assert_eq!(app.get(&format!("/v1/async-actions/{old}")).await.status, 404);
        assert_eq!(action(&app, &recent).await["status"], "DONE");
        assert_eq!(action(&app, &queued).await["status"], "ENQUEUED");
        assert!(app.store.load_payload(&ActionId::from_string(&old)).await.is_err());
        assert!(app.store.load_payload(&ActionId::from_string(&recent)).await.is_ok());
        assert_eq!(customer_total(&app).await, 3, "the data the actions wrote stays");
        let report = engine.run_maintenance().await.expect("maintenance");
        assert_eq!(report.pruned_actions, 0, "nothing more is old enough");
    }

    async fn retention_can_drop_the_payloads_of_finished_actions(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.retention.drop_finished_payloads = true)
            .await;
        let done = app.bulk_update(&customers(3)).await;
        app.run_pending().await;
        let queued = app.bulk_update(&customers(2)).await;
        let report = app.engine(FailPoints::none()).run_maintenance().await.expect("maintenance");
        assert_eq!((report.ran, report.pruned_actions, report.dropped_payload_rows), (true, 0, 1));
        assert!(app.store.load_payload(&ActionId::from_string(&done)).await.is_err());
        assert!(app.store.load_payload(&ActionId::from_string(&queued)).await.is_ok());
        let a = action(&app, &done).await;
        assert_eq!(a["result"]["done_count"], 3, "the result stays");
        let report = app.get(&format!("/v1/async-actions/{done}/report")).await;
        assert_eq!(report.status, 200, "the report stays");
        assert_eq!(report.text.lines().count(), 4);
        app.run_pending().await;
        assert_eq!(action(&app, &queued).await["status"], "DONE");
    }
}
