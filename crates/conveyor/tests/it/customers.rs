//! Customers: create (upsert by source_id), get by id or source_id, update, delete, list.

use serde_json::json;

use crate::support::TestApp;

backend_tests! {
    async fn customer_crud_round_trips_in_voucherify_shape(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/customers", &json!({
            "source_id": "ann", "name": "Ann", "email": "ann@example.com", "phone": "+4712345678",
            "birthdate": "1990-01-31", "address": {"city": "Oslo", "country": "NO"},
            "metadata": {"tier": "gold", "points": 10}
        })).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let c = res.json();
        let id = c["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("cust_") && id.len() == 29 && id[5..].bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        assert_eq!(c["object"], "customer");
        assert_eq!(c["source_id"], "ann");
        assert_eq!(c["address"], json!({"city": "Oslo", "state": null, "line_1": null, "line_2": null, "country": "NO", "postal_code": null}));
        assert_eq!((c["summary"].clone(), c["loyalty"].clone(), c["referrals"].clone()), (json!(null), json!(null), json!(null)));
        assert_eq!(c["metadata"], json!({"tier": "gold", "points": 10}));
        assert_eq!(c["system_metadata"], json!({}));
        assert!(c["created_at"].as_str().is_some_and(|s| s.ends_with('Z')));

        for key in [id.as_str(), "ann"] {
            let got = app.get(&format!("/v1/customers/{key}")).await;
            assert_eq!(got.status, 200);
            assert_eq!(got.json()["id"], id.as_str());
        }
        // Creating again with the same source_id updates that customer.
        let again = app.post("/v1/customers", &json!({"source_id": "ann", "metadata": {"points": 11}})).await.json();
        assert_eq!(again["id"], id.as_str());
        assert_eq!(again["metadata"], json!({"tier": "gold", "points": 11}));
        assert_eq!(again["name"], "Ann");

        let updated = app.put("/v1/customers/ann", &json!({"name": "Ann B", "address": null})).await;
        assert_eq!(updated.status, 200, "{}", updated.text);
        let updated = updated.json();
        assert_eq!(updated["name"], "Ann B");
        assert_eq!(updated["address"], json!(null));
        assert!(updated["updated_at"].as_str().is_some());

        for i in 0..3 {
            app.post("/v1/customers", &json!({"source_id": format!("n{i}")})).await;
        }
        let list = app.get("/v1/customers?limit=2").await.json();
        assert_eq!((list["object"].clone(), list["data_ref"].clone(), list["total"].clone(), list["has_more"].clone()),
            (json!("list"), json!("customers"), json!(4), json!(true)));
        assert_eq!(list["customers"].as_array().map(|a| a.iter().map(|c| c["source_id"].clone()).collect::<Vec<_>>()), Some(vec![json!("n2"), json!("n1")]));
        let last = app.get("/v1/customers?limit=2&page=2").await.json();
        assert_eq!(last["has_more"], false);

        let del = app.delete(&format!("/v1/customers/{id}")).await;
        assert_eq!(del.status, 204);
        assert_eq!(app.get("/v1/customers/ann").await.status, 404);
        assert_eq!(app.delete(&format!("/v1/customers/{id}")).await.status, 404);
    }
}
