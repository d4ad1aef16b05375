//! VOUCHERS.IMPORT_CSV end to end: the standalone template's columns, values in major units
//! (Decision 9), re-uploaded codes updated, per-row failures `{code, row, reason}`, metadata
//! typed through the voucher schema, the `webhooks_enable` form field, refused uploads, and
//! project isolation.

use serde_json::{Value, json};

use crate::support::{A, B, TestApp};

const HEADER: &str = "Code,Voucher Type,Value,Discount Type,Category,Start Date,Expiration Date,Redemption Limit,Redeemed Quantity,Redeemed Amount,Active,Additional Info,Region,tier";

/// Uploads `csv` with the form field `webhooks_enable=true` first, as the JS SDK does, and
/// returns the action id (a 202).
async fn upload(app: &TestApp, creds: (&str, &str), csv: &str) -> String {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
        .file_name("vouchers.csv")
        .mime_str("text/csv")
        .expect("mime");
    let form = reqwest::multipart::Form::new().text("webhooks_enable", "true").part("file", part);
    let res = reqwest::Client::new()
        .post(app.url("/v1/vouchers/importCSV"))
        .header("X-App-Id", creds.0)
        .header("X-App-Token", creds.1)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 202, "{body}");
    body["async_action_id"].as_str().expect("id").to_owned()
}

async fn result(app: &TestApp, creds: (&str, &str), id: &str) -> Value {
    app.run_pending().await;
    let a = app.get_as(creds, &format!("/v1/async-actions/{id}")).await.json();
    assert_eq!(
        (a["type"].as_str(), a["status"].as_str(), a["operation_status"].as_str()),
        (Some("VOUCHERS.IMPORT_CSV"), Some("DONE"), Some("SUCCESS")),
        "{a}"
    );
    a["result"].clone()
}

backend_tests! {
    async fn voucher_csv_import_creates_updates_and_reports_bad_rows(backend) {
        let app = TestApp::spawn(backend).await;
        let schema = json!({"related_object": "voucher", "properties": {"tier": {"type": "number", "optional": true}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let csv = format!("{HEADER}\n\
            FALL2023,DISCOUNT_VOUCHER,10,AMOUNT,Autumn,2026-09-01,2026-11-30,5,1,,TRUE,first,EU,2\n\
            PCT,DISCOUNT_VOUCHER,12.5,PERCENT,,,,,,,false,,,\n\
            GIFT,GIFT_VOUCHER,100,,,,,,,25.5,,,,\n\
            NOTYPE,,10,AMOUNT,,,,,,,,,,\n\
            NODISC,DISCOUNT_VOUCHER,10,,,,,,,,,,,\n\
            BADVAL,DISCOUNT_VOUCHER,ten,FIXED,,,,,,,,,,\n\
            BADTIER,DISCOUNT_VOUCHER,1,AMOUNT,,,,,,,,,,gold\n\
            ,DISCOUNT_VOUCHER,1,AMOUNT,,,,,,,,,,\n\
            SHORT,DISCOUNT_VOUCHER\n");
        let id = upload(&app, A, &csv).await;
        assert_eq!(result(&app, A, &id).await, json!({
            "message": "3 voucher(s) imported successfully, 6 failed.",
            "failed": [
                {"code": "NOTYPE", "row": 4, "reason": "Voucher Type is required"},
                {"code": "NODISC", "row": 5, "reason": "Discount Type is required"},
                {"code": "BADVAL", "row": 6, "reason": "Value: must be a number (actual value is 'ten')"},
                {"code": "BADTIER", "row": 7, "reason": "tier: must be a number (actual value is 'gold')"},
                {"code": "", "row": 8, "reason": "Code is required"},
                {"code": "", "row": 9, "reason": "row has 2 fields, the header has 14"},
            ],
            "done_count": 3,
            "failed_count": 6,
        }));
        let v = app.get("/v1/vouchers/FALL2023").await.json();
        assert_eq!((v["type"].clone(), v["discount"].clone()), (json!("DISCOUNT_VOUCHER"), json!({"type": "AMOUNT", "amount_off": 1000})));
        assert_eq!((v["category"].clone(), v["active"].clone(), v["additional_info"].clone()), (json!("Autumn"), json!(true), json!("first")));
        assert_eq!((v["start_date"].clone(), v["expiration_date"].clone()), (json!("2026-09-01T00:00:00.000Z"), json!("2026-11-30T00:00:00.000Z")));
        assert_eq!((v["redemption"]["quantity"].clone(), v["redemption"]["redeemed_quantity"].clone()), (json!(5), json!(1)));
        assert_eq!(v["metadata"], json!({"Region": "EU", "tier": 2}));
        let pct = app.get("/v1/vouchers/PCT").await.json();
        assert_eq!((pct["discount"].clone(), pct["active"].clone(), pct["redemption"]["quantity"].clone()), (json!({"type": "PERCENT", "percent_off": 12.5}), json!(false), Value::Null));
        let gift = app.get("/v1/vouchers/GIFT").await.json();
        assert_eq!(gift["gift"], json!({"amount": 10000, "subtracted_amount": 2550, "balance": 7450}));
        for code in ["NOTYPE", "NODISC", "BADVAL", "BADTIER", "SHORT"] {
            assert_eq!(app.get(&format!("/v1/vouchers/{code}")).await.status, 404, "{code}");
        }

        // Re-uploading an existing code updates it; metadata keys merge.
        let csv = format!("{HEADER}\nFALL2023,DISCOUNT_VOUCHER,7.5,FIXED,Winter,,,,,,FALSE,,,3\n");
        let id = upload(&app, A, &csv).await;
        assert_eq!(result(&app, A, &id).await["message"], "1 voucher(s) imported successfully, 0 failed.");
        let v = app.get("/v1/vouchers/FALL2023").await.json();
        assert_eq!((v["discount"].clone(), v["category"].clone(), v["active"].clone()), (json!({"type": "FIXED", "fixed_amount": 750}), json!("Winter"), json!(false)));
        assert_eq!(v["metadata"], json!({"Region": "EU", "tier": 3}));
        assert!(v["updated_at"].is_string());
        assert_eq!(app.get("/v1/vouchers").await.json()["total"], 3);
    }

    async fn voucher_csv_uploads_without_a_file_are_refused(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.upload("/v1/vouchers/importCSV", None, b"Code\nA\n".to_vec()).await;
        assert_eq!((res.status, res.json()["details"].clone()), (400, json!("Payload should have required property 'file'")), "{}", res.text);
        let res = app.post("/v1/vouchers/importCSV", &json!({"file": "x"})).await;
        assert_eq!((res.status, res.json()["key"].clone()), (400, json!("invalid_payload")));
        assert_eq!(app.get("/v1/async-actions").await.json()["async_actions"], json!([]));
    }

    async fn voucher_csv_imports_belong_to_their_project(backend) {
        let app = TestApp::spawn(backend).await;
        let csv = format!("{HEADER}\nSAME,DISCOUNT_VOUCHER,1,AMOUNT,,,,,,,,,,\n");
        let id = upload(&app, A, &csv).await;
        result(&app, A, &id).await;
        assert_eq!(app.get_as(B, "/v1/vouchers/SAME").await.status, 404);
        assert_eq!(app.get_as(B, &format!("/v1/async-actions/{id}")).await.status, 404);
        let csv = format!("{HEADER}\nSAME,GIFT_VOUCHER,2,,,,,,,,,,,\n");
        let id = upload(&app, B, &csv).await;
        assert_eq!(result(&app, B, &id).await["done_count"], 1);
        assert_eq!(app.get_as(B, "/v1/vouchers/SAME").await.json()["type"], "GIFT_VOUCHER");
        assert_eq!(app.get("/v1/vouchers/SAME").await.json()["discount"]["amount_off"], 100, "A's voucher is not B's update");
    }
}
