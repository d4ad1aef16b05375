//! The dashboard's page and files: served without credentials, each with its content type and
//! a strict Content-Security-Policy; every file the page loads exists, none is left unused,
//! and the page runs no inline code. (The page itself is tested in headless Chromium by
//! `scripts/dashboard-test.sh`.) It reads no data, so one backend is enough.

use std::collections::BTreeSet;

use cv_domain::ActionKind;
use serde_json::json;

use crate::support::{Backend, Resp, TestApp};

fn header<'a>(res: &'a Resp, name: &str) -> &'a str {
    res.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Asserts the headers every dashboard answer carries.
fn assert_served(res: &Resp, path: &str, content_type: &str) {
    assert_eq!(res.status, 200, "{path}: {}", res.text);
    assert_eq!(res.content_type(), content_type, "{path}");
    let policy = header(res, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ] {
        assert!(policy.split("; ").any(|d| d == directive), "{path}: {directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{path}: {policy}");
    assert_eq!(header(res, "x-content-type-options"), "nosniff", "{path}");
}

/// The dashboard files `text` refers to: `/dashboard/NAME` in the page, `'./NAME'` imports in
/// modules.
fn referenced_files(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (marker, quote) in [("\"/dashboard/", '"'), ("'./", '\'')] {
        for (start, _) in text.match_indices(marker) {
            let rest = &text[start + marker.len()..];
            if let Some(end) = rest.find(quote) {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_its_files_are_served_without_credentials_under_a_strict_policy() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let get = |path: &'static str| app.send(reqwest::Method::GET, path, None, None);

    let page = get("/dashboard").await;
    assert_served(&page, "/dashboard", "text/html; charset=utf-8");
    assert_eq!(get("/dashboard/").await.text, page.text);
    let html = &page.text;
    // No inline code: every script is a file, and there are no inline styles or handlers.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script type=\"module\" src=\"/dashboard/").count()
    );
    assert!(!html.contains(" style="), "inline style");
    assert!(!html.contains(" onclick=") && !html.contains(" onload="), "inline handler");
    assert!(!html.contains("http://") && !html.contains("https://"), "an external resource");
    // The type filter offers every action type the server knows.
    for kind in ActionKind::ALL {
        let option = format!("<option value=\"{0}\">{0}</option>", kind.as_str());
        assert!(html.contains(&option), "{option}");
    }
    assert!(html.contains("<label for=\"app-id\">") && html.contains("<label for=\"app-token\">"));

    // Follow the page's references and the modules' imports to every file.
    let mut pending = referenced_files(html);
    let mut served = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !served.insert(name.clone()) {
            continue;
        }
        let path = format!("/dashboard/{name}");
        let res = app.send(reqwest::Method::GET, &path, None, None).await;
        let content_type = match name.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            other => panic!("unexpected file type {other:?} of {name}"),
        };
        assert_served(&res, &path, content_type);
        assert!(!res.text.contains("innerHTML"), "{path}: text goes in as text");
        pending.extend(referenced_files(&res.text));
    }
    let expected = ["api.js", "app.js", "dashboard.css", "detail.js", "list.js", "ui.js"];
    assert_eq!(served.iter().map(String::as_str).collect::<Vec<_>>(), expected);

    // An unknown file is the JSON 404 of an unknown route; the API still wants credentials.
    let missing = get("/dashboard/nope.js").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["details"], json!("Cannot find route /dashboard/nope.js"));
    assert_eq!(get("/v1/async-actions").await.status, 401);
}
