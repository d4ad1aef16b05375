//! CAMPAIGN.VOUCHERS_IMPORT and CAMPAIGN.VOUCHERS_IMPORT_CSV end to end: vouchers made from
//! the campaign's template with the items' (rows') fields, failed items `{code, reason}` and
//! rows `{code, row, reason}`, the standalone template's columns tolerated, existing codes
//! changing only active and category, the synchronous 400s, unknown campaigns (404), the
//! campaign's `vouchers_count`, and project isolation.

use serde_json::{Value, json};

use crate::support::{A, B, TestApp};

/// Creates a campaign without vouchers and returns its id.
async fn campaign(app: &TestApp, name: &str, kind: &str, voucher: Value) -> String {
    let body =
        json!({"name": name, "campaign_type": kind, "vouchers_count": 0, "voucher": voucher});
    let res = app.post("/v1/campaigns", &body).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn discount_campaign(app: &TestApp, name: &str) -> String {
    let voucher = json!({"type": "DISCOUNT_VOUCHER", "discount": {"type": "PERCENT", "percent_off": 15}, "redemption": {"quantity": 2}});
    campaign(app, name, "DISCOUNT_COUPONS", voucher).await
}

/// Runs the action `id` and returns its result, checking its type and outcome.
async fn finished(app: &TestApp, id: &str, kind: &str) -> Value {
    app.run_pending().await;
    let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
    assert_eq!(
        (a["type"].as_str(), a["status"].as_str(), a["operation_status"].as_str()),
        (Some(kind), Some("DONE"), Some("SUCCESS")),
        "{a}"
    );
    a["result"].clone()
}

async fn import(app: &TestApp, campaign: &str, body: &Value) -> Value {
    let res = app.post(&format!("/v1/campaigns/{campaign}/import"), body).await;
    assert_eq!(res.status, 202, "{}", res.text);
    let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
    finished(app, &id, "CAMPAIGN.VOUCHERS_IMPORT").await
}

/// Uploads `csv` into `campaign` as `creds` (multipart field `file`) and returns the reply.
async fn upload_as(
    app: &TestApp,
    creds: (&str, &str),
    campaign: &str,
    csv: &str,
) -> crate::support::Resp {
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
        .file_name("vouchers.csv")
        .mime_str("text/csv")
        .expect("mime");
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = reqwest::Client::new()
        .post(app.url(&format!("/v1/campaigns/{campaign}/importCSV")))
        .header("X-App-Id", creds.0)
        .header("X-App-Token", creds.1)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    crate::support::Resp { status, headers, text }
}

/// Uploads `csv` into `campaign` (a 200), runs the action and returns its result.
async fn import_csv(app: &TestApp, campaign: &str, csv: &str) -> Value {
    let res = upload_as(app, A, campaign, csv).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
    finished(app, &id, "CAMPAIGN.VOUCHERS_IMPORT_CSV").await
}

fn error(res: &crate::support::Resp) -> (u16, Value, Value) {
    let body = res.json();
    (res.status, body["key"].clone(), body["details"].clone())
}

backend_tests! {
    async fn campaign_import_makes_vouchers_of_the_campaign(backend) {
        let app = TestApp::spawn(backend).await;
        let id = discount_campaign(&app, "Spring").await;
        let schema = json!({"related_object": "voucher", "properties": {"unit": {"type": "number", "optional": true}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let result = import(&app, "Spring", &json!([
            {"code": "SPRING-1", "category": "New", "active": false, "redemption": {"quantity": 5}, "metadata": {"unit": 1}, "additional_info": "hi", "start_date": "2026-03-01", "expiration_date": "2026-05-31T00:00:00Z", "discount": {"type": "AMOUNT", "amount_off": 1}},
            {"code": "SPRING-2"},
            {"code": "SPRING-3", "metadata": {"unit": "EUR"}},
        ])).await;
        assert_eq!(result, json!({
            "message": "2 voucher(s) imported successfully, 1 failed.",
            "failed": [{"code": "SPRING-3", "reason": "unit: must be a number (actual value is 'EUR')"}],
            "done_count": 2,
            "failed_count": 1,
        }));
        let v = app.get("/v1/vouchers/SPRING-1").await.json();
        assert_eq!((v["campaign_id"].as_str(), v["type"].clone(), v["discount"].clone()), (Some(id.as_str()), json!("DISCOUNT_VOUCHER"), json!({"type": "PERCENT", "percent_off": 15})), "{v}");
        assert_eq!((v["category"].clone(), v["active"].clone(), v["redemption"]["quantity"].clone()), (json!("New"), json!(false), json!(5)));
        assert_eq!((v["metadata"].clone(), v["additional_info"].clone()), (json!({"unit": 1}), json!("hi")));
        assert_eq!((v["start_date"].clone(), v["expiration_date"].clone()), (json!("2026-03-01T00:00:00.000Z"), json!("2026-05-31T00:00:00.000Z")));
        let v = app.get("/v1/vouchers/SPRING-2").await.json();
        assert_eq!((v["active"].clone(), v["redemption"]["quantity"].clone()), (json!(true), json!(2)));
        assert_eq!(app.get("/v1/vouchers/SPRING-3").await.status, 404);
        let listed = app.get(&format!("/v1/vouchers?campaign_id={id}")).await.json();
        assert_eq!(listed["total"], 2, "{listed}");
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["vouchers_count"], 2);
    }

    async fn campaign_import_fills_gift_and_loyalty_campaigns(backend) {
        let app = TestApp::spawn(backend).await;
        let gifts = campaign(&app, "Gifts", "GIFT_VOUCHERS", json!({"type": "GIFT_VOUCHER", "gift": {"amount": 1000}})).await;
        let result = import(&app, &gifts, &json!([
            {"code": "G-1", "gift": {"amount": 2500}},
            {"code": "G-2"},
            {"code": "G-3", "gift": {}},
        ])).await;
        assert_eq!(result["failed"], json!([{"code": "G-3", "reason": "gift.amount: property is required"}]));
        let g = app.get("/v1/vouchers/G-1").await.json();
        assert_eq!((g["type"].clone(), g["gift"]["amount"].clone(), g["gift"]["balance"].clone()), (json!("GIFT_VOUCHER"), json!(2500), json!(2500)));
        assert_eq!(app.get("/v1/vouchers/G-2").await.json()["gift"]["amount"], 1000);
        let cards = campaign(&app, "Cards", "LOYALTY_PROGRAM", json!({"type": "LOYALTY_CARD", "loyalty_card": {"points": 0}})).await;
        let result = import(&app, &cards, &json!([{"code": "L-1", "loyalty_card": {"points": 40}}, {"code": "L-2", "loyalty_card": {}}])).await;
        assert_eq!(result["failed"], json!([{"code": "L-2", "reason": "loyalty_card.points: property is required"}]));
        let l = app.get("/v1/vouchers/L-1").await.json();
        assert_eq!((l["type"].clone(), l["loyalty_card"]["points"].clone()), (json!("LOYALTY_CARD"), json!(40)), "{l}");
        assert_eq!(app.get(&format!("/v1/campaigns/{cards}")).await.json()["vouchers_count"], 1);
    }

    async fn campaign_import_refuses_bad_requests(backend) {
        let app = TestApp::spawn(backend).await;
        let id = discount_campaign(&app, "Strict").await;
        let path = format!("/v1/campaigns/{id}/import");
        import(&app, &id, &json!([{"code": "TAKEN-1"}, {"code": "TAKEN-2"}])).await;
        let res = app.post(&path, &json!([{"code": "TAKEN-1"}, {"code": "TAKEN-2"}, {"code": "FREE"}])).await;
        assert_eq!(error(&res), (400, json!("duplicate_key"), json!("2 voucher codes(s) already exist.")));
        assert_eq!(res.json()["message"], "Duplicate codes");
        let res = app.post(&path, &json!([{"code": "A"}, {"category": "x"}])).await;
        assert_eq!(error(&res), (400, json!("invalid_voucher"), json!("Found 1 voucher(s) without 'code' value")));
        let res = app.post(&path, &json!([{"code": "A", "redemption": {"quantity": "many"}}])).await;
        assert_eq!(error(&res), (400, json!("invalid_payload"), json!("Property .[0].redemption.quantity should be number,null")));
        let res = app.post(&path, &json!({"code": "A"})).await;
        assert_eq!(error(&res).0, 400);
        let res = app.post(&path, &json!([{"code": "R"}, {"code": "R"}])).await;
        assert_eq!(error(&res).1, json!("duplicate_key"));
        let res = app.post("/v1/campaigns/camp_nope/import", &json!([{"code": "A"}])).await;
        assert_eq!((res.status, res.json()["key"].clone(), res.json()["resource_type"].clone()), (404, json!("not_found"), json!("campaign")));
        assert_eq!(app.get("/v1/vouchers/A").await.status, 404);
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["vouchers_count"], 2);
    }

    async fn campaign_imports_belong_to_their_project(backend) {
        let app = TestApp::spawn(backend).await;
        let id = discount_campaign(&app, "Private").await;
        for path in [format!("/v1/campaigns/{id}/import"), "/v1/campaigns/Private/import".to_owned()] {
            let res = app.send(reqwest::Method::POST, &path, Some(B), Some(b"[{\"code\":\"X\"}]".to_vec())).await;
            assert_eq!((res.status, res.json()["resource_type"].clone()), (404, json!("campaign")), "{}", res.text);
        }
        assert_eq!(app.get_as(B, "/v1/async-actions").await.json()["async_actions"], json!([]));
    }

    async fn campaign_csv_import_applies_the_campaign_and_reports_bad_rows(backend) {
        let app = TestApp::spawn(backend).await;
        let id = discount_campaign(&app, "Csv").await;
        let csv = "Code,Active,Category,Redeemed Quantity,Start Date,Expiration Date,Loyalty Points\n\
            CSV-1,TRUE,Autumn,1,2026-09-01,2026-11-30,\n\
            CSV-2,false,,,,,\n\
            CSV-3,maybe,,,,,\n\
            ,TRUE,,,,,\n\
            CSV-4,,,,not-a-date,,\n";
        let result = import_csv(&app, &id, csv).await;
        assert_eq!(result, json!({
            "message": "2 voucher(s) imported successfully, 3 failed.",
            "failed": [
                {"code": "CSV-3", "row": 3, "reason": "Active: must be TRUE or FALSE (actual value is 'MAYBE')"},
                {"code": "", "row": 4, "reason": "Code is required"},
                {"code": "CSV-4", "row": 5, "reason": "Start Date: must be an ISO 8601 date (actual value is 'not-a-date')"},
            ],
            "done_count": 2,
            "failed_count": 3,
        }));
        let v = app.get("/v1/vouchers/CSV-1").await.json();
        assert_eq!((v["campaign_id"].as_str(), v["discount"].clone(), v["redemption"]["quantity"].clone()), (Some(id.as_str()), json!({"type": "PERCENT", "percent_off": 15}), json!(2)), "{v}");
        assert_eq!((v["category"].clone(), v["active"].clone(), v["redemption"]["redeemed_quantity"].clone()), (json!("Autumn"), json!(true), json!(1)));
        assert_eq!(v["start_date"], "2026-09-01T00:00:00.000Z");
        assert_eq!(app.get("/v1/vouchers/CSV-2").await.json()["active"], false);
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["vouchers_count"], 2);

        // Existing codes: only active and category change; an empty Active keeps the state.
        let csv = "Code,Active,Category,Redeemed Quantity,Start Date\nCSV-1,FALSE,Winter,7,2027-01-01\nCSV-2,,Spring,,\n";
        let result = import_csv(&app, "Csv", csv).await;
        assert_eq!(result["message"], "2 voucher(s) imported successfully, 0 failed.");
        let v = app.get("/v1/vouchers/CSV-1").await.json();
        assert_eq!((v["category"].clone(), v["active"].clone(), v["redemption"]["redeemed_quantity"].clone(), v["start_date"].clone()), (json!("Winter"), json!(false), json!(1), json!("2026-09-01T00:00:00.000Z")));
        let v = app.get("/v1/vouchers/CSV-2").await.json();
        assert_eq!((v["category"].clone(), v["active"].clone()), (json!("Spring"), json!(false)));
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["vouchers_count"], 2);

        // A standalone voucher's code fails its row.
        import(&app, &id, &json!([])).await;
        let res = app.post("/v1/vouchers/import", &json!([{"code": "ALONE", "discount": {"type": "AMOUNT", "amount_off": 1}}])).await;
        assert_eq!(res.status, 202);
        app.run_pending().await;
        let result = import_csv(&app, &id, "Code\nALONE\n").await;
        assert_eq!(result["failed"], json!([{"code": "ALONE", "row": 1, "reason": "Voucher with code ALONE belongs to another campaign"}]));
    }

    async fn campaign_csv_import_tolerates_the_standalone_template(backend) {
        let app = TestApp::spawn(backend).await;
        let gifts = campaign(&app, "GiftCsv", "GIFT_VOUCHERS", json!({"type": "GIFT_VOUCHER", "gift": {"amount": 1000}})).await;
        let csv = "Code,Voucher Type,Value,Discount Type,Category,Start Date,Expiration Date,Redemption Limit,Redeemed Quantity,Redeemed Amount,Active,Additional Info,Region\n\
            TPL-1,DISCOUNT_VOUCHER,10,AMOUNT,Template,,,5,,2.5,TRUE,info,EU\n";
        let result = import_csv(&app, &gifts, csv).await;
        assert_eq!(result["message"], "1 voucher(s) imported successfully, 0 failed.", "{result}");
        let listed = app.get(&format!("/v1/vouchers?campaign_id={gifts}")).await.json();
        assert_eq!((listed["total"].clone(), listed["vouchers"][0]["code"].clone()), (json!(1), json!("TPL-1")), "{listed}");
        let v = app.get("/v1/vouchers/TPL-1").await.json();
        assert_eq!((v["type"].clone(), v["gift"]["amount"].clone(), v["gift"]["balance"].clone()), (json!("GIFT_VOUCHER"), json!(1000), json!(750)), "{v}");
        assert_eq!((v["category"].clone(), v["metadata"].clone(), v["redemption"]["quantity"].clone()), (json!("Template"), json!({"Region": "EU"}), Value::Null));
        let result = import_csv(&app, "GiftCsv", "Code,Gift Amount\nTPL-2,25\n").await;
        assert_eq!(result["done_count"], 1);
        assert_eq!(app.get("/v1/vouchers/TPL-2").await.json()["gift"]["amount"], 2500);
        assert_eq!(app.get(&format!("/v1/campaigns/{gifts}")).await.json()["vouchers_count"], 2);
    }

    async fn campaign_csv_import_refuses_unknown_campaigns_and_other_projects(backend) {
        let app = TestApp::spawn(backend).await;
        let id = discount_campaign(&app, "Mine").await;
        let res = upload_as(&app, A, "camp_nope", "Code\nX\n").await;
        assert_eq!((res.status, res.json()["key"].clone(), res.json()["resource_type"].clone()), (404, json!("not_found"), json!("campaign")), "{}", res.text);
        for campaign in [id.as_str(), "Mine"] {
            let res = upload_as(&app, B, campaign, "Code\nX\n").await;
            assert_eq!((res.status, res.json()["resource_type"].clone()), (404, json!("campaign")), "{}", res.text);
        }
        let res = app.upload(&format!("/v1/campaigns/{id}/importCSV"), None, b"Code\nX\n".to_vec()).await;
        assert_eq!(error(&res).0, 400, "{}", res.text);
        assert_eq!(app.get("/v1/async-actions").await.json()["async_actions"], json!([]));
        assert_eq!(app.get_as(B, "/v1/async-actions").await.json()["async_actions"], json!([]));
        assert_eq!(app.get("/v1/vouchers/X").await.status, 404);
    }
}
