//! The engine stopped dead at named failure points — between chunks, inside a chunk's
//! transaction, before finishing — then restarted: the action resumes from its checkpoint and
//! every item is applied exactly once.

use cv_engine::{FailPoints, FailureLocation};
use serde_json::Value;

use crate::support::{TestApp, customers, eventually};

const ITEMS: usize = 2_500;
const CHUNK: usize = 500;

struct Observer {
    id: String,
    last_progress: u64,
}

impl Observer {
    /// Reads the action and checks that progress never went down.
    async fn read(&mut self, app: &TestApp) -> Value {
        let a = app.get(&format!("/v1/async-actions/{}", self.id)).await.json();
        let progress = a["progress"].as_u64().expect("progress");
        assert!(
            progress >= self.last_progress,
            "progress went from {} to {progress}",
            self.last_progress
        );
        self.last_progress = progress;
        a
    }
}

async fn customer_total(app: &TestApp) -> u64 {
    app.get("/v1/customers?limit=1").await.json()["total"].as_u64().expect("total")
}

backend_tests! {
    async fn bulk_update_resumes_from_checkpoint_after_crashes(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = CHUNK).await;
        let lease = app.config.engine.lease_ms as i64;
        let mut obs = Observer { id: app.bulk_update(&customers(ITEMS)).await, last_progress: 0 };

        // Crash between chunks: after the second chunk committed.
        let first = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 1));
        assert!(first.run_pending().await.expect("run").crashed);
        let a = obs.read(&app).await;
        assert_eq!((a["status"].as_str(), a["progress"].as_u64()), (Some("IN_PROGRESS"), Some(40)));
        assert_eq!(customer_total(&app).await, 1_000);

        // A restarted engine cannot take the action while the dead worker's lease lasts.
        let second = app.engine(FailPoints::none().arm(FailureLocation::InsideChunkBeforeCommit, 0));
        let drained = second.run_pending().await.expect("run");
        assert_eq!((drained.finished, drained.crashed), (0, false));

        // Once it expires, the action is re-claimed from its checkpoint; this time the process
        // dies inside the third chunk's transaction, after its writes.
        app.clock.advance(lease + 1);
        assert!(second.run_pending().await.expect("run").crashed);
        let a = obs.read(&app).await;
        assert_eq!(a["progress"].as_u64(), Some(40), "the rolled-back chunk left no trace");
        assert_eq!(customer_total(&app).await, 1_000);

        // Third start: crash after the last chunk, before the action is marked DONE.
        app.clock.advance(lease + 1);
        let third = app.engine(FailPoints::none().arm(FailureLocation::BeforeFinish, 0));
        assert!(third.run_pending().await.expect("run").crashed);
        let a = obs.read(&app).await;
        assert_eq!((a["status"].as_str(), a["progress"].as_u64()), (Some("IN_PROGRESS"), Some(99)));
        assert_eq!(customer_total(&app).await, ITEMS as u64);

        // Fourth start finishes without redoing any chunk.
        app.clock.advance(lease + 1);
        let drained = app.run_pending().await;
        assert_eq!((drained.finished, drained.crashed), (1, false));
        let a = obs.read(&app).await;
        assert_eq!((a["status"].as_str(), a["progress"].as_u64()), (Some("DONE"), Some(100)));
        assert_eq!(a["result"]["done_count"].as_u64(), Some(ITEMS as u64));
        assert_eq!(a["result"]["failed_count"].as_u64(), Some(0));
        let record = app.store.get_action(&app.project_a, &cv_domain::ActionId::from_string(&obs.id)).await.expect("get").expect("exists");
        assert_eq!(record.attempt, 4);

        // Exactly once: every customer exists, was written by a single upsert (a second write
        // would have set updated_at), and the report has one line per item, none "found".
        assert_eq!(customer_total(&app).await, ITEMS as u64);
        for page in 1..=(ITEMS / 100) {
            let list = app.get(&format!("/v1/customers?limit=100&page={page}")).await.json();
            for c in list["customers"].as_array().expect("customers") {
                assert!(c["updated_at"].is_null(), "written twice: {c}");
            }
        }
        let csv = app.get(&format!("/v1/async-actions/{}/report", obs.id)).await.text;
        let lines: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(lines.len(), ITEMS);
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(*line, format!("c{i},false,true,"));
        }
    }
}

backend_tests! {
    async fn graceful_shutdown_stops_at_a_chunk_boundary_and_releases_the_lease(backend) {
        const TOTAL: u64 = 20_000;
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.chunk_size = 100;
            c.engine.workers = 1;
        })
        .await;
        let id = cv_domain::ActionId::from_string(app.bulk_update(&customers(TOTAL as usize)).await);
        let engine = app.engine(FailPoints::none());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { engine.run(shutdown).await }
        });
        // Stop as soon as the first chunk is committed.
        eventually("the first chunk committed", async || {
            let a = app.store.get_action(&app.project_a, &id).await.expect("get").expect("exists");
            (a.cursor > 0).then_some(())
        })
        .await;
        shutdown.cancel();
        running.await.expect("engine returns after shutdown");
        let a = app.store.get_action(&app.project_a, &id).await.expect("get").expect("exists");
        assert_eq!(a.status, cv_domain::ActionStatus::InProgress);
        assert!(a.cursor > 0 && a.cursor < TOTAL && a.cursor % 100 == 0, "stopped between chunks: {}", a.cursor);
        assert_eq!(a.done_count, a.cursor, "counters match the checkpoint");
        // The lease was released: a restarted engine continues at once, without waiting for expiry.
        let drained = app.run_pending().await;
        assert_eq!(drained.finished, 1);
        let a = app.store.get_action(&app.project_a, &id).await.expect("get").expect("exists");
        assert_eq!((a.status, a.done_count, a.attempt), (cv_domain::ActionStatus::Done, TOTAL, 2));
    }
}
