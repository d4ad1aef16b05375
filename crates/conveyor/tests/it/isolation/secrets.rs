//! No secret leaves the server except where it is meant to: app tokens, OAuth access tokens
//! (live, revoked, expired, another project's), wrong tokens, webhook signing secrets and
//! credentials in a webhook's URL never appear in the server's logs — captured from every
//! thread at the most verbose level an operator can set — nor in an error body, an action's
//! result, a report, an event stream, or the webhook list, reads and deliveries. A webhook's
//! secret is shown once, in the answer to its creation; a token once, in the answer that
//! issues it (and to its own introspection).

use std::net::SocketAddr;

use axum::http::StatusCode;
use cv_api::hash_token;
use cv_domain::{Timestamp, ids::random_secret};
use cv_engine::{FailPoints, FailureLocation};
use serde_json::{Value, json};

use super::{Auth, Body, call, form};
use crate::support::{Backend, Logs, Resp, TestApp, assert_no_secrets, with_logs};

/// A receiver that answers every delivery with 500.
async fn failing_receiver() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(|| async { StatusCode::INTERNAL_SERVER_ERROR });
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// What the server answered, collected to be searched for secrets.
#[derive(Default)]
struct Answers(String);

impl Answers {
    fn keep(&mut self, what: &str, res: &Resp) {
        self.0.push_str(&format!("{what} → {} {:?}\n{}\n", res.status, res.headers, res.text));
    }
}

/// POSTs `body` to a producer; the action id.
async fn submit(
    app: &TestApp,
    key: Auth<'_>,
    path: &str,
    body: &Value,
    answers: &mut Answers,
) -> String {
    let res = call(app, key, "POST", path, Body::Json(&body.to_string())).await;
    answers.keep(path, &res);
    assert!(matches!(res.status, 200 | 202), "{path}: {}", res.text);
    res.json()["async_action_id"].as_str().expect("id").to_owned()
}

/// A new OAuth token of the app key `creds`.
async fn issue(app: &TestApp, creds: (&str, &str)) -> String {
    let res = form(app, "/v1/oauth/token", creds, "grant_type=client_credentials&scope=api").await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()["access_token"].as_str().expect("token").to_owned()
}

async fn run(backend: Backend, logs: Logs) {
    let app = TestApp::spawn(backend).await;
    let now = Timestamp::now();
    let (app_token, b_token) = (random_secret(40), random_secret(40));
    app.store
        .put_credential(&app.project_a, "app-secret", &hash_token(&app_token), now)
        .await
        .expect("cred");
    app.store
        .put_credential(&app.project_b, "app-secret-b", &hash_token(&b_token), now)
        .await
        .expect("cred");
    let key = Auth::Key(("app-secret", &app_token));
    let b_key = ("app-secret-b", b_token.as_str());
    let mut answers = Answers::default();
    let mut secrets = vec![app_token.clone(), b_token.clone()];

    // Webhooks: one answering 500, one refused; the second's URL carries credentials.
    let (user_secret, query_secret) = (random_secret(24), random_secret(24));
    let receiver = failing_receiver().await;
    let refused = closed_port().await;
    let targets = [
        format!("http://{receiver}/hook"),
        format!("http://hook:{user_secret}@127.0.0.1:{refused}/hook?key={query_secret}"),
    ];
    let mut webhooks = Vec::new();
    for target in &targets {
        let res = call(
            &app,
            key,
            "POST",
            "/v1/webhooks",
            Body::Json(&json!({"target_url": target}).to_string()),
        )
        .await;
        assert_eq!(res.status, 201, "{}", res.text);
        let created = res.json();
        secrets.push(created["secret"].as_str().expect("the secret, shown once").to_owned());
        webhooks.push(created["id"].as_str().expect("id").to_owned());
    }

    // Actions: a bulk update with a bad item, a metadata update, an import with a bad row, an
    // order import with a failing order, a purge, a cancelled one and one that panics.
    let bulk = json!([{"source_id": "ann", "name": "Ann"}, {"source_id": "bob", "birthdate": "1990-02-30"}]);
    let mut actions =
        vec![submit(&app, key, "/v1/customers/bulk/async", &bulk, &mut answers).await];
    let metadata = json!({"source_ids": ["ann", "cy"], "metadata": {"tier": "gold"}});
    actions.push(submit(&app, key, "/v1/customers/metadata/async", &metadata, &mut answers).await);
    let res = call(
        &app,
        key,
        "POST",
        "/v1/customers/importCSV",
        Body::Csv("source_id,name,birthdate\ndee,Dee,1990-01-01\n,NoId,\neve,Eve,not-a-date\n"),
    )
    .await;
    answers.keep("importCSV", &res);
    actions.push(res.json()["async_action_id"].as_str().expect("id").to_owned());
    let orders = json!([{"source_id": "o1", "status": "PAID", "amount": 100, "customer": {"id": "cust_000000000000000000"}}]);
    actions.push(submit(&app, key, "/v1/orders/import", &orders, &mut answers).await);
    actions.push(
        submit(
            &app,
            key,
            "/v1/metadata-schemas/customers/purge",
            &json!({"key": "tier"}),
            &mut answers,
        )
        .await,
    );
    let cancelled =
        submit(&app, key, "/v1/customers/bulk/async", &json!([{"source_id": "zed"}]), &mut answers)
            .await;
    let res =
        call(&app, key, "POST", &format!("/v1/async-actions/{cancelled}/cancel"), Body::None).await;
    answers.keep("cancel", &res);
    assert_eq!(res.status, 200, "{}", res.text);
    actions.push(cancelled);
    let drained = app.run_pending().await;
    assert_eq!(drained.finished, 5, "every action but the cancelled one ran");
    let doomed =
        submit(&app, key, "/v1/customers/bulk/async", &json!([{"source_id": "pan"}]), &mut answers)
            .await;
    actions.push(doomed.clone());
    app.engine(FailPoints::none().arm(FailureLocation::PanicInChunk, 0))
        .run_pending()
        .await
        .expect("run");
    let doomed_now = app.get(&format!("/v1/async-actions/{doomed}")).await.json();
    assert_eq!(
        (doomed_now["status"].clone(), doomed_now["result"]["message"].clone()),
        (json!("FAILED"), json!("Internal error"))
    );

    // Every ended action owes each endpoint a delivery; every attempt fails (500, refused).
    app.deliverer_on(app.store.clone()).deliver_due().await.expect("deliver");

    // OAuth: a token used, one revoked, one expired, B's; wrong tokens everywhere.
    let a_key = ("app-secret", app_token.as_str());
    let (live, revoked, expiring) =
        (issue(&app, a_key).await, issue(&app, a_key).await, issue(&app, a_key).await);
    let b_live = issue(&app, b_key).await;
    secrets.extend([live.clone(), revoked.clone(), expiring.clone(), b_live.clone()]);
    let res = form(&app, "/v1/oauth/token/revoke", a_key, &format!("access_token={revoked}")).await;
    answers.keep("revoke", &res);
    assert_eq!(res.status, 204);
    let res = call(&app, Auth::Bearer(&live), "GET", "/v1/customers/ann", Body::None).await;
    answers.keep("live token", &res);
    assert_eq!(res.status, 200, "{}", res.text);
    let res = call(&app, Auth::Bearer(&b_live), "GET", "/v1/customers/ann", Body::None).await;
    answers.keep("B's token", &res);
    assert_eq!(res.status, 404, "{}", res.text);
    let res = call(&app, Auth::Bearer(&revoked), "GET", "/v1/customers", Body::None).await;
    answers.keep("revoked token", &res);
    assert_eq!(res.status, 401);
    app.clock.advance(i64::from(app.config.api.oauth_token_ttl_secs) * 1000 + 1);
    let res = call(&app, Auth::Bearer(&expiring), "GET", "/v1/customers", Body::None).await;
    answers.keep("expired token", &res);
    assert_eq!(res.status, 401);

    let wrong: Vec<String> = (0..8).map(|_| random_secret(40)).collect();
    secrets.extend(wrong.iter().cloned());
    let wrong_calls = [
        (Auth::Key(("app-secret", wrong[0].as_str())), "/v1/customers"),
        (Auth::Key(("no-such-app", wrong[1].as_str())), "/v1/async-actions"),
        (Auth::Key(("app-secret", wrong[2].as_str())), "/v1/webhooks"),
        (Auth::Bearer(&wrong[3]), "/v1/customers"),
        (Auth::Bearer(&wrong[4]), "/v1/webhooks"),
    ];
    for (auth, path) in wrong_calls {
        let res = call(&app, auth, "GET", path, Body::None).await;
        answers.keep(path, &res);
        assert_eq!(res.status, 401, "{path}: {}", res.text);
    }
    for (path, body) in [
        ("/v1/oauth/token", "grant_type=client_credentials&scope=api".to_owned()),
        ("/v1/oauth/token/revoke", format!("access_token={live}")),
    ] {
        let res = form(&app, path, ("app-secret", &wrong[5]), &body).await;
        answers.keep(path, &res);
        assert_eq!(res.status, 401, "{path}: {}", res.text);
    }
    for (path, body) in [
        ("/v1/oauth/introspect", format!("access_token={}", wrong[6])),
        ("/v1/oauth/token/revoke", format!("access_token={}", wrong[7])),
        ("/v1/oauth/introspect", format!("access_token={b_live}")),
        ("/v1/oauth/introspect", format!("access_token={revoked}")),
        ("/v1/oauth/introspect", format!("access_token={expiring}")),
        ("/v1/oauth/token", "grant_type=password".to_owned()),
    ] {
        let res = form(&app, path, a_key, &body).await;
        answers.keep(path, &res);
        assert!(res.status < 500, "{path}: {}", res.text);
    }
    // A token in the wrong header, or with an app id, is a wrong app token.
    let res =
        call(&app, Auth::Key(("app-secret", live.as_str())), "GET", "/v1/customers", Body::None)
            .await;
    answers.keep("token as app token", &res);
    assert_eq!(res.status, 401);

    // Bad requests with a good key.
    for (method, path, body) in [
        ("POST", "/v1/customers/bulk/async", Body::Json("{")),
        ("POST", "/v1/customers/bulk/async", Body::Json(r#"[{"source_id": 1}]"#)),
        ("GET", "/v1/async-actions?limit=1000", Body::None),
        ("GET", "/v1/async-actions/aa_000000000000000000", Body::None),
        ("GET", "/v1/no-such-route", Body::None),
        ("DELETE", "/v1/async-actions", Body::None),
        ("POST", "/v1/customers/importCSV", Body::Json("{}")),
        ("POST", "/v1/webhooks", Body::Json(r#"{"target_url": "ftp://x"}"#)),
        ("POST", &format!("/v1/async-actions/{}/cancel", actions[0]), Body::None),
    ] {
        let res = call(&app, key, method, path, body).await;
        answers.keep(path, &res);
        assert!((400..500).contains(&res.status), "{method} {path}: {} {}", res.status, res.text);
    }

    // Everything readable afterwards: actions with results, reports, events, webhooks.
    for id in &actions {
        for path in [
            format!("/v1/async-actions/{id}"),
            format!("/v1/async-actions/{id}/report"),
            format!("/v1/async-actions/{id}/events"),
        ] {
            let res = call(&app, key, "GET", &path, Body::None).await;
            answers.keep(&path, &res);
        }
    }
    let list = call(&app, key, "GET", "/v1/async-actions?limit=100", Body::None).await;
    answers.keep("list", &list);
    assert_eq!(list.json()["async_actions"].as_array().map(Vec::len), Some(actions.len()));
    let hooks = call(&app, key, "GET", "/v1/webhooks", Body::None).await;
    answers.keep("webhooks", &hooks);
    assert_eq!(hooks.json()["total"], 2);
    for id in &webhooks {
        for path in
            [format!("/v1/webhooks/{id}"), format!("/v1/webhooks/{id}/deliveries?limit=100")]
        {
            let res = call(&app, key, "GET", &path, Body::None).await;
            assert_eq!(res.status, 200, "{path}: {}", res.text);
            answers.keep(&path, &res);
        }
        let deliveries =
            call(&app, key, "GET", &format!("/v1/webhooks/{id}/deliveries?limit=100"), Body::None)
                .await
                .json();
        assert_eq!(deliveries["total"], actions.len(), "an event per ended action: {deliveries}");
        assert!(
            deliveries.to_string().contains("\"error\":\""),
            "failed attempts recorded: {deliveries}"
        );
    }

    assert_no_secrets(&answers.0, &secrets);
    // The operators' metrics, after all of the above, name none of it either.
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.text.contains("conveyor_http_requests_total"), "{}", metrics.text);
    assert_no_secrets(&metrics.text, &secrets);
    let logged = logs.text();
    // That the logs were captured. (Not "Action done.": tracing caches whether a call site is
    // enabled process-wide, and another test's subscriber starting at that moment can make
    // one of its INFO lines skip this test's subscriber.)
    assert!(logged.contains("Action failed with an internal error."), "{logged}");
    assert!(logged.contains("Webhook attempt failed."), "{logged}");
    secrets.extend([user_secret, query_secret]);
    assert_no_secrets(&logged, &secrets);
}

mod no_secret_reaches_logs_answers_results_or_reports {
    use super::*;

    #[test]
    fn sqlite() {
        with_logs(|logs| run(Backend::Sqlite, logs));
    }

    #[test]
    #[cfg_attr(
        postgres_unconfigured,
        ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
    )]
    fn postgres() {
        with_logs(|logs| run(Backend::Postgres, logs));
    }
}
