//! Products and SKUs: CRUD in Voucherify's shapes, validation errors, and project isolation.

use serde_json::{Value, json};

use crate::support::{B, TestApp, is_hex_id};

fn ids_of(list: &Value, key: &str, field: &str) -> Vec<Value> {
    list[key].as_array().map(|a| a.iter().map(|p| p[field].clone()).collect()).unwrap_or_default()
}

backend_tests! {
    async fn product_crud_round_trips_in_voucherify_shape(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/products", &json!({
            "source_id": "shirt", "name": "Shirt", "price": 2100, "attributes": ["color", "size"],
            "image_url": "https://img.example.com/shirt.png", "metadata": {"vendor": "Acme", "eco": true}
        })).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let p = res.json();
        let id = p["id"].as_str().expect("id").to_owned();
        assert!(is_hex_id(&id, "prod_", 18), "{id}");
        assert_eq!(
            (p["object"].clone(), p["source_id"].clone(), p["name"].clone(), p["price"].clone()),
            (json!("product"), json!("shirt"), json!("Shirt"), json!(2100))
        );
        assert!(p["price"].is_i64());
        assert_eq!(p["attributes"], json!(["color", "size"]));
        assert_eq!(p["metadata"], json!({"vendor": "Acme", "eco": true}));
        assert_eq!(p["skus"], json!({"object": "list", "data_ref": "data", "data": [], "total": 0}));
        assert!(p["created_at"].as_str().is_some_and(|s| s.ends_with('Z')));
        assert_eq!(p["updated_at"], Value::Null);

        // Creating again with the same source_id (or the id) updates that product.
        let again = app.post("/v1/products", &json!({"source_id": "shirt", "metadata": {"eco": false}})).await.json();
        assert_eq!((again["id"].as_str(), again["name"].as_str()), (Some(id.as_str()), Some("Shirt")));
        assert_eq!(again["metadata"], json!({"vendor": "Acme", "eco": false}));
        let by_id = app.post("/v1/products", &json!({"id": id, "price": null})).await.json();
        assert_eq!((by_id["id"].as_str(), by_id["price"].clone()), (Some(id.as_str()), Value::Null));
        let updated = app.put("/v1/products/shirt", &json!({"name": "T-Shirt", "price": 1999, "source_id": "ignored"})).await;
        assert_eq!(updated.status, 200, "{}", updated.text);
        let updated = updated.json();
        assert_eq!((updated["name"].clone(), updated["price"].clone(), updated["source_id"].clone()), (json!("T-Shirt"), json!(1999), json!("shirt")));
        assert!(updated["updated_at"].is_string());

        let res = app.post("/v1/products/shirt/skus", &json!({
            "source_id": "shirt-blue-xs", "sku": "Blue XS", "price": 1300, "currency": "USD",
            "attributes": {"color": "blue", "size": "XS"}, "metadata": {"row": 1}
        })).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let sku = res.json();
        let sku_id = sku["id"].as_str().expect("sku id").to_owned();
        assert!(is_hex_id(&sku_id, "sku_", 18), "{sku_id}");
        assert_eq!(
            (sku["object"].clone(), sku["product_id"].clone(), sku["sku"].clone(), sku["price"].clone(), sku["currency"].clone()),
            (json!("sku"), json!(id), json!("Blue XS"), json!(1300), json!("USD"))
        );
        assert_eq!((sku["attributes"].clone(), sku["image_url"].clone()), (json!({"color": "blue", "size": "XS"}), Value::Null));
        let upserted = app.post(&format!("/v1/products/{id}/skus"), &json!({"source_id": "shirt-blue-xs", "price": 1400})).await.json();
        assert_eq!((upserted["id"].as_str(), upserted["price"].clone(), upserted["sku"].clone()), (Some(sku_id.as_str()), json!(1400), json!("Blue XS")));
        let res = app.post("/v1/products/shirt/skus", &json!({"source_id": "w", "attributes": {"weight": "1kg"}})).await;
        assert_eq!((res.status, res.json()["details"].clone()), (400, json!("Property .attributes.weight is not one of the product's attributes")));
        app.post("/v1/products/shirt/skus", &json!({"source_id": "shirt-red", "attributes": {"color": "red"}})).await;
        for key in [sku_id.as_str(), "shirt-blue-xs"] {
            let got = app.get(&format!("/v1/skus/{key}")).await;
            assert_eq!((got.status, got.json()["id"].clone()), (200, json!(sku_id)));
        }

        let got = app.get(&format!("/v1/products/{id}")).await.json();
        assert_eq!((got["skus"]["object"].clone(), got["skus"]["data_ref"].clone(), got["skus"]["total"].clone()), (json!("list"), json!("data"), json!(2)));
        assert_eq!(ids_of(&got["skus"], "data", "source_id"), vec![json!("shirt-blue-xs"), json!("shirt-red")]);
        let skus = app.get("/v1/products/shirt/skus?limit=1").await.json();
        assert_eq!((skus["object"].clone(), skus["data_ref"].clone(), skus["total"].clone()), (json!("list"), json!("skus"), json!(2)));
        assert_eq!(ids_of(&skus, "skus", "id"), vec![json!(sku_id)]);

        for i in 0..3 {
            app.post("/v1/products", &json!({"source_id": format!("n{i}"), "name": format!("N{i}")})).await;
        }
        let list = app.get("/v1/products?limit=2").await.json();
        assert_eq!((list["object"].clone(), list["data_ref"].clone(), list["total"].clone(), list["has_more"].clone()), (json!("list"), json!("products"), json!(4), json!(true)));
        assert_eq!(ids_of(&list, "products", "source_id"), vec![json!("n2"), json!("n1")]);
        assert_eq!(list["products"][0]["skus"], json!({"object": "list", "data_ref": "data", "data": [], "total": 0}));
        let last = app.get("/v1/products?limit=2&page=2").await.json();
        assert_eq!((last["has_more"].clone(), ids_of(&last, "products", "source_id")), (json!(false), vec![json!("n0"), json!("shirt")]));
        assert_eq!(last["products"][1]["skus"]["total"], 2);
        assert_eq!(app.get("/v1/products?limit=101").await.status, 400);

        assert_eq!(app.delete("/v1/products/shirt").await.status, 204);
        let gone = app.get(&format!("/v1/products/{id}")).await;
        assert_eq!((gone.status, gone.json()["resource_type"].clone()), (404, json!("product")));
        let gone = app.get(&format!("/v1/skus/{sku_id}")).await;
        assert_eq!((gone.status, gone.json()["resource_type"].clone()), (404, json!("sku")));
        assert_eq!(app.delete("/v1/products/shirt").await.status, 404);
        let res = app.post("/v1/products/nope/skus", &json!({"source_id": "x"})).await;
        assert_eq!((res.status, res.json()["resource_type"].clone()), (404, json!("product")));
    }

    async fn product_bodies_are_validated_with_json_paths(backend) {
        let app = TestApp::spawn(backend).await;
        let cases = [
            ("/v1/products", json!({"name": "A", "price": 10.5}), "Property .price should be integer"),
            ("/v1/products", json!({"price": "10"}), "Property .price should be integer"),
            ("/v1/products", json!({"attributes": "color"}), "Property .attributes should be array"),
            ("/v1/products", json!({"attributes": ["color", 1]}), "Property .attributes[1] should be string"),
            ("/v1/products", json!({"metadata": []}), "Property .metadata should be object"),
            ("/v1/products/bulk/async", json!([{"source_id": "a"}, {"source_id": "b"}, {"name": "c"}]), "Property .[2].source_id is required"),
            ("/v1/products/bulk/async", json!([{"source_id": "a", "price": 1.25}]), "Property .[0].price should be integer"),
            ("/v1/products/bulk/async", json!({"source_id": "a"}), "Payload should be array"),
            ("/v1/products/metadata/async", json!({"metadata": {}}), "Property .source_ids is required"),
            ("/v1/products/metadata/async", json!({"source_ids": ["a"]}), "Property .metadata is required"),
        ];
        for (path, body, details) in cases {
            let res = app.post(path, &body).await;
            assert_eq!(res.status, 400, "{path} {body}: {}", res.text);
            assert_eq!((res.json()["key"].clone(), res.json()["details"].clone()), (json!("invalid_payload"), json!(details)), "{path} {body}");
        }
        assert!(cv_store::ActionPages::list_actions(&*app.store, &app.project_a, None, 10).await.expect("actions").actions.is_empty());
        assert_eq!(app.get("/v1/products").await.json()["total"], 0);
        // A whole number written with a fraction is an integer (JSON Schema's reading).
        let res = app.post("/v1/products", &json!({"source_id": "w", "price": 1999.0})).await;
        assert_eq!((res.status, res.json()["price"].clone()), (200, json!(1999)), "{}", res.text);
    }

    async fn another_projects_products_and_skus_answer_not_found(backend) {
        let app = TestApp::spawn(backend).await;
        let product = app.post("/v1/products", &json!({"source_id": "p", "name": "P", "attributes": ["color"]})).await.json();
        let sku = app.post("/v1/products/p/skus", &json!({"source_id": "s", "attributes": {"color": "red"}})).await.json();
        let (pid, sid) = (product["id"].as_str().expect("id"), sku["id"].as_str().expect("id"));
        for path in [
            format!("/v1/products/{pid}"),
            "/v1/products/p".to_owned(),
            format!("/v1/products/{pid}/skus"),
            format!("/v1/skus/{sid}"),
            "/v1/skus/s".to_owned(),
        ] {
            let res = app.get_as(B, &path).await;
            assert_eq!((res.status, res.json()["key"].clone()), (404, json!("not_found")), "{path}: {}", res.text);
        }
        for (method, path) in [
            (reqwest::Method::PUT, format!("/v1/products/{pid}")),
            (reqwest::Method::DELETE, format!("/v1/products/{pid}")),
            (reqwest::Method::POST, format!("/v1/products/{pid}/skus")),
        ] {
            let res = app.send(method, &path, Some(B), Some(b"{\"name\":\"x\"}".to_vec())).await;
            assert_eq!(res.status, 404, "{path}");
        }
        assert_eq!(app.get_as(B, "/v1/products").await.json()["total"], 0);
        // B's bulk update of the same source_id creates B's own product; A's is untouched.
        let res = app.send(reqwest::Method::POST, "/v1/products/bulk/async", Some(B), Some(b"[{\"source_id\":\"p\",\"name\":\"B's\"}]".to_vec())).await;
        assert_eq!(res.status, 202, "{}", res.text);
        app.run_pending().await;
        let theirs = app.get_as(B, "/v1/products/p").await.json();
        assert_ne!(theirs["id"], product["id"]);
        assert_eq!(app.get("/v1/products/p").await.json()["name"], "P");
        assert_eq!(app.get("/v1/products/p").await.json()["skus"]["total"], 1);
    }
}
