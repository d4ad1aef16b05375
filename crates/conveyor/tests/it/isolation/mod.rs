//! Hardening: two projects on one server. Every route that takes an id answers another
//! project's credentials with 404 and changes nothing (`routes`); expired and revoked OAuth
//! tokens are refused everywhere (`routes`); no credential or signing secret reaches the logs,
//! an error body, a result or a report (`secrets`); report downloads read only their own
//! action, whatever the path (`reports`).

mod reports;
mod routes;
mod secrets;

use serde_json::{Value, json};

use crate::support::{A, Resp, TestApp, customers};

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// `X-App-Id` and `X-App-Token`.
    Key((&'a str, &'a str)),
    /// `Authorization: Bearer …`.
    Bearer(&'a str),
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    None,
    /// JSON text.
    Json(&'a str),
    /// A CSV file as the multipart field `file`.
    Csv(&'a str),
}

/// Sends `method path` with `auth` and `body`.
pub async fn call(app: &TestApp, auth: Auth<'_>, method: &str, path: &str, body: Body<'_>) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = reqwest::Client::new().request(method, app.url(path));
    req = match auth {
        Auth::Key((id, token)) => req.header("X-App-Id", id).header("X-App-Token", token),
        Auth::Bearer(token) => req.header("Authorization", format!("Bearer {token}")),
    };
    req = match body {
        Body::None => req,
        Body::Json(text) => req.header("Content-Type", "application/json").body(text.to_owned()),
        Body::Csv(text) => {
            let part = reqwest::multipart::Part::bytes(text.as_bytes().to_vec())
                .file_name("import.csv")
                .mime_str("text/csv")
                .expect("mime");
            req.multipart(reqwest::multipart::Form::new().part("file", part))
        }
    };
    let res = req.send().await.expect("request");
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    Resp { status, headers, text: res.text().await.expect("body") }
}

/// POSTs a form body (an OAuth endpoint's) with the app key `creds`.
pub async fn form(app: &TestApp, path: &str, creds: (&str, &str), body: &str) -> Resp {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .header("X-App-Id", creds.0)
        .header("X-App-Token", creds.1)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    Resp { status, headers, text: res.text().await.expect("body") }
}

/// Project A's objects, one of each kind, and how each can be named in a path.
pub struct Fixture {
    /// A finished CUSTOMERS.BULK_UPDATE with a report.
    pub action: String,
    /// A bulk update still ENQUEUED (so a cancel would take effect).
    pub queued: String,
    pub campaign: [String; 2],
    pub customer: [String; 2],
    pub product: [String; 2],
    pub sku: [String; 2],
    pub voucher: [String; 2],
    pub order: [String; 2],
    pub webhook: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_owned()
}

impl Fixture {
    /// Creates A's objects through the API: a customer schema, a webhook, customers (bulk),
    /// a product with a SKU, a campaign with generated vouchers, an order; runs the queue,
    /// then leaves one more bulk update queued.
    pub async fn create(app: &TestApp) -> Self {
        let schema =
            json!({"related_object": "customer", "properties": {"tier": {"type": "string"}}});
        assert_eq!(app.post("/v1/metadata-schemas", &schema).await.status, 201);
        let hook =
            app.post("/v1/webhooks", &json!({"target_url": "http://127.0.0.1:9/hook"})).await;
        assert_eq!(hook.status, 201, "{}", hook.text);
        let items = json!([{"source_id": "c0", "name": "Customer 0", "metadata": {"tier": "gold"}},
                           {"source_id": "c1", "name": "Customer 1", "metadata": {"tier": "silver"}}]);
        let action = app.bulk_update(&items).await;
        let product = json!({"source_id": "shirt", "name": "Shirt", "attributes": ["color"]});
        assert_eq!(app.post("/v1/products", &product).await.status, 200);
        let sku =
            json!({"source_id": "shirt-blue", "sku": "Blue", "attributes": {"color": "blue"}});
        assert_eq!(app.post("/v1/products/shirt/skus", &sku).await.status, 200);
        let campaign = app
            .post("/v1/campaigns", &json!({
                "name": "Spring", "campaign_type": "DISCOUNT_COUPONS", "vouchers_count": 3,
                "voucher": {"type": "DISCOUNT_VOUCHER", "discount": {"type": "PERCENT", "percent_off": 10}}
            }))
            .await;
        assert_eq!(campaign.status, 200, "{}", campaign.text);
        let order = json!([{"source_id": "o1", "status": "PAID", "amount": 100, "customer": {"source_id": "c0"}}]);
        assert_eq!(app.post("/v1/orders/import", &order).await.status, 200);
        app.run_pending().await;
        let voucher = app.get("/v1/vouchers").await.json()["vouchers"][0].clone();
        assert!(voucher.is_object(), "a generated voucher");
        let id_of = |path: &'static str| async move { text(&app.get(path).await.json()["id"]) };
        let fixture = Self {
            action,
            queued: app.bulk_update(&customers(1)).await,
            campaign: [text(&campaign.json()["id"]), "Spring".to_owned()],
            customer: [id_of("/v1/customers/c0").await, "c0".to_owned()],
            product: [id_of("/v1/products/shirt").await, "shirt".to_owned()],
            sku: [id_of("/v1/skus/shirt-blue").await, "shirt-blue".to_owned()],
            voucher: [text(&voucher["code"]), text(&voucher["id"])],
            order: [id_of("/v1/orders/o1").await, "o1".to_owned()],
            webhook: text(&hook.json()["id"]),
        };
        assert_eq!(
            app.get(&format!("/v1/async-actions/{}", fixture.action)).await.json()["status"],
            "DONE"
        );
        fixture
    }

    /// Every string that names one of A's objects.
    pub fn names(&self) -> Vec<&str> {
        let pairs =
            [&self.campaign, &self.customer, &self.product, &self.sku, &self.voucher, &self.order];
        let mut out: Vec<&str> = pairs.iter().flat_map(|p| p.iter().map(String::as_str)).collect();
        out.extend([self.action.as_str(), self.queued.as_str(), self.webhook.as_str()]);
        out
    }

    /// Everything A can read about its objects, as A reads it: every list, every object, every
    /// action with its result, every report, every delivery.
    pub async fn snapshot(&self, app: &TestApp) -> Vec<(String, u16, String)> {
        let mut paths: Vec<String> = [
            "/v1/async-actions?limit=100",
            "/v1/customers?limit=100",
            "/v1/products?limit=100",
            "/v1/vouchers?limit=100",
            "/v1/campaigns?limit=100",
            "/v1/orders?limit=100",
            "/v1/metadata-schemas",
            "/v1/metadata-schemas/customer",
            "/v1/webhooks",
        ]
        .map(str::to_owned)
        .into();
        let pairs = [
            ("customers", &self.customer),
            ("products", &self.product),
            ("skus", &self.sku),
            ("vouchers", &self.voucher),
            ("campaigns", &self.campaign),
            ("orders", &self.order),
        ];
        for (resource, keys) in pairs {
            paths.extend(keys.iter().map(|k| format!("/v1/{resource}/{k}")));
        }
        paths.push(format!("/v1/products/{}/skus", self.product[0]));
        paths.push(format!("/v1/webhooks/{}", self.webhook));
        paths.push(format!("/v1/webhooks/{}/deliveries?limit=100", self.webhook));
        let actions = app.get("/v1/async-actions?limit=100").await.json();
        for action in actions["async_actions"].as_array().expect("actions") {
            let id = text(&action["id"]);
            paths.push(format!("/v1/async-actions/{id}"));
            paths.push(format!("/v1/async-actions/{id}/report"));
        }
        let mut out = Vec::new();
        for path in paths {
            let res = app.get(&path).await;
            // An error's request_id is the reading request's own.
            let text = match res.status {
                400.. => {
                    let mut body = res.json();
                    body.as_object_mut().map(|o| o.remove("request_id"));
                    body.to_string()
                }
                _ => res.text,
            };
            out.push((path, res.status, text));
        }
        out
    }
}

/// Asserts an answer is Voucherify's JSON 404 `not_found`.
pub fn assert_not_found(res: &Resp, what: &str) {
    assert_eq!(res.status, 404, "{what}: {}", res.text);
    assert!(res.content_type().starts_with("application/json"), "{what}: {:?}", res.content_type());
    assert_eq!(res.json()["key"], "not_found", "{what}: {}", res.text);
}

/// Asserts A still reads exactly what it read before.
pub fn assert_unchanged(before: &[(String, u16, String)], after: &[(String, u16, String)]) {
    assert_eq!(before.len(), after.len(), "the same reads");
    for (b, a) in before.iter().zip(after) {
        assert_eq!(b, a, "A's {} changed", b.0);
    }
}

/// A's app key, for readability at call sites.
pub const A_KEY: Auth<'static> = Auth::Key(A);
