//! OAuth 2.0 (v1): issuing, introspecting and revoking access tokens with app keys, calling
//! the API with `Authorization: Bearer`, scopes, expiry on the manual clock, the per-project
//! token limit, and every error body.

use cv_api::hash_token;
use cv_domain::Clock as _;
use serde_json::{Value, json};

use crate::support::{A, B, Resp, TestApp, customers, is_hex_id};

const FORM: &str = "application/x-www-form-urlencoded";

/// A request with any headers; the shared client of [`TestApp`] sends app keys only.
async fn request(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Resp {
    let mut req = reqwest::Client::new().request(method.clone(), app.url(path));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some((content_type, bytes)) = body {
        req = req.header("Content-Type", content_type).body(bytes);
    }
    let res = req.send().await.expect("request");
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    Resp::checked(&method, path, status, headers, res.text().await.expect("body"))
}

/// POSTs a form body to an OAuth endpoint with the app key `creds`.
async fn form(app: &TestApp, path: &str, creds: (&str, &str), body: &str) -> Resp {
    let headers = [("X-App-Id", creds.0), ("X-App-Token", creds.1)];
    request(app, reqwest::Method::POST, path, &headers, Some((FORM, body.as_bytes().to_vec())))
        .await
}

/// A new token of `creds`' project with `scope`; its reply.
async fn issue_as(app: &TestApp, creds: (&str, &str), scope: &str) -> Value {
    let body = format!("grant_type=client_credentials&scope={}", scope.replace(' ', "+"));
    let res = form(app, "/v1/oauth/token", creds, &body).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()
}

/// A new token of project A with `scope`.
async fn issue(app: &TestApp, scope: &str) -> String {
    issue_as(app, A, scope).await["access_token"].as_str().expect("token").to_owned()
}

/// A call with `Authorization: Bearer <token>` and, for POST, a JSON body.
async fn bearer(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    let body = (method == reqwest::Method::POST)
        .then(|| ("application/json", customers(1).to_string().into_bytes()));
    request(app, method, path, &[("Authorization", &auth)], body).await
}

async fn bearer_get(app: &TestApp, path: &str, token: &str) -> Resp {
    bearer(app, reqwest::Method::GET, path, token).await
}

/// The body of an error answer without its `request_id`, after checking that id against the
/// `X-Request-Id` header.
fn error(res: &Resp, status: u16) -> Value {
    assert_eq!(res.status, status, "{}", res.text);
    assert!(res.content_type().starts_with("application/json"), "{:?}", res.content_type());
    let mut body = res.json();
    let id = body["request_id"].as_str().unwrap_or_default().to_owned();
    assert!(is_hex_id(&id, "v-", 18), "{body}");
    assert_eq!(res.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(id.as_str()));
    body.as_object_mut().expect("object").remove("request_id");
    body
}

fn unauthorized() -> Value {
    json!({"code": 401, "key": "unauthorized", "message": "Unauthorized"})
}

fn missing_parameters() -> Value {
    json!({"code": 400, "key": "missing_parameters", "message": "Missing parameters"})
}

fn missing_permission(scope: &str) -> Value {
    json!({"code": 403, "key": "missing_required_permission", "message": "Missing permission",
           "details": format!("The access token needs the {scope} or api scope")})
}

/// Asserts an empty-bodied answer (the revoke endpoint's 204 and 404).
fn assert_empty(res: &Resp, status: u16) {
    assert_eq!((res.status, res.text.as_str()), (status, ""), "{:?}", res.headers);
}

fn now_secs(app: &TestApp) -> i64 {
    app.clock.now().as_millis() / 1000
}

/// One representative call per scoped area: the scope, the path, and the status it answers
/// when allowed (the SKU does not exist).
const AREAS: [(&str, &str, u16); 7] = [
    ("async-actions", "/v1/async-actions", 200),
    ("campaigns", "/v1/campaigns", 200),
    ("customers", "/v1/customers", 200),
    ("metadata-schemas", "/v1/metadata-schemas", 200),
    ("products", "/v1/products", 200),
    ("skus", "/v1/skus/sku_missing", 404),
    ("vouchers", "/v1/vouchers", 200),
];

backend_tests! {
    async fn issued_tokens_have_voucherifys_shape(backend) {
        let app = TestApp::spawn(backend).await;
        let before = now_secs(&app);
        let res = form(&app, "/v1/oauth/token", A, "grant_type=client_credentials&scope=customers+vouchers%20customers").await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert!(res.content_type().starts_with("application/json"));
        let body = res.json();
        let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["access_token", "client_id", "expires_at", "expires_in", "scope", "token_type"]);
        let token = body["access_token"].as_str().expect("string");
        assert!(token.len() == 50 && token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
        assert_eq!(body["client_id"], A.0);
        assert_eq!(body["expires_in"], json!(900));
        assert_eq!(body["scope"], "customers vouchers");
        assert_eq!(body["token_type"], "Bearer");
        let expires_at = body["expires_at"].as_i64().expect("integer seconds");
        assert!(body["expires_at"].is_i64() && body["expires_in"].is_i64());
        assert!((before + 900..=now_secs(&app) + 900).contains(&expires_at), "{expires_at}");

        // Only the hash is stored, and a second token is a different one.
        let stored = app.store.find_oauth_token(&hash_token(token), app.clock.now()).await.expect("find").expect("stored");
        assert_eq!((stored.token_hash.len(), stored.client_id.as_str()), (64, A.0));
        assert_eq!(app.store.find_oauth_token(token, app.clock.now()).await.expect("find"), None);
        let second = form(&app, "/v1/oauth/token", A, "scope=api&grant_type=client_credentials").await.json();
        assert_ne!(second["access_token"], body["access_token"]);
        assert_eq!(second["scope"], "api");

        // A charset parameter on the content type is fine.
        let headers = [("X-App-Id", A.0), ("X-App-Token", A.1)];
        let body = Some(("application/x-www-form-urlencoded; charset=UTF-8", b"grant_type=client_credentials&scope=api".to_vec()));
        let res = request(&app, reqwest::Method::POST, "/v1/oauth/token", &headers, body).await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(app.store.count_live_oauth_tokens(&app.project_a, app.clock.now()).await.expect("count"), 3);
    }

    async fn introspection_shows_live_tokens_of_the_callers_project(backend) {
        let app = TestApp::spawn(backend).await;
        let issued = issue_as(&app, A, "customers api").await;
        let token = issued["access_token"].as_str().expect("token");
        let res = form(&app, "/v1/oauth/introspect", A, &format!("access_token={token}")).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let mut expected = issued.clone();
        expected["active"] = json!(true);
        // The test clock follows the wall clock: a second may tick between the two calls.
        let mut introspected = res.json();
        assert!([json!(899), json!(900)].contains(&introspected["expires_in"]), "{introspected}");
        introspected["expires_in"] = expected["expires_in"].clone();
        assert_eq!(introspected, expected);

        app.clock.advance(300_000);
        let body = form(&app, "/v1/oauth/introspect", A, &format!("access_token={token}")).await.json();
        assert!([json!(599), json!(600)].contains(&body["expires_in"]), "{body}");
        assert_eq!((body["expires_at"].clone(), body["active"].clone()), (issued["expires_at"].clone(), json!(true)));

        for (creds, body) in [(A, "access_token=unknown".to_owned()), (B, format!("access_token={token}"))] {
            let res = form(&app, "/v1/oauth/introspect", creds, &body).await;
            assert_eq!((res.status, res.text.as_str()), (200, r#"{"active":false}"#));
        }
        for body in ["", "access_token=", "access_token=+", "token=x"] {
            let res = form(&app, "/v1/oauth/introspect", A, body).await;
            assert_eq!(error(&res, 400), missing_parameters(), "{body:?}");
        }
    }

    async fn revoked_tokens_stop_working(backend) {
        let app = TestApp::spawn(backend).await;
        let token = issue(&app, "async-actions").await;
        assert_eq!(bearer_get(&app, "/v1/async-actions", &token).await.status, 200);
        let revoke = format!("access_token={token}");

        // Another project can neither see nor revoke it.
        assert_empty(&form(&app, "/v1/oauth/token/revoke", B, &revoke).await, 404);
        assert_eq!(bearer_get(&app, "/v1/async-actions", &token).await.status, 200);

        assert_empty(&form(&app, "/v1/oauth/token/revoke", A, &revoke).await, 204);
        assert_empty(&form(&app, "/v1/oauth/token/revoke", A, &revoke).await, 404);
        assert_empty(&form(&app, "/v1/oauth/token/revoke", A, "access_token=unknown").await, 404);
        assert_eq!(error(&bearer_get(&app, "/v1/async-actions", &token).await, 401), unauthorized());
        let res = form(&app, "/v1/oauth/introspect", A, &revoke).await;
        assert_eq!(res.text, r#"{"active":false}"#);
        for body in ["", "access_token="] {
            assert_eq!(error(&form(&app, "/v1/oauth/token/revoke", A, body).await, 400), missing_parameters());
        }
        assert_eq!(app.store.count_live_oauth_tokens(&app.project_a, app.clock.now()).await.expect("count"), 0);
    }

    async fn tokens_expire_after_their_lifetime(backend) {
        let app = TestApp::spawn(backend).await;
        let token = issue(&app, "api").await;
        app.clock.advance(899_000);
        assert_eq!(bearer_get(&app, "/v1/customers", &token).await.status, 200);
        app.clock.advance(1_500);
        assert_eq!(error(&bearer_get(&app, "/v1/customers", &token).await, 401), unauthorized());
        let introspected = form(&app, "/v1/oauth/introspect", A, &format!("access_token={token}")).await;
        assert_eq!(introspected.text, r#"{"active":false}"#);
        assert_empty(&form(&app, "/v1/oauth/token/revoke", A, &format!("access_token={token}")).await, 404);
    }

    async fn the_token_lifetime_and_limit_are_configurable(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.api.oauth_token_ttl_secs = 60;
            c.api.oauth_token_limit = 2;
        })
        .await;
        let issued = issue_as(&app, A, "api").await;
        assert_eq!(issued["expires_in"], json!(60));
        issue(&app, "api").await;
        let refused = form(&app, "/v1/oauth/token", A, "grant_type=client_credentials&scope=api").await;
        assert_eq!(error(&refused, 429)["details"], "The project has reached its limit of 2 active OAuth tokens. Revoke one, or retry in 60 seconds when the oldest expires.");
        app.clock.advance(60_000);
        let token = issued["access_token"].as_str().expect("token");
        assert_eq!(error(&bearer_get(&app, "/v1/customers", token).await, 401), unauthorized());
        issue(&app, "api").await;
    }

    async fn each_scope_opens_its_own_paths_and_no_others(backend) {
        let app = TestApp::spawn(backend).await;
        for (scope, _, _) in AREAS {
            let token = issue(&app, scope).await;
            for (area, path, allowed) in AREAS {
                let res = bearer_get(&app, path, &token).await;
                if area == scope {
                    assert_eq!(res.status, allowed, "{scope} on {path}: {}", res.text);
                } else {
                    assert_eq!(error(&res, 403), missing_permission(area), "{scope} on {path}");
                }
            }
        }
        // `api` opens everything; scopes that cover no route here open nothing.
        let api = issue(&app, "api").await;
        let elsewhere = issue(&app, "redemptions client_api orders").await;
        for (area, path, allowed) in AREAS {
            assert_eq!(bearer_get(&app, path, &api).await.status, allowed, "api on {path}");
            assert_eq!(error(&bearer_get(&app, path, &elsewhere).await, 403), missing_permission(area));
        }
        // Several scopes add up.
        let both = issue(&app, "customers vouchers").await;
        assert_eq!(bearer_get(&app, "/v1/customers", &both).await.status, 200);
        assert_eq!(bearer_get(&app, "/v1/vouchers", &both).await.status, 200);
        assert_eq!(error(&bearer_get(&app, "/v1/products", &both).await, 403), missing_permission("products"));
    }

    async fn scopes_cover_producers_and_nested_paths(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.post("/v1/products", &json!({"source_id": "p1", "name": "P1"})).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let before = app.snapshot().await;

        let vouchers = issue(&app, "vouchers").await;
        let res = bearer(&app, reqwest::Method::POST, "/v1/customers/bulk/async", &vouchers).await;
        assert_eq!(error(&res, 403), missing_permission("customers"));
        assert_eq!(app.snapshot().await, before, "a refused producer enqueues nothing");

        let customers_token = issue(&app, "customers").await;
        let res = bearer(&app, reqwest::Method::POST, "/v1/customers/bulk/async", &customers_token).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        // Following the action needs async-actions.
        let res = bearer_get(&app, &format!("/v1/async-actions/{id}"), &customers_token).await;
        assert_eq!(error(&res, 403), missing_permission("async-actions"));
        let actions = issue(&app, "async-actions").await;
        assert_eq!(bearer_get(&app, &format!("/v1/async-actions/{id}"), &actions).await.status, 200);

        // A product's SKUs are a products path, not a skus one.
        let skus = issue(&app, "skus").await;
        let res = bearer_get(&app, "/v1/products/p1/skus", &skus).await;
        assert_eq!(error(&res, 403), missing_permission("products"));
        let products = issue(&app, "products").await;
        assert_eq!(bearer_get(&app, "/v1/products/p1/skus", &products).await.status, 200);
    }

    async fn bearer_headers_are_read_strictly(backend) {
        let app = TestApp::spawn(backend).await;
        let token = issue(&app, "api").await;
        let get = reqwest::Method::GET;
        let lower = format!("bearer {token}");
        let res = request(&app, get.clone(), "/v1/customers", &[("Authorization", &lower)], None).await;
        assert_eq!(res.status, 200, "the scheme is case-insensitive");
        let wrong = format!("Bearer {token}x");
        let basic = format!("Basic {token}");
        for value in ["Bearer", "Bearer ", wrong.as_str(), basic.as_str(), token.as_str()] {
            let res = request(&app, get.clone(), "/v1/customers", &[("Authorization", value)], None).await;
            assert_eq!(error(&res, 401), unauthorized(), "{value:?}");
        }
        // With a whole app key beside it, the app key decides: here B's project.
        let auth = format!("Bearer {token}");
        let b_and_token = [("Authorization", auth.as_str()), ("X-App-Id", B.0), ("X-App-Token", B.1)];
        let res = request(&app, get.clone(), "/v1/customers", &b_and_token, None).await;
        assert_eq!(res.status, 200);
        let a_customer = app.post("/v1/customers", &json!({"source_id": "ann"})).await;
        assert_eq!(a_customer.status, 200, "{}", a_customer.text);
        let seen = request(&app, get.clone(), "/v1/customers/ann", &b_and_token, None).await;
        assert_eq!(seen.status, 404, "B's app key, not A's token: {}", seen.text);
        let wrong_key = [("Authorization", auth.as_str()), ("X-App-Id", A.0), ("X-App-Token", "wrong")];
        let res = request(&app, get, "/v1/customers", &wrong_key, None).await;
        assert_eq!(error(&res, 401), unauthorized());
    }

    async fn a_project_holds_at_most_1000_live_tokens(backend) {
        let app = TestApp::spawn(backend).await;
        let client = reqwest::Client::new();
        let url = app.url("/v1/oauth/token");
        let (mut tokens, mut refused) = (Vec::new(), Vec::new());
        // 1010 requests, 10 at a time: exactly 1000 succeed, whatever the interleaving.
        for _ in 0..101 {
            let mut wave = tokio::task::JoinSet::new();
            for _ in 0..10 {
                let req = client
                    .post(&url)
                    .header("X-App-Id", A.0)
                    .header("X-App-Token", A.1)
                    .header("Content-Type", FORM)
                    .body("grant_type=client_credentials&scope=api");
                wave.spawn(async move {
                    let res = req.send().await.expect("request");
                    let (status, headers) = (res.status().as_u16(), res.headers().clone());
                    Resp { status, headers, text: res.text().await.expect("body") }
                });
            }
            while let Some(res) = wave.join_next().await {
                let res = res.expect("task");
                match res.status {
                    200 => tokens.push(res.json()["access_token"].as_str().expect("token").to_owned()),
                    _ => refused.push(res),
                }
            }
        }
        assert_eq!((tokens.len(), refused.len()), (1000, 10));
        let live = || async { app.store.count_live_oauth_tokens(&app.project_a, app.clock.now()).await.expect("count") };
        assert_eq!(live().await, 1000);
        for res in &refused {
            assert_eq!(error(res, 429), json!({
                "code": 429, "key": "limit_exceeded", "message": "Limit exceeded",
                "details": format!(
                    "The project has reached its limit of 1000 active OAuth tokens. Revoke one, or retry in {} seconds when the oldest expires.",
                    res.headers["retry-after"].to_str().expect("header"))
            }));
            let retry: u64 = res.headers["retry-after"].to_str().expect("header").parse().expect("seconds");
            assert!((1..=900).contains(&retry), "{retry}");
        }

        // Project B has its own limit.
        issue_as(&app, B, "api").await;
        // A revoked token frees one slot, for one token.
        let revoke = format!("access_token={}", tokens[0]);
        assert_empty(&form(&app, "/v1/oauth/token/revoke", A, &revoke).await, 204);
        assert_eq!(live().await, 999);
        issue(&app, "api").await;
        let res = form(&app, "/v1/oauth/token", A, "grant_type=client_credentials&scope=api").await;
        assert_eq!(error(&res, 429)["key"], "limit_exceeded");
        assert_eq!(live().await, 1000);
        app.clock.advance(900_001);
        assert_eq!(live().await, 0, "expired tokens do not count");
        let fresh = issue(&app, "api").await;
        assert_eq!(live().await, 1);
        assert_empty(&form(&app, "/v1/oauth/token/revoke", A, &format!("access_token={fresh}")).await, 204);
        assert_eq!(live().await, 0);
    }

    async fn token_requests_are_refused_with_voucherifys_bodies(backend) {
        let app = TestApp::spawn(backend).await;
        let api = issue(&app, "api").await;
        let invalid_scope = |names: &str| json!({"code": 400, "key": "invalid_scope", "message": format!("Invalid scope: {names}")});
        let cases = [
            ("grant_type=password&scope=api", json!({"code": 400, "key": "invalid_grant_type", "message": "Invalid grant_type"})),
            ("grant_type=&scope=api", missing_parameters()),
            ("grant_type=client_credentials&scope=vouchers,campaigns", invalid_scope("vouchers,campaigns")),
            ("grant_type=client_credentials&scope=vouchers%2Ccampaigns", invalid_scope("vouchers,campaigns")),
            ("grant_type=client_credentials&scope=api+foo+bar+foo", invalid_scope("foo,bar")),
            ("grant_type=client_credentials&scope=API", invalid_scope("API")),
            ("scope=api", missing_parameters()),
            ("grant_type=client_credentials", missing_parameters()),
            ("grant_type=client_credentials&scope=", missing_parameters()),
            ("grant_type=client_credentials&scope=++", missing_parameters()),
            ("", missing_parameters()),
        ];
        for (body, expected) in cases {
            let res = form(&app, "/v1/oauth/token", A, body).await;
            assert_eq!(error(&res, 400), expected, "{body:?}");
        }
        // A JSON body is not read as parameters.
        let headers = [("X-App-Id", A.0), ("X-App-Token", A.1)];
        let json_body = Some(("application/json", br#"{"grant_type":"client_credentials","scope":"api"}"#.to_vec()));
        let res = request(&app, reqwest::Method::POST, "/v1/oauth/token", &headers, json_body).await;
        let mut expected = missing_parameters();
        expected["details"] = json!("Send the parameters as application/x-www-form-urlencoded");
        assert_eq!(error(&res, 400), expected);

        // App keys only: wrong ones, none, or a bearer token get 401 on every OAuth endpoint.
        let body = "grant_type=client_credentials&scope=api";
        let auth = format!("Bearer {api}");
        for path in ["/v1/oauth/token", "/v1/oauth/introspect", "/v1/oauth/token/revoke"] {
            for headers in [
                vec![("X-App-Id", A.0), ("X-App-Token", "wrong")],
                vec![("X-App-Id", "nobody"), ("X-App-Token", A.1)],
                vec![],
                vec![("Authorization", auth.as_str())],
            ] {
                let res = request(&app, reqwest::Method::POST, path, &headers, Some((FORM, body.as_bytes().to_vec()))).await;
                assert_eq!(error(&res, 401), unauthorized(), "{path} {headers:?}");
            }
        }
        assert_eq!(app.store.count_live_oauth_tokens(&app.project_a, app.clock.now()).await.expect("count"), 1, "nothing issued");
        assert_eq!(bearer_get(&app, "/v1/customers", &api).await.status, 200, "nothing revoked");
    }

    async fn a_token_works_only_in_its_own_project(backend) {
        let app = TestApp::spawn(backend).await;
        let id = app.bulk_update(&customers(2)).await;
        let b = issue_as(&app, B, "api").await["access_token"].as_str().expect("token").to_owned();
        let res = bearer_get(&app, &format!("/v1/async-actions/{id}"), &b).await;
        assert_eq!(error(&res, 404), json!({
            "code": 404, "key": "not_found", "message": "Resource not found",
            "details": format!("Cannot find async_action with id {id}"),
            "resource_id": id, "resource_type": "async_action",
        }));
        assert_eq!(bearer_get(&app, "/v1/async-actions", &b).await.json()["async_actions"], json!([]));
        let a = issue(&app, "async-actions").await;
        assert_eq!(bearer_get(&app, &format!("/v1/async-actions/{id}"), &a).await.status, 200);
        // What B's token creates is B's.
        let res = bearer(&app, reqwest::Method::POST, "/v1/customers/bulk/async", &b).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let b_action = res.json()["async_action_id"].as_str().expect("id").to_owned();
        assert_eq!(app.get(&format!("/v1/async-actions/{b_action}")).await.status, 404);
        assert_eq!(app.get_as(B, &format!("/v1/async-actions/{b_action}")).await.status, 200);
    }
}
