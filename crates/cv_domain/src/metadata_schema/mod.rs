//! Metadata schemas: per-resource definitions of metadata keys (SPEC.md §4, §5).
//!
//! A schema says, for one kind of resource, which metadata keys exist, what type each holds,
//! whether it is an array, whether it is required, and which values it may take. Imports use
//! it two ways:
//!
//! - **CSV cells** are text; [`MetadataSchema::coerce_csv`] turns them into typed metadata
//!   (numbers, booleans, dates, arrays split on commas). Unknown keys stay strings.
//! - **JSON bodies** are already typed; [`MetadataSchema::validate_json`] only checks them.
//!
//! Both report the first problem as Voucherify's per-row `reason`, e.g.
//! `tier: must be a number (actual value is 'gold')`. When a value is rejected, Voucherify
//! treats it as missing, so a *required* property also reports its type and
//! `property is required`, and a type mismatch also reports the allowed values: this
//! reproduces every example in SPEC.md, such as
//! `acquisition_channel: must be a string, property is required, must be equal to one of
//! Facebook,Twitter,Website (actual value is 'snap')`.
//!
//! Ids and timestamps of stored schemas belong to the store, not to this module.

use std::{collections::BTreeMap, fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::{ActionKind, Metadata, Timestamp};

/// The kinds of resource whose metadata a schema describes (Voucherify's `related_object`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataResource {
    /// `campaign`.
    Campaign,
    /// `customer`.
    Customer,
    /// `order`.
    Order,
    /// `product`.
    Product,
    /// `voucher`.
    Voucher,
}

impl MetadataResource {
    /// Every resource, in alphabetical order.
    pub const ALL: [MetadataResource; 5] = [
        MetadataResource::Campaign,
        MetadataResource::Customer,
        MetadataResource::Order,
        MetadataResource::Product,
        MetadataResource::Voucher,
    ];

    /// Voucherify's `related_object` text, e.g. `customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataResource::Campaign => "campaign",
            MetadataResource::Customer => "customer",
            MetadataResource::Order => "order",
            MetadataResource::Product => "product",
            MetadataResource::Voucher => "voucher",
        }
    }

    /// The plural path form, e.g. `customers` (also the noun of purge results).
    pub fn plural(self) -> &'static str {
        match self {
            MetadataResource::Campaign => "campaigns",
            MetadataResource::Customer => "customers",
            MetadataResource::Order => "orders",
            MetadataResource::Product => "products",
            MetadataResource::Voucher => "vouchers",
        }
    }
}

impl MetadataResource {
    /// The `*.METADATA_KEY_PURGE` action type that purges a key from this resource.
    pub fn purge_kind(self) -> ActionKind {
        match self {
            MetadataResource::Campaign => ActionKind::CampaignsMetadataKeyPurge,
            MetadataResource::Customer => ActionKind::CustomersMetadataKeyPurge,
            MetadataResource::Order => ActionKind::OrdersMetadataKeyPurge,
            MetadataResource::Product => ActionKind::ProductsMetadataKeyPurge,
            MetadataResource::Voucher => ActionKind::VouchersMetadataKeyPurge,
        }
    }

    /// The resource a `*.METADATA_KEY_PURGE` action type purges; `None` for other types.
    pub fn purged_by(kind: ActionKind) -> Option<MetadataResource> {
        MetadataResource::ALL.into_iter().find(|r| r.purge_kind() == kind)
    }
}

impl fmt::Display for MetadataResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no resource with metadata schemas.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metadata schema resource {0:?}")]
pub struct UnknownResource(pub String);

impl FromStr for MetadataResource {
    type Err = UnknownResource;

    /// Accepts the singular `related_object` text (`customer`) and the plural path form
    /// (`customers`), lowercase.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetadataResource::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.plural() == s)
            .ok_or_else(|| UnknownResource(s.to_owned()))
    }
}

/// The type of one metadata property, serialised lowercase (`"string"`, `"datetime"`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyType {
    /// Any text.
    String,
    /// A JSON number, integer or float.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A calendar date `YYYY-MM-DD`, stored as text.
    Date,
    /// An ISO 8601 date-time, stored as text.
    Datetime,
    /// A nested object (not expressible in CSV).
    Object,
}

impl PropertyType {
    /// Every type, in Voucherify's order.
    pub const ALL: [PropertyType; 6] = [
        PropertyType::String,
        PropertyType::Number,
        PropertyType::Boolean,
        PropertyType::Date,
        PropertyType::Datetime,
        PropertyType::Object,
    ];

    /// The wire name, e.g. `datetime`.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyType::String => "string",
            PropertyType::Number => "number",
            PropertyType::Boolean => "boolean",
            PropertyType::Date => "date",
            PropertyType::Datetime => "datetime",
            PropertyType::Object => "object",
        }
    }

    /// Whether one JSON value (not an array of them) has this type. Dates and date-times
    /// must be strings that parse; `null` never matches.
    pub fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (PropertyType::String, Value::String(_))
            | (PropertyType::Number, Value::Number(_))
            | (PropertyType::Boolean, Value::Bool(_))
            | (PropertyType::Object, Value::Object(_)) => true,
            (PropertyType::Date, Value::String(s)) => Timestamp::parse_date(s).is_some(),
            (PropertyType::Datetime, Value::String(s)) => Timestamp::parse(s).is_ok(),
            _ => false,
        }
    }

    fn singular_noun(self) -> &'static str {
        match self {
            PropertyType::String => "a string",
            PropertyType::Number => "a number",
            PropertyType::Boolean => "a boolean",
            PropertyType::Date => "a date",
            PropertyType::Datetime => "a datetime",
            PropertyType::Object => "an object",
        }
    }

    fn plural_noun(self) -> &'static str {
        match self {
            PropertyType::String => "strings",
            PropertyType::Number => "numbers",
            PropertyType::Boolean => "booleans",
            PropertyType::Date => "dates",
            PropertyType::Datetime => "datetimes",
            PropertyType::Object => "objects",
        }
    }
}

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no property type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metadata property type {0:?}")]
pub struct UnknownPropertyType(pub String);

impl FromStr for PropertyType {
    type Err = UnknownPropertyType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PropertyType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownPropertyType(s.to_owned()))
    }
}

fn yes() -> bool {
    true
}

/// The definition of one metadata key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyDefinition {
    /// The value type (of each element, for arrays).
    #[serde(rename = "type")]
    pub kind: PropertyType,
    /// Whether the value is an array of `kind`.
    #[serde(default)]
    pub array: bool,
    /// Whether the key may be absent. Defaults to `true`.
    #[serde(default = "yes")]
    pub optional: bool,
    /// The allowed values (of each element, for arrays); empty means any value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eq: Vec<Value>,
    /// The minimum length in characters, for strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// The maximum length in characters, for strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
}

impl PropertyDefinition {
    /// An optional, non-array property of type `kind` with no further constraints.
    pub fn new(kind: PropertyType) -> Self {
        Self {
            kind,
            array: false,
            optional: true,
            eq: Vec::new(),
            min_length: None,
            max_length: None,
        }
    }

    /// `must be a number` / `must be an array of numbers`.
    fn type_clause(&self) -> String {
        if self.array {
            format!("must be an array of {}", self.kind.plural_noun())
        } else {
            format!("must be {}", self.kind.singular_noun())
        }
    }

    /// Checks the constraints other than the type on one (already typed) scalar value.
    fn check_constraints(&self, value: &Value, faults: &mut Faults) {
        if !self.eq.is_empty() && !self.eq.iter().any(|allowed| self.same(allowed, value)) {
            faults.eq = true;
        }
        if self.kind == PropertyType::String
            && let Value::String(s) = value
        {
            let len = s.chars().count() as u64;
            if self.min_length.is_some_and(|min| len < min) {
                faults.min_length = true;
            }
            if self.max_length.is_some_and(|max| len > max) {
                faults.max_length = true;
            }
        }
    }

    /// Equality as the property's type sees it: numbers by value, date-times by instant.
    fn same(&self, allowed: &Value, value: &Value) -> bool {
        match (allowed, value) {
            (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
                (Some(a), Some(b)) => a == b,
                _ => a.as_f64() == b.as_f64(),
            },
            (Value::String(a), Value::String(b)) if self.kind == PropertyType::Datetime => {
                match (Timestamp::parse(a), Timestamp::parse(b)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => a == b,
                }
            }
            _ => allowed == value,
        }
    }

    /// The full check of a JSON value: array-ness, element types and constraints.
    /// `null` always passes.
    fn check_json(&self, value: &Value) -> Faults {
        let mut faults = Faults::default();
        match value {
            Value::Null => {}
            Value::Array(items) if self.array => {
                for item in items {
                    if self.kind.accepts(item) {
                        self.check_constraints(item, &mut faults);
                    } else {
                        faults.kind = true;
                    }
                }
            }
            _ if self.array => faults.kind = true,
            _ if self.kind.accepts(value) => self.check_constraints(value, &mut faults),
            _ => faults.kind = true,
        }
        faults
    }

    /// Turns a non-empty CSV cell into a value of this property's type.
    fn coerce_cell(&self, cell: &str) -> Result<Value, Faults> {
        let mut faults = Faults::default();
        let value = if self.array {
            let items: Vec<Value> = cell
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .filter_map(|item| self.coerce_scalar(item, &mut faults))
                .collect();
            Value::Array(items)
        } else {
            self.coerce_scalar(cell, &mut faults).unwrap_or(Value::Null)
        };
        if faults.any() { Err(faults) } else { Ok(value) }
    }

    fn coerce_scalar(&self, text: &str, faults: &mut Faults) -> Option<Value> {
        let trimmed = text.trim();
        let value = match self.kind {
            PropertyType::String => Some(Value::String(text.to_owned())),
            PropertyType::Number => parse_number(trimmed).map(Value::Number),
            PropertyType::Boolean => parse_boolean(trimmed),
            PropertyType::Date => {
                Timestamp::parse_date(trimmed).map(|_| Value::String(trimmed.to_owned()))
            }
            PropertyType::Datetime => {
                Timestamp::parse(trimmed).ok().map(|t| Value::String(t.to_string()))
            }
            PropertyType::Object => None,
        };
        match value {
            Some(v) => {
                if !v.is_null() {
                    self.check_constraints(&v, faults);
                }
                Some(v)
            }
            None => {
                faults.kind = true;
                None
            }
        }
    }

    /// Voucherify's reason for a rejected value of key `key`.
    fn reason(&self, key: &str, faults: &Faults, actual: &str) -> String {
        let mut parts = Vec::new();
        if faults.kind || !self.optional {
            parts.push(self.type_clause());
        }
        if !self.optional {
            parts.push("property is required".to_owned());
        }
        if !self.eq.is_empty() && (faults.kind || faults.eq) {
            parts.push(format!("must be equal to one of {}", render_list(&self.eq)));
        }
        if faults.min_length
            && let Some(min) = self.min_length
        {
            parts.push(format!("must have at least {min} characters"));
        }
        if faults.max_length
            && let Some(max) = self.max_length
        {
            parts.push(format!("must have at most {max} characters"));
        }
        format!("{key}: {} (actual value is '{actual}')", parts.join(", "))
    }
}

/// What a value did wrong against its definition.
#[derive(Debug, Default)]
struct Faults {
    kind: bool,
    eq: bool,
    min_length: bool,
    max_length: bool,
}

impl Faults {
    fn any(&self) -> bool {
        self.kind || self.eq || self.min_length || self.max_length
    }
}

/// The metadata schema of one kind of resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetadataSchema {
    /// The resource whose metadata this schema describes.
    pub related_object: MetadataResource,
    /// The defined keys.
    #[serde(default)]
    pub properties: BTreeMap<String, PropertyDefinition>,
    /// Whether keys outside `properties` are rejected (otherwise they are stored as given).
    #[serde(default)]
    pub allow_defined_only: bool,
}

impl MetadataSchema {
    /// A schema for `related_object` with no definitions, accepting any key.
    pub fn new(related_object: MetadataResource) -> Self {
        Self { related_object, properties: BTreeMap::new(), allow_defined_only: false }
    }

    /// Types the metadata cells of one CSV row: `raw` holds (header name, cell text) pairs in
    /// header order.
    ///
    /// An empty (or all-blank) cell leaves its key out. A defined key is parsed by its type:
    /// numbers become JSON integers when integral, else floats; booleans are `true`/`false`/
    /// `null` in any case; dates must be `YYYY-MM-DD` and are kept as given; date-times are
    /// normalised to `YYYY-MM-DDTHH:MM:SS.mmmZ`; strings are kept as is; objects are refused.
    /// Arrays are split on commas, each element trimmed and parsed (blank elements dropped).
    /// An undefined key is stored as a string, unless `allow_defined_only`. Finally every
    /// required property must have a non-null value.
    ///
    /// The error is Voucherify's `reason` for the first failing key in header order, then for
    /// the first missing required key by name.
    pub fn coerce_csv(&self, raw: &[(String, String)]) -> Result<Metadata, String> {
        let mut metadata = Metadata::new();
        for (key, cell) in raw {
            if cell.trim().is_empty() {
                continue;
            }
            let value = match self.properties.get(key) {
                Some(def) if def.kind == PropertyType::Object => {
                    return Err(format!("{key}: nested metadata is not supported in CSV"));
                }
                Some(def) => {
                    def.coerce_cell(cell).map_err(|faults| def.reason(key, &faults, cell))?
                }
                None if self.allow_defined_only => return Err(not_defined(key)),
                None => Value::String(cell.clone()),
            };
            metadata.insert(key.clone(), value);
        }
        self.check_required(&metadata)?;
        Ok(metadata)
    }

    /// Checks already-typed metadata from a JSON body (bulk and metadata updates).
    ///
    /// Each given key must match its definition: array-ness, element type (integers and
    /// floats are both numbers; dates and date-times must be strings that parse), `eq` and
    /// lengths. `null` is always accepted (it clears the key). Undefined keys fail when
    /// `allow_defined_only`. With `require_all` (a full replacement rather than a merge),
    /// every required property must also be present and non-null.
    ///
    /// The error is Voucherify's `reason` for the first failing key in the map's order.
    pub fn validate_json(&self, metadata: &Metadata, require_all: bool) -> Result<(), String> {
        for (key, value) in metadata {
            match self.properties.get(key) {
                Some(def) => {
                    let faults = def.check_json(value);
                    if faults.any() {
                        return Err(def.reason(key, &faults, &render(value)));
                    }
                }
                None if self.allow_defined_only => return Err(not_defined(key)),
                None => {}
            }
        }
        if require_all {
            self.check_required(metadata)?;
        }
        Ok(())
    }

    fn check_required(&self, metadata: &Metadata) -> Result<(), String> {
        for (key, def) in &self.properties {
            if !def.optional && metadata.get(key).is_none_or(Value::is_null) {
                return Err(format!("{key}: property is required"));
            }
        }
        Ok(())
    }
}

fn not_defined(key: &str) -> String {
    format!("{key}: is not defined in the metadata schema")
}

/// A value as Voucherify quotes it: strings bare, anything else as compact JSON.
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn render_list(values: &[Value]) -> String {
    values.iter().map(render).collect::<Vec<_>>().join(",")
}

/// Integers (including integral floats up to 2^53) become JSON integers; other finite
/// numbers become floats.
fn parse_number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(u.into());
    }
    let f: f64 = text.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() <= EXACT {
        return Some((f as i64).into());
    }
    Number::from_f64(f)
}

fn parse_boolean(text: &str) -> Option<Value> {
    if text.eq_ignore_ascii_case("true") {
        Some(Value::Bool(true))
    } else if text.eq_ignore_ascii_case("false") {
        Some(Value::Bool(false))
    } else if text.eq_ignore_ascii_case("null") {
        Some(Value::Null)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
