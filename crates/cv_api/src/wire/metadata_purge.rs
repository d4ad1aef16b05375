//! The body of `POST /v1/metadata-schemas/{resource}/purge` (Decision 10): `{"key": "…"}`,
//! a non-empty string naming the metadata key to remove, taken exactly as given (any
//! characters). Other properties are ignored, as every other body here ignores them.

use cv_domain::payload::MetadataKeyPurge;
use serde_json::Value;

use super::validate::{self, JsonPath};
use crate::ApiError;

/// The purge a body asks for, or the `invalid_payload` error that names what is wrong.
pub fn purge(body: &Value) -> Result<MetadataKeyPurge, ApiError> {
    let root = JsonPath::root();
    if body.is_null() {
        return Err(root.key("key").required());
    }
    let obj = validate::object(body, &root)?;
    Ok(MetadataKeyPurge { key: validate::required_string(obj, "key", &root)? })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn details(body: Value) -> String {
        match purge(&body) {
            Err(ApiError::InvalidPayload(details)) => details,
            other => panic!("expected invalid_payload, got {other:?}"),
        }
    }

    #[test]
    fn a_key_is_taken_exactly_as_given() {
        for key in ["tier", "a\"b", "a.b", "$x", " ", "ключ"] {
            let purge = purge(&json!({"key": key, "extra": 1})).expect("valid");
            assert_eq!(purge.key, key);
        }
    }

    #[test]
    fn malformed_bodies_name_the_problem() {
        assert_eq!(details(Value::Null), "Property .key is required");
        assert_eq!(details(json!({})), "Property .key is required");
        assert_eq!(details(json!({"key": null})), "Property .key is required");
        assert_eq!(details(json!({"key": ""})), "Property .key must not be empty");
        assert_eq!(details(json!({"key": 7})), "Property .key should be string");
        assert_eq!(details(json!({"key": ["a"]})), "Property .key should be string");
        assert_eq!(details(json!(["key"])), "Payload should be object");
        assert_eq!(details(json!("key")), "Payload should be object");
    }
}
