//! Every response carries a `v-…` request id: in the `X-Request-Id` header and, for errors,
//! in the body. The id is set for the whole request in a task-local so errors built anywhere
//! can include it. This layer also gives axum's bare 404/405 answers Voucherify's JSON body.

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
