//! `GET /v1/async-actions` and `GET /v1/async-actions/{id}` against SPEC.md §1–2 and the
//! shapes of Voucherify's documented examples.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use cv_domain::Timestamp;
use cv_engine::{Clock, FailPoints, FailureLocation, ManualClock};
use serde_json::{Value, json};

use crate::support::{TestApp, customers, eventually, is_hex_id};

/// The test's clock as an engine reads it, telling when the engine first did.
struct Watched {
    clock: ManualClock,
    read: Arc<AtomicBool>,
}

impl Clock for Watched {
    fn now(&self) -> Timestamp {
        // The time first, then the flag: whatever the test does to the clock once it sees the
        // flag comes after the time this read returned.
        let now = self.clock.now();
        self.read.store(true, Ordering::SeqCst);
        now
    }
}

/// Submits an orders import of one order per source id, as project A; the action id.
async fn import_orders(app: &TestApp, source_ids: &[&str]) -> String {
    let orders: Vec<Value> = source_ids
        .iter()
        .map(|id| json!({"source_id": id, "status": "PAID", "amount": 100}))
        .collect();
    let res = app.post("/v1/orders/import", &Value::Array(orders)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["async_action_id"].as_str().expect("id").to_owned()
}

/// The fields of Voucherify's `AsyncActionBase` (list items); GET-one adds `result`.
const BASE_FIELDS: &[&str] = &[
    "id",
    "type",
    "status",
    "operation_status",
    "created_at",
    "updated_at",
    "request_id",
    "processing_time",
    "progress",
    "object",
];

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn assert_date_time(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert!(cv_domain::Timestamp::parse(s).is_ok(), "{s}");
    assert_eq!(s.len(), 24, "ISO 8601 with ms and Z: {s}");
    assert!(s.ends_with('Z'));
}

/// Checks an action body's base fields: names, JSON types, enums and id formats.
fn assert_base(a: &Value, kind: &str) {
    assert!(is_hex_id(a["id"].as_str().unwrap_or(""), "aa_", 18), "{a}");
    assert_eq!(a["type"], kind);
    assert!(
        ["ENQUEUED", "IN_PROGRESS", "DONE", "FAILED"].contains(&a["status"].as_str().unwrap_or(""))
    );
    assert!(
        ["SUCCESS", "FAILED", "UNKNOWN"].contains(&a["operation_status"].as_str().unwrap_or(""))
    );
    assert_date_time(&a["created_at"]);
    assert_date_time(&a["updated_at"]);
    assert!(is_hex_id(a["request_id"].as_str().unwrap_or(""), "v-", 18), "{a}");
    assert!(a["processing_time"].is_u64(), "processing_time is an integer: {a}");
    assert!(a["progress"].is_u64() && a["progress"].as_u64() <= Some(100), "{a}");
    assert_eq!(a["object"], "async_action");
    let created =
        cv_domain::Timestamp::parse(a["created_at"].as_str().unwrap_or("")).map(|t| t.as_millis());
    let updated =
        cv_domain::Timestamp::parse(a["updated_at"].as_str().unwrap_or("")).map(|t| t.as_millis());
    assert_eq!(
        Ok(a["processing_time"].as_i64().unwrap_or(-1)),
        updated.and_then(|u| created.map(|c| u - c))
    );
}

backend_tests! {
    async fn bulk_update_lifecycle_matches_voucherify_shapes(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/customers/bulk/async", &customers(3)).await;
        assert_eq!(res.status, 202);
        assert!(res.content_type().starts_with("application/json"));
        let body = res.json();
        assert_eq!(keys(&body), BTreeSet::from(["async_action_id".to_owned()]));
        let id = body["async_action_id"].as_str().expect("id").to_owned();
        assert!(is_hex_id(&id, "aa_", 18), "{id}");
        let request_id = res.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(is_hex_id(&request_id, "v-", 18));

        // Before any worker ran: ENQUEUED, UNKNOWN, 0, no result.
        let queued = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_base(&queued, "CUSTOMERS.BULK_UPDATE");
        assert_eq!(queued["request_id"], request_id.as_str(), "request_id is the creating request's");
        assert_eq!((queued["status"].clone(), queued["operation_status"].clone(), queued["progress"].clone()),
            (json!("ENQUEUED"), json!("UNKNOWN"), json!(0)));
        assert_eq!(keys(&queued), BASE_FIELDS.iter().map(|s| s.to_string()).collect());

        assert_eq!(app.run_pending().await.finished, 1);
        let done = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_base(&done, "CUSTOMERS.BULK_UPDATE");
        assert_eq!((done["status"].clone(), done["operation_status"].clone(), done["progress"].clone()),
            (json!("DONE"), json!("SUCCESS"), json!(100)));
        let mut expected: BTreeSet<String> = BASE_FIELDS.iter().map(|s| s.to_string()).collect();
        expected.insert("result".into());
        assert_eq!(keys(&done), expected);
        let result = &done["result"];
        assert_eq!(keys(result), ["done_count", "errors", "failed_count", "reports", "reports_available_till"].iter().map(|s| s.to_string()).collect());
        assert_eq!(result["done_count"], 3);
        assert_eq!(result["failed_count"], 0);
        assert_eq!(result["errors"], json!([]));
        assert_eq!(result["reports"], json!([app.url(&format!("/v1/async-actions/{id}/report"))]));
        assert_date_time(&result["reports_available_till"]);

        // The list: object/data_ref/has_more, items without result.
        let list = app.get("/v1/async-actions").await.json();
        assert_eq!(keys(&list), ["async_actions", "data_ref", "has_more", "object"].iter().map(|s| s.to_string()).collect());
        assert_eq!((list["object"].clone(), list["data_ref"].clone(), list["has_more"].clone()), (json!("list"), json!("async_actions"), json!(false)));
        let items = list["async_actions"].as_array().expect("array");
        assert_eq!(items.len(), 1);
        assert_base(&items[0], "CUSTOMERS.BULK_UPDATE");
        assert!(items[0].get("result").is_none(), "no result in list items");
        assert_eq!(items[0]["status"], "DONE");
    }

    async fn list_is_newest_first_and_pages_with_end_date(backend) {
        let app = TestApp::spawn(backend).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(app.bulk_update(&customers(i)).await);
        }
        let list = app.get("/v1/async-actions?limit=2").await.json();
        assert_eq!(list["has_more"], true);
        let mut seen: Vec<String> = Vec::new();
        let mut page = list;
        loop {
            let items = page["async_actions"].as_array().cloned().unwrap_or_default();
            assert!(items.len() <= 2 || items.windows(2).all(|w| w[0]["created_at"] == w[1]["created_at"]));
            seen.extend(items.iter().map(|a| a["id"].as_str().unwrap_or("").to_owned()));
            if page["has_more"] == false {
                break;
            }
            let end = items.last().map(|a| a["created_at"].as_str().unwrap_or("").to_owned()).unwrap_or_default();
            // The Python SDK's form: 6 fraction digits and an offset without a colon.
            let end = end.replace('Z', "000+0000").replace('+', "%2B");
            page = app.get(&format!("/v1/async-actions?limit=2&end_date={end}&_=123")).await.json();
        }
        let mut expected = ids.clone();
        expected.reverse();
        let mut sorted_seen = seen.clone();
        sorted_seen.sort();
        let mut sorted_ids = ids.clone();
        sorted_ids.sort();
        assert_eq!(sorted_seen, sorted_ids, "every action exactly once");
        assert_eq!(seen.len(), 5);
        // Newest first: created_at never increases along the list.
        let full = app.get("/v1/async-actions?limit=100").await.json();
        let times: Vec<String> = full["async_actions"].as_array().expect("array").iter()
            .map(|a| a["created_at"].as_str().unwrap_or("").to_owned()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
        // A date-only end_date in the past returns nothing and says so.
        let old = app.get("/v1/async-actions?end_date=2016-11-16").await.json();
        assert_eq!(old["async_actions"], json!([]));
        assert_eq!(old["has_more"], false);
        let _ = expected;
    }

    async fn report_has_one_line_per_item(backend) {
        let app = TestApp::spawn(backend).await;
        app.post("/v1/customers", &json!({"source_id": "c1", "name": "Existing"})).await;
        let id = app.bulk_update(&json!([
            {"source_id": "c0", "name": "New"},
            {"source_id": "c1", "email": "x@example.com"},
            {"source_id": "c2", "birthdate": "1990-02-30"},
        ])).await;
        app.run_pending().await;
        let done = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(done["status"], "DONE", "partial failure is still DONE");
        assert_eq!(done["operation_status"], "SUCCESS");
        assert_eq!(done["result"]["done_count"], 2);
        assert_eq!(done["result"]["failed_count"], 1);
        assert_eq!(done["result"]["errors"], json!([{
            "message": "Invalid payload",
            "details": "Property .birthdate should match format \"date\" (actual value is '1990-02-30')",
            "key": "invalid_payload",
            "source_id": "c2",
        }]));
        let report = app.get(&format!("/v1/async-actions/{id}/report")).await;
        assert_eq!(report.status, 200);
        assert!(report.content_type().starts_with("text/csv"));
        assert_eq!(report.text, "id,found,updated,error\n\
            c0,false,true,\n\
            c1,true,true,\n\
            c2,false,false,\"Invalid payload: Property .birthdate should match format \"\"date\"\" (actual value is '1990-02-30')\"\n");
        // Not finished yet: no report.
        let pending = app.bulk_update(&customers(1)).await;
        let res = app.get(&format!("/v1/async-actions/{pending}/report")).await;
        assert_eq!(res.status, 404);
    }

    // An idle worker sleeps until an enqueue wakes it; its poll fallback is ten minutes away.
    // Nothing it could take exists at its first claim, however late that claim's query runs:
    // the one orders import there is held by a dead worker, and the import submitted later
    // waits behind it (a project runs one orders import at a time). Only a claim made after a
    // wake-up, on a clock past the dead worker's lease, finds work.
    async fn a_new_action_wakes_an_idle_server(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.poll_interval_ms = 600_000;
            c.engine.lease_ms = 600_000;
            c.engine.workers = 1;
            c.engine.chunk_size = 1;
        })
        .await;
        let held = import_orders(&app, &["held-1", "held-2"]).await;
        let dead = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(dead.run_pending().await.expect("run").crashed);
        assert_eq!(app.get(&format!("/v1/async-actions/{held}")).await.json()["status"], "IN_PROGRESS");

        let read = Arc::new(AtomicBool::new(false));
        let clock = Arc::new(Watched { clock: app.clock.clone(), read: read.clone() });
        let engine = app.engine_on_clock(clock, FailPoints::none());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { engine.run(shutdown).await }
        });
        // The engine first reads its clock for the worker's first claim, which thus finds the
        // dead worker's lease still running.
        eventually("the worker's first claim", async || read.load(Ordering::SeqCst).then_some(())).await;
        // The lease runs out, which wakes nobody; the new import's enqueue does.
        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
        let new = import_orders(&app, &["new-1"]).await;
        for id in [&held, &new] {
            eventually(&format!("{id} DONE"), async || {
                (app.get(&format!("/v1/async-actions/{id}")).await.json()["status"] == "DONE").then_some(())
            })
            .await;
        }
        assert_eq!(app.get("/v1/orders").await.json()["total"], 3);
        shutdown.cancel();
        running.await.expect("engine stops on shutdown");
    }
}

backend_tests! {
    // Pages of the list and single actions may be answered from memory (SQLite), but never
    // older than the last write: each step below changes what the same request must answer.
    async fn a_repeated_list_request_sees_every_write(backend) {
        let app = TestApp::spawn(backend).await;
        let page = |res: crate::support::Resp| res.json()["async_actions"].clone();
        let first = app.bulk_update(&customers(1)).await;
        let before = page(app.get("/v1/async-actions?limit=5").await);
        assert_eq!(before, page(app.get("/v1/async-actions?limit=5").await), "nothing changed");
        assert_eq!(before[0]["status"], "ENQUEUED");

        let second = app.bulk_update(&customers(2)).await;
        let listed = page(app.get("/v1/async-actions?limit=5").await);
        let ids: Vec<&str> = listed.as_array().expect("list").iter().map(|a| a["id"].as_str().expect("id")).collect();
        assert_eq!(ids, [second.as_str(), first.as_str()], "the new action is listed at once");

        let path = format!("/v1/async-actions/{second}");
        assert_eq!(app.get(&path).await.json()["status"], "ENQUEUED");
        assert_eq!(app.get(&path).await.json()["status"], "ENQUEUED");
        app.run_pending().await;
        let one = app.get(&path).await.json();
        assert_eq!((one["status"].clone(), one["result"]["done_count"].clone()), (json!("DONE"), json!(2)), "{one}");
        let done = page(app.get("/v1/async-actions?limit=5").await);
        assert!(done.as_array().expect("list").iter().all(|a| a["status"] == "DONE"), "{done}");
        // Another query of the same project is a page of its own.
        let one = page(app.get("/v1/async-actions?limit=1").await);
        assert_eq!(one.as_array().expect("list").len(), 1);
        assert_eq!(one[0]["id"], second.as_str());
    }
}
