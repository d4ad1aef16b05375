//! `X-App-Id` + `X-App-Token` authentication. Tokens are stored as SHA-256 hashes and compared
//! in constant time; the credential selects the project every `/v1` call works in.

use axum::{
    extract::{Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};
use cv_domain::ProjectId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{ApiError, AppState};

/// The project the request's credentials belong to (a request extension).
#[derive(Debug, Clone)]
pub struct Project(pub ProjectId);

/// The stored form of an app token: lowercase hex SHA-256.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

/// Middleware on every `/v1` route: 401 unless the app id and token match.
pub async fn require_app_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let (Some(app_id), Some(token)) = (header(headers, "x-app-id"), header(headers, "x-app-token"))
    else {
        return Err(ApiError::Unauthorized);
    };
    let Some((project, stored_hash)) = state.store.find_credential(app_id).await? else {
        return Err(ApiError::Unauthorized);
    };
    let presented = hash_token(token);
    if !bool::from(presented.as_bytes().ct_eq(stored_hash.as_bytes())) {
        return Err(ApiError::Unauthorized);
    }
    request.extensions_mut().insert(Project(project));
    Ok(next.run(request).await)
}
