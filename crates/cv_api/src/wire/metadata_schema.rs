//! Metadata-schema requests and responses (SPEC.md §4): parsing of create/update bodies and
//! the rendering of `metadata_schema` objects and their list. Pure functions; no routes.

use std::collections::BTreeMap;

use cv_domain::{
    Timestamp,
    metadata_schema::{MetadataResource, MetadataSchema, PropertyDefinition, PropertyType},
};
use cv_store::MetadataSchemaRecord;
use serde::Serialize;
use serde_json::{Map, Value};

use super::validate::{self, JsonPath};
use crate::ApiError;

/// A create or update body shaped like Voucherify's:
/// `{"related_object"?, "properties": {name: definition}, "allow_defined_only"?}`, for the
/// resource named in the path.
///
/// `related_object`, when given (and not `null`), must name `resource`. `properties` is
/// required (an empty object defines nothing); a definition is
/// `{"type"*, "array"?, "optional"? (default true), "eq"?, "min_length"?, "max_length"?}`,
/// where `eq` values must have the property's type and the lengths apply only to strings.
/// Other members (`id`, `object`, `created_at`, a definition's `object_type`, `deleted`…) are
/// ignored, so a fetched schema can be sent back as is.
pub fn parse_schema(body: &Value, resource: MetadataResource) -> Result<MetadataSchema, ApiError> {
    let root = JsonPath::root();
    let obj = validate::object(body, &root)?;

    let related_at = root.key("related_object");
    match obj.get("related_object") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.parse::<MetadataResource>() == Ok(resource) => {}
        Some(_) => return Err(related_at.should_be(resource.as_str())),
    }

    let props_at = root.key("properties");
    let props = match obj.get("properties") {
        None | Some(Value::Null) => return Err(props_at.required()),
        Some(v) => validate::object(v, &props_at)?,
    };
    let mut properties = BTreeMap::new();
    for (name, value) in props {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(props_at.invalid(&format!(
                "has an invalid name {name:?}: metadata names must be non-empty and contain \
                 no whitespace"
            )));
        }
        properties.insert(name.clone(), definition(value, &props_at.key(name))?);
    }

    Ok(MetadataSchema {
        related_object: resource,
        properties,
        allow_defined_only: flag(obj, "allow_defined_only", &root, false)?,
    })
}

fn definition(value: &Value, at: &JsonPath) -> Result<PropertyDefinition, ApiError> {
    let obj = validate::object(value, at)?;
    let type_at = at.key("type");
    let kind = match obj.get("type") {
        None | Some(Value::Null) => return Err(type_at.required()),
        Some(Value::String(s)) => s.parse::<PropertyType>().ok(),
        Some(_) => None,
    }
    .ok_or_else(|| type_at.should_be(&format!("one of {}", type_names())))?;

    let mut def = PropertyDefinition::new(kind);
    def.array = flag(obj, "array", at, false)?;
    def.optional = flag(obj, "optional", at, true)?;

    let eq_at = at.key("eq");
    match obj.get("eq") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let allowed = validate::array(v, &eq_at)?;
            if kind == PropertyType::Object && !allowed.is_empty() {
                return Err(eq_at.invalid("is not supported for type object"));
            }
            if let Some(i) = allowed.iter().position(|a| !kind.accepts(a)) {
                return Err(eq_at.index(i).should_be(kind.as_str()));
            }
            def.eq = allowed.clone();
        }
    }

    def.min_length = length(obj, "min_length", at, kind)?;
    def.max_length = length(obj, "max_length", at, kind)?;
    if let (Some(min), Some(max)) = (def.min_length, def.max_length)
        && min > max
    {
        return Err(at
            .key("min_length")
            .invalid(&format!("should not be greater than max_length ({max})")));
    }
    Ok(def)
}

fn type_names() -> String {
    PropertyType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
}

/// An optional boolean member; absent or `null` gives `default`.
fn flag(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
    default: bool,
) -> Result<bool, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(at.key(name).should_be("boolean")),
    }
}

/// An optional non-negative integer length, allowed only on string properties.
fn length(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
    kind: PropertyType,
) -> Result<Option<u64>, ApiError> {
    let at = at.key(name);
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let n = v.as_u64().ok_or_else(|| at.should_be("non-negative integer"))?;
            if kind != PropertyType::String {
                return Err(at.invalid("is only supported for type string"));
            }
            Ok(Some(n))
        }
    }
}

/// Voucherify's `metadata_schema` object.
#[derive(Debug, Serialize)]
pub struct MetadataSchemaResponse {
    id: String,
    related_object: &'static str,
    properties: BTreeMap<String, PropertyResponse>,
    allow_defined_only: bool,
    created_at: String,
    updated_at: Option<String>,
    object: &'static str,
}

/// One definition as Voucherify shows it.
#[derive(Debug, Serialize)]
struct PropertyResponse {
    #[serde(rename = "type")]
    kind: &'static str,
    array: bool,
    optional: bool,
    object_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    eq: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<u64>,
}

impl From<&PropertyDefinition> for PropertyResponse {
    fn from(d: &PropertyDefinition) -> Self {
        Self {
            kind: d.kind.as_str(),
            array: d.array,
            optional: d.optional,
            object_type: None,
            eq: d.eq.clone(),
            min_length: d.min_length,
            max_length: d.max_length,
        }
    }
}

impl From<&MetadataSchemaRecord> for MetadataSchemaResponse {
    fn from(r: &MetadataSchemaRecord) -> Self {
        Self::new(&r.id, &r.schema, r.created_at, r.updated_at)
    }
}

impl MetadataSchemaResponse {
    /// The response for the stored schema `id` (`ms_…`).
    pub fn new(
        id: &str,
        schema: &MetadataSchema,
        created_at: Timestamp,
        updated_at: Option<Timestamp>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            related_object: schema.related_object.as_str(),
            properties: schema
                .properties
                .iter()
                .map(|(name, d)| (name.clone(), PropertyResponse::from(d)))
                .collect(),
            allow_defined_only: schema.allow_defined_only,
            created_at: created_at.to_string(),
            updated_at: updated_at.map(|t| t.to_string()),
            object: "metadata_schema",
        }
    }
}

/// `GET /v1/metadata-schemas`: `{object: "list", data_ref: "schemas", schemas, total}`.
#[derive(Debug, Serialize)]
pub struct MetadataSchemaList {
    object: &'static str,
    data_ref: &'static str,
    schemas: Vec<MetadataSchemaResponse>,
    total: u64,
}

impl MetadataSchemaList {
    /// The list of every schema given.
    pub fn new(schemas: Vec<MetadataSchemaResponse>) -> Self {
        Self { object: "list", data_ref: "schemas", total: schemas.len() as u64, schemas }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn invalid(body: Value) -> String {
        match parse_schema(&body, MetadataResource::Customer) {
            Err(ApiError::InvalidPayload(details)) => details,
            other => panic!("expected invalid_payload for {body}, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_full_body() {
        let body = json!({
            "related_object": "customer",
            "properties": {
                "tier": {"type": "string", "array": false, "optional": true,
                         "eq": ["gold", "silver"], "object_type": null, "deleted": false},
                "codes": {"type": "string", "array": true, "optional": false,
                          "min_length": 2, "max_length": 8},
                "score": {"type": "number", "eq": [1, 2.5]},
                "born": {"type": "date", "eq": ["2000-01-01"]},
                "seen": {"type": "datetime", "optional": null},
                "vip": {"type": "boolean"},
                "extra": {"type": "object", "eq": []}
            },
            "allow_defined_only": true,
            "id": "ms_ignored",
            "object": "metadata_schema"
        });
        let s = parse_schema(&body, MetadataResource::Customer).expect("valid body");
        assert_eq!(s.related_object, MetadataResource::Customer);
        assert!(s.allow_defined_only);
        assert_eq!(s.properties.len(), 7);
        assert_eq!(
            s.properties["tier"],
            PropertyDefinition {
                eq: vec![json!("gold"), json!("silver")],
                ..PropertyDefinition::new(PropertyType::String)
            }
        );
        assert_eq!(
            s.properties["codes"],
            PropertyDefinition {
                array: true,
                optional: false,
                min_length: Some(2),
                max_length: Some(8),
                ..PropertyDefinition::new(PropertyType::String)
            }
        );
        assert_eq!(s.properties["seen"], PropertyDefinition::new(PropertyType::Datetime));
        assert_eq!(s.properties["extra"], PropertyDefinition::new(PropertyType::Object));
    }

    #[test]
    fn parses_a_minimal_body_with_defaults() {
        let s = parse_schema(&json!({"properties": {}}), MetadataResource::Voucher)
            .expect("valid body");
        assert_eq!(s, MetadataSchema::new(MetadataResource::Voucher));
        let s = parse_schema(
            &json!({"related_object": "vouchers", "properties": {"a": {"type": "number"}},
                    "allow_defined_only": null}),
            MetadataResource::Voucher,
        )
        .expect("plural related_object");
        assert_eq!(s.properties["a"], PropertyDefinition::new(PropertyType::Number));
        assert!(!s.allow_defined_only);
    }

    #[test]
    fn rejects_bad_roots_and_related_objects() {
        assert_eq!(invalid(json!(null)), "Payload should be object");
        assert_eq!(invalid(json!([])), "Payload should be object");
        assert_eq!(invalid(json!({})), "Property .properties is required");
        assert_eq!(invalid(json!({"properties": []})), "Property .properties should be object");
        assert_eq!(
            invalid(json!({"related_object": "product", "properties": {}})),
            "Property .related_object should be customer"
        );
        assert_eq!(
            invalid(json!({"related_object": 1, "properties": {}})),
            "Property .related_object should be customer"
        );
        assert_eq!(
            invalid(json!({"properties": {}, "allow_defined_only": "yes"})),
            "Property .allow_defined_only should be boolean"
        );
    }

    #[test]
    fn rejects_bad_names() {
        for name in ["", "my key", "tab\tkey", " lead"] {
            assert_eq!(
                invalid(json!({"properties": {name: {"type": "string"}}})),
                format!(
                    "Property .properties has an invalid name {name:?}: metadata names must \
                     be non-empty and contain no whitespace"
                )
            );
        }
    }

    #[test]
    fn rejects_bad_definitions() {
        let cases = [
            (json!("string"), "Property .properties.tier should be object"),
            (json!({}), "Property .properties.tier.type is required"),
            (
                json!({"type": "geopoint"}),
                "Property .properties.tier.type should be one of \
                 string,number,boolean,date,datetime,object",
            ),
            (
                json!({"type": 5}),
                "Property .properties.tier.type should be one of \
                 string,number,boolean,date,datetime,object",
            ),
            (
                json!({"type": "string", "array": "no"}),
                "Property .properties.tier.array should be boolean",
            ),
            (
                json!({"type": "string", "optional": 0}),
                "Property .properties.tier.optional should be boolean",
            ),
            (
                json!({"type": "string", "eq": "gold"}),
                "Property .properties.tier.eq should be array",
            ),
            (
                json!({"type": "string", "eq": ["gold", 1]}),
                "Property .properties.tier.eq[1] should be string",
            ),
            (
                json!({"type": "number", "eq": ["1"]}),
                "Property .properties.tier.eq[0] should be number",
            ),
            (
                json!({"type": "date", "eq": ["2024-02-30"]}),
                "Property .properties.tier.eq[0] should be date",
            ),
            (
                json!({"type": "object", "eq": [{}]}),
                "Property .properties.tier.eq is not supported for type object",
            ),
            (
                json!({"type": "string", "min_length": -1}),
                "Property .properties.tier.min_length should be non-negative integer",
            ),
            (
                json!({"type": "string", "max_length": 2.5}),
                "Property .properties.tier.max_length should be non-negative integer",
            ),
            (
                json!({"type": "number", "max_length": 3}),
                "Property .properties.tier.max_length is only supported for type string",
            ),
            (
                json!({"type": "string", "min_length": 4, "max_length": 3}),
                "Property .properties.tier.min_length should not be greater than max_length (3)",
            ),
        ];
        for (def, expected) in cases {
            assert_eq!(invalid(json!({"properties": {"tier": def.clone()}})), expected, "{def}");
        }
    }

    fn sample() -> MetadataSchema {
        let mut s = MetadataSchema::new(MetadataResource::Customer);
        s.properties.insert(
            "tier".into(),
            PropertyDefinition {
                eq: vec![json!("gold"), json!("silver")],
                ..PropertyDefinition::new(PropertyType::String)
            },
        );
        s.properties.insert(
            "codes".into(),
            PropertyDefinition {
                array: true,
                optional: false,
                min_length: Some(2),
                max_length: Some(8),
                ..PropertyDefinition::new(PropertyType::String)
            },
        );
        s
    }

    #[test]
    fn renders_a_schema_exactly() {
        let r = MetadataSchemaResponse::new(
            "ms_0c5543f00797b6113f",
            &sample(),
            Timestamp::from_millis(1_662_378_017_098),
            None,
        );
        let text = serde_json::to_string(&r).expect("serialises");
        assert_eq!(
            text,
            concat!(
                r#"{"id":"ms_0c5543f00797b6113f","related_object":"customer","properties":{"#,
                r#""codes":{"type":"string","array":true,"optional":false,"object_type":null,"#,
                r#""min_length":2,"max_length":8},"#,
                r#""tier":{"type":"string","array":false,"optional":true,"object_type":null,"#,
                r#""eq":["gold","silver"]}},"#,
                r#""allow_defined_only":false,"created_at":"2022-09-05T11:40:17.098Z","#,
                r#""updated_at":null,"object":"metadata_schema"}"#
            )
        );
    }

    #[test]
    fn renders_updated_at_and_the_list() {
        let mut schema = MetadataSchema::new(MetadataResource::Product);
        schema.allow_defined_only = true;
        let one = MetadataSchemaResponse::new(
            "ms_1",
            &schema,
            Timestamp::from_millis(0),
            Some(Timestamp::from_millis(1)),
        );
        let list = MetadataSchemaList::new(vec![one]);
        assert_eq!(
            serde_json::to_value(&list).expect("serialises"),
            json!({
                "object": "list",
                "data_ref": "schemas",
                "schemas": [{
                    "id": "ms_1",
                    "related_object": "product",
                    "properties": {},
                    "allow_defined_only": true,
                    "created_at": "1970-01-01T00:00:00.000Z",
                    "updated_at": "1970-01-01T00:00:00.001Z",
                    "object": "metadata_schema"
                }],
                "total": 1
            })
        );
        let empty = serde_json::to_string(&MetadataSchemaList::new(Vec::new())).expect("ok");
        assert_eq!(empty, r#"{"object":"list","data_ref":"schemas","schemas":[],"total":0}"#);
    }

    #[test]
    fn parsed_schema_renders_back_to_an_equal_schema() {
        let s = sample();
        let rendered = serde_json::to_value(MetadataSchemaResponse::new(
            "ms_1",
            &s,
            Timestamp::from_millis(0),
            None,
        ))
        .expect("serialises");
        assert_eq!(parse_schema(&rendered, MetadataResource::Customer).ok(), Some(s));
    }
}

/// The resource a create body names in `related_object` (required there).
pub fn related_object(body: &Value) -> Result<MetadataResource, ApiError> {
    let at = JsonPath::root().key("related_object");
    match body.get("related_object") {
        None | Some(Value::Null) => Err(at.required()),
        Some(Value::String(s)) => s.parse().map_err(|_| {
            let all: Vec<&str> = MetadataResource::ALL.iter().map(|r| r.as_str()).collect();
            at.should_be(&format!("one of {}", all.join(",")))
        }),
        Some(_) => Err(at.should_be("string")),
    }
}
