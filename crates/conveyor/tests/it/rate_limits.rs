//! Per-project rate limits: Voucherify's headers on every authenticated response, 429 in the
//! documented shape with `Retry-After` once a bucket is spent, a separate bucket for the
//! calls that create async actions, other projects untouched, a new window each minute.

use serde_json::json;

use crate::support::{A, B, TestApp, customers};

fn header<'a>(res: &'a crate::support::Resp, name: &str) -> &'a str {
    res.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

backend_tests! {
    async fn calls_over_the_limit_get_429_and_change_nothing(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.api.rate_limit_per_minute = 3;
            c.api.bulk_rate_limit_per_minute = 2;
        })
        .await;
        // Start at the beginning of a minute, so the window does not roll over mid-test.
        let now = cv_domain::clock::Clock::now(&app.clock).as_millis();
        app.clock.advance(60_000 - now.rem_euclid(60_000) + 1_000);

        for remaining in ["2", "1", "0"] {
            let res = app.get("/v1/customers").await;
            assert_eq!(res.status, 200);
            assert_eq!(header(&res, "x-rate-limit-limit"), "3");
            assert_eq!(header(&res, "x-rate-limit-remaining"), remaining);
            assert!(header(&res, "x-rate-limit-retry").parse::<i64>().is_ok());
        }
        let refused = app.get("/v1/customers").await;
        assert_eq!(refused.status, 429);
        assert_eq!(refused.json(), json!({"code": 429, "message": "Too many requests hit the API too quickly."}));
        assert_eq!(refused.content_type(), "application/json");
        let retry_after: i64 = header(&refused, "retry-after").parse().expect("seconds");
        assert!((50..=59).contains(&retry_after), "until the next minute: {retry_after}");
        assert_eq!(header(&refused, "x-rate-limit-type"), "api_calls");
        assert_eq!(header(&refused, "x-rate-limit-remaining"), "0");
        let retry_at: i64 = header(&refused, "x-rate-limit-retry").parse().expect("epoch");
        assert_eq!(retry_at % 60, 0, "the next minute");

        // The bulk bucket is apart: two submissions pass, the third is refused and creates
        // nothing.
        for _ in 0..2 {
            assert_eq!(app.post("/v1/customers/bulk/async", &customers(1)).await.status, 202);
        }
        let before = app.snapshot().await;
        let refused = app.post("/v1/customers/bulk/async", &customers(1)).await;
        assert_eq!((refused.status, header(&refused, "x-rate-limit-type")), (429, "bulk_api_calls"));
        assert_eq!(app.snapshot().await, before, "a refused call changes nothing");

        // Another project has its own buckets.
        let res = app.get_as(B, "/v1/customers").await;
        assert_eq!((res.status, header(&res, "x-rate-limit-remaining")), (200, "2"));

        // A new minute, a new window.
        app.clock.advance(60_000);
        let res = app.get_as(A, "/v1/customers").await;
        assert_eq!((res.status, header(&res, "x-rate-limit-remaining")), (200, "2"));
        // Unauthenticated calls are refused before any counting.
        let res = app.send(reqwest::Method::GET, "/v1/customers", None, None).await;
        assert_eq!((res.status, header(&res, "x-rate-limit-limit")), (401, ""));
    }

    async fn a_zero_limit_means_none(backend) {
        let app = TestApp::spawn_with(backend, |c| c.api.rate_limit_per_minute = 0).await;
        for _ in 0..20 {
            let res = app.get("/v1/customers").await;
            assert_eq!((res.status, header(&res, "x-rate-limit-limit")), (200, ""));
        }
    }
}
