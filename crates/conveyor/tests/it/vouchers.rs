//! Standalone vouchers: the voucher object, the reads, VOUCHERS.BULK_UPDATE and
//! VOUCHERS.METADATA_UPDATE end to end (no upsert: a missing code is an item error), and
//! project isolation.

use cv_domain::{
    Timestamp, VoucherRecord,
    voucher::{Discount, DiscountType, Gift, VoucherType},
};
use serde_json::{Value, json};

use crate::support::{B, TestApp};

/// Seeds project A with an AMOUNT voucher `A1` (metadata `{"keep": 1}`) and a gift card `G1`.
async fn seed(app: &TestApp) {
    let mut amount = VoucherRecord::new("A1".into(), VoucherType::DiscountVoucher);
    amount.discount =
        Some(Discount { amount_off: Some(1000), ..Discount::new(DiscountType::Amount) });
    amount.metadata = json!({"keep": 1}).as_object().cloned().unwrap_or_default();
    amount.redemption_quantity = Some(5);
    let mut gift = VoucherRecord::new("G1".into(), VoucherType::GiftVoucher);
    gift.gift = Some(Gift { amount: 5000, balance: 5000 });
    let (store, now) = (&app.store, Timestamp::now());
    store.import_vouchers(&app.project_a, vec![amount], false, now).await.expect("a1");
    store.import_vouchers(&app.project_a, vec![gift], false, now.plus_millis(1)).await.expect("g1");
}

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
    async fn vouchers_read_back_in_voucherify_shape(backend) {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let v = app.get("/v1/vouchers/A1").await.json();
        let id = v["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("v_") && id.len() == 34 && id[2..].bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        assert_eq!(v["code"], "A1");
        assert_eq!((v["object"].clone(), v["type"].clone(), v["campaign"].clone(), v["campaign_id"].clone()), (json!("voucher"), json!("DISCOUNT_VOUCHER"), Value::Null, Value::Null));
        assert_eq!(v["discount"], json!({"type": "AMOUNT", "amount_off": 1000}));
        assert_eq!((v["gift"].clone(), v["loyalty_card"].clone(), v["active"].clone()), (Value::Null, Value::Null, json!(true)));
        assert_eq!(v["redemption"], json!({"quantity": 5, "redeemed_quantity": 0, "redeemed_points": 0, "object": "list", "url": "/v1/vouchers/A1/redemptions?page=1&limit=10"}));
        assert_eq!((v["publish"]["object"].clone(), v["publish"]["count"].clone()), (json!("list"), json!(0)));
        assert_eq!(v["metadata"], json!({"keep": 1}));
        assert!(v["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert_eq!(app.get(&format!("/v1/vouchers/{id}")).await.json()["code"], "A1");
        let g = app.get("/v1/vouchers/G1").await.json();
        assert_eq!((g["type"].clone(), g["gift"].clone(), g["discount"].clone()), (json!("GIFT_VOUCHER"), json!({"amount": 5000, "subtracted_amount": 0, "balance": 5000}), Value::Null));

        let list = app.get("/v1/vouchers?limit=1").await.json();
        assert_eq!((list["object"].clone(), list["data_ref"].clone(), list["total"].clone()), (json!("list"), json!("vouchers"), json!(2)));
        assert_eq!(list["vouchers"].as_array().map(Vec::len), Some(1));
        let all = app.get("/v1/vouchers").await.json();
        let codes: Vec<&str> = all["vouchers"].as_array().expect("list").iter().filter_map(|v| v["code"].as_str()).collect();
        assert_eq!(codes, vec!["G1", "A1"], "newest first");
        assert_eq!(app.get("/v1/vouchers?page=2&limit=1").await.json()["vouchers"][0]["code"], "A1");
        assert_eq!(app.get("/v1/vouchers?campaign_id=camp_1").await.json()["total"], 0);
        assert_eq!(app.get("/v1/vouchers?limit=101").await.status, 400);
        let missing = app.get("/v1/vouchers/NOPE").await;
        assert_eq!((missing.status, missing.json()["key"].clone()), (404, json!("not_found")));
    }

    async fn vouchers_bulk_update_merges_metadata_and_fails_missing_codes(backend) {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let schema = json!({"related_object": "voucher", "properties": {"lang": {"type": "string", "eq": ["en", "pl"]}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let id = accepted(&app, "/v1/vouchers/bulk/async", &json!([
            {"code": "A1", "metadata": {"lang": "en"}},
            {"code": "MISSING", "metadata": {"lang": "en"}},
            {"code": "G1", "metadata": {"lang": "de"}},
        ])).await;
        let a = done(&app, &id).await;
        assert_eq!(a["type"], "VOUCHERS.BULK_UPDATE");
        let result = &a["result"];
        assert_eq!((result["done_count"].clone(), result["failed_count"].clone()), (json!(1), json!(2)));
        assert_eq!(result["errors"], json!([
            {"message": "Resource not found", "details": "Cannot find voucher with id MISSING", "key": "not_found", "code": "MISSING"},
            {"message": "Metadata validation failed", "details": "lang: must be equal to one of en,pl (actual value is 'de')", "key": "metadata_validation_failed", "code": "G1"},
        ]));
        assert!(result["reports"][0].as_str().is_some_and(|u| u.ends_with(&format!("/v1/async-actions/{id}/report"))));
        assert!(result["reports_available_till"].is_string());
        assert_eq!(app.get("/v1/vouchers/A1").await.json()["metadata"], json!({"keep": 1, "lang": "en"}));
        assert_eq!(app.get("/v1/vouchers/G1").await.json()["metadata"], json!({}));
        assert_eq!(app.get("/v1/vouchers/MISSING").await.status, 404, "no upsert");
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await.text;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(&lines[..2], &["id,found,updated,error", "A1,true,true,"]);
        assert!(lines[2].starts_with("MISSING,false,false,"), "{csv}");

        let res = app.post("/v1/vouchers/bulk/async", &json!([{"metadata": {}}])).await;
        assert_eq!((res.status, res.json()["key"].clone()), (400, json!("invalid_payload")), "{}", res.text);
        let res = app.post("/v1/vouchers/bulk/async", &json!([{"code": "A1"}])).await;
        assert_eq!(res.status, 400, "{}", res.text);
    }

    async fn vouchers_metadata_update_merges_without_upsert(backend) {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let id = accepted(&app, "/v1/vouchers/metadata/async", &json!({"codes": ["A1", "NOPE", "G1"], "metadata": {"authorized_internally": true}})).await;
        let a = done(&app, &id).await;
        assert_eq!(a["type"], "VOUCHERS.METADATA_UPDATE");
        let result = &a["result"];
        assert_eq!((result["done_count"].clone(), result["failed_count"].clone()), (json!(2), json!(1)));
        assert_eq!(result["errors"], json!([{"message": "Resource not found", "details": "Cannot find voucher with id NOPE", "key": "not_found"}]));
        assert_eq!(app.get("/v1/vouchers/A1").await.json()["metadata"], json!({"keep": 1, "authorized_internally": true}));
        assert_eq!(app.get("/v1/vouchers/G1").await.json()["metadata"], json!({"authorized_internally": true}));
        assert_eq!(app.get("/v1/vouchers/NOPE").await.status, 404);
        let csv = app.get(&format!("/v1/async-actions/{id}/report")).await.text;
        assert!(csv.starts_with("id,found,updated,error\nA1,true,true,\nNOPE,false,false,"), "{csv}");
        let res = app.post("/v1/vouchers/metadata/async", &json!({"metadata": {}})).await;
        assert_eq!(res.status, 400, "{}", res.text);
    }

    async fn another_projects_vouchers_answer_not_found(backend) {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let id = app.get("/v1/vouchers/A1").await.json()["id"].as_str().expect("id").to_owned();
        for path in ["/v1/vouchers/A1".to_owned(), format!("/v1/vouchers/{id}")] {
            let res = app.get_as(B, &path).await;
            assert_eq!((res.status, res.json()["key"].clone()), (404, json!("not_found")), "{path}");
        }
        assert_eq!(app.get_as(B, "/v1/vouchers").await.json()["total"], 0);
        let body = serde_json::to_vec(&json!({"codes": ["A1"], "metadata": {"b": 1}})).expect("json");
        let res = app.send(reqwest::Method::POST, "/v1/vouchers/metadata/async", Some(B), Some(body)).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let action = res.json()["async_action_id"].as_str().expect("id").to_owned();
        app.run_pending().await;
        let a = app.get_as(B, &format!("/v1/async-actions/{action}")).await.json();
        assert_eq!((a["result"]["done_count"].clone(), a["result"]["failed_count"].clone()), (json!(0), json!(1)));
        assert_eq!(app.get("/v1/vouchers/A1").await.json()["metadata"], json!({"keep": 1}));
    }
}
