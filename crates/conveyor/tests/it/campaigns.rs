//! Campaigns and CAMPAIGN.VOUCHERS_GENERATE end to end: create (async generation in chunks
//! of 500 in tests), reads by id and name, the list, add-vouchers (202 for N > 1, a voucher
//! for N = 1), the synchronous 400/409s, a too-small code space, and project isolation.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::{B, TestApp};

fn body(name: &str, count: u64, code_config: Value) -> Value {
    json!({
        "name": name,
        "campaign_type": "DISCOUNT_COUPONS",
        "vouchers_count": count,
        "voucher": {
            "type": "DISCOUNT_VOUCHER",
            "discount": {"type": "PERCENT", "percent_off": 10},
            "code_config": code_config,
            "redemption": {"quantity": 2},
        },
    })
}

/// The only CAMPAIGN.VOUCHERS_GENERATE action of the project, after running it.
async fn generation(app: &TestApp) -> Value {
    app.run_pending().await;
    let list = app.get("/v1/async-actions").await.json();
    let actions = list["async_actions"].as_array().cloned().unwrap_or_default();
    let found: Vec<&Value> =
        actions.iter().filter(|a| a["type"] == "CAMPAIGN.VOUCHERS_GENERATE").collect();
    assert_eq!(found.len(), 1, "{list}");
    let id = found[0]["id"].as_str().expect("id");
    app.get(&format!("/v1/async-actions/{id}")).await.json()
}

async fn codes_of(app: &TestApp, campaign_id: &str) -> Vec<Value> {
    let mut vouchers = Vec::new();
    for page in 1..=99 {
        let path = format!("/v1/vouchers?campaign_id={campaign_id}&limit=100&page={page}");
        let batch = app.get(&path).await.json()["vouchers"].as_array().cloned().unwrap_or_default();
        if batch.is_empty() {
            break;
        }
        vouchers.extend(batch);
    }
    vouchers
}

backend_tests! {
    async fn campaign_create_generates_vouchers_in_chunks(backend) {
        let app = TestApp::spawn(backend).await;
        let config = json!({"prefix": "SUMMER-", "pattern": "##-####", "charset": "ABCDEFGH12345678"});
        let res = app.post("/v1/campaigns", &body("Summer", 2500, config)).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let c = res.json();
        let id = c["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("camp_") && id.len() == 29, "{id}");
        assert_eq!((c["vouchers_generation_status"].clone(), c["creation_status"].clone(), c["vouchers_count"].clone()), (json!("IN_PROGRESS"), json!("IN_PROGRESS"), json!(0)));
        assert_eq!((c["object"].clone(), c["type"].clone(), c["campaign_type"].clone()), (json!("campaign"), json!("AUTO_UPDATE"), json!("DISCOUNT_COUPONS")));
        assert!(c.get("async_action_id").is_none());

        let a = generation(&app).await;
        assert_eq!((a["status"].clone(), a["result"].clone()), (json!("DONE"), json!({"message": "Generated 2500 vouchers.", "done_count": 2500})), "{a}");
        let c = app.get("/v1/campaigns/Summer").await.json();
        assert_eq!((c["id"].as_str(), c["vouchers_generation_status"].clone(), c["vouchers_count"].clone()), (Some(id.as_str()), json!("DONE"), json!(2500)));

        let vouchers = codes_of(&app, &id).await;
        assert_eq!(vouchers.len(), 2500);
        let codes: HashSet<&str> = vouchers.iter().filter_map(|v| v["code"].as_str()).collect();
        assert_eq!(codes.len(), 2500);
        for code in &codes {
            let body = code.strip_prefix("SUMMER-").expect("prefix");
            assert!(body.len() == 7 && &body[2..3] == "-", "{code}");
            assert!(body.chars().filter(|&c| c != '-').all(|c| "ABCDEFGH12345678".contains(c)), "{code}");
        }
        let v = &vouchers[0];
        assert_eq!((v["campaign_id"].as_str(), v["discount"].clone(), v["active"].clone(), v["redemption"]["quantity"].clone()), (Some(id.as_str()), json!({"type": "PERCENT", "percent_off": 10}), json!(true), json!(2)));
        let list = app.get("/v1/campaigns").await.json();
        assert_eq!((list["total"].clone(), list["campaigns"][0]["id"].as_str()), (json!(1), Some(id.as_str())));
    }

    async fn campaign_generation_fails_when_the_code_space_is_too_small(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/campaigns", &body("Tiny", 10, json!({"charset": "ab", "length": 2}))).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let a = generation(&app).await;
        assert_eq!(a["status"], "FAILED", "{a}");
        let reason = a["result"]["message"].as_str().unwrap_or_default();
        assert!(reason.starts_with("code_config can make only 4 distinct codes"), "{reason}");
        assert_eq!(app.get("/v1/campaigns/Tiny").await.json()["vouchers_generation_status"], "FAILED");
    }

    async fn campaign_create_refuses_bad_requests(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/campaigns", &body("Once", 1, json!({"length": 6}))).await;
        let c = res.json();
        assert_eq!((res.status, c["vouchers_generation_status"].clone(), c["vouchers_count"].clone()), (200, json!("DONE"), json!(1)));
        let res = app.post("/v1/campaigns", &body("Once", 0, Value::Null)).await;
        let e = res.json();
        assert_eq!((res.status, e["key"].clone(), e["details"].clone()), (409, json!("duplicate_found"), json!("Duplicated campaign exists with name Once")));
        let res = app.post("/v1/campaigns", &body("Bad", 5, json!({"pattern": "ABC"}))).await;
        let e = res.json();
        assert_eq!((res.status, e["key"].clone()), (400, json!("invalid_campaign")), "{e}");
        assert!(e["details"].as_str().is_some_and(|d| d.starts_with("code_config.pattern must contain")), "{e}");
        let mut promo = body("Promo", 0, Value::Null);
        promo["campaign_type"] = json!("PROMOTION");
        assert_eq!(app.post("/v1/campaigns", &promo).await.json()["key"], "invalid_campaign");
        let mut no_discount = body("NoDiscount", 0, Value::Null);
        no_discount["voucher"]["discount"] = json!({"type": "AMOUNT"});
        let e = app.post("/v1/campaigns", &no_discount).await.json();
        assert_eq!((e["key"].clone(), e["details"].clone()), (json!("invalid_campaign"), json!("discount.amount_off: property is required")));
        let res = app.post("/v1/campaigns", &body("Huge", 100_001, Value::Null)).await;
        assert_eq!(res.status, 400);
        assert_eq!(app.get("/v1/campaigns").await.json()["total"], 1);
    }

    async fn add_vouchers_is_async_for_many_and_sync_for_one(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/campaigns", &body("Add", 0, json!({"prefix": "ADD-"}))).await;
        let id = res.json()["id"].as_str().expect("id").to_owned();
        let res = app.post(&format!("/v1/campaigns/{id}/vouchers?vouchers_count=3"), &json!({"category": "extra"})).await;
        assert_eq!(res.status, 202, "{}", res.text);
        assert!(res.json()["async_action_id"].as_str().is_some_and(|a| a.starts_with("aa_")));
        let a = generation(&app).await;
        assert_eq!(a["result"], json!({"message": "Generated 3 vouchers.", "done_count": 3}), "{a}");
        let res = app.post(&format!("/v1/campaigns/{id}/vouchers"), &json!({"code": "MINE"})).await;
        let v = res.json();
        assert_eq!((res.status, v["code"].clone(), v["campaign_id"].as_str()), (200, json!("MINE"), Some(id.as_str())), "{v}");
        let res = app.post("/v1/campaigns/Add/vouchers?vouchers_count=1", &Value::Null).await;
        assert!(res.json()["code"].as_str().is_some_and(|c| c.starts_with("ADD-")), "{}", res.text);
        let vouchers = codes_of(&app, &id).await;
        assert_eq!(vouchers.len(), 5);
        assert_eq!(vouchers.iter().filter(|v| v["category"] == "extra").count(), 3);
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["vouchers_count"], 5);
    }

    async fn campaigns_are_isolated_between_projects(backend) {
        let app = TestApp::spawn(backend).await;
        let id = app.post("/v1/campaigns", &body("Mine", 0, Value::Null)).await.json()["id"].as_str().expect("id").to_owned();
        for path in [format!("/v1/campaigns/{id}"), "/v1/campaigns/Mine".to_owned()] {
            let res = app.get_as(B, &path).await;
            assert_eq!((res.status, res.json()["resource_type"].clone()), (404, json!("campaign")));
        }
        assert_eq!(app.get_as(B, "/v1/campaigns").await.json()["total"], 0);
        let res = app.send(reqwest::Method::POST, &format!("/v1/campaigns/{id}/vouchers"), Some(B), Some(b"{}".to_vec())).await;
        assert_eq!(res.status, 404);
        let res = app.send(reqwest::Method::POST, "/v1/campaigns", Some(B), Some(body("Mine", 0, Value::Null).to_string().into_bytes())).await;
        assert_eq!(res.status, 200, "B may reuse A's campaign name");
    }
}
