//! Per-project rate limits with Voucherify's headers (SPEC.md §7).
//!
//! Two buckets per project: `api_calls` for every authenticated call, and `bulk_api_calls` for
//! the calls that create async actions (the routes marked `bulk` in [`crate::ROUTES`]), which
//! count there instead. Each is a fixed window of one calendar minute on the state's clock. Every authenticated response
//! carries `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Retry` (the epoch
//! second of the next allowed call); a call over the limit gets 429
//! `{"code":429,"message":"Too many requests hit the API too quickly."}` with `Retry-After`
//! (seconds) and `X-Rate-Limit-Type`, and does nothing. Counters live in the process: with
//! several nodes, each enforces the limit on the calls it serves.

use std::{collections::HashMap, sync::Mutex};

use axum::{
    Json,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use cv_domain::ProjectId;
use serde_json::json;

use crate::{AppState, ROUTES, auth::Project};

/// Which bucket a call counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Every other authenticated call.
    Api,
    /// Calls of the routes marked `bulk` in [`crate::ROUTES`].
    Bulk,
}

impl Bucket {
    /// The `X-Rate-Limit-Type` of the bucket.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Api => "api_calls",
            Bucket::Bulk => "bulk_api_calls",
        }
    }
}

/// What the limiter decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the call may go on.
    pub allowed: bool,
    /// The bucket's limit per minute.
    pub limit: u32,
    /// Calls left in this minute after this one.
    pub remaining: u32,
    /// Epoch second of the next allowed call (now, when allowed).
    pub retry_at: i64,
    /// Seconds until then.
    pub retry_after: i64,
}

/// The counters of every project's buckets in the current minutes.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(ProjectId, Bucket), (i64, u32)>>,
}

/// Windows kept before stale ones are dropped.
const PRUNE_AT: usize = 10_000;

impl RateLimiter {
    /// Counts one call of `project` in `bucket` at `now_ms` against `limit` per minute.
    pub fn check(&self, project: &ProjectId, bucket: Bucket, limit: u32, now_ms: i64) -> Decision {
        let minute = now_ms.div_euclid(60_000);
        let now_s = now_ms.div_euclid(1_000);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= PRUNE_AT {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let (window, used) = windows.entry((project.clone(), bucket)).or_insert((minute, 0));
        if *window != minute {
            (*window, *used) = (minute, 0);
        }
        if *used < limit {
            *used += 1;
            return Decision {
                allowed: true,
                limit,
                remaining: limit - *used,
                retry_at: now_s,
                retry_after: 0,
            };
        }
        let next = (minute + 1) * 60;
        Decision { allowed: false, limit, remaining: 0, retry_at: next, retry_after: next - now_s }
    }
}

fn header(value: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&value.to_string()).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The middleware, after authentication (it reads the [`Project`] the credentials chose).
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(project) = request.extensions().get::<Project>().map(|p| p.0.clone()) else {
        return next.run(request).await;
    };
    let bulk = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| ROUTES.iter().any(|r| r.bulk && r.path == path.as_str()));
    let (bucket, limit) = if bulk {
        (Bucket::Bulk, state.config.bulk_rate_limit_per_minute)
    } else {
        (Bucket::Api, state.config.rate_limit_per_minute)
    };
    if limit == 0 {
        return next.run(request).await;
    }
    let decision = state.rate_limiter.check(&project, bucket, limit, state.now().as_millis());
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        let body = json!({"code": 429, "message": "Too many requests hit the API too quickly."});
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(axum::http::header::RETRY_AFTER, header(decision.retry_after));
        headers.insert(HeaderName::from_static("x-rate-limit-type"), header(bucket.as_str()));
        response
    };
    let headers = response.headers_mut();
    headers.insert(HeaderName::from_static("x-rate-limit-limit"), header(decision.limit));
    headers.insert(HeaderName::from_static("x-rate-limit-remaining"), header(decision.remaining));
    headers.insert(HeaderName::from_static("x-rate-limit-retry"), header(decision.retry_at));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_limit_then_refuses_until_the_next_minute() {
        let limiter = RateLimiter::default();
        let p = ProjectId::from_string("proj_a");
        let base: i64 = 1_800_000_012_345;
        let start = base - base % 60_000 + 15_000;
        for left in [2, 1, 0] {
            let d = limiter.check(&p, Bucket::Api, 3, start);
            assert_eq!((d.allowed, d.remaining, d.retry_at), (true, left, start / 1000));
        }
        let refused = limiter.check(&p, Bucket::Api, 3, start + 1_000);
        assert!(!refused.allowed);
        assert_eq!((refused.retry_after, refused.retry_at), (44, (start - 15_000) / 1000 + 60));
        assert!(limiter.check(&p, Bucket::Bulk, 3, start).allowed, "buckets are apart");
        let other = ProjectId::from_string("proj_b");
        assert!(limiter.check(&other, Bucket::Api, 3, start).allowed, "projects are apart");
        let next = limiter.check(&p, Bucket::Api, 3, start + 45_000);
        assert_eq!((next.allowed, next.remaining), (true, 2), "a new minute, a new window");
    }
}
