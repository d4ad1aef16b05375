//! CUSTOMERS.IMPORT_CSV end to end: header variants, replacement, per-row failures with row
//! numbers, refused uploads, and resuming mid-file after a crash.

use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use crate::support::TestApp;

async fn finished(app: &TestApp, id: &str) -> Value {
    app.run_pending().await;
    let a = app.get(&format!("/v1/async-actions/{id}")).await.json();
    assert_eq!(
        (a["status"].as_str(), a["operation_status"].as_str()),
        (Some("DONE"), Some("SUCCESS")),
        "{a}"
    );
    a
}

backend_tests! {
    async fn import_creates_replaces_and_reports_bad_rows(backend) {
        let app = TestApp::spawn(backend).await;
        app.post("/v1/customers", &json!({"source_id": "ann", "name": "Old Ann", "email": "old@example.com", "metadata": {"keep": "no"}})).await;
        // Voucherify's template headers (no Address_ prefix), one metadata column.
        let csv = "Name,Source_id,Description,Email,Phone,Address_line_1,Address_line_2,City,Postal_Code,State,Country,Birthdate,tier\n\
            Ann,ann,,,,Main St 1,,Oslo,0150,,NO,1990-01-31,gold\n\
            Bob,bob,VIP,bob@example.com,+47 1,,,,,,,,\n\
            No Id,,,,,,,,,,,,\n\
            Cy,cy,,,,,,,,,,1990-02-30,\n\
            Ann Again,ann,,,,,,,,,,,\n\
            Short,short,\n\
            \"Quoted, Name\",quoted,\"multi\nline\",,,,,,,,,,silver\n";
        let id = app.import_customers(csv).await;
        let queued = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!((queued["type"].as_str(), queued["status"].as_str()), (Some("CUSTOMERS.IMPORT_CSV"), Some("ENQUEUED")));
        let a = finished(&app, &id).await;
        assert_eq!(a["result"], json!({
            "message": "3 customer(s) imported successfully, 4 failed.",
            "failed": [
                {"source_id": "", "row": 3, "reason": "source_id: property is required"},
                {"source_id": "cy", "row": 4, "reason": "birthdate: must be a date in the format YYYY-MM-DD (actual value is '1990-02-30')"},
                {"source_id": "ann", "row": 5, "reason": "source_id: 'ann' appears in an earlier row of this file"},
                {"source_id": "", "row": 6, "reason": "row has 3 fields, the header has 13"},
            ],
            "done_count": 3,
            "failed_count": 4,
        }));
        let ann = app.get("/v1/customers/ann").await.json();
        assert_eq!(ann["name"], "Ann");
        assert_eq!(ann["email"], Value::Null, "the profile is replaced, not merged");
        assert_eq!(ann["metadata"], json!({"tier": "gold"}));
        assert_eq!(ann["address"], json!({"city": "Oslo", "state": null, "line_1": "Main St 1", "line_2": null, "country": "NO", "postal_code": "0150"}));
        assert_eq!(ann["birthdate"], "1990-01-31");
        assert!(ann["updated_at"].is_string());
        let bob = app.get("/v1/customers/bob").await.json();
        assert_eq!((bob["description"].as_str(), bob["email"].as_str(), bob["metadata"].clone()), (Some("VIP"), Some("bob@example.com"), json!({})));
        let quoted = app.get("/v1/customers/quoted").await.json();
        assert_eq!((quoted["name"].as_str(), quoted["description"].as_str()), (Some("Quoted, Name"), Some("multi\nline")));
        assert_eq!(app.get("/v1/customers/cy").await.status, 404);
    }

    async fn import_accepts_the_api_doc_headers_in_any_case(backend) {
        let app = TestApp::spawn(backend).await;
        let csv = "\u{feff}ID,NAME,EMAIL,PHONE,BIRTHDATE,SOURCE_ID,ADDRESS_LINE_1,ADDRESS_LINE_2,ADDRESS_POSTAL_CODE,ADDRESS_CITY,ADDRESS_STATE,ADDRESS_COUNTRY,DESCRIPTION\r\n\
            ignored,Dee,dee@example.com,123,2001-12-24,dee,L1,L2,PC,City,ST,PL,Desc\r\n";
        let id = app.import_customers(csv).await;
        let a = finished(&app, &id).await;
        assert_eq!(a["result"]["done_count"], 1, "{a}");
        let dee = app.get("/v1/customers/dee").await.json();
        assert_eq!(dee["address"], json!({"city": "City", "state": "ST", "line_1": "L1", "line_2": "L2", "country": "PL", "postal_code": "PC"}));
        assert_eq!((dee["name"].as_str(), dee["phone"].as_str(), dee["description"].as_str()), (Some("Dee"), Some("123"), Some("Desc")));
        assert_ne!(dee["id"], "ignored");
    }

    async fn broken_rows_fail_alone(backend) {
        let app = TestApp::spawn(backend).await;
        let mut csv = b"name,source_id\nA,a\n".to_vec();
        csv.extend_from_slice(b"B\xff\xfe,b\n");
        csv.extend_from_slice(b"C,c\n\"D,d\nE,e\n");
        let res = app.upload("/v1/customers/importCSV", Some("file"), csv).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let id = res.json()["async_action_id"].as_str().expect("id").to_owned();
        let a = finished(&app, &id).await;
        assert_eq!(a["result"]["done_count"], 2);
        assert_eq!(a["result"]["failed"], json!([
            {"source_id": "", "row": 2, "reason": "row is not valid UTF-8 text"},
            {"source_id": "", "row": 4, "reason": "row has 1 fields, the header has 2"},
        ]), "an unclosed quote swallows the rest of the file into one bad row");
    }

    async fn refused_uploads_change_nothing(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.csv_limit_bytes = 1_000).await;
        let before = app.snapshot().await;
        let bad = |details: &str| json!({"code": 400, "key": "invalid_payload", "message": "Invalid payload", "details": details});
        let cases: Vec<(Option<&str>, Vec<u8>, Value)> = vec![
            (None, b"name,source_id\na,b\n".to_vec(), bad("Payload should have required property 'file'")),
            (Some("file"), Vec::new(), bad("The file is empty")),
            (Some("file"), b"name,source_id\n".to_vec(), bad("The file has a header line but no data rows")),
            (Some("file"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01".to_vec(), bad("The file is not a CSV text file: its header line is not UTF-8 text")),
        ];
        for (field, bytes, expected) in cases {
            let res = app.upload("/v1/customers/importCSV", field, bytes).await;
            assert_eq!(res.status, 400, "{}", res.text);
            let mut body = res.json();
            body.as_object_mut().map(|o| o.remove("request_id"));
            assert_eq!(body, expected);
        }
        let res = app.post("/v1/customers/importCSV", &json!({"file": "name,source_id"})).await;
        assert_eq!((res.status, res.json()["details"].clone()), (400, json!("Payload should have required property 'file'")));
        let big = format!("name,source_id\n{}", "abcdefgh,ijklmnop\n".repeat(100));
        let res = app.upload("/v1/customers/importCSV", Some("file"), big.into_bytes()).await;
        assert_eq!(res.status, 413);
        assert_eq!(res.json(), json!({"statusCode": 413, "error": "Request Entity Too Large", "message": "Payload content length greater than maximum allowed: 1000"}));
        assert_eq!(app.snapshot().await, before);
    }

    async fn import_resumes_mid_file_without_repeating_a_row(backend) {
        const ROWS: usize = 3_000;
        let app = TestApp::spawn_with(backend, |c| {
            c.engine.chunk_size = 500;
            c.api.csv_limit_bytes = 100_000_000;
        })
        .await;
        let mut csv = String::from("name,source_id,email,segment\n");
        for i in 0..ROWS {
            csv.push_str(&format!("Customer {i},c{i},c{i}@example.com,s{}\n", i % 7));
        }
        let id = app.import_customers(&csv).await;
        let lease = app.config.engine.lease_ms as i64;
        let crash = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 2));
        assert!(crash.run_pending().await.expect("run").crashed);
        app.clock.advance(lease + 1);
        let crash = app.engine(FailPoints::none().arm(FailureLocation::InsideChunkBeforeCommit, 1));
        assert!(crash.run_pending().await.expect("run").crashed);
        app.clock.advance(lease + 1);
        let a = finished(&app, &id).await;
        // A row applied twice would have been reported as a duplicate of itself.
        assert_eq!(a["result"]["done_count"], ROWS, "{}", a["result"]);
        assert_eq!(a["result"]["failed_count"], 0);
        assert_eq!(app.get("/v1/customers?limit=1").await.json()["total"], ROWS);
        let last = app.get(&format!("/v1/customers/c{}", ROWS - 1)).await.json();
        assert_eq!(last["metadata"], json!({"segment": format!("s{}", (ROWS - 1) % 7)}));
    }
}
