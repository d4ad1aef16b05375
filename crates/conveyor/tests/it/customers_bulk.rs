//! CUSTOMERS.BULK_UPDATE and CUSTOMERS.METADATA_UPDATE end to end.

use serde_json::json;

use crate::support::{TestApp, customers};

backend_tests! {
    async fn ten_thousand_customers_in_one_bulk_update(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 1000).await;
        let id = app.bulk_update(&customers(10_000)).await;
        let report = app.run_pending().await;
        assert_eq!(report.finished, 1);
        let done = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(done["status"], "DONE");
        assert_eq!(done["result"]["done_count"], 10_000);
        assert_eq!(done["result"]["failed_count"], 0);
        let list = app.get("/v1/customers?limit=1").await.json();
        assert_eq!(list["total"], 10_000);
        let c = app.get("/v1/customers/c9999").await.json();
        assert_eq!((c["name"].clone(), c["metadata"].clone()), (json!("Customer 9999"), json!({"i": 9999})));
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await;
        assert_eq!(csv.status, 200);
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines.len(), 10_001, "header + one line per item");
        assert_eq!(lines[0], "id,found,updated,error");
        assert_eq!(lines[1], "c0,false,true,");
        assert_eq!(lines[10_000], "c9999,false,true,");
    }

    async fn metadata_update_merges_and_upserts(backend) {
        let app = TestApp::spawn(backend).await;
        app.post("/v1/customers", &json!({"source_id": "a", "name": "A", "metadata": {"keep": 1, "lang": "pl"}})).await;
        let res = app.post("/v1/customers/metadata/async", &json!({"source_ids": ["a", "b"], "metadata": {"lang": "en", "test": false}})).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        app.run_pending().await;
        let done = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(done["type"], "CUSTOMERS.METADATA_UPDATE");
        assert_eq!(done["status"], "DONE");
        assert_eq!(done["result"]["done_count"], 2);
        assert_eq!(done["result"]["errors"], json!([]));
        let a = app.get("/v1/customers/a").await.json();
        assert_eq!(a["metadata"], json!({"keep": 1, "lang": "en", "test": false}));
        assert_eq!(a["name"], "A");
        let b = app.get("/v1/customers/b").await.json();
        assert_eq!(b["metadata"], json!({"lang": "en", "test": false}));
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await.text;
        assert_eq!(csv, "id,found,updated,error\na,true,true,\nb,false,true,\n");
    }

    async fn an_empty_bulk_body_is_an_empty_action(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post_raw("/v1/customers/bulk/async", b"").await;
        assert_eq!(res.status, 202, "{}", res.text);
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        app.run_pending().await;
        let done = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!((done["status"].clone(), done["progress"].clone(), done["result"]["done_count"].clone()), (json!("DONE"), json!(100), json!(0)));
    }
}
