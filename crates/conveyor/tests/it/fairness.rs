//! Small actions never wait behind a long one: with several workers, a one-customer bulk
//! update submitted while a voucher generation runs finishes while the generation is still
//! going; with a single worker, busy with a long import, the long action gives its worker up
//! after a slice, so a small action of the same project or another one is DONE while the
//! import is still under way — and the import, resumed from where it stopped, still imports
//! every row once. The tests check the order of these events, never how long anything took.

use serde_json::{Value, json};

use crate::support::{TestApp, customers, eventually};

async fn wait_for(app: &TestApp, path: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    eventually(what, async || {
        let v = app.get(path).await.json();
        ready(&v).then_some(v)
    })
    .await
}

backend_tests! {
    async fn a_small_action_finishes_while_a_generation_runs(backend) {
        const CODES: u64 = 30_000;
        let app = TestApp::spawn_with(backend, |c| c.engine.workers = 4).await;
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
        wait_for(&app, &format!("/v1/async-actions/{small}"), "the small action", |a| a["status"] == "DONE").await;
        let long = app.get(&format!("/v1/async-actions/{generation}")).await.json();
        assert_eq!(long["status"], "IN_PROGRESS", "the small action finished first: {long}");

        let finished = wait_for(&app, &format!("/v1/async-actions/{generation}"), "the generation", |a| a["status"] == "DONE").await;
        assert_eq!(finished["result"]["done_count"], CODES);
        shutdown.cancel();
        running.await.expect("engine stops");
    }

    async fn with_one_worker_a_small_action_waits_at_most_a_slice(backend) {
        const ROWS: usize = 60_000;
        const SLICE_MS: u64 = 100;
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.workers = 1;
            c.engine.slice_ms = SLICE_MS;
            c.engine.chunk_size = 1_000;
            c.api.csv_limit_bytes = 50 * 1024 * 1024;
        })
        .await;
        let mut csv = String::from("source_id,name,email\n");
        for i in 0..ROWS {
            csv.push_str(&format!("big-{i},Customer {i},c{i}@example.com\n"));
        }
        let import = app.import_customers(&csv).await;
        let engine = app.engine(cv_engine::FailPoints::none());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { engine.run(shutdown).await }
        });
        let path = format!("/v1/async-actions/{import}");
        wait_for(&app, &path, "the import to start", |a| a["progress"].as_u64().is_some_and(|p| p > 0)).await;

        let import_id = cv_domain::ActionId::from_string(import.as_str());
        for creds in [crate::support::A, crate::support::B] {
            let body = serde_json::to_vec(&customers(10)).expect("json");
            let res = app.send(reqwest::Method::POST, "/v1/customers/bulk/async", Some(creds), Some(body)).await;
            assert_eq!(res.status, 202, "{}", res.text);
            let small = res.json()["async_action_id"].as_str().expect("id").to_owned();
            let small_path = format!("/v1/async-actions/{small}");
            eventually(&format!("the small action of {} DONE", creds.0), async || {
                (app.get_as(creds, &small_path).await.json()["status"] == "DONE").then_some(())
            })
            .await;
            // The one worker ran the small action, so the import gave it up before its end:
            // it is still under way, with rows left to import.
            let long = app.store.get_action(&app.project_a, &import_id).await.expect("get").expect("exists");
            assert_eq!(long.status, cv_domain::ActionStatus::InProgress, "the import must still be running");
            assert!(long.cursor < ROWS as u64, "the import stopped at {} of {ROWS} rows", long.cursor);
        }

        let finished = wait_for(&app, &path, "the import", |a| a["status"] == "DONE").await;
        assert_eq!(finished["result"]["done_count"], ROWS);
        assert_eq!(finished["result"]["failed_count"], 0, "no row was read twice");
        shutdown.cancel();
        running.await.expect("engine stops");
    }
}
