//! Every route with a path parameter, tried on project A's objects with project B's app key,
//! B's OAuth token, and A's own expired and revoked tokens. The table [`ROUTES`] is checked
//! against `cv_api`'s route table (`router.rs`), so a new route cannot be left out.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{A_KEY, Auth, Body, Fixture, assert_not_found, assert_unchanged, call, form};
use crate::support::{A, B, TestApp};

/// Which of A's objects a route's path parameter names.
#[derive(Debug, Clone, Copy)]
enum Key {
    Action,
    Campaign,
    Customer,
    Product,
    Sku,
    Voucher,
    Order,
    Webhook,
    /// A metadata schema's resource name: not an object of A, but the same name in B.
    Schema,
}

/// What another project's call must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// 404 `not_found`, nothing changed.
    NotFound,
    /// The route names a resource kind, not an object: it acts in the caller's own project
    /// and answers this status; A's objects are untouched.
    OwnProject(u16),
}

struct Route {
    method: &'static str,
    path: &'static str,
    key: Key,
    query: &'static str,
    body: Body<'static>,
    outcome: Outcome,
}

impl Route {
    const fn new(method: &'static str, path: &'static str, key: Key) -> Self {
        Self { method, path, key, query: "", body: Body::None, outcome: Outcome::NotFound }
    }

    const fn json(self, body: &'static str) -> Self {
        Self { body: Body::Json(body), ..self }
    }

    const fn csv(self, body: &'static str) -> Self {
        Self { body: Body::Csv(body), ..self }
    }

    const fn query(self, query: &'static str) -> Self {
        Self { query, ..self }
    }

    const fn own(self, status: u16) -> Self {
        Self { outcome: Outcome::OwnProject(status), ..self }
    }
}

/// Every authenticated route of `router.rs` with a path parameter, with a body each would
/// accept from A. Keep in the order given: B's schema PUT comes after its GET and DELETE.
const ROUTES: &[Route] = &[
    Route::new("GET", "/v1/async-actions/{id}", Key::Action),
    Route::new("GET", "/v1/async-actions/{id}/events", Key::Action),
    Route::new("GET", "/v1/async-actions/{id}/report", Key::Action),
    Route::new("POST", "/v1/async-actions/{id}/cancel", Key::Action),
    Route::new("GET", "/v1/campaigns/{id}", Key::Campaign),
    Route::new("PUT", "/v1/campaigns/{id}", Key::Campaign).json(r#"{"description": "B"}"#),
    Route::new("DELETE", "/v1/campaigns/{id}", Key::Campaign).query("?force=true"),
    Route::new("POST", "/v1/campaigns/{id}/vouchers", Key::Campaign).json(r#"{"code": "B-1"}"#),
    Route::new("POST", "/v1/campaigns/{id}/import", Key::Campaign).json(r#"[{"code": "B-2"}]"#),
    Route::new("POST", "/v1/campaigns/{id}/importCSV", Key::Campaign).csv("Code\nB-3\n"),
    Route::new("GET", "/v1/customers/{id}", Key::Customer),
    Route::new("PUT", "/v1/customers/{id}", Key::Customer).json(r#"{"name": "B"}"#),
    Route::new("DELETE", "/v1/customers/{id}", Key::Customer),
    Route::new("GET", "/v1/products/{id}", Key::Product),
    Route::new("PUT", "/v1/products/{id}", Key::Product).json(r#"{"name": "B"}"#),
    Route::new("DELETE", "/v1/products/{id}", Key::Product),
    Route::new("GET", "/v1/products/{id}/skus", Key::Product),
    Route::new("POST", "/v1/products/{id}/skus", Key::Product).json(r#"{"source_id": "b-sku"}"#),
    Route::new("GET", "/v1/skus/{id}", Key::Sku),
    Route::new("GET", "/v1/vouchers/{code}", Key::Voucher),
    Route::new("GET", "/v1/orders/{id}", Key::Order),
    Route::new("GET", "/v1/metadata-schemas/{resource}", Key::Schema),
    Route::new("DELETE", "/v1/metadata-schemas/{resource}", Key::Schema),
    Route::new("PUT", "/v1/metadata-schemas/{resource}", Key::Schema)
        .json(r#"{"properties": {"tier": {"type": "number"}}}"#)
        .own(200),
    Route::new("POST", "/v1/metadata-schemas/{resource}/purge", Key::Schema)
        .json(r#"{"key": "tier"}"#)
        .own(202),
    Route::new("GET", "/v1/webhooks/{id}", Key::Webhook),
    Route::new("DELETE", "/v1/webhooks/{id}", Key::Webhook),
    Route::new("GET", "/v1/webhooks/{id}/deliveries", Key::Webhook),
];

/// Routes with a path parameter that need no credentials and serve no project's data.
const PUBLIC: &[(&str, &str)] = &[("GET", "/dashboard/{file}")];

/// The lists, each with the field holding its items.
const LISTS: &[(&str, &str)] = &[
    ("/v1/async-actions", "async_actions"),
    ("/v1/async-actions?status=DONE", "async_actions"),
    ("/v1/async-actions?type=CUSTOMERS.BULK_UPDATE", "async_actions"),
    ("/v1/customers", "customers"),
    ("/v1/products", "products"),
    ("/v1/vouchers", "vouchers"),
    ("/v1/campaigns", "campaigns"),
    ("/v1/orders", "orders"),
    ("/v1/metadata-schemas", "schemas"),
    ("/v1/webhooks", "webhooks"),
];

/// `(method, path)` of every route the server serves: the router is built from
/// `cv_api::ROUTES` alone.
fn declared_routes() -> BTreeSet<(String, String)> {
    cv_api::ROUTES.iter().map(|r| (r.verb.as_str().to_owned(), r.path.to_owned())).collect()
}

#[test]
fn the_table_covers_every_route_with_a_path_parameter() {
    let declared = declared_routes();
    assert!(declared.contains(&("GET".into(), "/v1/async-actions".into())), "{declared:?}");
    assert!(declared.contains(&("DELETE".into(), "/v1/webhooks/{id}".into())), "{declared:?}");
    let with_parameter: BTreeSet<(String, String)> =
        declared.into_iter().filter(|(_, path)| path.contains('{')).collect();
    let tabled: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .chain(PUBLIC.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())))
        .collect();
    assert_eq!(tabled.len(), ROUTES.len() + PUBLIC.len(), "no route twice");
    let missing: Vec<_> = with_parameter.difference(&tabled).collect();
    let unknown: Vec<_> = tabled.difference(&with_parameter).collect();
    assert!(missing.is_empty(), "routes missing from ROUTES: {missing:?}");
    assert!(unknown.is_empty(), "ROUTES names routes router.rs does not have: {unknown:?}");
}

fn keys(fixture: &Fixture, key: Key) -> Vec<String> {
    match key {
        Key::Action => vec![fixture.action.clone(), fixture.queued.clone()],
        Key::Campaign => fixture.campaign.to_vec(),
        Key::Customer => fixture.customer.to_vec(),
        Key::Product => fixture.product.to_vec(),
        Key::Sku => fixture.sku.to_vec(),
        Key::Voucher => fixture.voucher.to_vec(),
        Key::Order => fixture.order.to_vec(),
        Key::Webhook => vec![fixture.webhook.clone()],
        Key::Schema => vec!["customer".to_owned()],
    }
}

fn fill(route: &Route, key: &str) -> String {
    let open = route.path.find('{').expect("a parameter");
    let close = route.path.find('}').expect("its end");
    format!("{}{key}{}{}", &route.path[..open], &route.path[close + 1..], route.query)
}

/// What every call with `auth` must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Another project's credentials: each route's [`Outcome`].
    OtherProject,
    /// A credential that no longer works: 401 everywhere.
    Unauthorized,
}

/// Calls every route of [`ROUTES`] with every key of A's object in it.
async fn try_every_route(app: &TestApp, fixture: &Fixture, auth: Auth<'_>, expect: Expect) {
    for route in ROUTES {
        for key in keys(fixture, route.key) {
            let path = fill(route, &key);
            let what = format!("{} {path} as {auth:?}", route.method);
            let res = call(app, auth, route.method, &path, route.body).await;
            match (expect, route.outcome) {
                (Expect::Unauthorized, _) => {
                    assert_eq!(
                        (res.status, res.json()["key"].clone()),
                        (401, "unauthorized".into()),
                        "{what}"
                    );
                }
                (Expect::OtherProject, Outcome::NotFound) => assert_not_found(&res, &what),
                (Expect::OtherProject, Outcome::OwnProject(status)) => {
                    assert_eq!(res.status, status, "{what}: {}", res.text);
                }
            }
            for name in fixture.names().into_iter().filter(|n| n.len() > 6 && **n != key) {
                assert!(!res.text.contains(name), "{what} shows A's {name}: {}", res.text);
            }
        }
    }
    // B's schema was made by the table's PUT; the next pass starts without it again.
    if let Expect::OtherProject = expect {
        assert_eq!(
            call(app, auth, "DELETE", "/v1/metadata-schemas/customer", Body::None).await.status,
            204
        );
    }
}

/// A new OAuth token of `creds`' project with every scope.
async fn token(app: &TestApp, creds: (&str, &str)) -> String {
    let res = form(app, "/v1/oauth/token", creds, "grant_type=client_credentials&scope=api").await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["access_token"].as_str().expect("token").to_owned()
}

/// The items of a list answer.
fn items<'a>(body: &'a Value, field: &str) -> &'a Vec<Value> {
    body[field].as_array().unwrap_or_else(|| panic!("no {field}: {body}"))
}

backend_tests! {
    async fn another_projects_credentials_reach_none_of_a_projects_objects(backend) {
        let app = TestApp::spawn(backend).await;
        let fixture = Fixture::create(&app).await;
        let before = fixture.snapshot(&app).await;
        assert_eq!(app.get(&format!("/v1/async-actions/{}/report", fixture.action)).await.status, 200);

        // B's lists show none of A's objects.
        for (path, field) in LISTS {
            let res = app.get_as(B, path).await;
            assert_eq!(res.status, 200, "{path}: {}", res.text);
            assert!(items(&res.json(), field).is_empty(), "{path}: {}", res.text);
            assert!(!items(&app.get(path).await.json(), field).is_empty(), "A's {path} has items");
        }
        let by_campaign = format!("/v1/vouchers?campaign_id={}", fixture.campaign[0]);
        assert!(items(&app.get_as(B, &by_campaign).await.json(), "vouchers").is_empty());

        // B's app key, then a token of B's.
        try_every_route(&app, &fixture, Auth::Key(B), Expect::OtherProject).await;
        let b_token = token(&app, B).await;
        try_every_route(&app, &fixture, Auth::Bearer(&b_token), Expect::OtherProject).await;
        assert_unchanged(&before, &fixture.snapshot(&app).await);

        // Running the queue, B's purges purged nothing of A's and B's cancels cancelled nothing.
        app.run_pending().await;
        let queued = app.get(&format!("/v1/async-actions/{}", fixture.queued)).await.json();
        assert_eq!(queued["status"], "DONE", "{queued}");
        assert_eq!(app.get("/v1/customers/c1").await.json()["metadata"]["tier"], "silver");
        let b_actions = app.get_as(B, "/v1/async-actions").await.json();
        let purges = items(&b_actions, "async_actions");
        assert_eq!(purges.len(), 2, "B's two purges: {b_actions}");
        for purge in purges {
            let purge = app.get_as(B, &format!("/v1/async-actions/{}", purge["id"].as_str().expect("id"))).await.json();
            assert_eq!(purge["result"]["done_count"], 0, "{purge}");
        }
    }

    async fn expired_and_revoked_tokens_are_refused_everywhere(backend) {
        let app = TestApp::spawn(backend).await;
        let fixture = Fixture::create(&app).await;
        let before = fixture.snapshot(&app).await;
        let revoked = token(&app, A).await;
        let expiring = token(&app, A).await;
        for token in [&revoked, &expiring] {
            let res = call(&app, Auth::Bearer(token), "GET", &format!("/v1/customers/{}", fixture.customer[0]), Body::None).await;
            assert_eq!(res.status, 200, "a live token reads A's customer: {}", res.text);
        }
        let res = form(&app, "/v1/oauth/token/revoke", A, &format!("access_token={revoked}")).await;
        assert_eq!(res.status, 204);
        try_every_route(&app, &fixture, Auth::Bearer(&revoked), Expect::Unauthorized).await;

        app.clock.advance(i64::from(app.config.api.oauth_token_ttl_secs) * 1000 + 1);
        try_every_route(&app, &fixture, Auth::Bearer(&expiring), Expect::Unauthorized).await;
        for token in [&revoked, &expiring] {
            for (path, _) in LISTS {
                let res = call(&app, Auth::Bearer(token), "GET", path, Body::None).await;
                assert_eq!(res.status, 401, "{path}: {}", res.text);
            }
        }
        assert_unchanged(&before, &fixture.snapshot(&app).await);
        // A's app key still works: only the tokens are dead.
        let res = call(&app, A_KEY, "GET", &format!("/v1/customers/{}", fixture.customer[0]), Body::None).await;
        assert_eq!(res.status, 200);
    }
}
