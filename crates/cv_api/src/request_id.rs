//! Every response carries a `v-…` request id: in the `X-Request-Id` header and, for errors,
//! in the body. The id is set for the whole request in a task-local so errors built anywhere
//! can include it. This layer also gives axum's bare 404/405 answers Voucherify's JSON body,
//! and answers a path that is not UTF-8 once percent-decoded (`/v1/customers/%ff`) with the
//! JSON 404 of an unknown route before axum would refuse its parameter with a bare text 400.

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use cv_domain::RequestId;

use crate::ApiError;

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of the request being handled (a fresh one outside a request).
pub fn current() -> RequestId {
    CURRENT.try_with(Clone::clone).unwrap_or_else(|_| RequestId::generate())
}

/// Middleware: assigns the request id and fills in empty 405 answers.
pub async fn layer(request: Request, next: Next) -> Response {
    let id = RequestId::generate();
    let method = request.method().clone();
    let mut response = CURRENT
        .scope(id.clone(), async move {
            if !decodes_to_utf8(request.uri().path()) {
                let path = request.uri().path().to_owned();
                return ApiError::NoRoute(format!("Cannot find route {path}")).into_response();
            }
            let response = next.run(request).await;
            if response.status() == StatusCode::METHOD_NOT_ALLOWED {
                // The body becomes Voucherify's; the `Allow` header (RFC 9110) stays.
                let mut answer = method_not_allowed(&method, &response).into_response();
                if let Some(allow) = response.headers().get(header::ALLOW) {
                    answer.headers_mut().insert(header::ALLOW, allow.clone());
                }
                answer
            } else {
                response
            }
        })
        .await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Whether `path` is UTF-8 once its `%XX` escapes are decoded, as axum decodes path
/// parameters (an escape that is not two hex digits stays as it is).
fn decodes_to_utf8(path: &str) -> bool {
    if !path.contains('%') {
        return true;
    }
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

fn method_not_allowed(method: &Method, response: &Response<Body>) -> ApiError {
    let allowed: Vec<&str> = response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(str::trim).filter(|m| *m != "HEAD").collect())
        .unwrap_or_default();
    let hint = match allowed.as_slice() {
        [] => String::new(),
        [one] => format!(" Did you mean {one}?"),
        [init @ .., last] => format!(" Did you mean {} or {last}?", init.join(", ")),
    };
    ApiError::MethodNotAllowed(format!("{method} is not supported by this endpoint.{hint}"))
}

#[cfg(test)]
mod tests {
    use super::decodes_to_utf8;

    #[test]
    fn paths_are_checked_as_decoded() {
        for ok in ["/v1/customers/c0", "/v1/x/%2e%2e%2F", "/v1/x/%", "/v1/x/%zz", "/v1/x/%C3%A9"] {
            assert!(decodes_to_utf8(ok), "{ok}");
        }
        for bad in ["/v1/x/%ff", "/v1/x/%C3", "/v1/x/a%80b", "/v1/x/%e2%82"] {
            assert!(!decodes_to_utf8(bad), "{bad}");
        }
    }
}
