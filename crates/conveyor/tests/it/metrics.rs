//! `GET /metrics`: work driven through the API and the engine (a multi-chunk import that a
//! crash interrupts and another claim takes over after the lease ran out, with a transient
//! error retried; a bulk update), then the Prometheus text parsed and its values checked
//! against what happened; webhook delivery
//! outcomes; the optional `metrics_token`; and two servers in one process kept apart.

use std::collections::BTreeMap;

use axum::{http::StatusCode, routing::post};
use cv_engine::{FailPoints, FailureLocation};
use serde_json::json;

use crate::support::{A, TestApp, customers};

/// One sample of the exposition: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a text-format exposition (comments skipped); panics on a line it cannot
/// read, so a malformed exposition fails the test.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("bad value in {line}: {e}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed: {line}"));
                (name.to_owned(), parse_labels(body, line))
            }
        };
        samples.push(Sample { name, labels, value });
    }
    samples
}

/// `a="x",b="y\"z"` as a map.
fn parse_labels(mut body: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !body.is_empty() {
        let (key, rest) = body.split_once("=\"").unwrap_or_else(|| panic!("bad labels: {line}"));
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("bad escape: {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value: {line}"),
            }
        };
        labels.insert(key.to_owned(), value);
        body = rest[end + 1..].trim_start_matches(',');
    }
    labels
}

struct Scrape(Vec<Sample>);

impl Scrape {
    async fn of(app: &TestApp) -> Self {
        let res = app.send(reqwest::Method::GET, "/metrics", None, None).await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert!(
            res.content_type().starts_with("text/plain; version=0.0.4"),
            "{}",
            res.content_type()
        );
        Self(parse(&res.text))
    }

    /// The value of the series `name` with exactly these labels; 0 when it is not shown (a
    /// counter that never counted).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> =
            labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let found: Vec<_> =
            self.0.iter().filter(|s| s.name == name && s.labels == wanted).collect();
        assert!(found.len() <= 1, "{name} {labels:?} appears twice");
        found.first().map_or(0.0, |s| s.value)
    }

    /// Every label value of every series.
    fn label_values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().flat_map(|s| s.labels.values().map(String::as_str))
    }
}

const IMPORT: &str = "CUSTOMERS.IMPORT_CSV";
const BULK: &str = "CUSTOMERS.BULK_UPDATE";

/// A customers CSV of `rows` distinct rows and then one repeating the first source_id (which
/// the store fails).
fn import_csv(rows: usize) -> String {
    let mut csv = String::from("name,source_id\n");
    for i in 0..rows {
        csv.push_str(&format!("Customer {i},imp{i}\n"));
    }
    csv.push_str("Again,imp0\n");
    csv
}

backend_tests! {
    async fn metrics_follow_the_work_of_the_api_and_the_engine(backend) {
        // No slices: a worker keeps its action, so every claim here is one the test makes.
        let app = TestApp::spawn_with(backend, |c| c.engine.slice_ms = 3_600_000)
            .await;
        assert_eq!(app.config.engine.chunk_size, 500);
        let import = app.import_customers(&import_csv(1_200)).await;
        let bulk = app.bulk_update(&customers(700)).await;
        for id in [&import, &bulk] {
            assert_eq!(app.get(&format!("/v1/async-actions/{id}")).await.status, 200);
        }
        assert_eq!(app.send(reqwest::Method::GET, "/v1/async-actions", None, None).await.status, 401);
        assert_eq!(app.get("/v1/no-such-route/aa_1").await.status, 404);

        // Before any work: both actions wait.
        let before = Scrape::of(&app).await;
        assert_eq!(before.value("conveyor_queue_depth", &[("status", "ENQUEUED")]), 2.0);
        assert_eq!(before.value("conveyor_queue_depth", &[("status", "IN_PROGRESS")]), 0.0);
        for kind in [IMPORT, BULK] {
            assert_eq!(before.value("conveyor_actions", &[("type", kind), ("status", "ENQUEUED")]), 1.0);
            assert_eq!(before.value("conveyor_actions", &[("type", kind), ("status", "DONE")]), 0.0);
        }

        // The import is claimed first; its process dies after the first chunk committed.
        let crashed = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(crashed.run_pending().await.expect("run").crashed);
        let held = Scrape::of(&app).await;
        assert_eq!(held.value("conveyor_queue_depth", &[("status", "IN_PROGRESS")]), 1.0);
        assert_eq!(held.value("conveyor_actions", &[("type", IMPORT), ("status", "IN_PROGRESS")]), 1.0);
        // Once its lease ran out, another engine takes it over and finishes both actions; its
        // first commit meets a transient database error and is retried in place.
        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
        let second = app.engine(FailPoints::none().arm(FailureLocation::TransientCommitError, 0));
        let drained = second.run_pending().await.expect("run");
        assert_eq!((drained.finished, drained.crashed, drained.retries), (2, false, 1));
        for id in [&import, &bulk] {
            let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
            assert_eq!(a["status"], "DONE", "{a}");
        }

        let after = Scrape::of(&app).await;
        let items = |kind, outcome| {
            after.value("conveyor_items_processed_total", &[("type", kind), ("outcome", outcome)])
        };
        // Every row once, the crash notwithstanding; the repeated source_id failed.
        assert_eq!((items(IMPORT, "done"), items(IMPORT, "failed")), (1_200.0, 1.0));
        assert_eq!((items(BULK, "done"), items(BULK, "failed")), (700.0, 0.0));
        let per_type = |name, kind| after.value(name, &[("type", kind)]);
        assert_eq!(per_type("conveyor_action_claims_total", IMPORT), 2.0);
        assert_eq!(per_type("conveyor_action_reclaims_total", IMPORT), 1.0);
        assert_eq!(per_type("conveyor_lease_expiries_total", IMPORT), 1.0);
        assert_eq!(per_type("conveyor_action_claims_total", BULK), 1.0);
        assert_eq!(per_type("conveyor_action_reclaims_total", BULK), 0.0);
        assert_eq!(per_type("conveyor_lease_expiries_total", BULK), 0.0);
        assert_eq!(per_type("conveyor_action_retries_total", IMPORT), 1.0);
        assert_eq!(per_type("conveyor_action_retries_total", BULK), 0.0);
        // Chunks of 500: 500 (before the crash), 500, 201 rows; 500, 200 items.
        assert_eq!(per_type("conveyor_chunk_duration_seconds_count", IMPORT), 3.0);
        assert_eq!(per_type("conveyor_chunk_duration_seconds_count", BULK), 2.0);
        assert!(per_type("conveyor_chunk_duration_seconds_sum", IMPORT) > 0.0);
        let inf = [("type", IMPORT), ("le", "+Inf")];
        assert_eq!(after.value("conveyor_chunk_duration_seconds_bucket", &inf), 3.0);
        for kind in [IMPORT, BULK] {
            let finished = [("type", kind), ("status", "DONE")];
            assert_eq!(after.value("conveyor_actions_finished_total", &finished), 1.0);
            assert_eq!(after.value("conveyor_actions", &finished), 1.0);
            assert_eq!(after.value("conveyor_actions", &[("type", kind), ("status", "ENQUEUED")]), 0.0);
        }
        assert_eq!(after.value("conveyor_queue_depth", &[("status", "ENQUEUED")]), 0.0);
        assert_eq!(after.value("conveyor_queue_depth", &[("status", "IN_PROGRESS")]), 0.0);

        // HTTP: route templates, never the ids; the unmatched path under one label.
        let http = |method, route, status| {
            after.value(
                "conveyor_http_requests_total",
                &[("method", method), ("route", route), ("status", status)],
            )
        };
        assert_eq!(http("POST", "/v1/customers/importCSV", "202"), 1.0);
        assert_eq!(http("POST", "/v1/customers/bulk/async", "202"), 1.0);
        assert_eq!(http("GET", "/v1/async-actions/{id}", "200"), 4.0);
        assert_eq!(http("GET", "/v1/async-actions", "401"), 1.0);
        assert_eq!(http("GET", "unmatched", "404"), 1.0);
        assert_eq!(http("GET", "/metrics", "200"), 2.0, "the earlier scrapes");
        let latency = [("method", "GET"), ("route", "/v1/async-actions/{id}")];
        assert_eq!(after.value("conveyor_http_request_duration_seconds_count", &latency), 4.0);
        assert!(after.value("conveyor_http_request_duration_seconds_sum", &latency) > 0.0);
        for value in after.label_values() {
            assert!(!value.contains("aa_") && !value.contains(A.0) && !value.contains(A.1), "{value}");
        }
    }

    async fn webhook_deliveries_are_counted_by_outcome(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.webhooks.retry_base_ms = 1_000;
            c.webhooks.retry_max_ms = 1_000;
            c.webhooks.retry_for_secs = 2;
        })
        .await;
        let receiver = axum::Router::new()
            .route("/ok", post(|| async { StatusCode::OK }))
            .route("/down", post(|| async { StatusCode::INTERNAL_SERVER_ERROR }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let at = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, receiver).await });
        for path in ["/ok", "/down"] {
            let res = app.post("/v1/webhooks", &json!({"target_url": format!("http://{at}{path}")})).await;
            assert_eq!(res.status, 201, "{}", res.text);
        }
        let outcomes = |scrape: &Scrape| {
            ["delivered", "failed_attempt", "given_up", "unrecorded"]
                .map(|o| scrape.value("conveyor_webhook_deliveries_total", &[("outcome", o)]))
        };
        assert_eq!(outcomes(&Scrape::of(&app).await), [0.0; 4], "every outcome shown at 0");

        app.bulk_update(&customers(1)).await;
        app.run_pending().await;
        let deliverer = app.deliverer_on(app.store.clone());
        let first = deliverer.deliver_due().await.expect("deliver");
        assert_eq!((first.delivered, first.retrying), (1, 1));
        assert_eq!(outcomes(&Scrape::of(&app).await), [1.0, 1.0, 0.0, 0.0]);
        // The retry after the second attempt would fall past the two-second retry period: the
        // delivery ends.
        app.clock.advance(2_000);
        assert_eq!(deliverer.deliver_due().await.expect("deliver").failed, 1);
        assert_eq!(outcomes(&Scrape::of(&app).await), [1.0, 1.0, 1.0, 0.0]);
    }

    async fn a_metrics_token_guards_the_endpoint(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.metrics_token = Some("m-secret".into()))
            .await;
        let scrape = |auth: Option<&'static str>| {
            let client = reqwest::Client::new();
            let mut req = client.get(app.url("/metrics"));
            if let Some(auth) = auth {
                req = req.header("Authorization", auth);
            }
            async move { req.send().await.expect("request") }
        };
        for auth in [None, Some("Bearer wrong"), Some("Bearer m-secre"), Some("m-secret"), Some("Basic m-secret")] {
            let res = scrape(auth).await;
            assert_eq!(res.status(), 401, "{auth:?}");
            let body: serde_json::Value = res.json().await.expect("json");
            assert_eq!((body["code"].as_u64(), body["key"].as_str()), (Some(401), Some("unauthorized")), "{body}");
        }
        // App credentials are a project's, not the operators' token.
        let res = app.send(reqwest::Method::GET, "/metrics", Some(A), None).await;
        assert_eq!(res.status, 401);
        let res = scrape(Some("Bearer m-secret")).await;
        assert_eq!(res.status(), 200);
        let samples = parse(&res.text().await.expect("body"));
        let refused = samples
            .iter()
            .find(|s| {
                s.name == "conveyor_http_requests_total"
                    && s.labels.get("route").map(String::as_str) == Some("/metrics")
                    && s.labels.get("status").map(String::as_str) == Some("401")
            })
            .expect("the refused scrapes are counted");
        assert_eq!(refused.value, 6.0);
    }

    async fn servers_in_one_process_keep_their_metrics_apart(backend) {
        let one = TestApp::spawn(backend).await;
        let two = TestApp::spawn(backend).await;
        one.bulk_update(&customers(3)).await;
        one.run_pending().await;
        let (one, two) = (Scrape::of(&one).await, Scrape::of(&two).await);
        let bulk = [("type", BULK), ("outcome", "done")];
        assert_eq!(one.value("conveyor_items_processed_total", &bulk), 3.0);
        assert_eq!(two.value("conveyor_items_processed_total", &bulk), 0.0);
        let route = [("method", "POST"), ("route", "/v1/customers/bulk/async"), ("status", "202")];
        assert_eq!(one.value("conveyor_http_requests_total", &route), 1.0);
        assert_eq!(two.value("conveyor_http_requests_total", &route), 0.0);
    }
}

#[test]
fn the_parser_reads_labels_with_escapes() {
    let samples = parse(
        "# HELP x y\n# TYPE x counter\nx{a=\"1\",b=\"q\\\"u\\\\o\"} 2\ny 3.5\nz_bucket{le=\"+Inf\"} 4\n",
    );
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0].labels.get("b").map(String::as_str), Some("q\"u\\o"));
    assert_eq!((samples[1].name.as_str(), samples[1].value), ("y", 3.5));
    assert_eq!(samples[2].labels.get("le").map(String::as_str), Some("+Inf"));
}
