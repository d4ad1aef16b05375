//! VOUCHERS.IMPORT end to end: created vouchers, failed items `{code, reason}`, the
//! synchronous 400s, and project isolation.

use serde_json::{Value, json};

use crate::support::{B, TestApp};

async fn import(app: &TestApp, body: &Value) -> Value {
    let res = app.post("/v1/vouchers/import", body).await;
    assert_eq!(res.status, 202, "{}", res.text);
    let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
    app.run_pending().await;
    let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
    assert_eq!(
        (a["type"].as_str(), a["status"].as_str(), a["operation_status"].as_str()),
        (Some("VOUCHERS.IMPORT"), Some("DONE"), Some("SUCCESS")),
        "{a}"
    );
    a["result"].clone()
}

fn error(res: &crate::support::Resp) -> (u16, Value, Value, Value) {
    let body = res.json();
    (res.status, body["key"].clone(), body["message"].clone(), body["details"].clone())
}

backend_tests! {
    async fn vouchers_import_creates_and_reports_failed_items(backend) {
        let app = TestApp::spawn(backend).await;
        let schema = json!({"related_object": "voucher", "properties": {"unit": {"type": "number", "eq": [1, 2], "optional": true}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let result = import(&app, &json!([
            {"code": "AMOUNT-1", "type": "DISCOUNT_VOUCHER", "discount": {"type": "AMOUNT", "amount_off": 1000, "effect": "APPLY_TO_ORDER"}, "category": "New", "redemption": {"quantity": 3}, "start_date": "2026-01-01", "expiration_date": "2026-12-31T00:00:00Z", "additional_info": "hi", "metadata": {"unit": 1}, "validity_day_of_week": [1]},
            {"code": "PERCENT-1", "discount": {"type": "PERCENT"}},
            {"code": "GIFT-1", "type": "GIFT_VOUCHER", "gift": {"amount": 5000}, "active": false},
            {"code": "GIFT-2", "type": "GIFT_VOUCHER", "gift": {}},
            {"code": "UNIT-1", "discount": {"type": "UNIT", "unit_off": 1, "unit_type": "prod_1"}},
            {"code": "PROMO-CODE31", "discount": {"type": "PERCENT", "percent_off": 12.5}, "metadata": {"unit": "EUR"}},
            {"code": "ODD", "type": "COUPON"},
        ])).await;
        assert_eq!(result["message"], "3 voucher(s) imported successfully, 4 failed.");
        assert_eq!((result["done_count"].clone(), result["failed_count"].clone()), (json!(3), json!(4)));
        let failed = result["failed"].as_array().expect("failed");
        assert_eq!(failed.len(), 4);
        assert_eq!(failed[0], json!({"code": "PERCENT-1", "reason": "discount.percent_off: property is required"}));
        assert_eq!(failed[1], json!({"code": "GIFT-2", "reason": "gift.amount: property is required"}));
        assert_eq!(failed[2]["code"], "PROMO-CODE31");
        assert!(failed[2]["reason"].as_str().is_some_and(|r| r.starts_with("unit: must be a number")), "{}", failed[2]);
        assert_eq!(failed[3], json!({"code": "ODD", "reason": "type: must be equal to one of DISCOUNT_VOUCHER,GIFT_VOUCHER,LOYALTY_CARD (actual value is 'COUPON')"}));

        let v = app.get("/v1/vouchers/AMOUNT-1").await.json();
        assert_eq!(v["discount"], json!({"type": "AMOUNT", "amount_off": 1000, "effect": "APPLY_TO_ORDER"}));
        assert_eq!((v["category"].clone(), v["additional_info"].clone(), v["metadata"].clone()), (json!("New"), json!("hi"), json!({"unit": 1})));
        assert_eq!((v["start_date"].clone(), v["expiration_date"].clone()), (json!("2026-01-01T00:00:00.000Z"), json!("2026-12-31T00:00:00.000Z")));
        assert_eq!((v["redemption"]["quantity"].clone(), v["campaign_id"].clone()), (json!(3), Value::Null));
        let g = app.get("/v1/vouchers/GIFT-1").await.json();
        assert_eq!((g["type"].clone(), g["gift"]["amount"].clone(), g["gift"]["balance"].clone(), g["active"].clone()), (json!("GIFT_VOUCHER"), json!(5000), json!(5000), json!(false)));
        assert_eq!(app.get("/v1/vouchers/UNIT-1").await.json()["discount"], json!({"type": "UNIT", "unit_off": 1, "unit_type": "prod_1"}));
        for code in ["PERCENT-1", "GIFT-2", "PROMO-CODE31", "ODD"] {
            assert_eq!(app.get(&format!("/v1/vouchers/{code}")).await.status, 404, "{code}");
        }
        assert_eq!(app.get("/v1/vouchers").await.json()["total"], 3);
    }

    async fn vouchers_import_refuses_bad_requests_at_once(backend) {
        let app = TestApp::spawn(backend).await;
        import(&app, &json!([{"code": "TAKEN", "discount": {"type": "AMOUNT", "amount_off": 1}}])).await;
        let amount = json!({"type": "AMOUNT", "amount_off": 1});
        let res = app.post("/v1/vouchers/import", &json!([{"code": "A", "discount": amount}, {"discount": amount}])).await;
        assert_eq!(error(&res), (400, json!("invalid_voucher"), json!("Invalid Voucher"), json!("Found 1 voucher(s) without 'code' value")));
        let res = app.post("/v1/vouchers/import", &json!([{"code": "A", "discount": amount}, {"code": "A", "discount": amount}])).await;
        assert_eq!((res.status, res.json()["key"].clone(), res.json()["message"].clone()), (400, json!("duplicate_key"), json!("Duplicate codes")));
        let res = app.post("/v1/vouchers/import", &json!([{"code": "NEW", "discount": amount}, {"code": "TAKEN", "discount": amount}])).await;
        assert_eq!(error(&res), (400, json!("duplicate_key"), json!("Duplicate codes"), json!("1 voucher codes(s) already exist.")));
        let res = app.post("/v1/vouchers/import", &json!([{"code": "Q", "discount": amount, "redemption": {"quantity": "3"}}])).await;
        assert_eq!(error(&res), (400, json!("invalid_payload"), json!("Invalid payload"), json!("Property .[0].redemption.quantity should be number,null")));
        let res = app.post("/v1/vouchers/import", &json!({"code": "X"})).await;
        assert_eq!((res.status, res.json()["key"].clone()), (400, json!("invalid_payload")));
        // Nothing of a refused request was stored.
        assert_eq!(app.get("/v1/vouchers/NEW").await.status, 404);
        assert_eq!(app.get("/v1/vouchers").await.json()["total"], 1);
    }

    async fn imported_vouchers_belong_to_their_project(backend) {
        let app = TestApp::spawn(backend).await;
        import(&app, &json!([{"code": "SHARED", "discount": {"type": "AMOUNT", "amount_off": 1}}])).await;
        assert_eq!(app.get_as(B, "/v1/vouchers/SHARED").await.status, 404);
        // B may import the same code: A's codes are not B's duplicates.
        let body = serde_json::to_vec(&json!([{"code": "SHARED", "type": "GIFT_VOUCHER", "gift": {"amount": 100}}])).expect("json");
        let res = app.send(reqwest::Method::POST, "/v1/vouchers/import", Some(B), Some(body)).await;
        assert_eq!(res.status, 202, "{}", res.text);
        app.run_pending().await;
        assert_eq!(app.get_as(B, "/v1/vouchers/SHARED").await.json()["type"], "GIFT_VOUCHER");
        assert_eq!(app.get("/v1/vouchers/SHARED").await.json()["type"], "DISCOUNT_VOUCHER");
    }
}
