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
use utoipa::ToSchema;

use super::{
    schema,
    validate::{self, JsonPath},
};
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
            let n = v
                .as_number()
                .and_then(validate::unsigned)
                .ok_or_else(|| at.should_be("non-negative integer"))?;
            if kind != PropertyType::String {
                return Err(at.invalid("is only supported for type string"));
            }
            Ok(Some(n))
        }
    }
}

/// Voucherify's `metadata_schema` object.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetadataSchemaResponse {
    id: String,
    #[schema(value_type = schema::MetadataResourceName)]
    related_object: &'static str,
    properties: BTreeMap<String, PropertyResponse>,
    allow_defined_only: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(schema_with = schema::metadata_schema)]
    object: &'static str,
}

/// One definition as Voucherify shows it.
#[derive(Debug, Serialize, ToSchema)]
struct PropertyResponse {
    #[serde(rename = "type")]
    #[schema(value_type = schema::PropertyTypeName)]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct MetadataSchemaList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::schemas)]
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
mod tests;

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
