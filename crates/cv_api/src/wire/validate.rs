//! Path-aware checks over a parsed JSON body. Each error names the property the way
//! Voucherify does: `Property .[2].source_id is required`, `Property .email should be string`.

use cv_domain::customer::Field;
use serde_json::{Map, Number, Value};

use crate::ApiError;

/// Where a value sits in the body: `""` for the root, `[2]`, `[2].address`, `metadata`…
#[derive(Debug, Clone, Default)]
pub struct JsonPath(String);

impl JsonPath {
    /// The body itself.
    pub fn root() -> Self {
        Self::default()
    }

    /// The array element `index` under this path.
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }

    /// The property `name` under this path.
    pub fn key(&self, name: &str) -> Self {
        if self.0.is_empty() { Self(name.to_owned()) } else { Self(format!("{}.{name}", self.0)) }
    }

    fn subject(&self) -> String {
        if self.0.is_empty() { "Payload".to_owned() } else { format!("Property .{}", self.0) }
    }

    /// `invalid_payload` with "<subject> should be <expected>".
    pub fn should_be(&self, expected: &str) -> ApiError {
        ApiError::InvalidPayload(format!("{} should be {expected}", self.subject()))
    }

    /// `invalid_payload` with "<subject> is required".
    pub fn required(&self) -> ApiError {
        ApiError::InvalidPayload(format!("{} is required", self.subject()))
    }

    /// `invalid_payload` with a custom problem.
    pub fn invalid(&self, problem: &str) -> ApiError {
        ApiError::InvalidPayload(format!("{} {problem}", self.subject()))
    }
}

/// A JSON number as an integer: an integer, or a number with no fractional part (`1.0`,
/// which JSON Schema counts as an integer too) within `i64`.
pub fn integer(n: &Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        // `i64::MAX as f64` is 2^63, one past the largest i64.
        (f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64).then_some(f as i64)
    })
}

/// A JSON number as a non-negative integer, as [`integer`] reads it.
pub fn unsigned(n: &Number) -> Option<u64> {
    n.as_u64().or_else(|| integer(n).and_then(|i| u64::try_from(i).ok()))
}

/// The value as an object.
pub fn object<'a>(value: &'a Value, at: &JsonPath) -> Result<&'a Map<String, Value>, ApiError> {
    value.as_object().ok_or_else(|| at.should_be("object"))
}

/// The value as an array.
pub fn array<'a>(value: &'a Value, at: &JsonPath) -> Result<&'a Vec<Value>, ApiError> {
    value.as_array().ok_or_else(|| at.should_be("array"))
}

/// An optional string property: absent → keep, `null` → clear, a string → set.
pub fn string_field(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Field<String>, ApiError> {
    match obj.get(name) {
        None => Ok(Field::Keep),
        Some(Value::Null) => Ok(Field::Clear),
        Some(Value::String(s)) => Ok(Field::Set(s.clone())),
        Some(_) => Err(at.key(name).should_be("string")),
    }
}

/// A required, non-empty string property.
pub fn required_string(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<String, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Err(at.key(name).required()),
        Some(Value::String(s)) if s.is_empty() => Err(at.key(name).invalid("must not be empty")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(at.key(name).should_be("string")),
    }
}

/// An optional object property (`null` counts as absent).
pub fn object_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(at.key(name).should_be("object")),
    }
}

/// A `*.METADATA_UPDATE` body: `{<ids>*: [non-empty string], metadata*: object}`, where
/// `ids` is the name of the key list (`source_ids`, `codes`).
pub fn metadata_update(
    body: &Value,
    ids: &str,
) -> Result<(Vec<String>, Map<String, Value>), ApiError> {
    let root = JsonPath::root();
    let ids_at = root.key(ids);
    if body.is_null() {
        return Err(ids_at.required());
    }
    let obj = object(body, &root)?;
    let list = array(obj.get(ids).ok_or_else(|| ids_at.required())?, &ids_at)?;
    let keys = list
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::String(_) => Err(ids_at.index(i).invalid("must not be empty")),
            _ => Err(ids_at.index(i).should_be("string")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata =
        object_field(obj, "metadata", &root)?.ok_or_else(|| root.key("metadata").required())?;
    Ok((keys, metadata.clone()))
}

/// A bulk body: an array whose elements `item` parses at their own path (`[2]`…). An empty
/// body is an empty array (the SDKs may send none).
pub fn items<T>(
    body: &Value,
    item: impl Fn(&Value, &JsonPath) -> Result<T, ApiError>,
) -> Result<Vec<T>, ApiError> {
    if body.is_null() {
        return Ok(Vec::new());
    }
    let root = JsonPath::root();
    array(body, &root)?.iter().enumerate().map(|(i, v)| item(v, &root.index(i))).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn number(value: Value) -> Number {
        match value {
            Value::Number(n) => n,
            other => panic!("not a number: {other}"),
        }
    }

    #[test]
    fn whole_numbers_are_integers_however_written() {
        for (value, expected) in [
            (json!(7), Some(7)),
            (json!(-7), Some(-7)),
            (json!(7.0), Some(7)),
            (json!(-0.0), Some(0)),
            (json!(1e3), Some(1000)),
            (json!(7.5), None),
            (json!(1e300), None),
            (json!(u64::MAX), None),
        ] {
            assert_eq!(integer(&number(value.clone())), expected, "{value}");
        }
        assert_eq!(unsigned(&number(json!(3.0))), Some(3));
        assert_eq!(unsigned(&number(json!(u64::MAX))), Some(u64::MAX));
        assert_eq!(unsigned(&number(json!(-1.0))), None);
        assert_eq!(unsigned(&number(json!(0.5))), None);
    }
}
