//! Every error answer: status, Voucherify-shaped body, and an unchanged database.

use serde_json::{Value, json};

use crate::support::{A, TestApp, customers, is_hex_id};

/// Asserts a standard error body and returns it.
fn assert_error(
    res: &crate::support::Resp,
    status: u16,
    key: &str,
    message: &str,
    details: Option<&str>,
) -> Value {
    assert_eq!(res.status, status, "{}", res.text);
    assert!(res.content_type().starts_with("application/json"), "{:?}", res.content_type());
    let body = res.json();
    assert_eq!(body["code"], status, "{body}");
    assert_eq!(body["key"], key, "{body}");
    assert_eq!(body["message"], message, "{body}");
    if let Some(details) = details {
        assert_eq!(body["details"], details, "{body}");
    }
    let request_id = body["request_id"].as_str().unwrap_or("");
    assert!(is_hex_id(request_id, "v-", 18), "{body}");
    assert_eq!(res.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(request_id));
    body
}

backend_tests! {
    async fn bad_payloads_are_rejected_and_change_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        app.bulk_update(&customers(2)).await;
        app.run_pending().await;
        let before = app.snapshot().await;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("/v1/customers/bulk/async", b"[{\"source_id\": \"a\"".to_vec(), "Payload is not valid JSON: EOF while parsing an object at line 1 column 18"),
            ("/v1/customers/bulk/async", br#"{"source_id": "a"}"#.to_vec(), "Payload should be array"),
            ("/v1/customers/bulk/async", br#"[{"source_id": "a"}, {"source_id": 5}]"#.to_vec(), "Property .[1].source_id should be string"),
            ("/v1/customers/bulk/async", br#"[{"source_id": "a"}, {"source_id": "b"}, {"name": "x"}]"#.to_vec(), "Property .[2].source_id is required"),
            ("/v1/customers/bulk/async", br#"[{"source_id": ""}]"#.to_vec(), "Property .[0].source_id must not be empty"),
            ("/v1/customers/bulk/async", br#"[{"source_id": "a", "metadata": [1]}]"#.to_vec(), "Property .[0].metadata should be object"),
            ("/v1/customers/bulk/async", br#"[{"source_id": "a", "address": {"city": 7}}]"#.to_vec(), "Property .[0].address.city should be string"),
            ("/v1/customers/bulk/async", br#"["a"]"#.to_vec(), "Property .[0] should be object"),
            ("/v1/customers/metadata/async", br#"{"metadata": {"a": 1}}"#.to_vec(), "Property .source_ids is required"),
            ("/v1/customers/metadata/async", br#"{"source_ids": ["a", 2], "metadata": {}}"#.to_vec(), "Property .source_ids[1] should be string"),
            ("/v1/customers/metadata/async", br#"{"source_ids": ["a"]}"#.to_vec(), "Property .metadata is required"),
            ("/v1/customers/metadata/async", br#"{"source_ids": "a", "metadata": {}}"#.to_vec(), "Property .source_ids should be array"),
            ("/v1/customers", br#"{"email": 1}"#.to_vec(), "Property .email should be string"),
            ("/v1/customers", b"nope".to_vec(), "Payload is not valid JSON: expected ident at line 1 column 2"),
        ];
        for (path, body, details) in cases {
            let res = app.post_raw(path, &body).await;
            assert_error(&res, 400, "invalid_payload", "Invalid payload", Some(details));
        }
        let res = app.put("/v1/customers/c0", &json!({"name": ["x"]})).await;
        assert_error(&res, 400, "invalid_payload", "Invalid payload", Some("Property .name should be string"));
        assert_eq!(app.snapshot().await, before, "bad requests changed nothing");
    }

    async fn bad_query_params_are_rejected(backend) {
        let app = TestApp::spawn(backend).await;
        app.bulk_update(&customers(1)).await;
        let before = app.snapshot().await;
        let cases = [
            ("/v1/async-actions?limit=0", "Property .limit must be >= 1"),
            ("/v1/async-actions?limit=101", "Property .limit must be <= 100"),
            ("/v1/async-actions?limit=ten", "Property .limit should be integer"),
            ("/v1/async-actions?limit=1.5", "Property .limit should be integer"),
            ("/v1/async-actions?end_date=yesterday", "Property .end_date cannot be recognized as a ISO-8601 compliant date"),
            ("/v1/async-actions?end_date=2024-02-30", "Property .end_date cannot be recognized as a ISO-8601 compliant date"),
            ("/v1/customers?limit=500", "Property .limit must be <= 100"),
            ("/v1/customers?page=0", "Property .page must be >= 1"),
        ];
        for (path, details) in cases {
            let res = app.get(path).await;
            assert_error(&res, 400, "invalid_query_params", "Invalid query params", Some(details));
        }
        // Unknown parameters are ignored.
        assert_eq!(app.get("/v1/async-actions?_=1700000000000&foo=bar").await.status, 200);
        assert_eq!(app.snapshot().await, before);
    }

    async fn unknown_ids_answer_not_found(backend) {
        let app = TestApp::spawn(backend).await;
        let before = app.snapshot().await;
        for id in ["aa_0aeb82bd55d5beffb0", "aa_nothex", "whatever"] {
            let res = app.get(&format!("/v1/async-actions/{id}")).await;
            let body = assert_error(&res, 404, "not_found", "Resource not found", Some(&format!("Cannot find async_action with id {id}")));
            assert_eq!((body["resource_id"].clone(), body["resource_type"].clone()), (json!(id), json!("async_action")));
            let res = app.get(&format!("/v1/async-actions/{id}/report")).await;
            assert_eq!(res.status, 404);
        }
        for res in [app.get("/v1/customers/nobody").await, app.put("/v1/customers/nobody", &json!({})).await, app.delete("/v1/customers/nobody").await] {
            let body = assert_error(&res, 404, "not_found", "Resource not found", Some("Cannot find customer with id nobody"));
            assert_eq!((body["resource_id"].clone(), body["resource_type"].clone()), (json!("nobody"), json!("customer")));
        }
        assert_eq!(app.snapshot().await, before);
    }

    async fn oversized_bodies_get_413_in_boom_shape(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.body_limit_bytes = 10_000).await;
        let before = app.snapshot().await;
        let big = customers(1_000).to_string();
        assert!(big.len() > 10_000);
        for path in ["/v1/customers/bulk/async", "/v1/customers/metadata/async", "/v1/customers"] {
            let res = app.post_raw(path, big.as_bytes()).await;
            assert_eq!(res.status, 413);
            assert!(res.content_type().starts_with("application/json"));
            assert_eq!(res.json(), json!({
                "statusCode": 413,
                "error": "Request Entity Too Large",
                "message": "Payload content length greater than maximum allowed: 10000",
            }));
        }
        assert_eq!(app.snapshot().await, before);
    }

    async fn auth_routes_and_methods_answer_json(backend) {
        let app = TestApp::spawn(backend).await;
        let before = app.snapshot().await;
        let get = reqwest::Method::GET;
        for creds in [None, Some((A.0, "wrong")), Some(("nobody", A.1)), Some(("", ""))] {
            let res = app.send(get.clone(), "/v1/async-actions", creds, None).await;
            assert_error(&res, 401, "unauthorized", "Unauthorized", None);
            let res = app.send(reqwest::Method::POST, "/v1/customers/bulk/async", creds, Some(b"[]".to_vec())).await;
            assert_error(&res, 401, "unauthorized", "Unauthorized", None);
        }
        let res = app.get("/v1/no-such-thing").await;
        assert_error(&res, 404, "not_found", "Resource not found", Some("Cannot find route /v1/no-such-thing"));
        let res = app.send(reqwest::Method::PUT, "/v1/customers/bulk/async", Some(A), Some(b"[]".to_vec())).await;
        assert_error(&res, 405, "method_not_allowed", "HTTP Method Not Allowed", Some("PUT is not supported by this endpoint. Did you mean POST?"));
        let res = app.send(reqwest::Method::PATCH, "/v1/customers", Some(A), None).await;
        assert_error(&res, 405, "method_not_allowed", "HTTP Method Not Allowed", Some("PATCH is not supported by this endpoint. Did you mean GET or POST?"));
        // The Voucherify body keeps HTTP's `Allow` header.
        let allow = res.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(allow.split(',').map(str::trim).collect::<Vec<_>>(), ["GET", "HEAD", "POST"], "{allow:?}");
        assert_eq!(app.snapshot().await, before);
        // Health endpoints need no credentials.
        assert_eq!(app.send(get.clone(), "/healthz", None, None).await.status, 200);
        let ready = app.send(get, "/readyz", None, None).await;
        assert_eq!(ready.status, 200, "{}", ready.text);
    }
}
