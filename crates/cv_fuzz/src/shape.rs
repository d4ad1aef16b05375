//! What every refused input must answer: Voucherify's error object.

use cv_api::ApiError;
use serde_json::Value;

/// Checks that `err` answers `status` with Voucherify's error object: `code` (the status),
/// `key` (one of `keys`), a non-empty `message`, a non-empty `details` when present, and a
/// `request_id` of `v-` and 18 hex digits, nothing else.
pub(crate) fn assert_voucherify_error(err: &ApiError, status: u16, keys: &[&str]) {
    let (code, body) = err.status_and_body();
    assert_eq!(code.as_u16(), status, "{err:?}");
    let Value::Object(body) = body else { panic!("{err:?}: the body is not an object") };
    assert_eq!(body.get("code"), Some(&Value::from(status)), "{err:?}");
    let key = body.get("key").and_then(Value::as_str).unwrap_or_default();
    assert!(keys.contains(&key), "{err:?}: key {key:?} is none of {keys:?}");
    let message = body.get("message").and_then(Value::as_str).unwrap_or_default();
    assert!(!message.is_empty(), "{err:?}: no message");
    if let Some(details) = body.get("details") {
        let details = details.as_str().unwrap_or_default();
        assert!(!details.is_empty(), "{err:?}: details empty or not a string");
    }
    let request_id = body.get("request_id").and_then(Value::as_str).unwrap_or_default();
    let hex = request_id.strip_prefix("v-").unwrap_or_default();
    assert!(
        hex.len() == 18 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{err:?}: request_id {request_id:?}"
    );
    let known = ["code", "key", "message", "details", "request_id"];
    assert!(body.keys().all(|k| known.contains(&k.as_str())), "{err:?}: {body:?}");
}

/// The `details` of `err` (empty without).
pub(crate) fn details(err: &ApiError) -> String {
    let (_, body) = err.status_and_body();
    body.get("details").and_then(Value::as_str).unwrap_or_default().to_owned()
}
