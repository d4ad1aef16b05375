//! Two projects on one server: B's credentials see none of A's objects (404, never 403).

use serde_json::json;

use crate::support::{B, TestApp, customers};

backend_tests! {
    async fn another_projects_ids_answer_not_found(backend) {
        let app = TestApp::spawn(backend).await.expect("app");
        let action = app.bulk_update(&customers(2)).await;
        app.run_pending().await;
        let customer = app.get("/v1/customers/c0").await.json()["id"].as_str().expect("id").to_owned();
        assert_eq!(app.get(&format!("/v1/async-actions/{action}/report")).await.status, 200);

        for path in [
            format!("/v1/async-actions/{action}"),
            format!("/v1/async-actions/{action}/report"),
            format!("/v1/customers/{customer}"),
            "/v1/customers/c0".to_owned(),
        ] {
            let res = app.get_as(B, &path).await;
            assert_eq!(res.status, 404, "{path}: {}", res.text);
            assert_eq!(res.json()["key"], "not_found");
        }
        let res = app.send(reqwest::Method::PUT, &format!("/v1/customers/{customer}"), Some(B), Some(b"{\"name\":\"x\"}".to_vec())).await;
        assert_eq!(res.status, 404);
        let res = app.send(reqwest::Method::DELETE, &format!("/v1/customers/{customer}"), Some(B), None).await;
        assert_eq!(res.status, 404);
        assert_eq!(app.get_as(B, "/v1/async-actions").await.json()["async_actions"], json!([]));
        assert_eq!(app.get_as(B, "/v1/customers").await.json()["total"], 0);
        // A's customer is untouched.
        assert_eq!(app.get("/v1/customers/c0").await.json()["name"], "Customer 0");
    }
}
