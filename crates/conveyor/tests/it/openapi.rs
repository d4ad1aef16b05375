//! `GET /openapi.json`: served without credentials, an OpenAPI 3.1 document that describes
//! every route the server answers (but the dashboard's), and nothing it does not. (Every
//! answer the other tests get through `TestApp` is checked against it: `support::conforms`.)

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{A, TestApp, customers};

/// `path` with each `{param}` replaced by a value of the right kind.
fn filled(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{file}" => "app.js",
            "{resource}" => "customers",
            s if s.starts_with('{') => "x",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn method(verb: cv_api::Verb) -> Method {
    Method::from_bytes(verb.as_str().as_bytes()).expect("method")
}

backend_tests! {
    async fn the_served_document_describes_every_route(backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.send(Method::GET, "/openapi.json", None, None).await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.content_type(), "application/json");
        let doc = res.json();
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);
        assert_eq!(doc["info"]["title"], "Conveyor");
        assert_eq!(res.text, cv_api::openapi::json());

        // The document's operations are the routes, less the dashboard's.
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().expect("path item").keys();
                methods.map(|m| (m.to_uppercase(), path.clone())).collect::<Vec<_>>()
            })
            .collect();
        let routes: BTreeSet<(String, String)> = cv_api::openapi::documented_routes()
            .into_iter()
            .map(|(method, path)| (method.to_owned(), path.to_owned()))
            .collect();
        assert_eq!(documented, routes);
        for (path, _) in cv_api::UNDOCUMENTED {
            assert!(doc["paths"][path].is_null(), "{path}");
        }

        // And the routes are what the server serves: each answers its method (no 405, no
        // unknown route).
        for route in cv_api::ROUTES {
            let path = filled(route.path);
            let res = app.send(method(route.verb), &path, Some(A), None).await;
            let unknown = res.status == 404 && res.text.contains("Cannot find route");
            assert!(res.status != 405 && !unknown, "{route:?}: {} {}", res.status, res.text);
            assert!(res.status < 500, "{route:?}: {} {}", res.status, res.text);
        }
    }

    async fn events_carry_the_documented_action(backend) {
        let app = TestApp::spawn(backend).await;
        let id = app.bulk_update(&customers(2)).await;
        app.run_pending().await;
        let res = app.get(&format!("/v1/async-actions/{id}/events")).await;
        assert_eq!((res.status, res.content_type()), (200, "text/event-stream"), "{}", res.text);
        let doc: Value = serde_json::from_str(cv_api::openapi::json()).expect("document");
        let event = &doc["components"]["schemas"]["ActionEvent"];
        let names = event["properties"]["event"]["enum"].clone();
        let mut data = event["properties"]["data"]["contentSchema"].clone();
        data["components"] = doc["components"].clone();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&data)
            .expect("event data schema");
        let finished: Vec<&str> = res.text.lines().filter(|l| l.starts_with("event: ")).collect();
        assert_eq!(finished, ["event: finished"], "{}", res.text);
        assert_eq!(names, json!(["progress", "finished"]));
        let line = res.text.lines().find_map(|l| l.strip_prefix("data: ")).expect("data");
        let action: Value = serde_json::from_str(line).expect("JSON data");
        let errors: Vec<String> = validator.iter_errors(&action).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}: {action}");
        assert_eq!((action["status"].clone(), action["total_items"].clone()), (json!("DONE"), json!(2)));
    }
}
