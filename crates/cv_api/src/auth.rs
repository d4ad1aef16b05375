//! The two ways into `/v1`: an app key (`X-App-Id` + `X-App-Token`), or an OAuth access token
//! (`Authorization: Bearer …`) issued to an app key. Both are stored as SHA-256 hashes; app
//! tokens are compared in constant time, access tokens are looked up by their hash. Either
//! selects the project the call works in. The OAuth endpoints themselves take app keys only.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::Response,
};
use cv_domain::{ProjectId, oauth::API_SCOPE};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{ApiError, AppState, router};

/// The project the request's credentials belong to (a request extension).
#[derive(Debug, Clone)]
pub struct Project(pub ProjectId);

/// The app id of the app key the request authenticated with (a request extension set by
/// [`require_app_key`]; it becomes the `client_id` of the tokens issued to it).
#[derive(Debug, Clone)]
pub struct AppId(pub String);

/// The stored form of an app token or OAuth access token: lowercase hex SHA-256.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = header(headers, header::AUTHORIZATION.as_str())?.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The stored project and token hash of `app_id`, from [`AppState::credentials`] while the
/// store has not been written since it was read.
async fn credential(
    state: &AppState,
    app_id: &str,
) -> Result<Option<(ProjectId, String)>, ApiError> {
    let generation = state.store.write_generation();
    if let Some(found) = state.credentials.get(app_id, generation) {
        return Ok(found);
    }
    let found = state.store.find_credential(app_id).await?;
    state.credentials.put(app_id.to_owned(), generation, found.clone());
    Ok(found)
}

/// The project and app id of the request's app key; 401 unless both headers are there and
/// the token matches.
async fn app_key(state: &AppState, headers: &HeaderMap) -> Result<(ProjectId, String), ApiError> {
    let (Some(app_id), Some(token)) = (header(headers, "x-app-id"), header(headers, "x-app-token"))
    else {
        return Err(ApiError::Unauthorized);
    };
    let Some((project, stored_hash)) = credential(state, app_id).await? else {
        return Err(ApiError::Unauthorized);
    };
    let presented = hash_token(token);
    if !bool::from(presented.as_bytes().ct_eq(stored_hash.as_bytes())) {
        return Err(ApiError::Unauthorized);
    }
    Ok((project, app_id.to_owned()))
}

/// The project of a live access token whose scopes cover `path`: 401 for a token that is
/// unknown, expired or revoked, 403 for one whose scopes do not cover the path.
async fn access_token(state: &AppState, token: &str, path: &str) -> Result<ProjectId, ApiError> {
    let found = state.store.find_oauth_token(&hash_token(token), state.now()).await?;
    let Some(token) = found else {
        return Err(ApiError::Unauthorized);
    };
    let needed = router::scope_for(path);
    if token.scopes.contains(API_SCOPE) || needed.is_some_and(|s| token.scopes.contains(s)) {
        return Ok(token.project_id);
    }
    Err(ApiError::MissingPermission(match needed {
        Some(scope) => format!("The access token needs the {scope} or {API_SCOPE} scope"),
        None => format!("The access token needs the {API_SCOPE} scope"),
    }))
}

/// Middleware on every `/v1` route but the OAuth endpoints: the app key when both of its
/// headers are sent, else a bearer token, else 401.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let has_app_key =
        header(headers, "x-app-id").is_some() && header(headers, "x-app-token").is_some();
    let project = match bearer(headers) {
        Some(token) if !has_app_key => access_token(&state, token, request.uri().path()).await?,
        _ => app_key(&state, headers).await?.0,
    };
    request.extensions_mut().insert(Project(project));
    Ok(next.run(request).await)
}

/// Middleware on the OAuth endpoints: 401 unless the app id and token match. Bearer tokens
/// are not accepted here, so a token can neither issue nor revoke tokens.
pub async fn require_app_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (project, app_id) = app_key(&state, request.headers()).await?;
    request.extensions_mut().insert(Project(project));
    request.extensions_mut().insert(AppId(app_id));
    Ok(next.run(request).await)
}
