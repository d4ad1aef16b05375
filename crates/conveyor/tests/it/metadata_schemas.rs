//! Metadata schemas: the API, and how imports and bulk updates type and validate metadata
//! through them.

use serde_json::{Value, json};

use crate::support::{B, TestApp};

fn customer_schema() -> Value {
    json!({
        "related_object": "customer",
        "properties": {
            "tier": {"type": "string", "eq": ["gold", "silver"]},
            "points": {"type": "number"},
            "vip": {"type": "boolean"},
            "tags": {"type": "string", "array": true},
            "since": {"type": "date"}
        },
        "allow_defined_only": false
    })
}

backend_tests! {
    async fn metadata_schema_api_round_trips(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/metadata-schemas", &customer_schema()).await;
        assert_eq!(res.status, 201, "{}", res.text);
        let created = res.json();
        assert!(created["id"].as_str().is_some_and(|id| id.starts_with("ms_")));
        assert_eq!((created["object"].clone(), created["related_object"].clone()), (json!("metadata_schema"), json!("customer")));
        assert_eq!(created["properties"]["tags"], json!({"type": "string", "array": true, "optional": true, "object_type": null}));
        let again = app.post("/v1/metadata-schemas", &customer_schema()).await;
        assert_eq!((again.status, again.json()["key"].clone()), (409, json!("duplicate_found")));

        for path in ["/v1/metadata-schemas/customer", "/v1/metadata-schemas/customers"] {
            assert_eq!(app.get(path).await.json()["id"], created["id"]);
        }
        let list = app.get("/v1/metadata-schemas").await.json();
        assert_eq!((list["object"].clone(), list["data_ref"].clone(), list["total"].clone()), (json!("list"), json!("schemas"), json!(1)));
        assert_eq!(app.get_as(B, "/v1/metadata-schemas").await.json()["total"], 0);
        assert_eq!(app.get_as(B, "/v1/metadata-schemas/customer").await.status, 404);

        let res = app.put("/v1/metadata-schemas/product", &json!({"properties": {"color": {"type": "string"}}})).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let res = app.put("/v1/metadata-schemas/customer", &json!({"properties": {"tier": {"type": "colour"}}})).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.json()["details"], "Property .properties.tier.type should be one of string,number,boolean,date,datetime,object");
        let res = app.post("/v1/metadata-schemas", &json!({"properties": {}})).await;
        assert_eq!(res.json()["details"], "Property .related_object is required");
        assert_eq!(app.get("/v1/metadata-schemas/planets").await.status, 404);

        assert_eq!(app.delete("/v1/metadata-schemas/customer").await.status, 204);
        let gone = app.get("/v1/metadata-schemas/customer").await;
        assert_eq!((gone.status, gone.json()["resource_type"].clone()), (404, json!("metadata_schema")));
        assert_eq!(app.delete("/v1/metadata-schemas/customer").await.status, 404);
    }

    async fn imports_type_metadata_through_the_schema(backend) {
        let app = TestApp::spawn(backend).await;
        assert_eq!(app.post("/v1/metadata-schemas", &customer_schema()).await.status, 201);
        let csv = "source_id,tier,points,vip,tags,since,note\n\
            a,gold,12,TRUE,\"x, y\",2020-01-31,hello\n\
            b,bronze,1,,,,\n\
            c,silver,many,,,,\n\
            d,,,maybe,,,\n\
            e,,7.5,false,,2020-13-01,\n\
            f,,,,,,\n";
        let id = app.import_customers(csv).await;
        app.run_pending().await;
        let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(a["result"]["done_count"], 2, "{}", a["result"]);
        let reasons: Vec<(u64, String)> = a["result"]["failed"].as_array().expect("failed").iter()
            .map(|f| (f["row"].as_u64().unwrap_or(0), f["reason"].as_str().unwrap_or("").to_owned()))
            .collect();
        assert_eq!(reasons, vec![
            (2, "tier: must be equal to one of gold,silver (actual value is 'bronze')".to_owned()),
            (3, "points: must be a number (actual value is 'many')".to_owned()),
            (4, "vip: must be a boolean (actual value is 'maybe')".to_owned()),
            (5, "since: must be a date (actual value is '2020-13-01')".to_owned()),
        ]);
        let first = app.get("/v1/customers/a").await.json();
        assert_eq!(first["metadata"], json!({"tier": "gold", "points": 12, "vip": true, "tags": ["x", "y"], "since": "2020-01-31", "note": "hello"}));
        assert_eq!(app.get("/v1/customers/f").await.json()["metadata"], json!({}));
    }

    async fn bulk_updates_validate_metadata_through_the_schema(backend) {
        let app = TestApp::spawn(backend).await;
        assert_eq!(app.post("/v1/metadata-schemas", &customer_schema()).await.status, 201);
        let id = app.bulk_update(&json!([
            {"source_id": "a", "metadata": {"points": 3, "tier": "gold", "free": {"any": "thing"}}},
            {"source_id": "b", "metadata": {"points": "three"}},
        ])).await;
        app.run_pending().await;
        let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(a["result"]["done_count"], 1);
        assert_eq!(a["result"]["errors"], json!([{
            "message": "Metadata validation failed",
            "details": "points: must be a number (actual value is 'three')",
            "key": "metadata_validation_failed",
            "source_id": "b",
        }]));
        assert_eq!(app.get("/v1/customers/b").await.status, 404);
        let res = app.post("/v1/customers/metadata/async", &json!({"source_ids": ["a", "c"], "metadata": {"vip": "yes"}})).await;
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        app.run_pending().await;
        let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!((a["result"]["done_count"].clone(), a["result"]["failed_count"].clone()), (json!(0), json!(2)));
        assert_eq!(app.get("/v1/customers/a").await.json()["metadata"], json!({"points": 3, "tier": "gold", "free": {"any": "thing"}}));
    }
}
