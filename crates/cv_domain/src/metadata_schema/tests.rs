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
        serde_json::from_value(serde_json::to_value(&s).expect("serialises")).expect("round-trips");
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
    assert_eq!(d("2024-01-01T01:00:00+01:00"), Ok(meta(json!({"k": "2024-01-01T00:00:00.000Z"}))));
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
    assert_eq!(one(arr(PropertyType::String), "a, b ,c"), Ok(meta(json!({"k": ["a", "b", "c"]}))));
    assert_eq!(one(arr(PropertyType::Number), "1, 2.5,,3"), Ok(meta(json!({"k": [1, 2.5, 3]}))));
    assert_eq!(
        one(arr(PropertyType::Boolean), "true,FALSE"),
        Ok(meta(json!({"k": [true, false]})))
    );
    assert_eq!(
        one(arr(PropertyType::Number), "1,two"),
        Err("k: must be an array of numbers (actual value is '1,two')".into())
    );
    assert_eq!(one(arr(PropertyType::String), ","), Ok(meta(json!({"k": []}))));
    let tags = PropertyDefinition { eq: vec![json!("a"), json!("b")], ..arr(PropertyType::String) };
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
    assert_eq!(s.coerce_csv(&row(&[("a", "1"), ("b", "")])), Err("b: property is required".into()));
    assert_eq!(s.coerce_csv(&row(&[("a", "1"), ("b", "x")])), Ok(meta(json!({"a": 1, "b": "x"}))));
    // Voucherify's own example: a rejected value of a required number.
    assert_eq!(
        s.coerce_csv(&row(&[("b", "x"), ("a", "EUR")])),
        Err("a: must be a number, property is required (actual value is 'EUR')".into())
    );
    // A required boolean given as null is missing.
    let s = schema(vec![("flag", req(PropertyType::Boolean))]);
    assert_eq!(s.coerce_csv(&row(&[("flag", "null")])), Err("flag: property is required".into()));
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
        Err("unit: must be a number, must be equal to one of 1,2 (actual value is 'EUR')".into())
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
    let s = schema(vec![("n", PropertyDefinition { array: true, ..def(PropertyType::Number) })]);
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
        s.validate_json(&meta(json!({"tier": "gold", "level": 1.0, "at": "2024-01-01"})), false),
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
    let s =
        schema(vec![("lang", PropertyDefinition { optional: false, ..def(PropertyType::String) })]);
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

#[test]
fn each_resource_has_its_own_purge_kind_and_back() {
    let kinds: Vec<&str> = MetadataResource::ALL.iter().map(|r| r.purge_kind().as_str()).collect();
    assert_eq!(
        kinds,
        [
            "CAMPAIGNS.METADATA_KEY_PURGE",
            "CUSTOMERS.METADATA_KEY_PURGE",
            "ORDERS.METADATA_KEY_PURGE",
            "PRODUCTS.METADATA_KEY_PURGE",
            "VOUCHERS.METADATA_KEY_PURGE",
        ]
    );
    for resource in MetadataResource::ALL {
        assert_eq!(MetadataResource::purged_by(resource.purge_kind()), Some(resource));
    }
    assert_eq!(MetadataResource::purged_by(ActionKind::CustomersMetadataUpdate), None);
}
