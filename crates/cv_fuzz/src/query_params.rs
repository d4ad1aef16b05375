//! Target `query_params`: the query string of `GET /v1/async-actions` (`limit`, `end_date`,
//! Conveyor's `status` and `type`) and of the long-poll `GET /v1/async-actions/{id}` (`wait`,
//! `since_status`, `since_progress`, `since_updated_at`), decoded by the same extractor the
//! routes use.
//!
//! Input: the query string (what follows `?`).

use axum::{
    extract::FromRequestParts,
    http::{Request, Uri},
};
use cv_api::{ActionListQuery, ApiError, LongPoll, QueryMap};
use cv_domain::{ActionKind, ActionStatus, Timestamp};
use futures_util::FutureExt;

use crate::shape::{assert_voucherify_error, details};

/// Checks the list and long-poll parameters of the query string `data`.
pub fn check(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else { return };
    // A request line that is no URI never reaches a handler.
    let Ok(uri) = Uri::try_from(format!("/v1/async-actions?{query}")) else { return };
    let Ok(request) = Request::builder().uri(uri).body(()) else { return };
    let (mut parts, ()) = request.into_parts();
    let extracted = QueryMap::from_request_parts(&mut parts, &())
        .now_or_never()
        .expect("the query extractor does not wait");
    let map = match extracted {
        Ok(map) => map,
        Err(err) => return assert_voucherify_error(&err, 400, &["invalid_query_params"]),
    };
    let lenient = QueryMap::lenient(parts.uri.query());
    assert_eq!(map.0, lenient.0, "{query:?}: the two decodings differ");
    check_list(&map);
    check_long_poll(&map);
}

/// What one parameter must be: valid or, if not, the property its error names.
struct Expect<'a> {
    name: &'a str,
    valid: bool,
}

/// The first invalid parameter in the order the handler checks them must be the one the
/// error names; with none, the parsed values are the parameters'.
fn verdict<T>(result: &Result<T, ApiError>, expected: &[Expect<'_>]) {
    match (result, expected.iter().find(|e| !e.valid)) {
        (Ok(_), None) => {}
        (Err(err), Some(first)) => {
            assert_voucherify_error(err, 400, &["invalid_query_params"]);
            let details = details(err);
            assert!(
                details.starts_with(&format!("Property .{} ", first.name)),
                "expected an error about {}, got {details:?}",
                first.name
            );
        }
        (Ok(_), Some(first)) => panic!("{} is invalid but was accepted", first.name),
        (Err(err), None) => panic!("every parameter is valid but the query was refused: {err:?}"),
    }
}

/// An integer parameter within `min..=max` (absent: `default`).
fn int(map: &QueryMap, name: &str, min: i64, max: i64, default: i64) -> Option<i64> {
    match map.0.get(name) {
        None => Some(default),
        Some(raw) => raw.trim().parse().ok().filter(|v| (min..=max).contains(v)),
    }
}

/// A date parameter (absent: `Some(None)`; unparseable: `None`).
fn date(map: &QueryMap, name: &str) -> Option<Option<Timestamp>> {
    match map.0.get(name) {
        None => Some(None),
        Some(raw) => Timestamp::parse(raw).ok().map(Some),
    }
}

/// A status parameter, written exactly as the API writes statuses.
fn status(map: &QueryMap, name: &str) -> Option<Option<ActionStatus>> {
    match map.0.get(name) {
        None => Some(None),
        Some(raw) => ["ENQUEUED", "IN_PROGRESS", "DONE", "FAILED"]
            .contains(&raw.as_str())
            .then(|| raw.parse().ok())
            .flatten()
            .map(Some),
    }
}

fn check_list(map: &QueryMap) {
    let limit = int(map, "limit", 1, 100, 10);
    let end_date = date(map, "end_date");
    let status = status(map, "status");
    let kind = match map.0.get("type") {
        None => Some(None),
        Some(raw) => ActionKind::ALL.iter().find(|k| k.as_str() == raw).map(|k| Some(*k)),
    };
    let result = ActionListQuery::parse(map);
    verdict(
        &result,
        &[
            Expect { name: "limit", valid: limit.is_some() },
            Expect { name: "end_date", valid: end_date.is_some() },
            Expect { name: "status", valid: status.is_some() },
            Expect { name: "type", valid: kind.is_some() },
        ],
    );
    if let Ok(list) = result {
        assert_eq!(Some(i64::from(list.limit)), limit);
        assert_eq!(Some(list.end_date), end_date);
        assert_eq!(Some(list.filter.status), status);
        assert_eq!(Some(list.filter.kind), kind);
    }
}

fn check_long_poll(map: &QueryMap) {
    let result = LongPoll::from_query(map);
    if !map.0.contains_key("wait") {
        assert!(matches!(result, Ok(None)), "no wait, but {result:?}");
        return;
    }
    let wait = int(map, "wait", 0, 30, 0);
    let progress = int(map, "since_progress", 0, 100, 0);
    let since_status = status(map, "since_status");
    let updated_at = date(map, "since_updated_at");
    verdict(
        &result,
        &[
            Expect { name: "wait", valid: wait.is_some() },
            Expect { name: "since_progress", valid: progress.is_some() },
            Expect { name: "since_status", valid: since_status.is_some() },
            Expect { name: "since_updated_at", valid: updated_at.is_some() },
        ],
    );
    if let Ok(poll) = result {
        let poll = poll.expect("wait is given");
        assert_eq!(wait, i64::try_from(poll.wait.as_secs()).ok());
        let given_progress = map.0.contains_key("since_progress").then_some(progress).flatten();
        assert_eq!(poll.seen.progress.map(i64::from), given_progress);
        assert_eq!(Some(poll.seen.status), since_status);
        assert_eq!(Some(poll.seen.updated_at), updated_at);
    }
}
