//! PRODUCTS.IMPORT_CSV and SKUS.IMPORT_CSV end to end: prices in major units, Voucherify's
//! update rules for existing source_ids, per-row failures with row numbers, metadata typed
//! through the product schema, and refused uploads.

use serde_json::{Value, json};

use crate::support::TestApp;

/// Uploads a CSV to `path` (a 200, as Voucherify answers both imports) and returns the id.
async fn import(app: &TestApp, path: &str, csv: &str) -> String {
    let res = app.upload(path, Some("file"), csv.as_bytes().to_vec()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json().as_object().map(|o| o.len()), Some(1), "{}", res.text);
    res.json()["async_action_id"].as_str().expect("id").to_owned()
}

async fn result(app: &TestApp, id: &str) -> Value {
    app.run_pending().await;
    let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
    assert_eq!(
        (a["status"].as_str(), a["operation_status"].as_str()),
        (Some("DONE"), Some("SUCCESS")),
        "{a}"
    );
    a["result"].clone()
}

async fn products_snapshot(app: &TestApp) -> String {
    let actions = cv_store::ActionPages::list_actions(&*app.store, &app.project_a, None, 100)
        .await
        .expect("actions");
    let products = app.get("/v1/products?limit=100").await.text;
    format!("{:?} {products}", actions.actions.iter().map(|a| a.id.to_string()).collect::<Vec<_>>())
}

backend_tests! {
    async fn product_import_creates_renames_and_reports_bad_rows(backend) {
        let app = TestApp::spawn(backend).await;
        app.post("/v1/products", &json!({"source_id": "old", "name": "Old", "price": 500, "attributes": ["a"], "metadata": {"keep": true}})).await;
        let csv = "Name,Source_ID,Price,Attributes,Image_URL,vendor\n\
            Shirt,shirt,21,\"color,size,ranking\",https://img/shirt.png,Acme\n\
            Cap,cap,14.5,,,\n\
            ,nameless,3,,,\n\
            Renamed,old,999,\"b\",https://img/x.png,Other\n\
            Mug,mug,x,,,\n\
            No Source,,0.99,,,\n\
            Short,short\n";
        let id = import(&app, "/v1/products/importCSV", csv).await;
        let queued = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(queued["type"], "PRODUCTS.IMPORT_CSV");
        assert_eq!(result(&app, &id).await, json!({
            "message": "4 product(s) imported successfully, 3 failed.",
            "failed": [
                {"source_id": "nameless", "row": 3, "reason": "name: property is required"},
                {"source_id": "mug", "row": 5, "reason": "price: must be a number (actual value is 'x')"},
                {"source_id": "", "row": 7, "reason": "row has 2 fields, the header has 6"},
            ],
            "done_count": 4,
            "failed_count": 3,
        }));
        let shirt = app.get("/v1/products/shirt").await.json();
        assert_eq!((shirt["name"].clone(), shirt["price"].clone()), (json!("Shirt"), json!(2100)));
        assert_eq!(shirt["attributes"], json!(["color", "size", "ranking"]));
        assert_eq!((shirt["image_url"].clone(), shirt["metadata"].clone()), (json!("https://img/shirt.png"), json!({"vendor": "Acme"})));
        assert_eq!(app.get("/v1/products/cap").await.json()["price"], 1450);
        let old = app.get("/v1/products/old").await.json();
        assert_eq!(old["name"], "Renamed");
        assert_eq!((old["price"].clone(), old["attributes"].clone(), old["image_url"].clone(), old["metadata"].clone()),
            (json!(500), json!(["a"]), Value::Null, json!({"keep": true})), "an import only renames an existing product");
        let list = app.get("/v1/products?limit=100").await.json();
        assert_eq!(list["total"], 4);
        let unkeyed = list["products"].as_array().expect("products").iter().find(|p| p["name"] == "No Source").cloned().expect("created without a source_id");
        assert_eq!((unkeyed["source_id"].clone(), unkeyed["price"].clone()), (Value::Null, json!(99)));
    }

    async fn product_import_types_metadata_through_the_product_schema(backend) {
        let app = TestApp::spawn(backend).await;
        let schema = json!({"related_object": "product", "properties": {
            "vendor": {"type": "string", "optional": false, "eq": ["Vendor 1", "Vendor 2"]},
            "weight": {"type": "number"},
            "tags": {"type": "string", "array": true},
        }});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let csv = "name,source_id,vendor,weight,tags,note\n\
            A,a,Vendor 1,1.5,\"x, y\",free text\n\
            B,b,Vendor 3,,,\n\
            C,c,Vendor 2,heavy,,\n";
        let id = import(&app, "/v1/products/importCSV", csv).await;
        let r = result(&app, &id).await;
        assert_eq!(r["message"], "1 product(s) imported successfully, 2 failed.");
        assert_eq!(r["failed"], json!([
            {"source_id": "b", "row": 2, "reason": "vendor: must be a string, property is required, must be equal to one of Vendor 1,Vendor 2 (actual value is 'Vendor 3')"},
            {"source_id": "c", "row": 3, "reason": "weight: must be a number (actual value is 'heavy')"},
        ]));
        assert_eq!(app.get("/v1/products/a").await.json()["metadata"], json!({"vendor": "Vendor 1", "weight": 1.5, "tags": ["x", "y"], "note": "free text"}));
    }

    async fn sku_import_creates_updates_and_reports_bad_rows(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/products", &json!({"source_id": "shirt", "name": "Shirt", "attributes": ["color", "size"]})).await;
        let shirt = res.json()["id"].as_str().expect("id").to_owned();
        app.post("/v1/products", &json!({"source_id": "cap", "name": "Cap", "attributes": ["color"]})).await;
        let csv = "product_id,sku,source_id,price,image_url,attributes,season\n\
            shirt,Blue XS,shirt-blue-xs,13,https://img/b.png,\"{'color':'blue','size':'XS'}\",summer\n\
            shirt,Red S,shirt-red-s,14.5,,\"{\"\"color\"\":\"\"red\"\",\"\"size\"\":\"\"S\"\"}\",\n\
            shirt,No Id,,1,,,\n\
            ,Orphan,orphan,1,,,\n\
            mug,Mug,mug-1,1,,,\n\
            shirt,Heavy,shirt-heavy,1,,\"{'weight':'1kg'}\",\n\
            shirt,Bad Price,shirt-bad,1O,,,\n\
            shirt,Bad Attrs,shirt-attrs,1,,color=blue,\n\
            cap,Cap Blue,shirt-blue-xs,2,,,\n";
        let id = import(&app, "/v1/skus/importCSV", csv).await;
        assert_eq!(app.get(&format!("/v1/async-actions/{id}")).await.json()["type"], "SKUS.IMPORT_CSV");
        assert_eq!(result(&app, &id).await, json!({
            "message": "2 sku(s) imported successfully, 7 failed.",
            "failed": [
                {"source_id": "", "row": 3, "reason": "source_id: property is required"},
                {"source_id": "orphan", "row": 4, "reason": "product_id: property is required"},
                {"source_id": "mug-1", "row": 5, "reason": "product_id: Cannot find product with source_id 'mug'"},
                {"source_id": "shirt-heavy", "row": 6, "reason": "attributes: 'weight' is not an attribute of product 'shirt' (its attributes: color,size)"},
                {"source_id": "shirt-bad", "row": 7, "reason": "price: must be a number (actual value is '1O')"},
                {"source_id": "shirt-attrs", "row": 8, "reason": "attributes: must be an object such as {'color':'blue'} (actual value is 'color=blue')"},
                {"source_id": "shirt-blue-xs", "row": 9, "reason": format!("Resource sku with id shirt-blue-xs is in use by products with ids [{shirt}]")},
            ],
            "done_count": 2,
            "failed_count": 7,
        }));
        let blue = app.get("/v1/skus/shirt-blue-xs").await.json();
        assert_eq!((blue["product_id"].clone(), blue["sku"].clone(), blue["price"].clone()), (json!(shirt), json!("Blue XS"), json!(1300)));
        assert_eq!((blue["attributes"].clone(), blue["metadata"].clone(), blue["image_url"].clone()), (json!({"color": "blue", "size": "XS"}), json!({"season": "summer"}), json!("https://img/b.png")));
        let red = app.get("/v1/skus/shirt-red-s").await.json();
        assert_eq!((red["price"].clone(), red["attributes"].clone(), red["metadata"].clone()), (json!(1450), json!({"color": "red", "size": "S"}), json!({})));
        assert_eq!(app.get("/v1/products/shirt").await.json()["skus"]["total"], 2);

        // A second import of an existing SKU changes only its name and price.
        let csv = "PRODUCT_ID,SKU,SOURCE_ID,PRICE,IMAGE_URL,ATTRIBUTES,season\n\
            shirt,Navy XS,shirt-blue-xs,15,https://img/other.png,\"{'color':'navy'}\",winter\n";
        let id = import(&app, "/v1/skus/importCSV", csv).await;
        assert_eq!(result(&app, &id).await["message"], "1 sku(s) imported successfully, 0 failed.");
        let blue = app.get("/v1/skus/shirt-blue-xs").await.json();
        assert_eq!((blue["sku"].clone(), blue["price"].clone()), (json!("Navy XS"), json!(1500)));
        assert_eq!((blue["attributes"].clone(), blue["metadata"].clone(), blue["image_url"].clone()), (json!({"color": "blue", "size": "XS"}), json!({"season": "summer"}), json!("https://img/b.png")));
        assert!(blue["updated_at"].is_string());
    }

    async fn refused_catalog_uploads_change_nothing(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.csv_limit_bytes = 1_000).await;
        let before = products_snapshot(&app).await;
        for path in ["/v1/products/importCSV", "/v1/skus/importCSV"] {
            let cases: Vec<(Option<&str>, Vec<u8>, &str)> = vec![
                (None, b"name,source_id\na,b\n".to_vec(), "Payload should have required property 'file'"),
                (Some("file"), Vec::new(), "The file is empty"),
                (Some("file"), b"name,source_id\n".to_vec(), "The file has a header line but no data rows"),
                (Some("file"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01".to_vec(), "The file is not a CSV text file: its header line is not UTF-8 text"),
            ];
            for (field, bytes, details) in cases {
                let res = app.upload(path, field, bytes).await;
                assert_eq!(res.status, 400, "{path}: {}", res.text);
                assert_eq!((res.json()["key"].clone(), res.json()["details"].clone()), (json!("invalid_payload"), json!(details)), "{path}");
            }
            let res = app.post(path, &json!({"file": "name,source_id"})).await;
            assert_eq!((res.status, res.json()["details"].clone()), (400, json!("Payload should have required property 'file'")), "{path}");
            let big = format!("name,source_id\n{}", "abcdefgh,ijklmnop\n".repeat(100));
            let res = app.upload(path, Some("file"), big.into_bytes()).await;
            assert_eq!(res.status, 413, "{path}");
            assert_eq!(res.json(), json!({"statusCode": 413, "error": "Request Entity Too Large", "message": "Payload content length greater than maximum allowed: 1000"}));
        }
        assert_eq!(products_snapshot(&app).await, before);
    }
}
