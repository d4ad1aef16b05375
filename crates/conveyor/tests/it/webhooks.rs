//! Completion webhooks: endpoints registered through the API, a receiver started by the test
//! on 127.0.0.1, and the delivery loop driven pass by pass (`deliver_due`) on the test's clock:
//! signed events once per finished action, retries with their attempts listed, a restart
//! between attempts, the live loop woken by an action's end, and the API's 400s and 404s.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
};
use cv_engine::Clock as _;
use cv_webhooks::signature;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::support::{B, Backend, PATIENCE, TestApp, customers};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    answered: u16,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The event, after checking its signature under `secret`.
    fn verified(&self, secret: &str) -> Value {
        let sig = self.header("x-voucherify-signature");
        assert_eq!(sig.len(), 64, "hex HMAC-SHA256: {sig:?}");
        assert!(sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{sig}");
        assert!(signature::verify(secret, &self.body, sig), "the signature verifies");
        assert!(!signature::verify("another secret", &self.body, sig));
        assert_eq!(self.header("content-type"), "application/json");
        let event: Value = serde_json::from_slice(&self.body).expect("JSON body");
        assert_eq!(self.header("x-conveyor-delivery"), event["id"].as_str().unwrap_or("?"));
        event
    }
}

#[derive(Clone)]
struct Log {
    received: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer next, in order; 200 when empty.
    script: Arc<Mutex<VecDeque<u16>>>,
    count: Arc<watch::Sender<usize>>,
}

/// A tiny HTTP server that records every request and answers as scripted.
struct Receiver {
    addr: SocketAddr,
    log: Log,
}

async fn receive(State(log): State<Log>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answered = log.script.lock().expect("script").pop_front().unwrap_or(200);
    let path = uri.path().to_owned();
    log.received.lock().expect("log").push(Received {
        path,
        headers,
        body: body.to_vec(),
        answered,
    });
    log.count.send_modify(|n| *n += 1);
    StatusCode::from_u16(answered).expect("status")
}

impl Receiver {
    async fn start() -> Self {
        let log = Log {
            received: Arc::default(),
            script: Arc::default(),
            count: Arc::new(watch::channel(0).0),
        };
        let app = axum::Router::new().fallback(receive).with_state(log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next requests get these statuses.
    fn answer(&self, statuses: &[u16]) {
        self.log.script.lock().expect("script").extend(statuses);
    }

    fn received(&self) -> Vec<Received> {
        self.log.received.lock().expect("log").clone()
    }

    /// Waits until `n` requests have arrived (failing after [`PATIENCE`]).
    async fn wait_for(&self, n: usize) {
        let mut count = self.log.count.subscribe();
        tokio::time::timeout(PATIENCE, count.wait_for(|c| *c >= n))
            .await
            .expect("the requests arrive")
            .expect("receiver alive");
    }
}

/// An app whose retries come after at most one second.
async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.webhooks.retry_base_ms = 1_000;
        c.webhooks.retry_max_ms = 1_000;
        c.webhooks.retry_for_secs = 60;
    })
    .await
}

/// Registers `body` and returns the endpoint with its secret.
async fn register(app: &TestApp, body: Value) -> Value {
    let res = app.post("/v1/webhooks", &body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()
}

async fn action(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/async-actions/{id}")).await.json()
}

async fn deliveries(app: &TestApp, webhook: &str) -> Value {
    let res = app.get(&format!("/v1/webhooks/{webhook}/deliveries")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()
}

fn invalid_payload(res: &crate::support::Resp, details: &str) {
    assert_eq!(res.status, 400, "{}", res.text);
    let body = res.json();
    let request_id = body["request_id"].as_str().expect("request id").to_owned();
    assert_eq!(
        body,
        json!({
            "code": 400,
            "key": "invalid_payload",
            "message": "Invalid payload",
            "details": details,
            "request_id": request_id,
        })
    );
}

fn not_found(res: &crate::support::Resp, id: &str) {
    assert_eq!(res.status, 404, "{}", res.text);
    let body = res.json();
    assert_eq!(body["key"], "not_found");
    assert_eq!(body["resource_type"], "webhook");
    assert_eq!(body["resource_id"], id);
    assert_eq!(body["details"], format!("Cannot find webhook with id {id}"));
}

backend_tests! {
    async fn every_finished_action_is_posted_once_and_signed(backend) {
        let app = app(backend).await;
        let receiver = Receiver::start().await;
        let all = register(&app, json!({"target_url": receiver.url("/all")})).await;
        let id = all["id"].as_str().expect("id").to_owned();
        let secret = all["secret"].as_str().expect("secret shown once").to_owned();
        assert!(id.starts_with("wh_") && id.len() == 27, "{id}");
        assert!(secret.len() == 60 && secret.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(all["object"], "webhook");
        assert_eq!(all["target_url"], receiver.url("/all"));
        assert_eq!(all["events"], json!(["async_action.done", "async_action.failed"]));
        assert!(cv_domain::Timestamp::parse(all["created_at"].as_str().expect("date")).is_ok());
        let failures = register(
            &app,
            json!({"target_url": receiver.url("/failures"), "events": ["async_action.failed"]}),
        )
        .await;
        let failures_secret = failures["secret"].as_str().expect("secret").to_owned();

        let listed = app.get("/v1/webhooks").await.json();
        assert_eq!(listed["object"], "list");
        assert_eq!(listed["data_ref"], "webhooks");
        assert_eq!(listed["total"], 2);
        let mut shown = all.clone();
        shown.as_object_mut().expect("object").remove("secret");
        assert_eq!(listed["webhooks"][0], shown, "the secret is not shown again");
        assert_eq!(app.get(&format!("/v1/webhooks/{id}")).await.json(), shown);

        let done = app.bulk_update(&customers(3)).await;
        assert_eq!(app.run_pending().await.finished, 1);
        let cancelled = app.bulk_update(&customers(2)).await;
        let res = app.post(&format!("/v1/async-actions/{cancelled}/cancel"), &json!({})).await;
        assert_eq!(res.status, 200, "{}", res.text);

        let deliverer = app.deliverer_on(app.store.clone());
        let report = deliverer.deliver_due().await.expect("deliver");
        assert_eq!((report.delivered, report.claimed()), (3, 3));
        assert_eq!(deliverer.deliver_due().await.expect("again").claimed(), 0, "once each");

        let received = receiver.received();
        assert_eq!(received.len(), 3);
        for (path, action_id, kind) in [
            ("/all", &done, "async_action.done"),
            ("/all", &cancelled, "async_action.failed"),
            ("/failures", &cancelled, "async_action.failed"),
        ] {
            let about = |r: &&Received| {
                let event: Value = serde_json::from_slice(&r.body).expect("JSON");
                r.path == path && event["data"]["async_action"]["id"] == action_id.as_str()
            };
            let matching: Vec<_> = received.iter().filter(about).collect();
            assert_eq!(matching.len(), 1, "{path} {action_id}");
            let secret = if path == "/all" { &secret } else { &failures_secret };
            let event = matching[0].verified(secret);
            let shown = action(&app, action_id).await;
            assert!(crate::support::is_hex_id(event["id"].as_str().expect("id"), "whs_", 18));
            assert_eq!(event["project_id"], app.project_a.as_str());
            assert_eq!(event["type"], kind);
            assert_eq!(event["created_at"], shown["updated_at"], "the time it finished");
            assert_eq!(event["data"], json!({"async_action": shown}), "as GET shows it");
            assert_eq!(matching[0].header("x-conveyor-attempt"), "1");
        }
        assert_eq!(received.iter().filter(|r| r.answered == 200).count(), 3);

        let listed = deliveries(&app, &id).await;
        assert_eq!((listed["object"].as_str(), listed["total"].as_u64()), (Some("list"), Some(2)));
        for delivery in listed["deliveries"].as_array().expect("deliveries") {
            assert_eq!(delivery["object"], "webhook_delivery");
            assert_eq!(delivery["webhook_id"], id.as_str());
            assert_eq!(delivery["status"], "DELIVERED");
            assert_eq!(delivery["next_attempt_at"], Value::Null);
            let attempts = delivery["attempts"].as_array().expect("attempts");
            assert_eq!(attempts.len(), 1);
            assert_eq!((attempts[0]["attempt"].as_u64(), attempts[0]["status_code"].as_u64()), (Some(1), Some(200)));
            assert_eq!(attempts[0]["error"], Value::Null);
        }
        assert_eq!(listed["deliveries"][0]["async_action_id"], cancelled.as_str(), "newest first");
        assert_eq!(listed["deliveries"][1]["async_action_id"], done.as_str());
    }

    async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt(backend) {
        let app = app(backend).await;
        let receiver = Receiver::start().await;
        receiver.answer(&[500, 503]);
        let hook = register(&app, json!({"target_url": receiver.url("/hook")})).await;
        let (id, secret) = (hook["id"].as_str().expect("id"), hook["secret"].as_str().expect("s"));
        let action_id = app.bulk_update(&customers(1)).await;
        app.run_pending().await;
        let deliverer = app.deliverer_on(app.store.clone());

        assert_eq!(deliverer.deliver_due().await.expect("deliver").retrying, 1);
        assert_eq!(deliverer.deliver_due().await.expect("deliver").claimed(), 0, "not yet due");
        let pending = deliveries(&app, id).await;
        assert_eq!(pending["deliveries"][0]["status"], "PENDING");
        assert!(pending["deliveries"][0]["next_attempt_at"].is_string());
        app.clock.advance(1_000);
        assert_eq!(deliverer.deliver_due().await.expect("deliver").retrying, 1);
        app.clock.advance(1_000);
        assert_eq!(deliverer.deliver_due().await.expect("deliver").delivered, 1);
        app.clock.advance(10_000);
        assert_eq!(deliverer.deliver_due().await.expect("deliver").claimed(), 0);

        let received = receiver.received();
        let answered: Vec<_> = received.iter().map(|r| r.answered).collect();
        assert_eq!(answered, vec![500, 503, 200]);
        let attempts: Vec<_> = received.iter().map(|r| r.header("x-conveyor-attempt")).collect();
        assert_eq!(attempts, vec!["1", "2", "3"]);
        let events: Vec<_> = received.iter().map(|r| r.verified(secret)).collect();
        assert!(events.iter().all(|e| *e == events[0]), "every attempt sends the same event");
        assert_eq!(events[0]["data"]["async_action"]["id"], action_id.as_str());

        let listed = deliveries(&app, id).await;
        let delivery = &listed["deliveries"][0];
        assert_eq!(delivery["id"], events[0]["id"]);
        assert_eq!(delivery["status"], "DELIVERED");
        let attempts = delivery["attempts"].as_array().expect("attempts");
        let summary: Vec<_> = attempts
            .iter()
            .map(|a| (a["attempt"].as_u64(), a["status_code"].as_u64(), a["error"].clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some(1), Some(500), json!("HTTP 500 Internal Server Error")),
                (Some(2), Some(503), json!("HTTP 503 Service Unavailable")),
                (Some(3), Some(200), Value::Null),
            ]
        );
        let times: Vec<_> = attempts
            .iter()
            .map(|a| cv_domain::Timestamp::parse(a["attempted_at"].as_str().expect("time")).expect("date"))
            .collect();
        assert!(times[1].as_millis() - times[0].as_millis() >= 1_000, "{times:?}");
        assert!(times[2].as_millis() - times[1].as_millis() >= 1_000, "{times:?}");
    }

    async fn a_restart_between_attempts_loses_no_delivery(backend) {
        let app = app(backend).await;
        let receiver = Receiver::start().await;
        receiver.answer(&[500, 500, 500]);
        let hook = register(&app, json!({"target_url": receiver.url("/hook")})).await;
        let secret = hook["secret"].as_str().expect("secret");
        let mut actions = Vec::new();
        for n in 1..=3 {
            actions.push(app.bulk_update(&customers(n)).await);
        }
        assert_eq!(app.run_pending().await.finished, 3);
        let before = app.deliverer_on(app.store.clone());
        assert_eq!(before.deliver_due().await.expect("deliver").retrying, 3, "the receiver is down");

        // A fourth event is claimed by a sender that dies before it can send or record it.
        actions.push(app.bulk_update(&customers(4)).await);
        app.run_pending().await;
        let lease = app.config.webhooks.timeout_ms as i64 + 30_000;
        let dead = app.store.claim_deliveries("dead-node", app.clock.now(), lease, 10).await.expect("claim");
        assert_eq!(dead.len(), 1);
        drop(before);
        // A fifth finishes while no delivery loop runs at all.
        actions.push(app.bulk_update(&customers(5)).await);
        app.run_pending().await;

        // The restarted process: a new store on the same database, a new delivery loop.
        let after = app.deliverer_on(app.reopen().await);
        app.clock.advance(1_000);
        let report = after.deliver_due().await.expect("deliver");
        assert_eq!(report.delivered, 4, "the three retries and the fifth: {report:?}");
        app.clock.advance(lease);
        let report = after.deliver_due().await.expect("deliver");
        assert_eq!(report.delivered, 1, "the dead sender's claim, once its lease is over");
        assert_eq!(after.deliver_due().await.expect("deliver").claimed(), 0);

        let received = receiver.received();
        assert_eq!(received.len(), 3 + 5);
        let mut delivered: Vec<String> = received
            .iter()
            .filter(|r| r.answered == 200)
            .map(|r| r.verified(secret)["data"]["async_action"]["id"].as_str().expect("id").to_owned())
            .collect();
        delivered.sort();
        actions.sort();
        assert_eq!(delivered, actions, "each action's event accepted exactly once");
        let listed = deliveries(&app, hook["id"].as_str().expect("id")).await;
        let statuses: Vec<_> = listed["deliveries"].as_array().expect("list").iter().map(|d| d["status"].clone()).collect();
        assert_eq!(statuses, vec![json!("DELIVERED"); 5]);
        let dead_id = dead[0].delivery.id.as_str();
        let dead_delivery = listed["deliveries"]
            .as_array()
            .expect("list")
            .iter()
            .find(|d| d["id"] == dead_id)
            .expect("listed")
            .clone();
        let numbers: Vec<_> = dead_delivery["attempts"].as_array().expect("a").iter().map(|a| a["attempt"].clone()).collect();
        assert_eq!(numbers, vec![json!(2)], "the attempt cut short by the crash left no record");
    }

    async fn https_endpoints_are_spoken_to_over_tls(backend) {
        // The receiver speaks plain HTTP, so the TLS handshake fails: the attempt is made
        // (not refused for its scheme), fails without a status, and is retried.
        let app = app(backend).await;
        let receiver = Receiver::start().await;
        let url = format!("https://{}/hook", receiver.addr);
        let hook = register(&app, json!({"target_url": url})).await;
        app.bulk_update(&customers(1)).await;
        app.run_pending().await;
        let report = app.deliverer_on(app.store.clone()).deliver_due().await.expect("deliver");
        assert_eq!(report.retrying, 1);
        assert!(receiver.received().is_empty());
        let listed = deliveries(&app, hook["id"].as_str().expect("id")).await;
        let attempt = &listed["deliveries"][0]["attempts"][0];
        assert_eq!(attempt["status_code"], Value::Null);
        let error = attempt["error"].as_str().expect("error");
        assert!(error.starts_with("connection failed") && !error.contains("scheme"), "{error}");
    }

    async fn the_delivery_loop_sends_as_soon_as_an_action_ends(backend) {
        // Polling alone would take ten minutes: only the end of the action can wake the loop.
        let app = TestApp::spawn_with(backend, |c| c.webhooks.poll_interval_ms = 600_000)
            .await;
        let receiver = Receiver::start().await;
        let hook = register(&app, json!({"target_url": receiver.url("/hook")})).await;
        let deliverer = app.deliverer_on(app.store.clone());
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { deliverer.run(shutdown).await }
        });
        let first = app.bulk_update(&customers(2)).await;
        app.run_pending().await;
        receiver.wait_for(1).await;
        let second = app.bulk_update(&customers(3)).await;
        app.run_pending().await;
        receiver.wait_for(2).await;
        shutdown.cancel();
        tokio::time::timeout(PATIENCE, running).await.expect("stops").expect("join");

        let secret = hook["secret"].as_str().expect("secret");
        let ids: Vec<_> = receiver
            .received()
            .iter()
            .map(|r| r.verified(secret)["data"]["async_action"]["id"].clone())
            .collect();
        assert_eq!(ids, vec![json!(first), json!(second)]);
    }

    async fn webhook_requests_are_validated_and_scoped_to_their_project(backend) {
        let app = app(backend).await;
        let allowed = "should be equal to one of the allowed values: async_action.done, async_action.failed";
        let cases = [
            (json!({}), "Property .target_url is required".to_owned()),
            (json!({"target_url": 5}), "Property .target_url should be string".to_owned()),
            (json!({"target_url": ""}), "Property .target_url must not be empty".to_owned()),
            (json!({"target_url": "ftp://example.com/x"}),
                "Property .target_url should be an absolute http or https URL".to_owned()),
            (json!({"target_url": "example.com/hook"}),
                "Property .target_url should be an absolute http or https URL".to_owned()),
            (json!({"target_url": "http://h/", "events": {}}), "Property .events should be array".to_owned()),
            (json!({"target_url": "http://h/", "events": []}), "Property .events must not be empty".to_owned()),
            (json!({"target_url": "http://h/", "events": ["async_action.done", "DONE"]}),
                format!("Property .events[1] {allowed}")),
            (json!([{"target_url": "http://h/"}]), "Payload should be object".to_owned()),
        ];
        for (body, details) in &cases {
            invalid_payload(&app.post("/v1/webhooks", body).await, details);
        }
        invalid_payload(&app.post_raw("/v1/webhooks", b"").await, "Property .target_url is required");
        let res = app.post_raw("/v1/webhooks", b"{\"target_url\":").await;
        assert_eq!((res.status, res.json()["key"].clone()), (400, json!("invalid_payload")));
        assert_eq!(app.get("/v1/webhooks").await.json()["total"], 0, "nothing was created");

        let receiver = Receiver::start().await;
        let hook = register(&app, json!({"target_url": receiver.url("/hook")})).await;
        let id = hook["id"].as_str().expect("id");
        for path in [format!("/v1/webhooks/{id}"), format!("/v1/webhooks/{id}/deliveries")] {
            not_found(&app.get_as(B, &path).await, id);
        }
        not_found(&app.send(reqwest::Method::DELETE, &format!("/v1/webhooks/{id}"), Some(B), None).await, id);
        assert_eq!(app.get_as(B, "/v1/webhooks").await.json()["total"], 0);
        for junk in ["wh_", "nope", "wh_ekFHVL6lqC4lDuIFxpETSGa3"] {
            not_found(&app.get(&format!("/v1/webhooks/{junk}")).await, junk);
        }
        let res = app.get(&format!("/v1/webhooks/{id}/deliveries?limit=0")).await;
        assert_eq!((res.status, res.json()["key"].clone()), (400, json!("invalid_query_params")));
        let res = app.send(reqwest::Method::GET, "/v1/webhooks", None, None).await;
        assert_eq!(res.status, 401);

        // An endpoint deleted with a delivery pending is not sent to any more.
        app.bulk_update(&customers(1)).await;
        app.run_pending().await;
        assert_eq!(deliveries(&app, id).await["total"], 1);
        assert_eq!(app.delete(&format!("/v1/webhooks/{id}")).await.status, 204);
        not_found(&app.get(&format!("/v1/webhooks/{id}")).await, id);
        not_found(&app.get(&format!("/v1/webhooks/{id}/deliveries")).await, id);
        not_found(&app.delete(&format!("/v1/webhooks/{id}")).await, id);
        let deliverer = app.deliverer_on(app.store.clone());
        assert_eq!(deliverer.deliver_due().await.expect("deliver").claimed(), 0);
        assert!(receiver.received().is_empty());
    }
}
