//! PRODUCTS.BULK_UPDATE and PRODUCTS.METADATA_UPDATE end to end.

use serde_json::{Value, json};

use crate::support::TestApp;

async fn accepted(app: &TestApp, path: &str, body: &Value) -> String {
    let res = app.post(path, body).await;
    assert_eq!(res.status, 202, "{}", res.text);
    res.json()["async_action_id"].as_str().expect("id").to_owned()
}

async fn done(app: &TestApp, id: &str) -> Value {
    app.run_pending().await;
    let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
    assert_eq!(
        (a["status"].as_str(), a["operation_status"].as_str()),
        (Some("DONE"), Some("SUCCESS")),
        "{a}"
    );
    a
}

backend_tests! {
    async fn products_metadata_update_fails_every_item_the_schema_refuses(backend) {
        let app = TestApp::spawn(backend).await;
        let schema = json!({"properties": {"weight": {"type": "number"}}});
        assert_eq!(app.put("/v1/metadata-schemas/product", &schema).await.status, 200);
        app.post("/v1/products", &json!({"source_id": "a", "name": "A", "metadata": {"weight": 1}})).await;
        let body = json!({"source_ids": ["a", "b"], "metadata": {"weight": "heavy"}});
        let id = accepted(&app, "/v1/products/metadata/async", &body).await;
        let a = done(&app, &id).await;
        assert_eq!((a["result"]["done_count"].clone(), a["result"]["failed_count"].clone()), (json!(0), json!(2)));
        let error = json!({
            "message": "Metadata validation failed",
            "details": "weight: must be a number (actual value is 'heavy')",
            "key": "metadata_validation_failed",
        });
        assert_eq!(a["result"]["errors"], json!([error.clone(), error]));
        assert_eq!(app.get("/v1/products/a").await.json()["metadata"], json!({"weight": 1}));
        assert_eq!(app.get("/v1/products/b").await.status, 404);
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await.text;
        assert_eq!(csv.lines().count(), 3, "{csv}");
    }

    async fn products_bulk_update_upserts_and_reports_every_item(backend) {
        let app = TestApp::spawn(backend).await;
        let schema = json!({"related_object": "product", "properties": {"vendor": {"type": "string", "eq": ["Vendor 1", "Vendor 2"]}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        app.post("/v1/products", &json!({"source_id": "old", "name": "Old", "price": 100, "metadata": {"keep": 1}})).await;
        let id = accepted(&app, "/v1/products/bulk/async", &json!([
            {"source_id": "old", "price": 150, "metadata": {"vendor": "Vendor 1"}},
            {"source_id": "new", "name": "New", "price": 2100, "attributes": ["color"], "image_url": "https://img/new.png"},
            {"source_id": "bad", "name": "Bad", "metadata": {"vendor": "Vendor 3"}},
        ])).await;
        let a = done(&app, &id).await;
        assert_eq!(a["type"], "PRODUCTS.BULK_UPDATE");
        let result = &a["result"];
        assert_eq!((result["done_count"].clone(), result["failed_count"].clone()), (json!(2), json!(1)));
        assert_eq!(result["errors"], json!([{
            "message": "Metadata validation failed",
            "details": "vendor: must be equal to one of Vendor 1,Vendor 2 (actual value is 'Vendor 3')",
            "key": "metadata_validation_failed",
            "source_id": "bad",
        }]));
        assert!(result["reports"][0].as_str().is_some_and(|u| u.ends_with(&format!("/v1/async-actions/{id}/report"))));
        assert!(result["reports_available_till"].is_string());
        let old = app.get("/v1/products/old").await.json();
        assert_eq!((old["name"].clone(), old["price"].clone(), old["metadata"].clone()), (json!("Old"), json!(150), json!({"keep": 1, "vendor": "Vendor 1"})));
        let new = app.get("/v1/products/new").await.json();
        assert_eq!((new["price"].clone(), new["attributes"].clone(), new["image_url"].clone()), (json!(2100), json!(["color"]), json!("https://img/new.png")));
        assert_eq!(app.get("/v1/products/bad").await.status, 404);
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await.text;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(&lines[..3], &["id,found,updated,error", "old,true,true,", "new,false,true,"]);
        assert!(lines[3].starts_with("bad,false,false,"), "{csv}");
    }

    async fn products_metadata_update_merges_and_upserts(backend) {
        let app = TestApp::spawn(backend).await;
        app.post("/v1/products", &json!({"source_id": "a", "name": "A", "metadata": {"keep": 1, "lang": "pl"}})).await;
        let id = accepted(&app, "/v1/products/metadata/async", &json!({"source_ids": ["a", "b"], "metadata": {"lang": "en", "test": false}})).await;
        let a = done(&app, &id).await;
        assert_eq!(a["type"], "PRODUCTS.METADATA_UPDATE");
        assert_eq!((a["result"]["done_count"].clone(), a["result"]["failed_count"].clone(), a["result"]["errors"].clone()), (json!(2), json!(0), json!([])));
        let first = app.get("/v1/products/a").await.json();
        assert_eq!((first["name"].clone(), first["metadata"].clone()), (json!("A"), json!({"keep": 1, "lang": "en", "test": false})));
        let second = app.get("/v1/products/b").await.json();
        assert_eq!((second["name"].clone(), second["metadata"].clone()), (Value::Null, json!({"lang": "en", "test": false})));
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await.text;
        assert_eq!(csv, "id,found,updated,error\na,true,true,\nb,false,true,\n");
    }

    async fn an_empty_products_bulk_body_is_an_empty_action(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post_raw("/v1/products/bulk/async", b"").await;
        assert_eq!(res.status, 202, "{}", res.text);
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        let a = done(&app, &id).await;
        assert_eq!((a["progress"].clone(), a["result"]["done_count"].clone(), a["result"]["errors"].clone()), (json!(100), json!(0), json!([])));
    }
}
