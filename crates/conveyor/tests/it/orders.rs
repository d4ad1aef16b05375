//! ORDERS.IMPORT end to end: imported and failed orders (`{source_id, reason}`), the
//! customers, products and SKUs an import upserts, the order object and list, the
//! synchronous 400s, one import per project at a time, and project isolation.

use cv_domain::ActionId;
use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use crate::support::{B, Resp, TestApp, customers, is_hex_id};

/// Submits an import as project A; the action id.
async fn submit(app: &TestApp, body: &Value) -> String {
    let res = app.post("/v1/orders/import", body).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
    assert!(is_hex_id(&id, "aa_", 18), "{id}");
    id
}

async fn action(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/async-actions/{id}")).await.json()
}

/// The exact Voucherify body of a 400 `invalid_payload`.
fn assert_invalid(res: &Resp, details: &str) {
    assert_eq!(res.status, 400, "{}", res.text);
    let request_id = res.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(
        res.json(),
        json!({"code": 400, "key": "invalid_payload", "message": "Invalid payload", "details": details, "request_id": request_id}),
        "{}",
        res.text
    );
}

fn order(source_id: &str) -> Value {
    json!({"source_id": source_id, "status": "PAID", "amount": 100})
}

backend_tests! {
    async fn orders_import_upserts_references_and_reports_failed_orders(backend) {
        let app = TestApp::spawn(backend).await;
        let schema = json!({"related_object": "order", "properties": {"channel": {"type": "string", "optional": true}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let vase = app.post("/v1/products", &json!({"source_id": "vase", "name": "Vase", "price": 1500})).await.json();
        let id = submit(&app, &json!([
            {
                "source_id": "ord-1", "status": "PAID", "created_at": "2022-03-01T10:00:00Z",
                "discount_amount": 500, "metadata": {"channel": "web"},
                "customer": {"source_id": "bob", "name": "Bob", "email": "bob@example.com", "metadata": {"lang": "en"}},
                "referrer": {"source_id": "jane", "name": "Jane"},
                "items": [
                    {"source_id": "phone", "related_object": "product", "quantity": 2,
                     "product": {"name": "Phone", "price": 70000, "metadata": {"color": ["silver"]}, "override": true}},
                    {"source_id": "comic-1", "related_object": "sku", "quantity": 1, "discount_amount": 100,
                     "product": {"source_id": "books", "name": "Comics", "price": 1600},
                     "sku": {"source_id": "comic-1", "sku": "Comic 1", "price": 1600, "metadata": {"issue": 1}}}
                ]
            },
            {
                "source_id": "ord-2", "customer": {"source_id": "bob"},
                "items": [
                    {"source_id": "comic-1", "related_object": "sku", "quantity": 4, "sku": {"source_id": "comic-1"}},
                    {"source_id": "vase", "related_object": "product", "quantity": 1, "product": {"source_id": "vase"}}
                ]
            },
            {"source_id": "ord-3", "items": [{"product_id": "prod_000000000000000000", "quantity": 2}]},
            {"status": "PAID", "customer": {"id": "cust_unknown"}},
            {"source_id": "ord-1", "status": "CREATED"},
            {"source_id": "ord-5", "metadata": {"channel": 5}},
            {"source_id": "ord-6", "status": "CANCELED", "amount": 7000},
            {"source_id": "ord-7", "status": "CREATED", "items": [{"price": 900, "quantity": 2}, {"price": 2000, "quantity": 3}]}
        ])).await;
        let queued = action(&app, &id).await;
        assert_eq!((queued["type"].as_str(), queued["status"].as_str()), (Some("ORDERS.IMPORT"), Some("ENQUEUED")));
        assert_eq!(app.run_pending().await.finished, 1);

        let done = action(&app, &id).await;
        assert_eq!((done["status"].as_str(), done["operation_status"].as_str(), done["progress"].as_u64()), (Some("DONE"), Some("SUCCESS"), Some(100)));
        assert_eq!(done["result"], json!({
            "message": "4 order(s) imported successfully, 4 failed.",
            "failed": [
                {"source_id": "ord-3", "reason": "Cannot find product with id prod_000000000000000000"},
                {"source_id": null, "reason": "Cannot find customer with id cust_unknown"},
                {"source_id": "ord-1", "reason": "source_id: 'ord-1' appears in an earlier order of this import"},
                {"source_id": "ord-5", "reason": "channel: must be a string (actual value is '5')"}
            ],
            "done_count": 4,
            "failed_count": 4
        }));

        // The customers, products and SKUs the orders named were upserted.
        let bob = app.get("/v1/customers/bob").await.json();
        assert_eq!((bob["name"].clone(), bob["email"].clone(), bob["metadata"].clone()), (json!("Bob"), json!("bob@example.com"), json!({"lang": "en"})));
        let jane = app.get("/v1/customers/jane").await.json();
        assert_eq!(jane["name"], "Jane");
        let phone = app.get("/v1/products/phone").await.json();
        assert_eq!((phone["name"].clone(), phone["price"].clone(), phone["metadata"].clone()), (json!("Phone"), json!(70000), json!({"color": ["silver"]})));
        let books = app.get("/v1/products/books").await.json();
        let comic = app.get("/v1/skus/comic-1").await.json();
        assert_eq!((comic["product_id"].clone(), comic["sku"].clone(), comic["price"].clone()), (books["id"].clone(), json!("Comic 1"), json!(1600)));
        assert_eq!(app.get("/v1/orders/ord-3").await.status, 404);
        assert_eq!(app.get("/v1/orders/ord-5").await.status, 404);

        let one = app.get("/v1/orders/ord-1").await;
        assert!(one.content_type().starts_with("application/json"));
        let one = one.json();
        let order_id = one["id"].as_str().expect("id").to_owned();
        assert!(is_hex_id(&order_id, "ord_", 18), "{order_id}");
        assert_eq!(one, json!({
            "id": order_id, "source_id": "ord-1",
            "created_at": "2022-03-01T10:00:00.000Z", "updated_at": null,
            "status": "PAID",
            "amount": 141600, "initial_amount": 141600, "discount_amount": 500,
            "items_discount_amount": 100, "total_discount_amount": 600, "total_amount": 141000,
            "items": [
                {"object": "order_item", "sku_id": null, "product_id": phone["id"], "related_object": "product", "source_id": "phone",
                 "quantity": 2, "discount_quantity": null, "initial_quantity": 2, "amount": 140000, "discount_amount": null,
                 "initial_amount": 140000, "price": 70000, "subtotal_amount": 140000,
                 "product": {"id": phone["id"], "source_id": "phone", "name": "Phone", "price": 70000, "metadata": {"color": ["silver"]}},
                 "sku": null, "metadata": {}},
                {"object": "order_item", "sku_id": comic["id"], "product_id": books["id"], "related_object": "sku", "source_id": "comic-1",
                 "quantity": 1, "discount_quantity": null, "initial_quantity": 1, "amount": 1600, "discount_amount": 100,
                 "initial_amount": 1600, "price": 1600, "subtotal_amount": 1500,
                 "product": {"id": books["id"], "source_id": "books", "name": "Comics", "price": 1600, "metadata": {}},
                 "sku": {"id": comic["id"], "source_id": "comic-1", "sku": "Comic 1", "price": 1600, "metadata": {"issue": 1}},
                 "metadata": {}}
            ],
            "metadata": {"channel": "web"},
            "customer": {"id": bob["id"], "object": "customer"}, "customer_id": bob["id"],
            "referrer": {"id": jane["id"], "object": "customer"}, "referrer_id": jane["id"],
            "object": "order", "redemptions": {}
        }));
        assert_eq!(app.get(&format!("/v1/orders/{order_id}")).await.json(), one, "by id or source_id");

        // Prices come from the catalog when an item gives none.
        let two = app.get("/v1/orders/ord-2").await.json();
        assert_eq!((two["status"].clone(), two["amount"].clone(), two["customer_id"].clone()), (json!("CREATED"), json!(7900), bob["id"].clone()));
        assert_eq!((two["items"][0]["price"].clone(), two["items"][0]["amount"].clone()), (json!(1600), json!(6400)));
        assert_eq!((two["items"][1]["product_id"].clone(), two["items"][1]["amount"].clone()), (vase["id"].clone(), json!(1500)));
        let six = app.get("/v1/orders/ord-6").await.json();
        assert_eq!((six["status"].clone(), six["total_amount"].clone(), six["items"].clone()), (json!("CANCELED"), json!(7000), json!([])));
        assert_eq!(app.get("/v1/orders/ord-7").await.json()["amount"], 7800);

        let list = app.get("/v1/orders").await.json();
        assert_eq!((list["object"].clone(), list["data_ref"].clone(), list["total"].clone()), (json!("list"), json!("orders"), json!(4)));
        let orders = list["orders"].as_array().expect("orders");
        assert_eq!(orders.len(), 4);
        assert_eq!(orders[3], one, "the historical order is the oldest");
        let page = app.get("/v1/orders?limit=3&page=2").await.json();
        assert_eq!(page["orders"].as_array().map(|o| o[0]["source_id"].clone()), Some(json!("ord-1")));
        let res = app.get("/v1/orders?limit=101").await;
        assert_eq!((res.status, res.json()["details"].clone()), (400, json!("Property .limit must be <= 100")));

        // Re-importing replaces by source_id: same id, creation time kept unless given.
        let again = submit(&app, &json!([{"source_id": "ord-1", "status": "FULFILLED", "amount": 10}])).await;
        app.run_pending().await;
        assert_eq!(action(&app, &again).await["result"]["message"], "1 order(s) imported successfully, 0 failed.");
        let replaced = app.get("/v1/orders/ord-1").await.json();
        assert_eq!((replaced["id"].clone(), replaced["created_at"].clone(), replaced["status"].clone()), (json!(order_id), json!("2022-03-01T10:00:00.000Z"), json!("FULFILLED")));
        assert_eq!((replaced["items"].clone(), replaced["customer"].clone(), replaced["total_amount"].clone()), (json!([]), Value::Null, json!(10)));
        assert!(replaced["updated_at"].is_string());
        assert_eq!(app.get("/v1/orders").await.json()["total"], 4);
    }

    async fn orders_import_refuses_malformed_bodies_and_changes_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        submit(&app, &json!([order("kept")])).await;
        app.run_pending().await;
        let before = app.snapshot().await;
        let many_orders = Value::Array((0..2001).map(|_| json!({})).collect());
        let many_items = json!([{"items": (0..501).map(|_| json!({"amount": 1})).collect::<Vec<_>>()}]);
        let cases: Vec<(Value, &str)> = vec![
            (json!({"source_id": "a"}), "Payload should be array"),
            (json!([]), "Payload should NOT have fewer than 1 items"),
            (many_orders, "Payload should NOT have more than 2000 items"),
            (json!([5]), "Property .[0] should be object"),
            (json!([order("ok"), {"status": "SHIPPED"}]), "Property .[1].status should be equal to one of the allowed values: CREATED, PAID, CANCELED, FULFILLED"),
            (json!([{"source_id": 5}]), "Property .[0].source_id should be string"),
            (json!([{"amount": -1}]), "Property .[0].amount cannot be lower than 0"),
            (json!([{"discount_amount": "10"}]), "Property .[0].discount_amount should be integer"),
            (json!([{"initial_amount": 1.5}]), "Property .[0].initial_amount should be integer"),
            (json!([{"created_at": "yesterday"}]), "Property .[0].created_at should match format \"date-time\""),
            (json!([{"metadata": [1]}]), "Property .[0].metadata should be object"),
            (json!([{"items": {}}]), "Property .[0].items should be array"),
            (many_items, "Property .[0].items should NOT have more than 500 items"),
            (json!([{"items": [{"initial_quantity": 0}]}]), "Property .[0].items[0].initial_quantity cannot be lower than 1"),
            (json!([{"items": [{"quantity": 1}, {"quantity": 0}]}]), "Property .[0].items[1].quantity cannot be lower than 1"),
            (json!([{"items": [{"price": -5}]}]), "Property .[0].items[0].price cannot be lower than 0"),
            (json!([{"items": [{"related_object": "voucher", "source_id": "x"}]}]), "Property .[0].items[0].related_object should be equal to one of the allowed values: product, sku"),
            (json!([{"items": [{"product": {"price": "1"}}]}]), "Property .[0].items[0].product.price should be integer"),
            (json!([{"items": [{"sku": "x"}]}]), "Property .[0].items[0].sku should be object"),
            (json!([{"items": ["x"]}]), "Property .[0].items[0] should be object"),
            (json!([{"customer": {"name": "Nobody"}}]), "Property .[0].customer should have required property 'id' or 'source_id'"),
            (json!([{"customer": {"source_id": "a", "birthdate": "1990-02-30"}}]), "Property .[0].customer.birthdate should match format \"date\""),
            (json!([{"referrer": {"source_id": "a", "email": 7}}]), "Property .[0].referrer.email should be string"),
            (json!([{"referrer_id": 7}]), "Property .[0].referrer_id should be string"),
        ];
        for (body, details) in cases {
            assert_invalid(&app.post("/v1/orders/import", &body).await, details);
        }
        assert_invalid(&app.post_raw("/v1/orders/import", b"").await, "Payload should NOT have fewer than 1 items");
        assert_invalid(&app.post_raw("/v1/orders/import", b"[{").await, "Payload is not valid JSON: EOF while parsing an object at line 1 column 2");
        assert_eq!(app.snapshot().await, before, "refused imports changed nothing");
        assert_eq!(app.get("/v1/orders").await.json()["total"], 1);
    }

    async fn a_projects_imports_run_one_at_a_time(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 1).await;
        let x = submit(&app, &json!([order("x1"), order("x2")])).await;
        let y = submit(&app, &json!([order("y1"), order("y2")])).await;

        // The first import stops dead after its first chunk, its lease still held.
        let crashing = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(crashing.run_pending().await.expect("run").crashed);
        let (xa, ya) = (action(&app, &x).await, action(&app, &y).await);
        let (first, second) = if xa["status"] == "IN_PROGRESS" { (x, y) } else { (y, x) };
        let records = [&first, &second].map(|id| ActionId::from_string(id.as_str()));
        let older = |id: &ActionId| {
            let store = app.store.clone();
            let project = app.project_a.clone();
            let id = id.clone();
            async move { store.get_action(&project, &id).await.expect("get").expect("exists") }
        };
        let (f, s) = (older(&records[0]).await, older(&records[1]).await);
        assert!((f.created_at, f.id.clone()) < (s.created_at, s.id.clone()), "the older import went first");
        assert_eq!((f.status.as_str(), s.status.as_str()), ("IN_PROGRESS", "ENQUEUED"), "{xa} {ya}");

        // Meanwhile: a customer bulk update of the same project, and another project's import.
        let bulk = app.bulk_update(&customers(2)).await;
        let res = app.send(reqwest::Method::POST, "/v1/orders/import", Some(B), Some(json!([order("b1")]).to_string().into_bytes())).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let other = res.json()["async_action_id"].as_str().expect("id").to_owned();
        let drained = app.run_pending().await;
        assert_eq!((drained.finished, drained.crashed), (2, false));
        assert_eq!(action(&app, &bulk).await["status"], "DONE");
        assert_eq!(app.get_as(B, &format!("/v1/async-actions/{other}")).await.json()["status"], "DONE");
        let waiting = action(&app, &second).await;
        assert_eq!((waiting["status"].as_str(), waiting["progress"].as_u64()), (Some("ENQUEUED"), Some(0)), "{waiting}");
        assert_eq!(action(&app, &first).await["status"], "IN_PROGRESS");
        assert_eq!(app.get("/v1/orders").await.json()["total"], 1, "only the first chunk ran");

        // Once the dead worker's lease expires, the first import finishes, then the second runs.
        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
        assert_eq!(app.run_pending().await.finished, 2);
        let (f, s) = (action(&app, &first).await, action(&app, &second).await);
        assert_eq!((f["status"].as_str(), s["status"].as_str()), (Some("DONE"), Some("DONE")));
        assert_eq!(f["result"]["done_count"], 2);
        assert_eq!(s["result"]["done_count"], 2);
        assert_eq!(app.get("/v1/orders").await.json()["total"], 4);
    }

    async fn orders_belong_to_their_project(backend) {
        let app = TestApp::spawn(backend).await;
        submit(&app, &json!([order("mine")])).await;
        app.run_pending().await;
        let mine = app.get("/v1/orders/mine").await.json();
        let id = mine["id"].as_str().expect("id").to_owned();
        for key in ["mine", id.as_str()] {
            let res = app.get_as(B, &format!("/v1/orders/{key}")).await;
            assert_eq!(res.status, 404, "{}", res.text);
            let request_id = res.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            assert_eq!(res.json(), json!({
                "code": 404, "key": "not_found", "message": "Resource not found",
                "details": format!("Cannot find order with id {key}"), "request_id": request_id,
                "resource_id": key, "resource_type": "order"
            }));
        }
        assert_eq!(app.get_as(B, "/v1/orders").await.json()["total"], 0);
        assert_eq!(app.get("/v1/orders/ord_000000000000000000").await.status, 404);
        assert_eq!(app.get("/v1/orders").await.json()["total"], 1);
    }
}
