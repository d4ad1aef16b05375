//! Live progress: the long-poll of `GET /v1/async-actions/{id}?wait=…` and the event stream
//! of `GET /v1/async-actions/{id}/events`, watching a multi-chunk action that a worker on
//! another node (PostgreSQL: another store, woken only through LISTEN/NOTIFY) drives chunk by
//! chunk with failure points. The safety-net recheck is set to ten minutes, so every answer
//! within the test's time comes from a change notification.
//!
//! No test measures how long a request took. A long-poll that times out answers with the
//! action as it first read it, so an answer showing a change made during the wait proves the
//! change woke it before its deadline; and a request answered while such a poll, sent before
//! it with the same 30 s wait, was still waiting did not wait for a deadline of its own.

use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use crate::support::{A, B, Backend, PATIENCE, TestApp, customers, eventually};

/// Six customers in chunks of two: progress 33, 66, 99, then 100 when DONE.
async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.engine.chunk_size = 2;
        c.api.live_recheck_ms = 600_000;
    })
    .await
}

/// Waits until `n` requests follow an action (they subscribed before reading it, so a change
/// committed from now on reaches them).
async fn followers(app: &TestApp, n: usize) {
    eventually(&format!("{n} requests following"), async || {
        (app.store.action_changes().subscriber_count() >= n).then_some(())
    })
    .await;
}

/// Ends a witness: a long-poll of an ENQUEUED action, waiting 30 s, sent before the requests
/// the test made since. The action runs now; an answer that shows it (a deadline would answer
/// with the ENQUEUED action as first read) proves the witness was still waiting, so those
/// requests answered before deadlines of their own.
async fn still_waiting(app: &TestApp, witness: tokio::task::JoinHandle<(u16, Value)>) {
    app.run_pending().await;
    let (code, body) = witness.await.expect("poll");
    assert_eq!(code, 200, "{body}");
    assert_ne!(body["status"], "ENQUEUED", "the witness answered at its deadline: {body}");
}

/// A GET sent from a task of its own, so the test can drive the engine meanwhile.
fn spawn_get(app: &TestApp, path: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let url = app.url(path);
    tokio::spawn(async move {
        let res = reqwest::Client::new()
            .get(url)
            .header("X-App-Id", A.0)
            .header("X-App-Token", A.1)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json"))
    })
}

/// The driving steps, each run by a fresh engine on the other node. Every step but the first
/// starts after the lease of the previous (crashed) one expired.
#[derive(Clone, Copy)]
enum Step {
    /// Claims the action and dies inside its first chunk: IN_PROGRESS, progress 0.
    ClaimOnly,
    /// Commits one more chunk, then dies.
    OneChunk,
    /// Commits the last chunk and dies before marking the action finished: 99.
    LastChunk,
    /// Finishes it: DONE, 100.
    Finish,
}

async fn drive(app: &TestApp, node: &std::sync::Arc<dyn cv_store::Store>, step: Step) {
    let failpoints = match step {
        Step::ClaimOnly => FailPoints::none().arm(FailureLocation::InsideChunkBeforeCommit, 0),
        Step::OneChunk => FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0),
        Step::LastChunk => FailPoints::none().arm(FailureLocation::BeforeFinish, 0),
        Step::Finish => FailPoints::none(),
    };
    if !matches!(step, Step::ClaimOnly) {
        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
    }
    let report = app.engine_on(node.clone(), failpoints).run_pending().await.expect("run");
    assert_eq!(report.crashed, !matches!(step, Step::Finish));
}

/// One Server-Sent Events item.
#[derive(Debug)]
enum Sse {
    Event(String, Value),
    Comment(String),
}

struct EventStream {
    res: reqwest::Response,
    buf: String,
}

impl EventStream {
    async fn open(app: &TestApp, creds: (&str, &str), path: &str) -> (u16, String, Self) {
        Self::open_url(&app.url(path), creds).await
    }

    async fn open_url(url: &str, creds: (&str, &str)) -> (u16, String, Self) {
        let res = reqwest::Client::new()
            .get(url)
            .header("X-App-Id", creds.0)
            .header("X-App-Token", creds.1)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let content_type =
            res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        (status, content_type.to_owned(), Self { res, buf: String::new() })
    }

    /// The next item, or `None` when the server ended the stream.
    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                return Some(parse(block.trim_end()));
            }
            let chunk = tokio::time::timeout(PATIENCE, self.res.chunk())
                .await
                .expect("the stream stalled")
                .expect("read");
            match chunk {
                Some(bytes) => self.buf.push_str(std::str::from_utf8(&bytes).expect("utf-8")),
                None => {
                    assert_eq!(self.buf.trim(), "", "the stream ended mid-event");
                    return None;
                }
            }
        }
    }

    async fn event(&mut self) -> (String, Value) {
        loop {
            match self.next().await.expect("an event") {
                Sse::Event(name, data) => return (name, data),
                Sse::Comment(_) => {}
            }
        }
    }
}

fn parse(block: &str) -> Sse {
    let (mut name, mut data) = (String::from("message"), String::new());
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            return Sse::Comment(comment.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("event:") {
            name = value.trim().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim_start());
        }
    }
    Sse::Event(name, serde_json::from_str(&data).expect("event data is JSON"))
}

fn state(a: &Value) -> (String, u64, u64) {
    let status = a["status"].as_str().expect("status").to_owned();
    (status, a["progress"].as_u64().expect("progress"), a["processed_items"].as_u64().expect("n"))
}

backend_tests! {
    async fn a_long_poll_answers_each_change_a_worker_on_another_node_commits(backend) {
        let app = app(backend).await;
        let node = app.other_node().await;
        let id = app.bulk_update(&customers(6)).await;
        let plain = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!((plain["status"].as_str(), plain["progress"].as_u64()), (Some("ENQUEUED"), Some(0)));

        let steps = [
            ("ENQUEUED", 0, Step::ClaimOnly, ("IN_PROGRESS", 0, 0)),
            ("IN_PROGRESS", 0, Step::OneChunk, ("IN_PROGRESS", 33, 2)),
            ("IN_PROGRESS", 33, Step::OneChunk, ("IN_PROGRESS", 66, 4)),
            ("IN_PROGRESS", 66, Step::LastChunk, ("IN_PROGRESS", 99, 6)),
            ("IN_PROGRESS", 99, Step::Finish, ("DONE", 100, 6)),
        ];
        for (seen_status, seen_progress, step, (status, progress, processed)) in steps {
            let path = format!(
                "/v1/async-actions/{id}?wait=30&since_status={seen_status}&since_progress={seen_progress}"
            );
            let poll = spawn_get(&app, &path);
            followers(&app, 1).await;
            assert!(!poll.is_finished(), "nothing changed yet: the request waits");
            drive(&app, &node, step).await;
            let (code, body) = poll.await.expect("poll");
            assert_eq!(code, 200, "{body}");
            assert_eq!(body["id"], json!(id));
            // The state after the step: woken by the change, not the deadline.
            assert_eq!(state(&body), (status.to_owned(), progress, processed), "{body}");
            assert_eq!(body["total_items"], 6);
            assert_eq!(body.get("result").is_some(), status == "DONE", "{body}");
        }
        let done = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!(done["result"]["done_count"], 6);
        assert!(done.get("processed_items").is_none(), "a plain GET has Voucherify's fields only");
        // A finished action answers a long-poll at once, whatever the client saw: while a
        // poll of another action, sent first, still waits.
        let other = app.bulk_update(&customers(1)).await;
        let witness = spawn_get(&app, &format!("/v1/async-actions/{other}?wait=30"));
        followers(&app, 1).await;
        let res = app.get(&format!("/v1/async-actions/{id}?wait=30&since_status=DONE")).await;
        assert_eq!(res.json()["status"], "DONE");
        still_waiting(&app, witness).await;
    }

    async fn an_event_stream_sends_every_change_then_the_end(backend) {
        let app = app(backend).await;
        let node = app.other_node().await;
        let id = app.bulk_update(&customers(6)).await;
        let (code, content_type, mut stream) =
            EventStream::open(&app, A, &format!("/v1/async-actions/{id}/events")).await;
        assert_eq!(code, 200);
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");

        let (name, first) = stream.event().await;
        assert_eq!((name.as_str(), state(&first)), ("progress", ("ENQUEUED".to_owned(), 0, 0)));
        assert_eq!(first["total_items"], 6);
        let mut events = vec![(name, first)];
        let targets = [
            (Step::ClaimOnly, ("IN_PROGRESS", 0, 0)),
            (Step::OneChunk, ("IN_PROGRESS", 33, 2)),
            (Step::OneChunk, ("IN_PROGRESS", 66, 4)),
            (Step::LastChunk, ("IN_PROGRESS", 99, 6)),
            (Step::Finish, ("DONE", 100, 6)),
        ];
        for (step, (status, progress, processed)) in targets {
            drive(&app, &node, step).await;
            // A re-claim may show as an event of its own (a new updated_at) before the chunk.
            loop {
                let event = stream.event().await;
                let reached = state(&event.1) == (status.to_owned(), progress, processed);
                events.push(event);
                if reached {
                    break;
                }
            }
        }
        assert!(stream.next().await.is_none(), "the stream ends after the finished event");

        for pair in events.windows(2) {
            let (a, b) = (&pair[0].1, &pair[1].1);
            assert_ne!(a, b, "one event per change");
            assert!(b["progress"].as_u64() >= a["progress"].as_u64(), "progress never goes down");
        }
        let (last_name, last) = events.last().expect("events");
        assert_eq!(last_name, "finished");
        assert_eq!(last["result"]["done_count"], 6);
        assert!(events[..events.len() - 1].iter().all(|(name, e)| name == "progress" && e.get("result").is_none()));
        let progress: Vec<u64> = events.iter().map(|(_, e)| e["progress"].as_u64().expect("p")).collect();
        for p in [0, 33, 66, 99, 100] {
            assert!(progress.contains(&p), "saw {p}: {progress:?}");
        }
    }

    async fn an_event_stream_keeps_alive_and_ends_at_once_for_a_finished_action(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.events_keep_alive_ms = 20).await;
        let id = app.bulk_update(&customers(2)).await;
        let (_, _, mut stream) = EventStream::open(&app, A, &format!("/v1/async-actions/{id}/events")).await;
        assert_eq!(stream.event().await.0, "progress");
        match stream.next().await {
            Some(Sse::Comment(text)) => assert_eq!(text, "keep-alive"),
            other => panic!("expected a keep-alive comment, got {other:?}"),
        }
        app.run_pending().await;
        let (_, _, mut finished) = EventStream::open(&app, A, &format!("/v1/async-actions/{id}/events")).await;
        let (name, data) = finished.event().await;
        assert_eq!((name.as_str(), data["status"].as_str()), ("finished", Some("DONE")));
        assert_eq!(data["result"]["done_count"], 2);
        assert!(finished.next().await.is_none());
    }

    async fn a_long_poll_without_a_change_answers_at_its_deadline(backend) {
        let app = app(backend).await;
        let id = app.bulk_update(&customers(2)).await;
        let plain = app.get(&format!("/v1/async-actions/{id}")).await;

        // Nothing changes: at its deadline the answer is the action as it was, in its live form.
        let res = app.get(&format!("/v1/async-actions/{id}?wait=1")).await;
        assert_eq!(res.status, 200);
        let body = res.json();
        assert_eq!(state(&body), ("ENQUEUED".to_owned(), 0, 0));
        assert_eq!(body["total_items"], 2);
        let mut without_live = body.as_object().expect("object").clone();
        without_live.remove("total_items");
        without_live.remove("processed_items");
        assert_eq!(Value::Object(without_live), plain.json(), "otherwise the plain action");

        // wait=0 answers at once (while a 30 s poll of the action, sent first, waits); since_*
        // without wait is ignored, byte for byte.
        let poll = spawn_get(&app, &format!("/v1/async-actions/{id}?wait=30"));
        followers(&app, 1).await;
        let res = app.get(&format!("/v1/async-actions/{id}?wait=0&since_status=ENQUEUED")).await;
        assert_eq!((res.status, state(&res.json())), (200, ("ENQUEUED".to_owned(), 0, 0)));
        let ignored = app.get(&format!("/v1/async-actions/{id}?since_progress=zzz&since_status=x&%zz")).await;
        assert_eq!((ignored.status, ignored.text), (200, plain.text));
        // A change during the wait answers it early, with the change.
        still_waiting(&app, poll).await;
    }

    async fn malformed_waits_are_refused_and_unknown_ids_are_not_found(backend) {
        let app = app(backend).await;
        let id = app.bulk_update(&customers(2)).await;
        let theirs = {
            let res = app.send(reqwest::Method::POST, "/v1/customers/bulk/async", Some(B), Some(customers(1).to_string().into_bytes())).await;
            res.json()["async_action_id"].as_str().expect("id").to_owned()
        };
        let before = app.snapshot().await;
        // Refusals do not wait: they all answer while a 30 s poll, sent first, still waits.
        let witness = spawn_get(&app, &format!("/v1/async-actions/{id}?wait=30"));
        followers(&app, 1).await;
        let cases = [
            ("wait=abc", "Property .wait should be integer"),
            ("wait=", "Property .wait should be integer"),
            ("wait=1.5", "Property .wait should be integer"),
            ("wait=-1", "Property .wait must be >= 0"),
            ("wait=31", "Property .wait must be <= 30"),
            ("wait=5&since_progress=101", "Property .since_progress must be <= 100"),
            ("wait=5&since_progress=x", "Property .since_progress should be integer"),
            ("wait=5&since_status=done", "Property .since_status should be equal to one of the allowed values: ENQUEUED, IN_PROGRESS, DONE, FAILED"),
            ("wait=5&since_updated_at=yesterday", "Property .since_updated_at cannot be recognized as a ISO-8601 compliant date"),
        ];
        for (query, details) in cases {
            let res = app.get(&format!("/v1/async-actions/{id}?{query}")).await;
            assert_eq!(res.status, 400, "{query}: {}", res.text);
            let body = res.json();
            let request_id = body["request_id"].as_str().expect("request_id").to_owned();
            assert_eq!(
                body,
                json!({"code": 400, "key": "invalid_query_params", "message": "Invalid query params",
                       "details": details, "request_id": request_id}),
                "{query}"
            );
        }
        let unknown = "aa_0123456789abcdef01";
        for (creds, target) in [(A, unknown), (A, "not-an-id"), (A, theirs.as_str()), (B, id.as_str())] {
            for path in [format!("/v1/async-actions/{target}?wait=30"), format!("/v1/async-actions/{target}/events")] {
                let res = app.get_as(creds, &path).await;
                assert_eq!(res.status, 404, "{path}: {}", res.text);
                let body = res.json();
                assert_eq!(body["key"], "not_found", "{path}");
                assert_eq!(body["resource_type"], "async_action");
                assert_eq!(body["resource_id"], json!(target));
            }
        }
        assert_eq!(app.snapshot().await, before, "nothing changed");
        still_waiting(&app, witness).await;
    }

    async fn shutting_down_ends_event_streams_and_long_polls(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.chunk_size = 2;
            c.engine.lease_ms = 600_000;
            c.api.live_recheck_ms = 600_000;
        })
        .await;
        let id = app.bulk_update(&customers(6)).await;
        // A worker commits a chunk and dies holding the lease: the server's own workers leave
        // the action alone, so it stays IN_PROGRESS at 33 while the server runs.
        let crashed = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(crashed.run_pending().await.expect("run").crashed);
        // A poll of the action on the test's own server, which keeps running: sent before the
        // one the stopping server gets, it is still waiting when that one has answered.
        let witness = spawn_get(&app, &format!("/v1/async-actions/{id}?wait=30&since_status=IN_PROGRESS&since_progress=33"));
        followers(&app, 1).await;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let server = tokio::spawn({
            let (store, config, shutdown) = (app.store.clone(), app.config.clone(), shutdown.clone());
            async move { conveyor::app::serve(store, &config, listener, shutdown).await }
        });
        let (_, _, mut stream) = EventStream::open_url(&format!("{base}/v1/async-actions/{id}/events"), A).await;
        assert_eq!(state(&stream.event().await.1), ("IN_PROGRESS".to_owned(), 33, 2));
        let poll = tokio::spawn(
            reqwest::Client::new()
                .get(format!("{base}/v1/async-actions/{id}?wait=30&since_status=IN_PROGRESS&since_progress=33"))
                .header("X-App-Id", A.0)
                .header("X-App-Token", A.1)
                .send(),
        );
        // The witness, the stream, the long-poll, and the server's webhook delivery loop.
        followers(&app, 4).await;

        // The stream has no deadline: a server that waited for its followers would never stop.
        shutdown.cancel();
        eventually("the server stopped", async || server.is_finished().then_some(())).await;
        server.await.expect("join").expect("serve");
        assert!(stream.next().await.is_none(), "the stream ended");
        let res = poll.await.expect("join").expect("answered");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        assert_eq!(state(&body), ("IN_PROGRESS".to_owned(), 33, 2), "the action as it is");

        // The witness waited on: the long-poll ended with the server, not at its deadline.
        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
        app.run_pending().await;
        let (code, body) = witness.await.expect("poll");
        assert_eq!(code, 200, "{body}");
        assert!(body["progress"].as_u64().is_some_and(|p| p > 33), "woken by the change: {body}");
    }
}
