//! Small actions never wait behind a long one: with several workers, a one-customer bulk
//! update submitted while a voucher generation runs finishes while the generation is still
//! going.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{TestApp, customers};

async fn wait_for(app: &TestApp, path: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = app.get(path).await.json();
        if ready(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {v}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

backend_tests! {
    async fn a_small_action_finishes_while_a_generation_runs(backend) {
        const CODES: u64 = 30_000;
        let app = TestApp::spawn_with(backend, |c| c.engine.workers = 4).await.expect("app");
        let engine = app.engine(cv_engine::FailPoints::none());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { engine.run(shutdown).await }
        });
        let campaign = app.post("/v1/campaigns", &json!({
            "name": "Big generation",
            "campaign_type": "DISCOUNT_COUPONS",
            "type": "STATIC",
            "vouchers_count": CODES,
            "voucher": {"type": "DISCOUNT_VOUCHER", "discount": {"type": "PERCENT", "percent_off": 5}, "code_config": {"length": 12}}
        })).await;
        assert_eq!(campaign.status, 200, "{}", campaign.text);
        // The generation is under way once its first chunk has committed.
        let list = wait_for(&app, "/v1/async-actions?limit=1", "the generation to start", |l| {
            l["async_actions"][0]["progress"].as_u64().is_some_and(|p| p > 0)
        }).await;
        let generation = list["async_actions"][0]["id"].as_str().expect("id").to_owned();
        assert_eq!(list["async_actions"][0]["type"], "CAMPAIGN.VOUCHERS_GENERATE");

        let small = app.bulk_update(&customers(1)).await;
        let done = wait_for(&app, &format!("/v1/async-actions/{small}"), "the small action", |a| a["status"] == "DONE").await;
        let long = app.get(&format!("/v1/async-actions/{generation}")).await.json();
        assert_eq!(long["status"], "IN_PROGRESS", "the small action finished first: {long}");
        assert!(done["processing_time"].as_u64().is_some_and(|ms| ms < 1_000), "{done}");

        let finished = wait_for(&app, &format!("/v1/async-actions/{generation}"), "the generation", |a| a["status"] == "DONE").await;
        assert_eq!(finished["result"]["done_count"], CODES);
        shutdown.cancel();
        running.await.expect("engine stops");
    }
}
