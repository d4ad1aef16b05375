//! `GET /v1/async-actions?status=…&type=…`: Conveyor's list filters (SPEC.md Decision 11),
//! over HTTP; `cv_store_conformance::list_filters_page_by_end_date` pins the paging rules.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{TestApp, customers};

fn ids(list: &Value) -> Vec<String> {
    list["async_actions"]
        .as_array()
        .expect("async_actions")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn list(app: &TestApp, query: String) -> Value {
    let res = app.get(&format!("/v1/async-actions?{query}")).await;
    assert_eq!(res.status, 200, "{query}: {}", res.text);
    res.json()
}

backend_tests! {
    async fn the_list_filters_by_status_and_type_and_pages_with_them(backend) {
        let app = TestApp::spawn(backend).await;
        let mut bulk = Vec::new();
        for n in 0..5 {
            bulk.push(app.bulk_update(&customers(1)).await);
            app.clock.advance(if n % 2 == 0 { 0 } else { 1 });
        }
        let purge = app.post("/v1/metadata-schemas/customers/purge", &json!({"key": "i"})).await;
        assert_eq!(purge.status, 202, "{}", purge.text);
        let purge = purge.json()["async_action_id"].as_str().expect("id").to_owned();
        // Two bulk updates and the purge finish; one bulk update is cancelled.
        let cancelled = bulk[4].clone();
        assert_eq!(app.post(&format!("/v1/async-actions/{cancelled}/cancel"), &json!({})).await.status, 200);
        app.run_pending().await;
        let queued = app.bulk_update(&customers(1)).await;

        let list = |query: &str| list(&app, query.to_owned());
        assert_eq!(ids(&list("status=ENQUEUED").await), vec![queued.clone()]);
        assert_eq!(ids(&list("status=FAILED").await), vec![cancelled.clone()]);
        assert_eq!(ids(&list("type=CUSTOMERS.METADATA_KEY_PURGE").await), vec![purge.clone()]);
        assert!(ids(&list("status=IN_PROGRESS").await).is_empty());
        assert!(ids(&list("status=ENQUEUED&type=CUSTOMERS.METADATA_KEY_PURGE").await).is_empty());
        let done_bulk = list("status=DONE&type=CUSTOMERS.BULK_UPDATE&limit=100").await;
        let mut expected: Vec<String> = bulk[..4].to_vec();
        expected.reverse();
        assert_eq!(ids(&done_bulk).into_iter().collect::<HashSet<_>>(), expected.iter().cloned().collect());
        assert_eq!(done_bulk["has_more"], false);
        for item in done_bulk["async_actions"].as_array().expect("items") {
            assert_eq!((item["status"].as_str(), item["type"].as_str()), (Some("DONE"), Some("CUSTOMERS.BULK_UPDATE")));
            assert!(item.get("result").is_none());
        }

        // Paging a filtered list with end_date, one at a time, returns each match once.
        let mut seen = Vec::new();
        let mut end_date = String::new();
        for _ in 0..10 {
            let page = list(&format!("status=DONE&type=CUSTOMERS.BULK_UPDATE&limit=1{end_date}")).await;
            seen.extend(ids(&page));
            if page["has_more"] == false {
                break;
            }
            let last = page["async_actions"].as_array().and_then(|a| a.last()).expect("last");
            end_date = format!("&end_date={}", last["created_at"].as_str().expect("created_at"));
        }
        assert_eq!(seen, ids(&done_bulk), "the same matches, in the same order");
    }

    async fn unknown_filter_values_are_refused(backend) {
        let app = TestApp::spawn(backend).await;
        app.bulk_update(&customers(1)).await;
        let before = app.snapshot().await;
        let statuses = "ENQUEUED, IN_PROGRESS, DONE, FAILED";
        let cases = [
            ("status=done", format!("Property .status should be equal to one of the allowed values: {statuses}")),
            ("status=", format!("Property .status should be equal to one of the allowed values: {statuses}")),
            ("status=SUCCESS&limit=5", format!("Property .status should be equal to one of the allowed values: {statuses}")),
            ("type=CUSTOMERS.IMPORT", "Property .type should be equal to one of the allowed values: ".to_owned()),
            ("type=customers.bulk_update", "Property .type should be equal to one of the allowed values: ".to_owned()),
        ];
        for (query, details) in cases {
            let res = app.get(&format!("/v1/async-actions?{query}")).await;
            assert_eq!(res.status, 400, "{query}: {}", res.text);
            let body = res.json();
            assert_eq!(body["code"], 400);
            assert_eq!(body["key"], "invalid_query_params");
            assert_eq!(body["message"], "Invalid query params");
            let got = body["details"].as_str().expect("details");
            assert!(got.starts_with(&details), "{query}: {got}");
            if query.starts_with("type") {
                assert!(got.contains("CUSTOMERS.BULK_UPDATE, ") && got.ends_with("ORDERS.METADATA_KEY_PURGE"), "{got}");
            }
        }
        assert_eq!(app.snapshot().await, before);
    }
}
