//! The command-line client: the real `conveyor` binary as a child process, pointed at the
//! test's server, while the test drives the engine. Its stdout is a pipe, so `watch` prints
//! plain lines, which the test reads as they come to see intermediate progress.

use std::{path::Path, process::Stdio, time::Duration};

use cv_domain::ActionId;
use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
};

use crate::support::{A, TestApp, customers};

/// The binary, with no `CONVEYOR_*` variable of the test's environment, pointed at `app`.
fn conveyor(app: &TestApp, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conveyor"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("CONVEYOR_")) {
        cmd.env_remove(name);
    }
    cmd.env("CONVEYOR_URL", format!("http://{}", app.addr))
        .env("CONVEYOR_APP_ID", A.0)
        .env("CONVEYOR_APP_TOKEN", A.1)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn finish(child: Child) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the command ended")
        .expect("output");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

async fn exec(app: &TestApp, args: &[&str]) -> Run {
    finish(conveyor(app, args).spawn().expect("spawn")).await
}

/// A running command whose stdout the test reads line by line.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl Running {
    fn spawn(app: &TestApp, args: &[&str]) -> Self {
        let mut child = conveyor(app, args).spawn().expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        Self { child, lines: BufReader::new(stdout).lines(), seen: Vec::new() }
    }

    /// Reads lines until one contains `text`; returns it.
    async fn line_with(&mut self, text: &str) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no line with {text:?}; so far: {:?}", self.seen))
                .expect("read");
            let Some(line) = line else { panic!("output ended before {text:?}: {:?}", self.seen) };
            self.seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// The exit code and everything printed (what was read so far included).
    async fn finish(mut self) -> Run {
        let mut rest = Vec::new();
        while let Some(line) = self.lines.next_line().await.expect("read") {
            rest.push(line);
        }
        let mut run = finish(self.child).await;
        self.seen.extend(rest);
        run.stdout = self.seen.join("\n") + "\n" + &run.stdout;
        run
    }
}

fn csv_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write csv");
    path.to_str().expect("path").to_owned()
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", run.stdout))
}

backend_tests! {
    async fn import_prints_the_id_then_follows_the_action_to_done(backend) {
        let app = TestApp::spawn_with(backend, |c| c.engine.chunk_size = 2).await;
        let dir = tempfile::tempdir().expect("dir");
        let file = csv_file(dir.path(), "customers.csv",
            "Name,Source_id,Email\nAnn,ann,a@x.com\nCy,,c@x.com\nBo,bo,\nDi,di,\nEd,ed,\n");
        let mut import = Running::spawn(&app, &["import", "customers", &file]);
        let id = import.line_with("aa_").await;
        assert!(crate::support::is_hex_id(&id, "aa_", 18), "the first line is the id: {id}");
        assert_eq!(import.line_with(&id).await, format!("{id} ENQUEUED 0% 0/5 items"));

        // One chunk, then the worker dies: the watcher shows the intermediate progress.
        let first = app.engine(FailPoints::none().arm(FailureLocation::AfterChunkCommit, 0));
        assert!(first.run_pending().await.expect("run").crashed);
        let line = import.line_with("IN_PROGRESS 40%").await;
        assert!(line.starts_with(&format!("{id} IN_PROGRESS 40% 2/5 items")), "{line}");

        app.clock.advance(app.config.engine.lease_ms as i64 + 1);
        assert_eq!(app.run_pending().await.finished, 1);
        let done = import.line_with("DONE 100%").await;
        assert_eq!(done, format!("{id} DONE 100% 5/5 items"));
        let run = import.finish().await;
        assert_eq!(run.code, 0, "DONE exits 0: {} {}", run.stdout, run.stderr);
        assert!(run.stdout.contains("Status           DONE (SUCCESS)\n"), "{}", run.stdout);
        assert!(run.stdout.contains("Message          4 customer(s) imported successfully, 1 failed.\n"), "{}", run.stdout);
        assert!(run.stdout.contains("Failed items:\nROW  SOURCE_ID  REASON\n2               source_id: property is required\n"), "{}", run.stdout);
        assert_eq!(run.stderr, "");
        let action = app.get(&format!("/v1/async-actions/{id}")).await.json();
        assert_eq!((action["type"].as_str(), action["status"].as_str()), (Some("CUSTOMERS.IMPORT_CSV"), Some("DONE")));
        assert_eq!(app.get("/v1/customers/ed").await.status, 200);
    }

    async fn watch_exits_1_when_the_action_fails(backend) {
        let app = TestApp::spawn(backend).await;
        // A queued action cancelled while it is watched.
        let id = app.bulk_update(&customers(3)).await;
        let mut watch = Running::spawn(&app, &["actions", "watch", &id]);
        watch.line_with(&format!("{id} ENQUEUED 0%")).await;
        assert_eq!(app.post(&format!("/v1/async-actions/{id}/cancel"), &json!({})).await.status, 200);
        let run = watch.finish().await;
        assert_eq!(run.code, 1, "FAILED exits 1: {} {}", run.stdout, run.stderr);
        assert!(run.stdout.contains(&format!("{id} FAILED 0% 0/3 items")), "{}", run.stdout);
        assert!(run.stdout.contains("Status           FAILED (FAILED)\n"), "{}", run.stdout);
        assert!(run.stdout.contains("Message          Cancelled.\n"), "{}", run.stdout);

        // An import whose uploaded file is gone when it runs, watched with --json.
        let id = app.import_customers("Name,Source_id\nAnn,ann\n").await;
        app.store.delete_upload(&ActionId::from_string(&id)).await.expect("delete upload");
        let watch = conveyor(&app, &["actions", "watch", &id, "--json"]).spawn().expect("spawn");
        app.run_pending().await;
        let run = finish(watch).await;
        assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
        let action = json_of(&run);
        assert_eq!((action["id"].as_str(), action["status"].as_str()), (Some(id.as_str()), Some("FAILED")));
        assert!(action["result"]["message"].is_string(), "{action}");
        assert_eq!(action["result"], app.get(&format!("/v1/async-actions/{id}")).await.json()["result"]);

        // A finished action: watch answers at once.
        let id = app.bulk_update(&customers(1)).await;
        app.run_pending().await;
        let run = exec(&app, &["actions", "watch", &id, "--json"]).await;
        assert_eq!((run.code, json_of(&run)["status"].as_str()), (0, Some("DONE")));
    }

    async fn list_get_and_cancel_print_tables_or_one_json_document(backend) {
        let app = TestApp::spawn(backend).await;
        let done = app.bulk_update(&customers(2)).await;
        app.run_pending().await;
        app.clock.advance(1);
        let imported = app.import_customers("Name,Source_id\nAnn,ann\n").await;
        app.clock.advance(1);
        let queued = app.bulk_update(&customers(1)).await;

        let run = exec(&app, &["actions", "list"]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines[0], "ID                     TYPE                   STATUS    PROGRESS  CREATED");
        for (line, id, rest) in [
            (lines[1], &queued, "CUSTOMERS.BULK_UPDATE  ENQUEUED  0%"),
            (lines[2], &imported, "CUSTOMERS.IMPORT_CSV   ENQUEUED  0%"),
            (lines[3], &done, "CUSTOMERS.BULK_UPDATE  DONE      100%"),
        ] {
            assert!(line.starts_with(&format!("{id}  {rest}")), "{line}");
        }
        assert_eq!(lines.len(), 4);

        let filtered = exec(&app, &["actions", "list", "--status", "enqueued", "--type", "CUSTOMERS.BULK_UPDATE", "--json"]).await;
        assert_eq!(filtered.code, 0, "{}", filtered.stderr);
        let list = json_of(&filtered);
        assert_eq!(list, app.get("/v1/async-actions?status=ENQUEUED&type=CUSTOMERS.BULK_UPDATE").await.json());
        assert_eq!(list["async_actions"].as_array().map(Vec::len), Some(1));
        assert_eq!(list["async_actions"][0]["id"], json!(queued));
        let page = json_of(&exec(&app, &["actions", "list", "--limit", "1", "--json"]).await);
        assert_eq!((page["async_actions"][0]["id"].as_str(), page["has_more"].as_bool()), (Some(queued.as_str()), Some(true)));
        let human = exec(&app, &["actions", "list", "--limit", "1"]).await.stdout;
        let created = page["async_actions"][0]["created_at"].as_str().expect("created_at");
        assert!(human.ends_with(&format!("More: --end-date {created}\n")), "{human}");
        let older = json_of(&exec(&app, &["actions", "list", "--end-date", created, "--json"]).await);
        assert_eq!(older["async_actions"].as_array().map(Vec::len), Some(2));

        let got = exec(&app, &["actions", "get", &done, "--json"]).await;
        assert_eq!((got.code, json_of(&got)), (0, app.get(&format!("/v1/async-actions/{done}")).await.json()));
        let human = exec(&app, &["actions", "get", &done]).await.stdout;
        assert!(human.starts_with(&format!("ID               {done}\nType             CUSTOMERS.BULK_UPDATE\n")), "{human}");
        assert!(human.contains(&format!("Report           http://{}/v1/async-actions/{done}/report\n", app.addr)), "{human}");

        let cancelled = exec(&app, &["actions", "cancel", &queued]).await;
        assert_eq!((cancelled.code, cancelled.stdout), (0, format!("{queued} cancelled (it is FAILED).\n")));
        let again = exec(&app, &["actions", "cancel", &queued, "--json"]).await;
        assert_eq!((again.code, again.stdout.as_str()), (2, ""));
        assert_eq!(
            again.stderr,
            format!("error: Async action already finished: Async action {queued} already finished with status FAILED.\n")
        );
        let json_cancel = exec(&app, &["actions", "cancel", &imported, "--json"]).await;
        assert_eq!((json_cancel.code, json_of(&json_cancel)["status"].as_str()), (0, Some("FAILED")));
    }

    async fn imports_go_to_the_endpoint_of_their_kind(backend) {
        let app = TestApp::spawn(backend).await;
        let dir = tempfile::tempdir().expect("dir");
        let res = app.post("/v1/campaigns", &json!({"name": "Spring sale/2026", "campaign_type": "DISCOUNT_COUPONS",
            "vouchers_count": 0, "voucher": {"type": "DISCOUNT_VOUCHER", "discount": {"type": "PERCENT", "percent_off": 10}}})).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let products = csv_file(dir.path(), "p.csv", "name,source_id,price\nVase,vase,21\n");
        let skus = csv_file(dir.path(), "s.csv", "product_id,source_id,sku,price\nvase,vase-red,Red,22\n");
        let vouchers = csv_file(dir.path(), "v.csv", "Code,Voucher Type,Value,Discount Type\nA1,DISCOUNT_VOUCHER,10,PERCENT\n");
        let codes = csv_file(dir.path(), "c.csv", "Code\nSPRING1\n");
        let cases: [(&[&str], &str); 4] = [
            (&["import", "products", &products], "PRODUCTS.IMPORT_CSV"),
            (&["import", "skus", &skus], "SKUS.IMPORT_CSV"),
            (&["import", "vouchers", &vouchers], "VOUCHERS.IMPORT_CSV"),
            (&["import", "vouchers", &codes, "--campaign", "Spring sale/2026"], "CAMPAIGN.VOUCHERS_IMPORT_CSV"),
        ];
        for (args, kind) in cases {
            let mut args = args.to_vec();
            args.extend(["--no-watch", "--json"]);
            let run = exec(&app, &args).await;
            assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
            let id = json_of(&run)["async_action_id"].as_str().expect("id").to_owned();
            // Each runs before the next, since SKUs need their product.
            app.run_pending().await;
            let action = app.get(&format!("/v1/async-actions/{id}")).await.json();
            assert_eq!((action["type"].as_str(), action["status"].as_str()), (Some(kind), Some("DONE")), "{action}");
            assert_eq!(action["result"]["failed_count"], 0, "{action}");
        }
        assert_eq!(app.get("/v1/skus/vase-red").await.status, 200);
        let campaign = res.json()["id"].clone();
        assert_eq!(app.get("/v1/vouchers/SPRING1").await.json()["campaign_id"], campaign);
        let plain = exec(&app, &["import", "products", &products, "--no-watch"]).await;
        assert!(crate::support::is_hex_id(plain.stdout.trim_end(), "aa_", 18), "{}", plain.stdout);
    }

    async fn errors_exit_2_with_the_api_message(backend) {
        let app = TestApp::spawn(backend).await;
        let dir = tempfile::tempdir().expect("dir");
        let before = app.snapshot().await;
        let unknown = "aa_0123456789abcdef01";
        let empty = csv_file(dir.path(), "empty.csv", "");
        let header_only = csv_file(dir.path(), "header.csv", "Name,Source_id\n");
        let missing = dir.path().join("missing.csv").to_str().expect("path").to_owned();
        let cases: Vec<(Vec<&str>, String)> = vec![
            (vec!["actions", "get", unknown], format!("error: Resource not found: Cannot find async_action with id {unknown}\n")),
            (vec!["actions", "watch", unknown], format!("error: Resource not found: Cannot find async_action with id {unknown}\n")),
            (vec!["actions", "cancel", unknown, "--json"], format!("error: Resource not found: Cannot find async_action with id {unknown}\n")),
            (vec!["actions", "list", "--status", "bogus"], "error: Invalid query params: Property .status should be equal to one of the allowed values: ENQUEUED, IN_PROGRESS, DONE, FAILED\n".to_owned()),
            (vec!["actions", "list", "--limit", "101"], "error: Invalid query params: Property .limit must be <= 100\n".to_owned()),
            (vec!["import", "customers", &empty], "error: Invalid payload: The file is empty\n".to_owned()),
            (vec!["import", "customers", &header_only], "error: Invalid payload: The file has a header line but no data rows\n".to_owned()),
            (vec!["import", "vouchers", &header_only, "--campaign", "nope"], "error: Resource not found: Cannot find campaign with id nope\n".to_owned()),
            (vec!["import", "customers", &header_only, "--campaign", "x"], "error: --campaign applies to `import vouchers` only\n".to_owned()),
        ];
        for (args, stderr) in cases {
            let run = exec(&app, &args).await;
            assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}: {}", run.stderr);
            assert_eq!(run.stderr, stderr, "{args:?}");
        }
        let run = exec(&app, &["import", "customers", &missing]).await;
        assert_eq!(run.code, 2);
        assert!(run.stderr.starts_with(&format!("error: cannot read {missing}: ")), "{}", run.stderr);

        let wrong = conveyor(&app, &["actions", "list"]).env("CONVEYOR_APP_TOKEN", "wrong").output().await.expect("run");
        assert_eq!(wrong.status.code(), Some(2));
        let stderr = String::from_utf8(wrong.stderr).expect("utf-8");
        let body = app.send(reqwest::Method::GET, "/v1/async-actions", Some((A.0, "wrong")), None).await.json();
        assert_eq!(stderr, format!("error: {}\n", body["message"].as_str().expect("message")));

        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let refused = exec(&app, &["actions", "list", "--url", &format!("http://127.0.0.1:{port}")]).await;
        assert_eq!(refused.code, 2);
        assert!(refused.stderr.starts_with(&format!("error: cannot reach http://127.0.0.1:{port}/v1/async-actions: ")), "{}", refused.stderr);

        let no_credentials = conveyor(&app, &["actions", "list"]).env_remove("CONVEYOR_APP_ID").output().await.expect("run");
        assert_eq!(no_credentials.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&no_credentials.stderr).starts_with("error: no credentials"));
        let usage = conveyor(&app, &["actions", "frobnicate"]).output().await.expect("run");
        assert_eq!(usage.status.code(), Some(2), "clap's usage errors exit 2");
        assert_eq!(app.snapshot().await, before, "nothing changed");
    }
}
