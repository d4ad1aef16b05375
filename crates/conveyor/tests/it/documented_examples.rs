//! Our responses next to the examples in Voucherify's own OpenAPI documents (read from
//! `shared/voucherify-openapi/` beside the repository, or `$CONVEYOR_VOUCHERIFY_OPENAPI`):
//! every documented field is present with the same JSON type, and enums and fixed texts match.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{A, TestApp, customers};

fn openapi_dir() -> Option<PathBuf> {
    let dir =
        std::env::var_os("CONVEYOR_VOUCHERIFY_OPENAPI").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/voucherify-openapi")
        });
    if dir.join("async-actions.json").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").is_err(),
        "Voucherify's OpenAPI documents not found at {}",
        dir.display()
    );
    eprintln!("skipped: Voucherify's OpenAPI documents not found at {}", dir.display());
    None
}

fn example(doc: &Value, path: &str, status: &str, name: &str) -> Value {
    doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["examples"][name]
        ["value"]
        .clone()
}

fn post_example(doc: &Value, path: &str, status: &str, name: &str) -> Value {
    doc["paths"][path]["post"]["responses"][status]["content"]["application/json"]["examples"][name]
        ["value"]
        .clone()
}

/// POSTs a form body to an OAuth endpoint with project A's app key.
async fn post_form(app: &TestApp, path: &str, body: &str) -> Value {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .header("X-App-Id", A.0)
        .header("X-App-Token", A.1)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    res.json().await.expect("JSON")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field of `documented` exists in `ours` with the same JSON type (recursively); fields
/// whose values are enums or constants must be equal.
fn assert_shape(documented: &Value, ours: &Value, at: &str) {
    assert_eq!(kind(documented), kind(ours), "{at}: documented {documented}, ours {ours}");
    match (documented, ours) {
        (Value::Object(d), Value::Object(o)) => {
            for (key, dv) in d {
                let ov = o.get(key).unwrap_or_else(|| panic!("{at}.{key} is missing from {ours}"));
                if [
                    "status",
                    "operation_status",
                    "object",
                    "data_ref",
                    "type",
                    "code",
                    "key",
                    "message",
                ]
                .contains(&key.as_str())
                {
                    assert_eq!(dv, ov, "{at}.{key}");
                }
                assert_shape(dv, ov, &format!("{at}.{key}"));
            }
        }
        (Value::Array(d), Value::Array(o)) => {
            if let (Some(dv), Some(ov)) = (d.first(), o.first()) {
                assert_shape(dv, ov, &format!("{at}[0]"));
            }
        }
        _ => {}
    }
}

backend_tests! {
    async fn responses_have_the_shapes_of_voucherifys_examples(backend) {
        let Some(dir) = openapi_dir() else { return };
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("async-actions.json")).expect("read")).expect("parse");
        let app = TestApp::spawn(backend).await;

        // Created in the documented example's order: the list shows the bulk update first.
        let res = app.post("/v1/customers/metadata/async", &json!({"source_ids": ["c0", "c1", "c2"], "metadata": {"lang": "en"}})).await;
        let meta = res.json()["async_action_id"].as_str().expect("id").to_owned();
        app.clock.advance(2);
        let bulk = app.bulk_update(&customers(3)).await;
        app.run_pending().await;

        for (name, id) in [("CUSTOMERS.BULK_UPDATE", &bulk), ("CUSTOMERS.METADATA_UPDATE", &meta)] {
            let documented = example(&doc, "/v1/async-actions/{asyncActionId}", "200", name);
            assert!(documented.is_object(), "example {name} exists");
            let ours = app.get(&format!("/v1/async-actions/{id}")).await.json();
            assert_shape(&documented, &ours, name);
            assert_eq!(ours["result"]["done_count"], documented["result"]["done_count"]);
        }

        // The list example leaves out has_more (added to the schema later); ours always has it.
        let documented = example(&doc, "/v1/async-actions", "200", "List Async Actions");
        let ours = app.get("/v1/async-actions").await.json();
        assert_shape(&documented, &ours, "list");
        assert_eq!(ours["has_more"], false);

        let documented = example(&doc, "/v1/async-actions", "400", "Invalid Query Parameters");
        let ours = app.get("/v1/async-actions?end_date=not-a-date").await.json();
        assert_shape(&documented, &ours, "400");
        assert_eq!(ours["details"], documented["details"]);

        let documented = example(&doc, "/v1/async-actions/{asyncActionId}", "404", "Async-Action-Not-Found");
        let missing = documented["resource_id"].as_str().expect("documented id");
        let ours = app.get(&format!("/v1/async-actions/{missing}")).await.json();
        assert_shape(&documented, &ours, "404");
        for key in ["details", "resource_id", "resource_type"] {
            assert_eq!(ours[key], documented[key], "404 {key}");
        }
    }

    async fn oauth_responses_have_the_shapes_of_voucherifys_examples(backend) {
        let Some(dir) = openapi_dir() else { return };
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("oauth.json")).expect("read")).expect("parse");
        let app = TestApp::spawn(backend).await;

        let documented = post_example(&doc, "/v1/oauth/token", "200", "OAuth response");
        let issued = post_form(&app, "/v1/oauth/token", "grant_type=client_credentials&scope=api").await;
        assert_shape(&documented, &issued, "token");
        for key in ["expires_in", "scope", "token_type"] {
            assert_eq!(issued[key], documented[key], "token {key}");
        }
        for (name, body) in [
            ("Invalid scope", "grant_type=client_credentials&scope=vouchers,campaigns"),
            ("Invalid grant type", "grant_type=authorization_code&scope=api"),
        ] {
            let documented = post_example(&doc, "/v1/oauth/token", "400", name);
            assert_shape(&documented, &post_form(&app, "/v1/oauth/token", body).await, name);
        }

        let token = issued["access_token"].as_str().expect("token");
        let documented = post_example(&doc, "/v1/oauth/introspect", "200", "OAuth active token");
        let ours = post_form(&app, "/v1/oauth/introspect", &format!("access_token={token}")).await;
        assert_shape(&documented, &ours, "active token");
        assert_eq!(ours["active"], true);
        let documented = post_example(&doc, "/v1/oauth/introspect", "200", "OAuth inactive token");
        assert_eq!(post_form(&app, "/v1/oauth/introspect", "access_token=nope").await, documented);
        let documented = post_example(&doc, "/v1/oauth/introspect", "400", "Missing parameters");
        assert_shape(&documented, &post_form(&app, "/v1/oauth/introspect", "").await, "missing parameters");
    }
}

fn orders_example(doc: &Value, path: &str, method: &str, status: &str, name: &str) -> Value {
    doc["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"][name]
        ["value"]
        .clone()
}

backend_tests! {
    async fn orders_have_the_shapes_of_voucherifys_examples(backend) {
        let Some(dir) = openapi_dir() else { return };
        let read = |file: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).expect("read")).expect("parse")
        };
        let (actions_doc, orders_doc) = (read("async-actions.json"), read("orders.json"));
        let app = TestApp::spawn(backend).await;

        // The documented ORDERS.IMPORT result: one imported, one failed without a source_id.
        let item = |source_id: &str, price: i64, name: &str| json!({
            "source_id": source_id, "related_object": "product", "quantity": 1, "amount": price,
            "discount_amount": price / 10, "price": price, "product": {"name": name, "price": price}
        });
        let documented_order = json!({
            "status": "PAID", "amount": 2700, "discount_amount": 1243,
            "customer": {"source_id": "doc-customer"},
            "items": [item("prod_5h1pp1ng", 700, "Shipping"), item("roses_1", 500, "Bouquet - Romantic Roses"), item("vase_1", 1500, "Vase - Boho Vintage")]
        });
        let res = app.post("/v1/orders/import", &json!([documented_order, {"items": [{"product_id": "prod_000000000000000000"}]}])).await;
        let documented = orders_example(&orders_doc, "/v1/orders/import", "post", "200", "Example");
        assert_shape(&documented, &res.json(), "import reply");
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        app.run_pending().await;
        let documented = example(&actions_doc, "/v1/async-actions/{asyncActionId}", "200", "ORDERS.IMPORT");
        let ours = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_shape(&documented, &ours, "ORDERS.IMPORT");
        assert_eq!(ours["result"]["message"], documented["result"]["message"]);

        // Re-imported by id, so that it has an updated_at like the documented orders.
        let order_id = app.get("/v1/orders").await.json()["orders"][0]["id"].clone();
        let mut again = documented_order.clone();
        again["id"] = order_id.clone();
        assert_eq!(app.post("/v1/orders/import", &json!([again])).await.status, 200);
        app.run_pending().await;

        // This server has no redemptions: its orders carry an empty `redemptions` object.
        let mut documented = orders_example(&orders_doc, "/v1/orders", "get", "200", "Example");
        for order in documented["orders"].as_array_mut().expect("orders") {
            order["redemptions"] = json!({});
        }
        let ours = app.get("/v1/orders").await.json();
        assert_shape(&documented, &ours, "orders");
        let first = &ours["orders"][0];
        assert_eq!((first["id"].clone(), first["total_discount_amount"].clone(), first["total_amount"].clone()), (order_id, json!(1513), json!(1187)));

        let documented = orders_example(&orders_doc, "/v1/orders/{orderId}", "get", "404", "Not Found");
        let missing = documented["resource_id"].as_str().expect("documented id");
        let ours = app.get(&format!("/v1/orders/{missing}")).await.json();
        assert_shape(&documented, &ours, "404");
        for key in ["details", "resource_id", "resource_type"] {
            assert_eq!(ours[key], documented[key], "404 {key}");
        }
    }
}
