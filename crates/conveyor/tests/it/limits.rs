//! The limits besides body sizes, each configured small: a request's time limit (408), the
//! time to send headers (the connection is closed), the request head size (431), uploads
//! received at once (429 `too_many_uploads`), rows per CSV file (400), and an upload's time
//! limit (408, nothing kept). Every refusal changes nothing.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{A, TestApp, customers, eventually};

/// Where a test sends the rest of a stalled upload's body.
type Rest = tokio::sync::mpsc::UnboundedSender<Result<Vec<u8>, std::io::Error>>;

/// Starts a CSV upload whose body is sent in pieces the test controls; the sender for the
/// rest of the file, and the pending response.
fn stalled_upload(
    app: &TestApp,
    first: &'static str,
) -> (Rest, tokio::task::JoinHandle<(u16, String)>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<Vec<u8>, std::io::Error>>();
    tx.send(Ok(first.as_bytes().to_vec())).expect("send");
    let stream = tokio_stream_of(rx);
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stream))
        .file_name("c.csv")
        .mime_str("text/csv")
        .expect("mime");
    let form = reqwest::multipart::Form::new().part("file", part);
    let request = reqwest::Client::new()
        .post(app.url("/v1/customers/importCSV"))
        .header("X-App-Id", A.0)
        .header("X-App-Token", A.1)
        .multipart(form);
    let response = tokio::spawn(async move {
        match request.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                (status, res.text().await.unwrap_or_default())
            }
            Err(err) => (0, err.to_string()),
        }
    });
    (tx, response)
}

fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

backend_tests! {
    async fn a_request_over_its_time_limit_gets_408(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.request_timeout_ms = 300).await;
        let id = app.bulk_update(&customers(1)).await;
        let res = app.get(&format!("/v1/async-actions/{id}?wait=5")).await;
        assert_eq!(res.status, 408, "{}", res.text);
        let body = res.json();
        assert_eq!((body["code"].clone(), body["key"].clone(), body["message"].clone()), (json!(408), json!("request_timeout"), json!("Request Timeout")));
        assert_eq!(body["details"], "The request did not complete within 300 ms.");
        assert!(body["request_id"].as_str().is_some_and(|r| r.starts_with("v-")));
        assert_eq!(app.get(&format!("/v1/async-actions/{id}")).await.status, 200, "quick calls pass");
    }

    async fn slow_headers_and_oversized_heads_are_refused(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.api.header_read_timeout_ms = 300;
            c.api.max_header_bytes = 16 * 1024;
        })
        .await;
        // A client that never finishes its headers is cut off.
        let mut slow = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "the connection was not closed");
        let text = String::from_utf8_lossy(&buf);
        assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");

        // A head over the limit gets 431.
        let big = "x".repeat(32 * 1024);
        let res = reqwest::Client::new().get(app.url("/healthz")).header("X-Big", big).send().await.expect("request");
        assert_eq!(res.status().as_u16(), 431);
        // Within the limits all is well.
        let res = reqwest::Client::new().get(app.url("/healthz")).header("X-Small", "y").send().await.expect("request");
        assert_eq!(res.status().as_u16(), 200);
    }

    async fn uploads_beyond_the_concurrency_limit_get_429(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.max_concurrent_uploads = 1).await;
        let (mut tx, mut first) = stalled_upload(&app, "source_id,name\nc1,One\n");
        // Wait until the stalled upload holds the one permit (on a loaded machine it can take
        // a while to reach the handler); until then uploads pass. The stalled one can also
        // arrive while a probe holds the permit and be refused itself: then it is sent again.
        let busy = eventually("a second upload refused while the first is received", async || {
            let res = app.upload("/v1/customers/importCSV", Some("file"), b"source_id\nc2\n".to_vec()).await;
            if res.status == 429 {
                return Some(res);
            }
            assert_eq!(res.status, 202, "{}", res.text);
            if first.is_finished() {
                (tx, first) = stalled_upload(&app, "source_id,name\nc1,One\n");
            }
            None
        })
        .await;
        let body = busy.json();
        assert_eq!((body["code"].clone(), body["key"].clone(), body["message"].clone()), (json!(429), json!("too_many_uploads"), json!("Too many uploads")));
        assert_eq!(body["details"], "This server receives at most 1 CSV uploads at a time; retry shortly.");
        let before = app.snapshot().await;
        tx.send(Ok(b"c3,Three\n".to_vec())).expect("send");
        drop(tx);
        let (status, text) = first.await.expect("first");
        assert_eq!(status, 202, "{text}");
        assert_ne!(app.snapshot().await, before);
        let res = app.upload("/v1/customers/importCSV", Some("file"), b"source_id\nc4\n".to_vec()).await;
        assert_eq!(res.status, 202, "the permit is free again: {}", res.text);
    }

    async fn files_over_the_row_limit_are_refused(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.csv_row_limit = 3).await;
        let before = app.snapshot().await;
        let res = app.upload("/v1/customers/importCSV", Some("file"), b"source_id\na\nb\nc\nd\n".to_vec()).await;
        assert_eq!(res.status, 400, "{}", res.text);
        let body = res.json();
        assert_eq!((body["key"].clone(), body["details"].clone()), (json!("invalid_payload"), json!("The file has more than 3 rows (the limit of this server)")));
        assert_eq!(app.snapshot().await, before);
        let res = app.upload("/v1/customers/importCSV", Some("file"), b"source_id\na\nb\nc\n".to_vec()).await;
        assert_eq!(res.status, 202, "{}", res.text);
    }

    async fn an_upload_over_its_time_limit_gets_408_and_leaves_nothing(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.upload_timeout_ms = 300).await;
        let before = app.snapshot().await;
        let (tx, pending) = stalled_upload(&app, "source_id,name\nc1,One\n");
        let (status, text) = pending.await.expect("response");
        assert_eq!(status, 408, "{text}");
        drop(tx);
        assert_eq!(app.snapshot().await, before, "no action was created");
        // The permit and the parts were given back: the next upload goes through.
        let res = app.upload("/v1/customers/importCSV", Some("file"), b"source_id\nc2\n".to_vec()).await;
        assert_eq!(res.status, 202, "{}", res.text);
    }
}
