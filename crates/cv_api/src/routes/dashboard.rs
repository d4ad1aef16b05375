//! The dashboard: `GET /dashboard` and its files under `/dashboard/{file}`, plain HTML, CSS
//! and JavaScript modules embedded in the binary (`crates/cv_api/assets/dashboard/`).
//!
//! Neither route needs credentials: the page holds no data. The browser asks for the app id
//! and token, keeps them in `sessionStorage`, and calls the public `/v1` API with them, as
//! any client does. Every answer carries a strict `Content-Security-Policy` (scripts, styles
//! and connections from this origin only; no inline script or style, no frames, no form
//! posts), so a value shown on the page can never run as code.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use cv_domain::ActionKind;

use crate::ApiError;

/// The policy of every dashboard answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page's files, by name under `/dashboard/`, with their content types.
pub const FILES: &[(&str, &str, &str)] = &[
    ("dashboard.css", CSS, include_str!("../../assets/dashboard/dashboard.css")),
    ("app.js", JS, include_str!("../../assets/dashboard/app.js")),
    ("api.js", JS, include_str!("../../assets/dashboard/api.js")),
    ("list.js", JS, include_str!("../../assets/dashboard/list.js")),
    ("detail.js", JS, include_str!("../../assets/dashboard/detail.js")),
    ("ui.js", JS, include_str!("../../assets/dashboard/ui.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// The page, its type filter listing every action type the server knows (so the list never
/// lags behind [`ActionKind`]).
static INDEX: LazyLock<String> = LazyLock::new(|| {
    let options: String = ActionKind::ALL
        .iter()
        .map(|kind| format!("<option value=\"{0}\">{0}</option>", kind.as_str()))
        .collect();
    include_str!("../../assets/dashboard/index.html").replace("<!-- action types -->", &options)
});

/// `GET /dashboard` (and `/dashboard/`): the page.
pub async fn index() -> Response {
    file(HTML, INDEX.as_str())
}

/// `GET /dashboard/{file}`: one of [`FILES`]; any other name is the 404 of an unknown route.
pub async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    match FILES.iter().find(|(file, ..)| *file == name) {
        Some((_, content_type, body)) => Ok(file(content_type, body)),
        None => Err(ApiError::NoRoute(format!("Cannot find route /dashboard/{name}"))),
    }
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The files change with the binary: revalidate rather than keep a stale copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
