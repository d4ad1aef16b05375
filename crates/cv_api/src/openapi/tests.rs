use std::collections::BTreeSet;

use cv_domain::ActionKind;
use serde_json::{Value, json};

use super::*;

fn doc() -> Value {
    serde_json::from_str(json()).expect("the document is JSON")
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/// Every `(METHOD, path)` the document describes.
fn operations_of(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("path item");
            item.keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(|method| (method.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][path][method.to_lowercase()]
}

#[test]
fn every_route_is_in_the_document_and_nothing_else_is() {
    let doc = doc();
    let documented = operations_of(&doc);
    let routes: BTreeSet<(String, String)> = documented_routes()
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(missing.is_empty(), "routes of the router missing from /openapi.json: {missing:?}");
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(extra.is_empty(), "operations of /openapi.json no route serves: {extra:?}");
    assert_eq!(documented.len(), ROUTES.len() - UNDOCUMENTED.len());
}

#[test]
fn routes_are_unique_and_every_exclusion_names_one_with_a_reason() {
    let mut seen = BTreeSet::new();
    for route in ROUTES {
        assert!(seen.insert((route.verb.as_str(), route.path)), "{route:?} twice");
    }
    for (path, reason) in UNDOCUMENTED {
        assert!(ROUTES.iter().any(|route| route.path == *path), "{path} is no route");
        assert!(!reason.trim().is_empty(), "{path} has no reason");
    }
    for upload in crate::limits::UPLOAD_ROUTES {
        assert!(ROUTES.iter().any(|route| route.path == *upload), "{upload} is no route");
    }
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_within_the_document() {
    let doc = doc();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100, "{} references", found.len());
    for target in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("external ref {target}"));
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
}

#[test]
fn operations_have_unique_ids_and_declare_their_path_parameters() {
    let doc = doc();
    let mut ids = BTreeSet::new();
    for (method, path) in operations_of(&doc) {
        let op = operation(&doc, &method, &path);
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no id"));
        assert!(ids.insert(id.to_owned()), "operationId {id} twice");
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}");
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(declared, in_template, "{method} {path}");
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
    }
}

#[test]
fn security_and_middleware_answers_follow_the_route_table() {
    let doc = doc();
    let app_key = json!({"app_id": [], "app_token": []});
    for route in ROUTES.iter().filter(|r| !UNDOCUMENTED.iter().any(|(p, _)| *p == r.path)) {
        let op = operation(&doc, route.verb.as_str(), route.path);
        let statuses: BTreeSet<&str> =
            op["responses"].as_object().expect("responses").keys().map(String::as_str).collect();
        let security = &op["security"];
        match route.access {
            Access::Public => assert!(security.is_null(), "{route:?}"),
            Access::Api => {
                assert_eq!(*security, json!([app_key, {"bearer": []}]), "{route:?}");
                assert!(["401", "403", "429"].iter().all(|s| statuses.contains(s)), "{route:?}");
            }
            Access::AppKey => {
                assert_eq!(*security, json!([app_key]), "{route:?}");
                assert!(statuses.contains("401"), "{route:?}");
            }
        }
        assert!(statuses.contains("408"), "{route:?}");
        if !op["requestBody"].is_null() {
            assert_eq!(
                op["responses"]["413"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/PayloadTooLarge",
                "{route:?}"
            );
        }
        for (status, answer) in op["responses"].as_object().expect("responses") {
            let is_error = status.starts_with('4') || status.starts_with('5');
            let schema = &answer["content"]["application/json"]["schema"]["$ref"];
            if is_error
                && !answer["content"].is_null()
                && status != "413"
                && route.path != "/readyz"
            {
                assert_eq!(schema, "#/components/schemas/ErrorBody", "{route:?} {status}");
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["app_id"],
        json!({"type": "apiKey", "in": "header", "name": "X-App-Id", "description": schemes["app_id"]["description"]})
    );
    assert_eq!(schemes["app_token"]["name"], "X-App-Token");
    assert_eq!(
        (&schemes["bearer"]["type"], &schemes["bearer"]["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
}

#[test]
fn an_action_result_is_one_of_objects_never_an_array() {
    let doc = doc();
    let schemas = &doc["components"]["schemas"];
    let result = &schemas["AsyncAction"]["allOf"][1]["properties"]["result"];
    assert!(result.to_string().contains("#/components/schemas/ActionResult"), "{result}");
    let variants = schemas["ActionResult"]["anyOf"].as_array().expect("anyOf");
    let names: Vec<&str> = variants
        .iter()
        .filter_map(|v| v["$ref"].as_str()?.strip_prefix("#/components/schemas/"))
        .collect();
    assert_eq!(names, ["ImportResult", "CountResult", "BulkReportResult", "FailureResult"]);
    for name in names {
        assert_eq!(schemas[name]["type"], "object", "{name}");
        assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
    }
}

#[test]
fn enumerations_come_from_the_domain() {
    let doc = doc();
    let types: Vec<&str> = ActionKind::ALL.iter().map(|kind| kind.as_str()).collect();
    assert_eq!(doc["components"]["schemas"]["ActionType"]["enum"], json!(types));
    assert_eq!(
        doc["components"]["schemas"]["ActionStatusName"]["enum"],
        json!(["ENQUEUED", "IN_PROGRESS", "DONE", "FAILED"])
    );
}

#[test]
fn the_event_stream_and_the_form_and_file_bodies_are_documented() {
    let doc = doc();
    let events = operation(&doc, "GET", "/v1/async-actions/{id}/events");
    assert_eq!(
        events["responses"]["200"]["content"]["text/event-stream"]["schema"]["$ref"],
        "#/components/schemas/ActionEvent"
    );
    let data = &doc["components"]["schemas"]["ActionEvent"]["properties"]["data"];
    assert_eq!(data["contentMediaType"], "application/json");
    assert_eq!(data["contentSchema"]["$ref"], "#/components/schemas/LiveAsyncAction");
    for path in ["/v1/oauth/token", "/v1/oauth/introspect", "/v1/oauth/token/revoke"] {
        let body = &operation(&doc, "POST", path)["requestBody"]["content"];
        assert!(body["application/x-www-form-urlencoded"].is_object(), "{path}: {body}");
    }
    for path in crate::limits::UPLOAD_ROUTES {
        let body = &operation(&doc, "POST", path)["requestBody"]["content"];
        assert!(body["multipart/form-data"]["schema"].is_object(), "{path}: {body}");
    }
    let report = operation(&doc, "GET", "/v1/async-actions/{id}/report");
    assert!(report["responses"]["200"]["content"]["text/csv"].is_object());
}
