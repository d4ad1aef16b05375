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
    let s =
        parse_schema(&json!({"properties": {}}), MetadataResource::Voucher).expect("valid body");
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
        (json!({"type": "string", "eq": "gold"}), "Property .properties.tier.eq should be array"),
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
