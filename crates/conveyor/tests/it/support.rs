//! `TestApp`: a real server on port 0 over a fresh store, with typed request helpers and an
//! engine the test drives explicitly.

use std::{
    collections::HashMap,
    future::Future,
    net::SocketAddr,
    sync::{Arc, LazyLock, Mutex, Once},
    time::Duration,
};

use conveyor::{Config, bootstrap};
use cv_api::hash_token;
use cv_domain::{ProjectId, Timestamp};
use cv_engine::{Clock, DrainReport, Engine, FailPoints, ManualClock};
use cv_store::{ActionPages as _, Store};
use cv_store_postgres::PostgresStore;
use cv_store_sqlite::SqliteStore;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::{Layer as _, layer::SubscriberExt as _};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Credentials of the two test projects.
pub const A: (&str, &str) = ("app-a", "token-a");
pub const B: (&str, &str) = ("app-b", "token-b");

pub struct TestApp {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub addr: SocketAddr,
    pub project_a: ProjectId,
    pub project_b: ProjectId,
    /// The time of the API and of [`TestApp::engine`]; `advance` it instead of sleeping.
    pub clock: ManualClock,
    /// The PostgreSQL schema of the store (`None` on SQLite).
    pub schema: Option<String>,
    /// The server's metrics registry; [`TestApp::engine`] and [`TestApp::deliverer_on`] count
    /// into it, so `/metrics` shows what they did.
    pub metrics: conveyor::app::Metrics,
    client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    /// The answer to `method path`, after checking it against the OpenAPI document
    /// ([`conforms`]).
    pub fn checked(
        method: &reqwest::Method,
        path: &str,
        status: u16,
        headers: reqwest::header::HeaderMap,
        text: String,
    ) -> Self {
        let resp = Resp { status, headers, text };
        conforms(method.as_str(), path, &resp);
        resp
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

type Opened = (Arc<dyn Store>, Option<tempfile::TempDir>, Option<String>);

/// The PostgreSQL database of the tests. Their PostgreSQL variants are ignored at build time
/// when it is not configured (`cfg(postgres_unconfigured)`, see `build.rs`), so one that runs
/// without it fails here.
pub fn postgres_url() -> String {
    std::env::var("CONVEYOR_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL \
             (start one with `bash .ci/pg-test.sh start`)"
        )
    })
}

async fn open(backend: Backend) -> Opened {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let store =
                SqliteStore::open(dir.path().join("conveyor.db")).await.expect("open sqlite");
            (Arc::new(store), Some(dir), None)
        }
        Backend::Postgres => {
            let url = postgres_url();
            let schema = format!("t_{}", cv_domain::ids::random_secret(12).to_lowercase());
            let store =
                PostgresStore::connect_in_schema(&url, &schema).await.expect("connect postgres");
            (Arc::new(store), None, Some(schema))
        }
    }
}

impl TestApp {
    /// A server with default configuration.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A server whose configuration `adjust` changed first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let (store, dir, schema) = open(backend).await;
        let mut config = Config::default();
        config.engine.chunk_size = 500;
        adjust(&mut config);
        let (project_a, _) =
            bootstrap::default_project(&*store, Some(A.0), Some(A.1)).await.expect("bootstrap");
        let project_b = store.ensure_project("b", Timestamp::now()).await.expect("project b");
        store
            .put_credential(&project_b, B.0, &hash_token(B.1), Timestamp::now())
            .await
            .expect("cred b");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The API and the engine read one manual clock, so a test moves both forward.
        let clock = ManualClock::new();
        let metrics = conveyor::app::Metrics::new().expect("metrics");
        let router =
            conveyor::app::router_on(store.clone(), &config, Arc::new(clock.clone()), &metrics);
        let api = config.api.clone();
        tokio::spawn(async move {
            conveyor::http::serve(listener, router, &api, CancellationToken::new()).await
        });
        Self {
            store,
            config,
            addr,
            project_a,
            project_b,
            clock,
            schema,
            metrics,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// An engine over this app's store with the given failure points, on the test's clock.
    pub fn engine(&self, failpoints: FailPoints) -> Engine {
        self.engine_on_clock(Arc::new(self.clock.clone()), failpoints)
    }

    /// An engine over this app's store with the given failure points, on `clock` (one that
    /// reads [`TestApp::clock`], and tells the test something about how the engine reads it).
    pub fn engine_on_clock(&self, clock: Arc<dyn Clock>, failpoints: FailPoints) -> Engine {
        let handlers = Arc::new(cv_actions::Registry::new(self.config.actions.clone()));
        Engine::with_parts(
            self.store.clone(),
            self.store.clone(),
            handlers,
            self.config.engine.clone(),
            clock,
            failpoints,
            self.metrics.engine.clone(),
        )
    }

    /// Another node on this app's database: on PostgreSQL a store of its own (its own pool and
    /// LISTEN connection) on the same schema; on SQLite, one process, so the same store.
    pub async fn other_node(&self) -> Arc<dyn Store> {
        match &self.schema {
            Some(schema) => {
                let store = PostgresStore::connect_in_schema(&postgres_url(), schema)
                    .await
                    .expect("connect");
                Arc::new(store)
            }
            None => self.store.clone(),
        }
    }

    /// An engine over `store` (e.g. [`TestApp::other_node`]) with the given failure points,
    /// on the test's clock.
    pub fn engine_on(&self, store: Arc<dyn Store>, failpoints: FailPoints) -> Engine {
        let handlers = Arc::new(cv_actions::Registry::new(self.config.actions.clone()));
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let metrics = self.metrics.engine.clone();
        let config = self.config.engine.clone();
        Engine::with_parts(store.clone(), store, handlers, config, clock, failpoints, metrics)
    }

    /// A store on this app's database as a restarted process opens it: on SQLite the same file
    /// opened again, on PostgreSQL a new pool on the same schema.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        match &self._dir {
            Some(dir) => {
                let path = dir.path().join("conveyor.db");
                Arc::new(SqliteStore::open(path).await.expect("reopen sqlite"))
            }
            None => self.other_node().await,
        }
    }

    /// A webhook delivery loop over `store` with this app's webhook settings, on the test's
    /// clock; report links in its events point at this server.
    pub fn deliverer_on(&self, store: Arc<dyn Store>) -> cv_webhooks::Deliverer {
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let base = self.url("");
        let metrics = self.metrics.webhooks.clone();
        cv_webhooks::Deliverer::with_clock(
            store,
            cv_api::wire::webhook::event_body,
            self.config.webhooks.clone(),
            &base,
            clock,
            metrics,
        )
        .expect("deliverer")
    }

    /// Runs every runnable action to completion.
    pub async fn run_pending(&self) -> DrainReport {
        self.engine(FailPoints::none()).run_pending().await.expect("drain")
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        creds: Option<(&str, &str)>,
        body: Option<Vec<u8>>,
    ) -> Resp {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some((id, token)) = creds {
            req = req.header("X-App-Id", id).header("X-App-Token", token);
        }
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        Resp::checked(&method, path, status, headers, text)
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, Some(A), None).await
    }

    pub async fn get_as(&self, creds: (&str, &str), path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, Some(creds), None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(A), Some(body.to_string().into_bytes())).await
    }

    pub async fn post_raw(&self, path: &str, body: &[u8]) -> Resp {
        self.send(reqwest::Method::POST, path, Some(A), Some(body.to_vec())).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(A), Some(body.to_string().into_bytes())).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, Some(A), None).await
    }

    /// Uploads `bytes` as the multipart field `file` (or, with `field: None`, a form without it).
    pub async fn upload(&self, path: &str, field: Option<&str>, bytes: Vec<u8>) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("import.csv")
            .mime_str("text/csv")
            .expect("mime");
        let form = reqwest::multipart::Form::new()
            .text("note", "x")
            .part(field.unwrap_or("other").to_owned(), part);
        let res = self
            .client
            .post(self.url(path))
            .header("X-App-Id", A.0)
            .header("X-App-Token", A.1)
            .multipart(form)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        Resp::checked(&reqwest::Method::POST, path, status, headers, text)
    }

    /// Uploads a customers CSV and returns the action id.
    pub async fn import_customers(&self, csv: &str) -> String {
        let res =
            self.upload("/v1/customers/importCSV", Some("file"), csv.as_bytes().to_vec()).await;
        assert_eq!(res.status, 202, "{}", res.text);
        res.json()["async_action_id"].as_str().expect("id").to_owned()
    }

    /// Submits a bulk update and returns the action id.
    pub async fn bulk_update(&self, customers: &Value) -> String {
        let res = self.post("/v1/customers/bulk/async", customers).await;
        assert_eq!(res.status, 202, "{}", res.text);
        res.json()["async_action_id"].as_str().expect("id").to_owned()
    }

    /// Everything a request could have changed, to compare before and after.
    pub async fn snapshot(&self) -> String {
        let mut out = String::new();
        for project in [&self.project_a, &self.project_b] {
            let actions = self.store.list_actions(project, None, 1000).await.expect("actions");
            let customers = self.store.list_customers(project, 100, 1).await.expect("customers");
            let orders = self.store.list_orders(project, 100, 1).await.expect("orders");
            out.push_str(&format!(
                "{project}: orders {} {:?}\n",
                orders.total,
                orders.orders.iter().map(|o| (o.id.to_string(), o.updated_at)).collect::<Vec<_>>(),
            ));
            out.push_str(&format!(
                "{project}: actions {:?} customers {} {:?}\n",
                actions
                    .actions
                    .iter()
                    .map(|a| (a.id.to_string(), a.status, a.updated_at))
                    .collect::<Vec<_>>(),
                customers.total,
                customers
                    .customers
                    .iter()
                    .map(|c| (c.id.to_string(), c.updated_at))
                    .collect::<Vec<_>>(),
            ));
        }
        out
    }
}

/// The served OpenAPI document (`cv_api::openapi`), and the validators of its response
/// schemas, compiled as tests need them.
struct Document {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

static DOCUMENT: LazyLock<Document> = LazyLock::new(|| Document {
    doc: serde_json::from_str(cv_api::openapi::json()).expect("the OpenAPI document is JSON"),
    validators: Mutex::new(HashMap::new()),
});

/// The path template of the document that serves `path`, as the router picks it: of the
/// templates whose segments match, the one with the most literal segments.
fn template_of<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = doc["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// Checks an answer against the OpenAPI document: when the document describes `method` on
/// `path`, a status below 500 must be one of the operation's, with a documented content type,
/// and a JSON body must be valid against the response's schema. (A 5xx is a failure the test
/// itself checks; a path or method the document does not have is a 404 or 405 of the router.)
pub fn conforms(method: &str, path: &str, resp: &Resp) {
    let path = path.split('?').next().unwrap_or(path);
    let document = &*DOCUMENT;
    let Some(template) = template_of(&document.doc, path) else { return };
    let operation = &document.doc["paths"][template][method.to_lowercase()];
    if operation.is_null() || resp.status >= 500 {
        return;
    }
    let status = resp.status.to_string();
    let what = format!("{method} {path} ({template}) → {}: {}", resp.status, resp.text);
    let answer = &operation["responses"][&status];
    assert!(answer.is_object(), "status not in /openapi.json: {what}");
    let Some(content) = answer["content"].as_object() else {
        assert!(resp.text.is_empty(), "a body where /openapi.json documents none: {what}");
        return;
    };
    let media = resp.content_type().split(';').next().unwrap_or("").trim().to_owned();
    assert!(content.contains_key(&media), "content type {media:?} not in /openapi.json: {what}");
    if media != "application/json" {
        return;
    }
    let pointer = format!(
        "/paths/{}/{}/responses/{status}/content/application~1json/schema",
        template.replace('~', "~0").replace('/', "~1"),
        method.to_lowercase()
    );
    let validator = {
        let mut validators = document.validators.lock().expect("validators");
        validators
            .entry(pointer.clone())
            .or_insert_with(|| {
                let mut schema = document.doc.pointer(&pointer).cloned().expect("schema");
                // The response schema with the components its references point into.
                if let Value::Object(root) = &mut schema {
                    root.insert("components".to_owned(), document.doc["components"].clone());
                }
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("schema at {pointer}: {e}"));
                Arc::new(validator)
            })
            .clone()
    };
    let body: Value =
        serde_json::from_str(&resp.text).unwrap_or_else(|e| panic!("not JSON ({e}): {what}"));
    let errors: Vec<String> =
        validator.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "answer does not match /openapi.json: {errors:?}\n{what}");
}

/// What a test's server logged, as text: every thread of the test's runtime logs into it,
/// through the server's own filter (`conveyor::cli::log_filter`) at its most verbose.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter(self.0.clone())
    }
}

/// Runs `test` on a runtime of its own whose every thread (workers, blocking threads and this
/// one) logs into the [`Logs`] it is given, as `conveyor serve --log trace` would log; records
/// of the `log` crate (tokio-postgres, reqwest) included. Other tests' logs do not reach it.
pub fn with_logs<F, Fut>(test: F)
where
    F: FnOnce(Logs) -> Fut,
    Fut: Future<Output = ()>,
{
    static LOG_RECORDS: Once = Once::new();
    let logs = Logs::default();
    let layer = tracing_subscriber::fmt::layer().with_writer(logs.clone()).with_ansi(false);
    let filter = conveyor::cli::log_filter(tracing_subscriber::EnvFilter::new("trace"));
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(layer.with_filter(filter)));
    let _this_thread = tracing::dispatcher::set_default(&dispatch);
    // `log` records become tracing events, which go to the dispatcher of their thread.
    LOG_RECORDS.call_once(|| tracing_log::LogTracer::init().expect("the log bridge"));
    let for_threads = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        // The runtime's threads end with it; their default dispatcher goes with them.
        .on_thread_start(move || std::mem::forget(tracing::dispatcher::set_default(&for_threads)))
        .build()
        .expect("runtime");
    runtime.block_on(test(logs));
}

/// Asserts that `text` (logs, a response, a metrics page) holds none of `secrets`, whole or in
/// part: no 16-character run of a secret may appear. The message shows where, not the text.
pub fn assert_no_secrets(text: &str, secrets: &[impl AsRef<str>]) {
    const RUN: usize = 16;
    assert!(!text.is_empty(), "nothing to search");
    for secret in secrets {
        let secret = secret.as_ref();
        assert!(
            secret.len() >= RUN,
            "a secret of {} characters is too short to search for",
            secret.len()
        );
        for start in 0..=secret.len() - RUN {
            let part = &secret[start..start + RUN];
            if let Some(at) = text.find(part) {
                let from = text.floor_char_boundary(at.saturating_sub(120));
                let to = text.ceil_char_boundary((at + RUN + 120).min(text.len()));
                panic!("a secret ({part}…) appears in the text: …{}…", &text[from..to]);
            }
        }
    }
}

/// `n` bulk-update items `c0…c{n-1}`.
pub fn customers(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| serde_json::json!({"source_id": format!("c{i}"), "name": format!("Customer {i}"), "metadata": {"i": i}}))
            .collect(),
    )
}

pub fn is_hex_id(value: &str, prefix: &str, len: usize) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == len && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// How long a test waits for something bound to happen before it fails instead of hanging.
/// Generous on purpose: only a bug takes this long, and no test uses it to say how fast
/// anything must be.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The pause between two looks of [`eventually`].
const LOOK_EVERY: Duration = Duration::from_millis(5);

/// Runs `probe` until it gives a value, a short pause between tries, and returns that value;
/// panics naming `what` when it still gives none after [`PATIENCE`].
pub async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let tries = PATIENCE.as_millis() / LOOK_EVERY.as_millis();
    for _ in 0..tries {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
    panic!("never happened: {what} (looked {tries} times, {LOOK_EVERY:?} apart)");
}

/// One test body, run once on SQLite and once on PostgreSQL (ignored when PostgreSQL is not
/// configured at build time, unless CONVEYOR_TEST_REQUIRE_POSTGRES=1; see [`postgres_url`]).
macro_rules! backend_tests {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($backend: $crate::support::Backend) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::support::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    postgres_unconfigured,
                    ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
                )]
                async fn postgres() {
                    run($crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}
