//! Campaign changes end to end: `PUT /v1/campaigns/{id}` (CAMPAIGN.VOUCHERS_UPDATE, only
//! unredeemed vouchers change), `DELETE /v1/campaigns/{id}` (CAMPAIGN.VOUCHERS_DELETE) into
//! the bin and for good, the 404s, project isolation, and a generation whose campaign is
//! deleted mid-run.

use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use crate::support::{B, TestApp};

fn body(name: &str, count: u64) -> Value {
    json!({
        "name": name,
        "campaign_type": "DISCOUNT_COUPONS",
        "vouchers_count": count,
        "voucher": {
            "type": "DISCOUNT_VOUCHER",
            "discount": {"type": "PERCENT", "percent_off": 10},
            "code_config": {"pattern": "DEL-########"},
        },
    })
}

/// Creates campaign `name` with `count` generated vouchers; its id.
async fn campaign(app: &TestApp, name: &str, count: u64) -> String {
    let res = app.post("/v1/campaigns", &body(name, count)).await;
    assert_eq!(res.status, 200, "{}", res.text);
    app.run_pending().await;
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn delete(app: &TestApp, path: &str) -> crate::support::Resp {
    app.send(reqwest::Method::DELETE, path, Some(crate::support::A), None).await
}

/// The action `id` after running everything pending.
async fn finished(app: &TestApp, id: &str) -> Value {
    app.run_pending().await;
    app.get(&format!("/v1/async-actions/{id}")).await.json()
}

async fn voucher_total(app: &TestApp) -> Value {
    app.get("/v1/vouchers?limit=1").await.json()["total"].clone()
}

backend_tests! {
    async fn campaign_delete_into_bin_hides_it_and_keeps_the_name(backend) {
        let app = TestApp::spawn(backend).await;
        let id = campaign(&app, "Binned", 3).await;
        let keep = campaign(&app, "Kept", 2).await;
        let code = app.get(&format!("/v1/vouchers?campaign_id={id}")).await.json()["vouchers"][0]["code"].as_str().expect("code").to_owned();
        assert_eq!(voucher_total(&app).await, json!(5));

        let res = delete(&app, "/v1/campaigns/Binned").await;
        assert_eq!(res.status, 202, "{}", res.text);
        let action = res.json()["async_action_id"].as_str().expect("id").to_owned();
        assert!(action.starts_with("aa_"));
        let a = finished(&app, &action).await;
        assert_eq!((a["type"].clone(), a["status"].clone(), a["result"].clone()), (json!("CAMPAIGN.VOUCHERS_DELETE"), json!("DONE"), json!({"message": "Deleted 3 vouchers.", "done_count": 3})), "{a}");

        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.status, 404);
        assert_eq!(app.get("/v1/campaigns/Binned").await.status, 404);
        let list = app.get("/v1/campaigns").await.json();
        assert_eq!((list["total"].clone(), list["campaigns"][0]["id"].as_str()), (json!(1), Some(keep.as_str())));
        assert_eq!(voucher_total(&app).await, json!(2));
        assert_eq!(app.get(&format!("/v1/vouchers/{code}")).await.status, 404);
        assert_eq!(app.get(&format!("/v1/vouchers?campaign_id={id}")).await.json()["total"], json!(0));

        let res = app.post("/v1/campaigns", &body("Binned", 0)).await;
        assert_eq!(res.status, 409, "the binned campaign's name is still taken: {}", res.text);
        assert_eq!(delete(&app, &format!("/v1/campaigns/{id}")).await.status, 404);
    }

    async fn campaign_delete_with_force_frees_the_name(backend) {
        let app = TestApp::spawn(backend).await;
        let id = campaign(&app, "Gone", 4).await;
        let res = delete(&app, &format!("/v1/campaigns/{id}?force=true")).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let a = finished(&app, res.json()["async_action_id"].as_str().expect("id")).await;
        assert_eq!((a["status"].clone(), a["operation_status"].clone(), a["result"].clone()), (json!("DONE"), json!("SUCCESS"), json!({"message": "Deleted 4 vouchers.", "done_count": 4})), "{a}");
        assert_eq!(a["progress"], json!(100), "{a}");
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.status, 404);
        assert_eq!(voucher_total(&app).await, json!(0));

        let res = app.post("/v1/campaigns", &body("Gone", 0)).await;
        assert_eq!(res.status, 200, "the name is free again: {}", res.text);
        assert_ne!(res.json()["id"].as_str(), Some(id.as_str()));
        assert_eq!(delete(&app, "/v1/campaigns/Gone?force=maybe").await.status, 400);
    }

    async fn campaign_delete_unknown_or_other_project_is_404(backend) {
        let app = TestApp::spawn(backend).await;
        let res = delete(&app, "/v1/campaigns/camp_nope").await;
        assert_eq!(res.status, 404, "{}", res.text);
        let e = res.json();
        assert_eq!((e["key"].clone(), e["resource_type"].clone(), e["resource_id"].clone()), (json!("not_found"), json!("campaign"), json!("camp_nope")));

        let id = campaign(&app, "Mine", 2).await;
        let res = app.send(reqwest::Method::DELETE, &format!("/v1/campaigns/{id}"), Some(B), None).await;
        assert_eq!(res.status, 404, "{}", res.text);
        let res = app.send(reqwest::Method::DELETE, "/v1/campaigns/Mine?force=true", Some(B), None).await;
        assert_eq!(res.status, 404, "{}", res.text);
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["vouchers_count"], json!(2));
        assert_eq!(voucher_total(&app).await, json!(2));
    }

    async fn generation_of_a_campaign_deleted_mid_run_fails(backend) {
        let app = TestApp::spawn(backend).await;
        let lease = app.config.engine.lease_ms as i64;
        let res = app.post("/v1/campaigns", &body("Midway", 2000)).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let id = res.json()["id"].as_str().expect("id").to_owned();

        // One chunk commits, then the worker dies.
        let engine = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(engine.run_pending().await.expect("run").crashed);
        let written = app.get(&format!("/v1/vouchers?campaign_id={id}&limit=1")).await.json()["total"].as_u64().expect("total");
        assert!(written > 0 && written < 2000, "{written}");

        let res = delete(&app, &format!("/v1/campaigns/{id}")).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let deletion = res.json()["async_action_id"].as_str().expect("id").to_owned();

        app.clock.advance(lease + 1);
        app.run_pending().await;
        let list = app.get("/v1/async-actions").await.json();
        let generation = list["async_actions"].as_array().expect("list").iter().find(|a| a["type"] == "CAMPAIGN.VOUCHERS_GENERATE").expect("generation")["id"].as_str().expect("id").to_owned();
        let g = app.get(&format!("/v1/async-actions/{generation}")).await.json();
        assert_eq!((g["status"].clone(), g["operation_status"].clone(), g["result"]["message"].clone()), (json!("FAILED"), json!("FAILED"), json!("The campaign was deleted.")), "{g}");
        let d = finished(&app, &deletion).await;
        assert_eq!((d["status"].clone(), d["result"].clone()), (json!("DONE"), json!({"message": format!("Deleted {written} vouchers."), "done_count": written})), "{d}");
        assert_eq!(voucher_total(&app).await, json!(0));
    }

    async fn campaign_delete_crashed_before_its_finish_reports_exact_counts(backend) {
        for force in [false, true] {
            let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 2).await;
            let lease = app.config.engine.lease_ms as i64;
            let name = format!("Crashed {force}");
            let id = campaign(&app, &name, 5).await;
            let res = delete(&app, &format!("/v1/campaigns/{id}?force={force}")).await;
            assert_eq!(res.status, 202, "{}", res.text);
            let action = res.json()["async_action_id"].as_str().expect("id").to_owned();
            let path = format!("/v1/async-actions/{action}");

            // The first chunk (2 of 5 vouchers) commits, then the worker dies.
            let engine = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
            assert!(engine.run_pending().await.expect("run").crashed);
            assert_eq!(voucher_total(&app).await, json!(3), "force={force}");

            // The next claim deletes the rest and dies between its last chunk and its finish.
            app.clock.advance(lease + 1);
            let engine = app.engine(FailPoints::none().arm(FailureLocation::BeforeFinish, 0));
            assert!(engine.run_pending().await.expect("run").crashed);
            let a = app.get(&path).await.json();
            assert_eq!((a["status"].clone(), a["progress"].clone()), (json!("IN_PROGRESS"), json!(99)), "{a}");
            assert_eq!(voucher_total(&app).await, json!(0));
            let taken = app.post("/v1/campaigns", &body(&name, 0)).await.status;
            assert_eq!(taken, 409, "the campaign row goes only with the finish (force={force})");

            // The third claim only finishes, and counts every voucher exactly once.
            app.clock.advance(lease + 1);
            let a = finished(&app, &action).await;
            assert_eq!((a["status"].clone(), a["result"].clone()), (json!("DONE"), json!({"message": "Deleted 5 vouchers.", "done_count": 5})), "force={force}: {a}");
            let again = app.post("/v1/campaigns", &body(&name, 0)).await.status;
            assert_eq!(again, if force { 200 } else { 409 }, "force={force}");
        }
    }

    async fn campaign_generation_crashed_before_its_finish_reports_exact_counts(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 2).await;
        let lease = app.config.engine.lease_ms as i64;
        let res = app.post("/v1/campaigns", &body("Generated", 5)).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let id = res.json()["id"].as_str().expect("id").to_owned();
        let campaign_path = format!("/v1/campaigns/{id}");

        let engine = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(engine.run_pending().await.expect("run").crashed);
        assert_eq!(voucher_total(&app).await, json!(2));

        // Every voucher is written; the worker dies before the finish, so the campaign's
        // counters, which only the finish writes, have not moved.
        app.clock.advance(lease + 1);
        let engine = app.engine(FailPoints::none().arm(FailureLocation::BeforeFinish, 0));
        assert!(engine.run_pending().await.expect("run").crashed);
        assert_eq!(voucher_total(&app).await, json!(5));
        let c = app.get(&campaign_path).await.json();
        assert_eq!((c["vouchers_count"].clone(), c["vouchers_generation_status"].clone()), (json!(0), json!("IN_PROGRESS")), "{c}");

        app.clock.advance(lease + 1);
        app.run_pending().await;
        let list = app.get("/v1/async-actions").await.json();
        let generation = list["async_actions"][0]["id"].as_str().expect("id").to_owned();
        let a = app.get(&format!("/v1/async-actions/{generation}")).await.json();
        assert_eq!((a["status"].clone(), a["result"].clone()), (json!("DONE"), json!({"message": "Generated 5 vouchers.", "done_count": 5})), "{a}");
        let c = app.get(&campaign_path).await.json();
        assert_eq!((c["vouchers_count"].clone(), c["vouchers_generation_status"].clone()), (json!(5), json!("DONE")), "{c}");
        assert_eq!(voucher_total(&app).await, json!(5));
    }

    async fn campaign_update_changes_only_unredeemed_vouchers(backend) {
        let app = TestApp::spawn(backend).await;
        let id = campaign(&app, "Upd", 3).await;
        let res = app.upload(&format!("/v1/campaigns/{id}/importCSV"), Some("file"), b"Code,Redeemed Quantity\nRED-1,1\n".to_vec()).await;
        assert_eq!(res.status, 200, "{}", res.text);
        app.run_pending().await;
        assert_eq!(app.get("/v1/vouchers/RED-1").await.json()["redemption"]["redeemed_quantity"], json!(1));

        let change = json!({
            "description": "Spring sale",
            "category": "Fresh",
            "metadata": {"region": "EU", "tier": 2},
            "expiration_date": "2030-01-01T00:00:00Z",
            "discount": {"type": "PERCENT", "percent_off": 25},
        });
        let res = app.put("/v1/campaigns/Upd", &change).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let c = res.json();
        assert!(c.get("async_action_id").is_none(), "{c}");
        assert_eq!((c["id"].as_str(), c["description"].clone(), c["category"].clone(), c["metadata"].clone()), (Some(id.as_str()), json!("Spring sale"), json!("Fresh"), json!({"region": "EU", "tier": 2})));
        assert_eq!(c["voucher"]["discount"]["percent_off"], json!(25), "{c}");

        app.run_pending().await;
        let list = app.get("/v1/async-actions").await.json();
        let found: Vec<&Value> = list["async_actions"].as_array().expect("list").iter().filter(|a| a["type"] == "CAMPAIGN.VOUCHERS_UPDATE").collect();
        assert_eq!(found.len(), 1, "{list}");
        let a = app.get(&format!("/v1/async-actions/{}", found[0]["id"].as_str().expect("id"))).await.json();
        assert_eq!((a["status"].clone(), a["result"].clone()), (json!("DONE"), json!({"message": "Updated 3 vouchers.", "done_count": 3})), "{a}");

        let vouchers = app.get(&format!("/v1/vouchers?campaign_id={id}&limit=100")).await.json()["vouchers"].as_array().cloned().expect("vouchers");
        assert_eq!(vouchers.len(), 4);
        for v in &vouchers {
            let redeemed = v["code"] == "RED-1";
            let percent = if redeemed { 10 } else { 25 };
            assert_eq!(v["discount"]["percent_off"], json!(percent), "{v}");
            assert_eq!(v["category"] == "Fresh", !redeemed, "{v}");
            assert_eq!(v["expiration_date"].as_str().is_some_and(|d| d.starts_with("2030-01-01")), !redeemed, "{v}");
        }

        let res = app.put(&format!("/v1/campaigns/{id}"), &json!({"unset_metadata_fields": ["tier"]})).await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(app.get("/v1/campaigns/Upd").await.json()["metadata"], json!({"region": "EU"}));
    }

    async fn campaign_update_unknown_or_other_project_is_404(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.put("/v1/campaigns/camp_nope", &json!({"description": "x"})).await;
        assert_eq!(res.status, 404, "{}", res.text);
        assert_eq!((res.json()["key"].clone(), res.json()["resource_type"].clone()), (json!("not_found"), json!("campaign")));
        let id = campaign(&app, "Theirs", 2).await;
        let res = app.send(reqwest::Method::PUT, &format!("/v1/campaigns/{id}"), Some(B), Some(json!({"description": "x"}).to_string().into_bytes())).await;
        assert_eq!(res.status, 404, "{}", res.text);
        assert_eq!(app.get(&format!("/v1/campaigns/{id}")).await.json()["description"], Value::Null);
        let res = app.put(&format!("/v1/campaigns/{id}"), &json!({"unset_metadata_fields": "tier"})).await;
        assert_eq!(res.status, 400, "{}", res.text);
    }
}
