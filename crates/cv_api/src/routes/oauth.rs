//! OAuth 2.0 (v1): issue, introspect and revoke access tokens. All three take app keys (the
//! router's `require_app_key`) and `application/x-www-form-urlencoded` bodies; a token works
//! only in the project of the key that issued it, so another project's token is inactive
//! here and cannot be revoked.

use axum::{Extension, Json, extract::State, http::StatusCode};
use cv_domain::{OAuthToken, oauth::new_access_token};
use cv_store::TokenInsert;

use crate::{
    ApiError, AppState,
    auth::{AppId, Project, hash_token},
    extract::FormBody,
    wire::{
        oauth::{Introspection, TokenResponse, token_request},
        schema,
    },
};

/// `POST /v1/oauth/token`: a new access token for the calling app key, unless the project
/// already holds its limit of live tokens (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/v1/oauth/token",
    tag = "oauth",
    operation_id = "create_oauth_token",
    request_body(content = schema::TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A new access token.", body = TokenResponse),
        (status = 400, description = "A missing parameter (`missing_parameters`), a grant type other than `client_credentials` (`invalid_grant_type`), or unknown scopes (`invalid_scope`).", body = schema::ErrorBody),
        (status = 429, description = "The project holds its limit of live tokens (`limit_exceeded`; `Retry-After`).", body = schema::ErrorBody),
    )
)]
pub async fn token(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    Extension(app_id): Extension<AppId>,
    form: FormBody,
) -> Result<Json<TokenResponse>, ApiError> {
    let scopes = token_request(form.get("grant_type"), form.get("scope"))?;
    let now = state.now();
    let access_token = new_access_token();
    let ttl_ms = i64::from(state.config.oauth_token_ttl_secs) * 1000;
    let token = OAuthToken {
        token_hash: hash_token(&access_token),
        project_id: project.0,
        client_id: app_id.0,
        scopes,
        created_at: now,
        expires_at: now.plus_millis(ttl_ms),
    };
    let limit = state.config.oauth_token_limit;
    match state.store.insert_oauth_token(&token, now, limit).await? {
        TokenInsert::Inserted => Ok(Json(TokenResponse::new(access_token, &token, now))),
        TokenInsert::LimitReached { next_expiry } => {
            let wait_ms = u64::try_from(next_expiry.as_millis() - now.as_millis()).unwrap_or(0);
            let retry_after = wait_ms.div_ceil(1000).max(1);
            Err(ApiError::TokenLimit { limit, retry_after })
        }
    }
}

/// `POST /v1/oauth/introspect`: the token's fields and `"active": true` while it is live and
/// the caller's project's; `{"active": false}` otherwise.
#[utoipa::path(
    post,
    path = "/v1/oauth/introspect",
    tag = "oauth",
    operation_id = "introspect_oauth_token",
    request_body(content = schema::AccessTokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token's fields and `active`.", body = schema::IntrospectionBody),
        (status = 400, description = "A required parameter is missing, or the body is not a form (`missing_parameters`).", body = schema::ErrorBody),
    )
)]
pub async fn introspect(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    form: FormBody,
) -> Result<Json<Introspection>, ApiError> {
    let access_token = form.get("access_token").ok_or(ApiError::MissingParameters(None))?;
    let now = state.now();
    let found = state.store.find_oauth_token(&hash_token(access_token), now).await?;
    let reply = match found.filter(|t| t.project_id == project.0) {
        Some(token) => Introspection {
            token: Some(TokenResponse::new(access_token.to_owned(), &token, now)),
            active: true,
        },
        None => Introspection { token: None, active: false },
    };
    Ok(Json(reply))
}

/// `POST /v1/oauth/token/revoke`: 204, or 404 with an empty body (as Voucherify) when the
/// token is unknown, inactive or another project's.
#[utoipa::path(
    post,
    path = "/v1/oauth/token/revoke",
    tag = "oauth",
    operation_id = "revoke_oauth_token",
    request_body(content = schema::AccessTokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "A required parameter is missing, or the body is not a form (`missing_parameters`).", body = schema::ErrorBody),
        (status = 404, description = "The token is unknown, inactive or another project's (an empty body)."),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(project): Extension<Project>,
    form: FormBody,
) -> Result<StatusCode, ApiError> {
    let access_token = form.get("access_token").ok_or(ApiError::MissingParameters(None))?;
    let hash = hash_token(access_token);
    if state.store.revoke_oauth_token(&project.0, &hash, state.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Ok(StatusCode::NOT_FOUND)
    }
}
