//! `GET /v1/async-actions/{id}/report` reads its own action's lines and nothing else: another
//! action's id gives that action's report only, and dot segments, encoded slashes, NULs,
//! invalid UTF-8 and other odd ids answer 400 or 404 in Voucherify's shape, never a line of
//! another action and never a file. Requests are written on a raw socket, since HTTP clients
//! normalise `..` and `%2e%2e` away before sending.

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{B, TestApp};

/// Status and body (as sent, chunked or not) of `GET target` written as is on a socket.
async fn raw_get(app: &TestApp, target: &str, creds: (&str, &str)) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nX-App-Id: {}\r\nX-App-Token: {}\r\nConnection: close\r\n\r\n",
        app.addr, creds.0, creds.1
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// The item keys of a report, in order.
fn report_keys(csv: &str) -> Vec<String> {
    csv.lines().skip(1).map(|l| l.split(',').next().unwrap_or("").to_owned()).collect()
}

backend_tests! {
    async fn a_report_download_reads_its_own_action_only(backend) {
        let app = TestApp::spawn(backend).await;
        let x = app.bulk_update(&json!([{"source_id": "x-item-1"}, {"source_id": "x-item-2"}])).await;
        let y = app.bulk_update(&json!([{"source_id": "y-item-1"}])).await;
        let csv_import = app.import_customers("source_id,name\nz-item-1,Z\n").await;
        let b_action = {
            let res = app.send(reqwest::Method::POST, "/v1/customers/bulk/async", Some(B),
                Some(json!([{"source_id": "b-item-1"}]).to_string().into_bytes())).await;
            res.json()["async_action_id"].as_str().expect("id").to_owned()
        };
        app.run_pending().await;
        let queued = app.bulk_update(&json!([{"source_id": "q-item-1"}])).await;

        // Each id gives its own action's lines, whatever else the request carries.
        for (id, expected) in [(&x, vec!["x-item-1", "x-item-2"]), (&y, vec!["y-item-1"])] {
            for target in [format!("/v1/async-actions/{id}/report"), format!("/v1/async-actions/{id}/report?id={b_action}&action={x}")] {
                let res = app.get(&target).await;
                assert_eq!(res.status, 200, "{target}: {}", res.text);
                assert_eq!(report_keys(&res.text), expected, "{target}");
            }
        }
        let (status, body) = raw_get(&app, &format!("/v1/async-actions/{b_action}/report"), B).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("b-item-1") && !body.contains("x-item"), "{body}");
        // An action without a report, or not finished, has none.
        for id in [&csv_import, &queued] {
            let res = app.get(&format!("/v1/async-actions/{id}/report")).await;
            assert_eq!((res.status, res.json()["key"].clone()), (404, json!("not_found")), "{}", res.text);
        }

        let odd = [
            format!("/v1/async-actions/{b_action}/../{x}/report"),
            format!("/v1/async-actions/{b_action}/report/../../{x}/report"),
            format!("/v1/async-actions/{b_action}%2f..%2f{x}/report"),
            format!("/v1/async-actions/{b_action}%2F%2E%2E%2F{x}/report"),
            format!("/v1/async-actions/{b_action}/report%2f..%2f..%2f{x}%2freport"),
            "/v1/async-actions/../../../../etc/passwd".to_owned(),
            "/v1/async-actions/%2e%2e/report".to_owned(),
            "/v1/async-actions/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd/report".to_owned(),
            "/v1/async-actions/..%5c..%5cetc%5cpasswd/report".to_owned(),
            format!("/v1/async-actions/{x}%00/report"),
            format!("/v1/async-actions/{x}%20/report"),
            format!("/v1/async-actions/{x};{b_action}/report"),
            format!("/v1/async-actions/{}/report", x.to_uppercase()),
            format!("/v1/async-actions/{x}x/report"),
            "/v1/async-actions/aa_%ff%fe/report".to_owned(),
            "/v1/async-actions/%/report".to_owned(),
            "/v1/async-actions/*/report".to_owned(),
            "/v1/async-actions/aa_'%20OR%20'1'='1/report".to_owned(),
            format!("/v1/async-actions/{}/report", "a".repeat(4000)),
            format!("//v1/async-actions/{x}/report"),
            format!("/v1/async-actions//{x}/report"),
        ];
        for target in &odd {
            let (status, body) = raw_get(&app, target, B).await;
            assert!(status == 400 || status == 404, "{target}: {status} {body}");
            assert!(body.starts_with('{') && body.contains("\"key\""), "{target}: Voucherify's shape: {body}");
            for leaked in ["x-item", "y-item", "z-item", "root:", "id,found,updated,error"] {
                assert!(!body.contains(leaked), "{target} shows {leaked}: {body}");
            }
        }
    }
}
