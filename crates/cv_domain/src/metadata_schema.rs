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

use crate::{Metadata, Timestamp};

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
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn def(kind: PropertyType) -> PropertyDefinition {
        PropertyDefinition::new(kind)
    }

    fn schema(props: Vec<(&str, PropertyDefinition)>) -> MetadataSchema {
        MetadataSchema {
            related_object: MetadataResource::Customer,
            properties: props.into_iter().map(|(k, d)| (k.to_owned(), d)).collect(),
            allow_defined_only: false,
        }
    }

    fn row(cells: &[(&str, &str)]) -> Vec<(String, String)> {
        cells.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn meta(v: Value) -> Metadata {
        v.as_object().cloned().unwrap_or_default()
    }

    fn one(d: PropertyDefinition, cell: &str) -> Result<Metadata, String> {
        schema(vec![("k", d)]).coerce_csv(&row(&[("k", cell)]))
    }

    #[test]
    fn resource_text_and_parsing() {
        for r in MetadataResource::ALL {
            assert_eq!(r.as_str().parse::<MetadataResource>(), Ok(r));
            assert_eq!(r.plural().parse::<MetadataResource>(), Ok(r));
            assert_eq!(serde_json::to_value(r).ok(), Some(Value::String(r.as_str().into())));
            assert_eq!(r.to_string(), r.as_str());
        }
        assert_eq!("orders".parse::<MetadataResource>(), Ok(MetadataResource::Order));
        assert_eq!("sku".parse::<MetadataResource>(), Err(UnknownResource("sku".into())));
        assert!("Customer".parse::<MetadataResource>().is_err());
    }

    #[test]
    fn property_type_text_and_serde() {
        for t in PropertyType::ALL {
            assert_eq!(t.as_str().parse::<PropertyType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).ok(), Some(Value::String(t.as_str().into())));
        }
        assert!("geopoint".parse::<PropertyType>().is_err());
    }

    #[test]
    fn definition_serde_defaults_and_names() {
        let d: PropertyDefinition =
            serde_json::from_value(json!({"type": "string"})).expect("minimal definition");
        assert_eq!(d, def(PropertyType::String));
        assert_eq!(
            serde_json::to_value(&d).ok(),
            Some(json!({"type": "string", "array": false, "optional": true}))
        );
        let s = MetadataSchema {
            allow_defined_only: true,
            ..schema(vec![("tier", def(PropertyType::Number))])
        };
        let back: MetadataSchema =
            serde_json::from_value(serde_json::to_value(&s).expect("serialises"))
                .expect("round-trips");
        assert_eq!(back, s);
    }

    #[test]
    fn csv_strings_are_kept_as_is() {
        assert_eq!(one(def(PropertyType::String), " gold "), Ok(meta(json!({"k": " gold "}))));
        assert_eq!(one(def(PropertyType::String), "123"), Ok(meta(json!({"k": "123"}))));
    }

    #[test]
    fn csv_numbers() {
        let n = |cell: &str| one(def(PropertyType::Number), cell);
        assert_eq!(n("42"), Ok(meta(json!({"k": 42}))));
        assert_eq!(n(" -7 "), Ok(meta(json!({"k": -7}))));
        assert_eq!(n("2.5"), Ok(meta(json!({"k": 2.5}))));
        assert_eq!(n("3.0"), Ok(meta(json!({"k": 3}))));
        assert_eq!(n("1e3"), Ok(meta(json!({"k": 1000}))));
        assert_eq!(n("18446744073709551615"), Ok(meta(json!({"k": u64::MAX}))));
        assert!(n("42").expect("int")["k"].is_i64());
        assert!(n("2.5").expect("float")["k"].is_f64());
        assert_eq!(n("gold"), Err("k: must be a number (actual value is 'gold')".into()));
        for bad in ["NaN", "inf", "-infinity", "1e400", "0x10", "1,5", "12abc"] {
            assert!(n(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn csv_booleans() {
        let b = |cell: &str| one(def(PropertyType::Boolean), cell);
        assert_eq!(b("true"), Ok(meta(json!({"k": true}))));
        assert_eq!(b("FALSE"), Ok(meta(json!({"k": false}))));
        assert_eq!(b("True"), Ok(meta(json!({"k": true}))));
        assert_eq!(b("null"), Ok(meta(json!({"k": null}))));
        assert_eq!(b("yes"), Err("k: must be a boolean (actual value is 'yes')".into()));
        assert!(b("1").is_err());
    }

    #[test]
    fn csv_dates_are_kept_as_given() {
        let d = |cell: &str| one(def(PropertyType::Date), cell);
        assert_eq!(d("2024-02-29"), Ok(meta(json!({"k": "2024-02-29"}))));
        assert_eq!(d("2023-02-29"), Err("k: must be a date (actual value is '2023-02-29')".into()));
        assert!(d("2024-01-01T00:00:00Z").is_err());
        assert!(d("01/02/2024").is_err());
    }

    #[test]
    fn csv_datetimes_are_normalised() {
        let d = |cell: &str| one(def(PropertyType::Datetime), cell);
        assert_eq!(
            d("2024-01-01T01:00:00+01:00"),
            Ok(meta(json!({"k": "2024-01-01T00:00:00.000Z"})))
        );
        assert_eq!(d("2024-01-01"), Ok(meta(json!({"k": "2024-01-01T00:00:00.000Z"}))));
        assert_eq!(d("tomorrow"), Err("k: must be a datetime (actual value is 'tomorrow')".into()));
    }

    #[test]
    fn csv_objects_are_refused() {
        assert_eq!(
            one(def(PropertyType::Object), "{\"a\":1}"),
            Err("k: nested metadata is not supported in CSV".into())
        );
        // …unless the cell is empty.
        assert_eq!(one(def(PropertyType::Object), ""), Ok(Metadata::new()));
    }

    #[test]
    fn csv_arrays_split_on_commas() {
        let arr = |kind| PropertyDefinition { array: true, ..def(kind) };
        assert_eq!(
            one(arr(PropertyType::String), "a, b ,c"),
            Ok(meta(json!({"k": ["a", "b", "c"]})))
        );
        assert_eq!(
            one(arr(PropertyType::Number), "1, 2.5,,3"),
            Ok(meta(json!({"k": [1, 2.5, 3]})))
        );
        assert_eq!(
            one(arr(PropertyType::Boolean), "true,FALSE"),
            Ok(meta(json!({"k": [true, false]})))
        );
        assert_eq!(
            one(arr(PropertyType::Number), "1,two"),
            Err("k: must be an array of numbers (actual value is '1,two')".into())
        );
        assert_eq!(one(arr(PropertyType::String), ","), Ok(meta(json!({"k": []}))));
        let tags =
            PropertyDefinition { eq: vec![json!("a"), json!("b")], ..arr(PropertyType::String) };
        assert_eq!(one(tags.clone(), "a,b,a"), Ok(meta(json!({"k": ["a", "b", "a"]}))));
        assert_eq!(
            one(tags, "a,c"),
            Err("k: must be equal to one of a,b (actual value is 'a,c')".into())
        );
    }

    #[test]
    fn csv_empty_cells_leave_keys_out() {
        let s = schema(vec![("n", def(PropertyType::Number))]);
        assert_eq!(
            s.coerce_csv(&row(&[("n", ""), ("x", "  "), ("y", "v")])),
            Ok(meta(json!({"y": "v"})))
        );
    }

    #[test]
    fn csv_unknown_keys() {
        let mut s = schema(vec![("n", def(PropertyType::Number))]);
        assert_eq!(
            s.coerce_csv(&row(&[("n", "1"), ("region", "EU"), ("count", "5")])),
            Ok(meta(json!({"n": 1, "region": "EU", "count": "5"})))
        );
        s.allow_defined_only = true;
        assert_eq!(
            s.coerce_csv(&row(&[("n", "1"), ("region", "EU")])),
            Err("region: is not defined in the metadata schema".into())
        );
        assert_eq!(s.coerce_csv(&row(&[("n", "1"), ("region", "")])), Ok(meta(json!({"n": 1}))));
    }

    #[test]
    fn csv_required_keys() {
        let req = |kind| PropertyDefinition { optional: false, ..def(kind) };
        let s = schema(vec![("b", req(PropertyType::String)), ("a", req(PropertyType::Number))]);
        assert_eq!(s.coerce_csv(&row(&[("b", "x")])), Err("a: property is required".into()));
        assert_eq!(
            s.coerce_csv(&row(&[("a", "1"), ("b", "")])),
            Err("b: property is required".into())
        );
        assert_eq!(
            s.coerce_csv(&row(&[("a", "1"), ("b", "x")])),
            Ok(meta(json!({"a": 1, "b": "x"})))
        );
        // Voucherify's own example: a rejected value of a required number.
        assert_eq!(
            s.coerce_csv(&row(&[("b", "x"), ("a", "EUR")])),
            Err("a: must be a number, property is required (actual value is 'EUR')".into())
        );
        // A required boolean given as null is missing.
        let s = schema(vec![("flag", req(PropertyType::Boolean))]);
        assert_eq!(
            s.coerce_csv(&row(&[("flag", "null")])),
            Err("flag: property is required".into())
        );
    }

    #[test]
    fn csv_eq() {
        let channels = vec![json!("Facebook"), json!("Twitter"), json!("Website")];
        let optional = PropertyDefinition { eq: channels.clone(), ..def(PropertyType::String) };
        let k = "acquisition_channel";
        let s = schema(vec![(k, optional)]);
        assert_eq!(s.coerce_csv(&row(&[(k, "Twitter")])), Ok(meta(json!({k: "Twitter"}))));
        assert_eq!(
            s.coerce_csv(&row(&[(k, "snap")])),
            Err(format!(
                "{k}: must be equal to one of Facebook,Twitter,Website (actual value is 'snap')"
            ))
        );
        // Voucherify's own example (SPEC.md §3.3, CUSTOMERS.IMPORT_CSV).
        let required =
            PropertyDefinition { eq: channels, optional: false, ..def(PropertyType::String) };
        let s = schema(vec![(k, required)]);
        assert_eq!(
            s.coerce_csv(&row(&[(k, "snap")])),
            Err(format!(
                "{k}: must be a string, property is required, must be equal to one of \
                 Facebook,Twitter,Website (actual value is 'snap')"
            ))
        );
        // Voucherify's VOUCHERS.IMPORT example: numbers with eq, given text.
        let unit = PropertyDefinition { eq: vec![json!(1), json!(2)], ..def(PropertyType::Number) };
        let s = schema(vec![("unit", unit)]);
        assert_eq!(
            s.coerce_csv(&row(&[("unit", "EUR")])),
            Err("unit: must be a number, must be equal to one of 1,2 (actual value is 'EUR')"
                .into())
        );
        assert_eq!(s.coerce_csv(&row(&[("unit", "2.0")])), Ok(meta(json!({"unit": 2}))));
        assert_eq!(
            s.coerce_csv(&row(&[("unit", "3")])),
            Err("unit: must be equal to one of 1,2 (actual value is '3')".into())
        );
    }

    #[test]
    fn csv_lengths() {
        let code = PropertyDefinition {
            min_length: Some(2),
            max_length: Some(4),
            ..def(PropertyType::String)
        };
        let s = schema(vec![("code", code)]);
        assert_eq!(s.coerce_csv(&row(&[("code", "äbc")])), Ok(meta(json!({"code": "äbc"}))));
        assert_eq!(
            s.coerce_csv(&row(&[("code", "a")])),
            Err("code: must have at least 2 characters (actual value is 'a')".into())
        );
        assert_eq!(
            s.coerce_csv(&row(&[("code", "abcde")])),
            Err("code: must have at most 4 characters (actual value is 'abcde')".into())
        );
    }

    #[test]
    fn csv_reports_first_failing_key_in_header_order() {
        let s = schema(vec![("a", def(PropertyType::Number)), ("b", def(PropertyType::Boolean))]);
        assert_eq!(
            s.coerce_csv(&row(&[("b", "maybe"), ("a", "x")])),
            Err("b: must be a boolean (actual value is 'maybe')".into())
        );
    }

    #[test]
    fn json_types() {
        let s = schema(vec![
            ("s", def(PropertyType::String)),
            ("n", def(PropertyType::Number)),
            ("b", def(PropertyType::Boolean)),
            ("d", def(PropertyType::Date)),
            ("t", def(PropertyType::Datetime)),
            ("o", def(PropertyType::Object)),
        ]);
        let ok = meta(json!({
            "s": "x", "n": 1.5, "b": false, "d": "2024-01-31",
            "t": "2024-01-31T10:00:00+0000", "o": {"deep": [1]}, "extra": [1, 2]
        }));
        assert_eq!(s.validate_json(&ok, true), Ok(()));
        assert_eq!(s.validate_json(&meta(json!({"n": 3})), false), Ok(()));
        let nulls = meta(json!({"s": null, "n": null, "b": null, "d": null, "t": null, "o": null}));
        assert_eq!(s.validate_json(&nulls, false), Ok(()));
        for (m, reason) in [
            (json!({"n": "gold"}), "n: must be a number (actual value is 'gold')"),
            (json!({"b": "yes"}), "b: must be a boolean (actual value is 'yes')"),
            (json!({"s": 5}), "s: must be a string (actual value is '5')"),
            (json!({"s": ["a"]}), "s: must be a string (actual value is '[\"a\"]')"),
            (json!({"d": "2024-13-01"}), "d: must be a date (actual value is '2024-13-01')"),
            (json!({"d": 20240101}), "d: must be a date (actual value is '20240101')"),
            (json!({"t": "soon"}), "t: must be a datetime (actual value is 'soon')"),
            (json!({"o": "x"}), "o: must be an object (actual value is 'x')"),
            (json!({"b": {"a": true}}), "b: must be a boolean (actual value is '{\"a\":true}')"),
        ] {
            assert_eq!(s.validate_json(&meta(m.clone()), false), Err(reason.into()), "{m}");
        }
    }

    #[test]
    fn json_arrays() {
        let s =
            schema(vec![("n", PropertyDefinition { array: true, ..def(PropertyType::Number) })]);
        assert_eq!(s.validate_json(&meta(json!({"n": [1, 2.5]})), false), Ok(()));
        assert_eq!(s.validate_json(&meta(json!({"n": []})), false), Ok(()));
        assert_eq!(
            s.validate_json(&meta(json!({"n": 1})), false),
            Err("n: must be an array of numbers (actual value is '1')".into())
        );
        assert_eq!(
            s.validate_json(&meta(json!({"n": [1, "2"]})), false),
            Err("n: must be an array of numbers (actual value is '[1,\"2\"]')".into())
        );
        let s = schema(vec![("n", def(PropertyType::Number))]);
        assert_eq!(
            s.validate_json(&meta(json!({"n": [1, 2]})), false),
            Err("n: must be a number (actual value is '[1,2]')".into())
        );
    }

    #[test]
    fn json_eq_lengths_and_unknown_keys() {
        let mut s = schema(vec![
            (
                "tier",
                PropertyDefinition {
                    eq: vec![json!("gold"), json!("silver")],
                    max_length: Some(6),
                    ..def(PropertyType::String)
                },
            ),
            (
                "level",
                PropertyDefinition { eq: vec![json!(1), json!(2.5)], ..def(PropertyType::Number) },
            ),
            (
                "at",
                PropertyDefinition {
                    eq: vec![json!("2024-01-01T00:00:00.000Z")],
                    ..def(PropertyType::Datetime)
                },
            ),
        ]);
        assert_eq!(
            s.validate_json(
                &meta(json!({"tier": "gold", "level": 1.0, "at": "2024-01-01"})),
                false
            ),
            Ok(())
        );
        assert_eq!(
            s.validate_json(&meta(json!({"tier": "bronze"})), false),
            Err("tier: must be equal to one of gold,silver (actual value is 'bronze')".into())
        );
        assert_eq!(
            s.validate_json(&meta(json!({"level": 3})), false),
            Err("level: must be equal to one of 1,2.5 (actual value is '3')".into())
        );
        assert_eq!(s.validate_json(&meta(json!({"other": 1})), false), Ok(()));
        s.allow_defined_only = true;
        assert_eq!(
            s.validate_json(&meta(json!({"tier": "gold", "other": 1})), false),
            Err("other: is not defined in the metadata schema".into())
        );
    }

    #[test]
    fn json_required_only_when_asked() {
        let s = schema(vec![(
            "lang",
            PropertyDefinition { optional: false, ..def(PropertyType::String) },
        )]);
        assert_eq!(s.validate_json(&meta(json!({"x": 1})), false), Ok(()));
        assert_eq!(
            s.validate_json(&meta(json!({"x": 1})), true),
            Err("lang: property is required".into())
        );
        assert_eq!(
            s.validate_json(&meta(json!({"lang": null})), true),
            Err("lang: property is required".into())
        );
        assert_eq!(s.validate_json(&meta(json!({"lang": "en"})), true), Ok(()));
        assert_eq!(
            s.validate_json(&meta(json!({"lang": 1})), false),
            Err("lang: must be a string, property is required (actual value is '1')".into())
        );
    }

    fn everything(e_required: bool) -> MetadataSchema {
        let mut s = schema(vec![
            ("s", def(PropertyType::String)),
            ("n", def(PropertyType::Number)),
            ("b", def(PropertyType::Boolean)),
            ("d", def(PropertyType::Date)),
            ("t", def(PropertyType::Datetime)),
            ("o", def(PropertyType::Object)),
            ("ns", PropertyDefinition { array: true, ..def(PropertyType::Number) }),
            (
                "e",
                PropertyDefinition {
                    eq: vec![json!("x"), json!("y")],
                    optional: !e_required,
                    ..def(PropertyType::String)
                },
            ),
            (
                "l",
                PropertyDefinition {
                    min_length: Some(1),
                    max_length: Some(3),
                    ..def(PropertyType::String)
                },
            ),
        ]);
        s.properties
            .insert("ds".into(), PropertyDefinition { array: true, ..def(PropertyType::Datetime) });
        s
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "-?[0-9]{1,25}(\\.[0-9]{0,6})?(e-?[0-9]{1,3})?",
            "(?i)(true|false|null|yes| )",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,4})?)?)?Z?)?",
            "[xyz0-9 ,]{0,12}",
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec!["s", "n", "b", "d", "t", "o", "ns", "e", "l", "ds"])
                .prop_map(str::to_owned),
            "[a-z]{1,3}",
        ]
    }

    proptest! {
        #[test]
        fn any_i64_text_coerces_to_that_integer(n in any::<i64>()) {
            let got = one(def(PropertyType::Number), &n.to_string());
            prop_assert_eq!(got, Ok(meta(json!({"k": n}))));
        }

        #[test]
        fn any_float_text_coerces_to_that_number(f in -1e300f64..1e300) {
            let got = one(def(PropertyType::Number), &f.to_string()).expect("finite float");
            prop_assert_eq!(got["k"].as_f64(), Some(f));
        }

        #[test]
        fn any_string_round_trips_for_a_string_property(s in any::<String>()) {
            prop_assume!(!s.trim().is_empty());
            let got = one(def(PropertyType::String), &s);
            prop_assert_eq!(got, Ok(meta(json!({"k": s}))));
        }

        #[test]
        fn coercion_never_panics_and_its_output_validates(
            cells in prop::collection::vec((key(), cell()), 0..8),
            defined_only in any::<bool>(),
            e_required in any::<bool>(),
        ) {
            let mut s = everything(e_required);
            s.allow_defined_only = defined_only;
            if let Ok(m) = s.coerce_csv(&cells) {
                prop_assert_eq!(s.validate_json(&m, true), Ok(()));
            }
        }

        #[test]
        fn json_validation_never_panics(
            pairs in prop::collection::vec((key(), cell()), 0..8),
        ) {
            let s = everything(true);
            let m: Metadata = pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            let _ = s.validate_json(&m, true);
        }
    }
}
