//! `POST /v1/metadata-schemas/{resource}/purge` and the `*.METADATA_KEY_PURGE` actions end to
//! end: the key goes from every object of the resource and nothing else changes, a key nobody
//! has, the refused requests, and a 100,000-customer purge followed chunk by chunk through
//! restarts and a crash inside a chunk.

use cv_domain::{
    CustomerPatch, Timestamp, VoucherRecord,
    metadata_schema::MetadataResource,
    voucher::{Gift, VoucherType},
};
use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use crate::support::{A, B, Resp, TestApp, is_hex_id};

/// Metadata with the key to purge (odd on purpose), a lookalike nested key, and one value of
/// each JSON type that must survive as it was.
fn metadata(n: i64) -> Value {
    json!({
        "old key \"v1\".$": n,
        "old key \"v1\"": "a prefix is another key",
        "old": {"key": n},
        "flag": n % 2 == 0,
        "none": null,
        "ratio": 0.5,
        "tags": ["x", 1, false],
    })
}

const KEY: &str = "old key \"v1\".$";

/// `metadata(n)` without the purged key.
fn kept(n: i64) -> Value {
    let mut m = metadata(n);
    if let Some(map) = m.as_object_mut() {
        map.remove(KEY);
    }
    m
}

async fn post_as(app: &TestApp, creds: (&str, &str), path: &str, body: &Value) -> Resp {
    app.send(reqwest::Method::POST, path, Some(creds), Some(body.to_string().into_bytes())).await
}

/// Creates a `resource` object named `name` with `meta` in the project of `creds`; the id
/// or code its GET takes.
async fn seed(
    app: &TestApp,
    creds: (&str, &str),
    resource: &str,
    name: &str,
    meta: Value,
) -> String {
    let res = match resource {
        "customer" => {
            post_as(app, creds, "/v1/customers", &json!({"source_id": name, "metadata": meta}))
                .await
        }
        "product" => {
            let body = json!({"source_id": name, "name": name, "metadata": meta});
            post_as(app, creds, "/v1/products", &body).await
        }
        "campaign" => {
            let body = json!({
                "name": name,
                "campaign_type": "DISCOUNT_COUPONS",
                "voucher": {"type": "DISCOUNT_VOUCHER", "discount": {"type": "PERCENT", "percent_off": 10}},
                "metadata": meta,
            });
            post_as(app, creds, "/v1/campaigns", &body).await
        }
        "voucher" => {
            let project = if creds == A { &app.project_a } else { &app.project_b };
            let mut record = VoucherRecord::new(name.to_owned(), VoucherType::GiftVoucher);
            record.gift = Some(Gift { amount: 500, balance: 500 });
            record.metadata = meta.as_object().cloned().unwrap_or_default();
            let written = app.store.import_vouchers(project, vec![record], false, Timestamp::now());
            assert_eq!(written.await.expect("voucher").len(), 1);
            return name.to_owned();
        }
        other => panic!("no seeding for {other}"),
    };
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["id"].as_str().expect("id").to_owned()
}

/// The object as its GET shows it.
async fn read(app: &TestApp, creds: (&str, &str), resource: &str, id: &str) -> Value {
    let res = app.get_as(creds, &format!("/v1/{resource}s/{id}")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()
}

/// Posts a purge; the action id.
async fn purge(app: &TestApp, resource: &str, key: &str) -> String {
    let res =
        app.post(&format!("/v1/metadata-schemas/{resource}/purge"), &json!({"key": key})).await;
    assert_eq!(res.status, 202, "{}", res.text);
    let body = res.json();
    let id = body["async_action_id"].as_str().expect("id").to_owned();
    assert!(is_hex_id(&id, "aa_", 18), "{body}");
    assert_eq!(body, json!({"async_action_id": id}));
    id
}

/// How many of project A's customers still have `legacy`.
async fn legacy_left(app: &TestApp) -> u64 {
    let store = &app.store;
    let count =
        store.count_metadata_key_holders(&app.project_a, MetadataResource::Customer, "legacy");
    count.await.expect("count")
}

async fn action(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/async-actions/{id}")).await.json()
}

backend_tests! {
    async fn purge_removes_the_key_from_every_object_of_each_resource(backend) {
        let app = TestApp::spawn(backend).await;
        // Singular and plural path names both work.
        for (resource, path, noun) in [
            ("customer", "customers", "customers"),
            ("product", "product", "products"),
            ("voucher", "vouchers", "vouchers"),
            ("campaign", "campaign", "campaigns"),
        ] {
            let one = seed(&app, A, resource, &format!("{resource}-1"), metadata(1)).await;
            let two = seed(&app, A, resource, &format!("{resource}-2"), metadata(2)).await;
            let plain = seed(&app, A, resource, &format!("{resource}-3"), json!({"old key \"v1\"": 3})).await;
            let other = seed(&app, B, resource, &format!("{resource}-b"), metadata(4)).await;
            let plain_before = read(&app, A, resource, &plain).await;

            let id = purge(&app, path, KEY).await;
            let queued = action(&app, &id).await;
            assert_eq!((queued["type"].clone(), queued["status"].clone()), (json!(resource.parse::<MetadataResource>().expect("resource").purge_kind().as_str()), json!("ENQUEUED")));
            assert_eq!(app.run_pending().await.finished, 1);
            let done = action(&app, &id).await;
            assert_eq!(
                (done["status"].clone(), done["operation_status"].clone(), done["progress"].clone()),
                (json!("DONE"), json!("SUCCESS"), json!(100)),
                "{done}"
            );
            assert_eq!(done["result"], json!({"message": format!("Updated 2 {noun}."), "done_count": 2}));
            assert_eq!(done["type"], format!("{}.METADATA_KEY_PURGE", noun.to_uppercase()));

            for (id, n) in [(&one, 1), (&two, 2)] {
                let object = read(&app, A, resource, id).await;
                assert_eq!(object["metadata"], kept(n), "{resource}: only the key went, types kept");
                assert!(object["updated_at"].is_string(), "{resource}: purged objects changed: {object}");
            }
            assert_eq!(read(&app, A, resource, &plain).await, plain_before, "{resource} without the key");
            let untouched = read(&app, B, resource, &other).await;
            assert_eq!(untouched["metadata"], metadata(4), "{resource} of another project");
            assert!(untouched["updated_at"].is_null());

            // Nothing is left to purge: a second run updates nothing.
            let again = purge(&app, resource, KEY).await;
            app.run_pending().await;
            assert_eq!(action(&app, &again).await["result"], json!({"message": format!("Updated 0 {noun}."), "done_count": 0}));
        }
    }

    async fn a_key_nobody_has_finishes_with_nothing_updated(backend) {
        let app = TestApp::spawn(backend).await;
        seed(&app, A, "customer", "c1", json!({"tier": "gold"})).await;
        seed(&app, B, "customer", "c1", json!({"nobody": 1})).await;
        let customers = || async {
            (app.get_as(A, "/v1/customers").await.text, app.get_as(B, "/v1/customers").await.text)
        };
        let before = customers().await;
        for (path, noun) in [("customers", "customers"), ("campaigns", "campaigns")] {
            let id = purge(&app, path, "nobody").await;
            assert_eq!(app.run_pending().await.finished, 1);
            let done = action(&app, &id).await;
            assert_eq!((done["status"].clone(), done["progress"].clone()), (json!("DONE"), json!(100)));
            assert_eq!(done["result"], json!({"message": format!("Updated 0 {noun}."), "done_count": 0}));
        }
        assert_eq!(customers().await, before, "no customer changed");
        assert_eq!(read(&app, B, "customer", "c1").await["metadata"], json!({"nobody": 1}));
    }

    async fn malformed_purge_requests_are_refused_and_change_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        seed(&app, A, "customer", "c1", json!({"k": 1})).await;
        let before = app.snapshot().await;
        let cases: Vec<(&[u8], &str)> = vec![
            (b"", "Property .key is required"),
            (b"{}", "Property .key is required"),
            (br#"{"key": null}"#, "Property .key is required"),
            (br#"{"keys": "k"}"#, "Property .key is required"),
            (br#"{"key": ""}"#, "Property .key must not be empty"),
            (br#"{"key": 1}"#, "Property .key should be string"),
            (br#"{"key": {"k": 1}}"#, "Property .key should be string"),
            (br#"["k"]"#, "Payload should be object"),
            (br#""k""#, "Payload should be object"),
            (br#"{"key": "k""#, "Payload is not valid JSON: EOF while parsing an object at line 1 column 11"),
            (b"key=k", "Payload is not valid JSON: expected value at line 1 column 1"),
        ];
        for (body, details) in cases {
            let res = app.post_raw("/v1/metadata-schemas/customer/purge", body).await;
            let request_id = res.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            assert!(is_hex_id(&request_id, "v-", 18));
            assert_eq!((res.status, res.json()), (400, json!({
                "code": 400,
                "key": "invalid_payload",
                "message": "Invalid payload",
                "details": details,
                "request_id": request_id,
            })), "{}", String::from_utf8_lossy(body));
        }
        // An unknown resource answers like the other metadata-schema routes.
        for name in ["planets", "Customer", "sku"] {
            let res = app.post(&format!("/v1/metadata-schemas/{name}/purge"), &json!({"key": "k"})).await;
            let request_id = res.json()["request_id"].clone();
            assert_eq!((res.status, res.json()), (404, json!({
                "code": 404,
                "key": "not_found",
                "message": "Resource not found",
                "details": format!("Cannot find metadata_schema with id {name}"),
                "request_id": request_id,
                "resource_id": name,
                "resource_type": "metadata_schema",
            })));
            assert_eq!(app.get(&format!("/v1/metadata-schemas/{name}")).await.status, 404);
        }
        let res = app.get("/v1/metadata-schemas/customer/purge").await;
        assert_eq!((res.status, res.json()["details"].clone()), (405, json!("GET is not supported by this endpoint. Did you mean POST?")));
        let res = app.send(reqwest::Method::POST, "/v1/metadata-schemas/customer/purge", None, Some(br#"{"key":"k"}"#.to_vec())).await;
        assert_eq!(res.status, 401);
        assert_eq!(app.snapshot().await, before, "refused requests changed nothing");
        assert_eq!(read(&app, A, "customer", "c1").await["metadata"], json!({"k": 1}));
    }

    async fn an_order_purge_removes_the_key_from_every_order(backend) {
        let app = TestApp::spawn(backend).await;
        let orders: Vec<Value> = (0..4)
            .map(|n| json!({"source_id": format!("ord-{n}"), "amount": 1000, "metadata": metadata(n)}))
            .collect();
        let res = app.post("/v1/orders/import", &Value::Array(orders)).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let other = json!([{"source_id": "ord-b", "amount": 1, "metadata": metadata(9)}]);
        let res = post_as(&app, B, "/v1/orders/import", &other).await;
        assert_eq!(res.status, 200, "{}", res.text);
        app.run_pending().await;
        let before = app.get("/v1/orders/ord-0").await.json();

        for (path, want) in [("order", 4), ("orders", 0)] {
            let id = purge(&app, path, KEY).await;
            assert_eq!(action(&app, &id).await["type"], "ORDERS.METADATA_KEY_PURGE");
            assert_eq!(app.run_pending().await.finished, 1);
            let done = action(&app, &id).await;
            assert_eq!(done["status"], "DONE", "{done}");
            assert_eq!(
                done["result"],
                json!({"message": format!("Updated {want} orders."), "done_count": want})
            );
        }
        for n in 0..4 {
            let order = read(&app, A, "order", &format!("ord-{n}")).await;
            assert_eq!(order["metadata"], kept(n), "only the key went");
        }
        let after = app.get("/v1/orders/ord-0").await.json();
        assert_eq!(after["amount"], before["amount"], "nothing else changed");
        assert_eq!(after["created_at"], before["created_at"]);
        assert_ne!(after["updated_at"], Value::Null, "a purged order was updated");
        assert_eq!(read(&app, B, "order", "ord-b").await["metadata"], metadata(9), "other projects keep it");
    }

    async fn a_voucher_purge_resumes_after_a_crash_inside_a_chunk(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 2).await;
        for n in 0..5 {
            seed(&app, A, "voucher", &format!("V{n}"), metadata(n)).await;
        }
        let id = purge(&app, "vouchers", KEY).await;
        let crashing = app.engine(FailPoints::none().arm(FailureLocation::InsideChunkBeforeCommit, 1));
        assert!(crashing.run_pending().await.expect("run").crashed);
        let a = action(&app, &id).await;
        assert_eq!((a["status"].clone(), a["progress"].clone()), (json!("IN_PROGRESS"), json!(40)));
        let left = app.store.count_metadata_key_holders(&app.project_a, MetadataResource::Voucher, KEY).await.expect("count");
        assert_eq!(left, 3, "the rolled-back chunk kept its vouchers' key");
        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
        assert_eq!(app.run_pending().await.finished, 1);
        let done = action(&app, &id).await;
        assert_eq!(done["result"], json!({"message": "Updated 5 vouchers.", "done_count": 5}));
        for n in 0..5 {
            assert_eq!(read(&app, A, "voucher", &format!("V{n}")).await["metadata"], kept(n));
        }
    }
}

backend_tests! {
    async fn purging_100_000_customers_reports_rising_progress_and_survives_crashes(backend) {
        const TOTAL: i64 = 100_000;
        const CHUNK: usize = 10_000;
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = CHUNK).await;
        let lease = app.config.engine.lease_ms as i64;
        for batch in 0..(TOTAL / 5_000) {
            let patches = (batch * 5_000..(batch + 1) * 5_000)
                .map(|n| CustomerPatch {
                    source_id: Some(format!("c{n}")),
                    metadata: Some(json!({"legacy": n, "keep": n, "vip": n % 3 == 0}).as_object().cloned().unwrap_or_default()),
                    ..Default::default()
                })
                .collect();
            app.store.upsert_customers(&app.project_a, patches, Timestamp::now()).await.expect("seed");
        }
        let other = CustomerPatch { source_id: Some("b".into()), metadata: Some(json!({"legacy": 1}).as_object().cloned().unwrap_or_default()), ..Default::default() };
        app.store.upsert_customers(&app.project_b, vec![other], Timestamp::now()).await.expect("seed b");

        let id = purge(&app, "customers", "legacy").await;
        let mut seen = Vec::new();
        for k in 1..=9u64 {
            if k == 4 {
                // Die inside the fourth chunk's transaction, after its writes: nothing of it stays.
                let dying = app.engine(FailPoints::none().arm(FailureLocation::InsideChunkBeforeCommit, 0));
                assert!(dying.run_pending().await.expect("run").crashed);
                let a = action(&app, &id).await;
                assert_eq!((a["status"].clone(), a["progress"].clone()), (json!("IN_PROGRESS"), json!(30)));
                assert_eq!(legacy_left(&app).await, 70_000);
                app.clock.advance(lease + 1);
            }
            // Stop dead after one chunk commits; the next engine waits for the lease to expire.
            let engine = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
            assert!(engine.run_pending().await.expect("run").crashed);
            let a = action(&app, &id).await;
            assert_eq!(a["status"], "IN_PROGRESS");
            seen.push(a["progress"].as_u64().expect("progress"));
            assert_eq!(legacy_left(&app).await, TOTAL as u64 - k * CHUNK as u64);
            app.clock.advance(lease + 1);
        }
        assert_eq!(seen, [10, 20, 30, 40, 50, 60, 70, 80, 90], "progress rises with every chunk");

        assert_eq!(app.run_pending().await.finished, 1);
        let done = action(&app, &id).await;
        assert_eq!((done["status"].clone(), done["progress"].clone()), (json!("DONE"), json!(100)));
        assert_eq!(done["result"], json!({"message": "Updated 100000 customers.", "done_count": 100_000}));
        let record = app.store.get_action(&app.project_a, &cv_domain::ActionId::from_string(&id)).await.expect("get").expect("exists");
        assert_eq!(record.attempt, 11, "nine stops, one crash, one finish");

        let all = app.store.list_customers(&app.project_a, TOTAL as u32 + 1, 1).await.expect("list");
        assert_eq!((all.total, all.customers.len()), (TOTAL as u64, TOTAL as usize));
        for c in &all.customers {
            let n: i64 = c.source_id.as_deref().and_then(|s| s.strip_prefix('c')).and_then(|s| s.parse().ok()).expect("source_id");
            assert_eq!(serde_json::Value::Object(c.metadata.clone()), json!({"keep": n, "vip": n % 3 == 0}), "{}", c.id);
            assert!(c.updated_at.is_some(), "{} was purged", c.id);
        }
        assert_eq!(read(&app, B, "customer", "b").await["metadata"], json!({"legacy": 1}));
    }
}
