//! OAuth 2.0 (v1) shapes: the form parameters of `POST /v1/oauth/token` and the token object
//! of its reply and of `POST /v1/oauth/introspect`. Times on the wire are epoch seconds.

use cv_domain::{OAuthToken, Scopes, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

use super::schema;
use crate::ApiError;

/// The only grant type Voucherify's v1 token endpoint knows.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The token fields, as `POST /v1/oauth/token` returns them.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token itself (never stored; echoed from the request by introspection).
    pub access_token: String,
    /// The app id the token was issued to.
    pub client_id: String,
    /// When it expires, in epoch seconds.
    pub expires_at: i64,
    /// Seconds left until then.
    pub expires_in: i64,
    /// Its scopes, space-separated.
    pub scope: String,
    /// Always `Bearer`.
    #[schema(schema_with = schema::bearer)]
    pub token_type: &'static str,
}

impl TokenResponse {
    /// The fields of `token` (whose plain form is `access_token`) as seen at `now`.
    pub fn new(access_token: String, token: &OAuthToken, now: Timestamp) -> Self {
        let expires_at = seconds(token.expires_at);
        Self {
            access_token,
            client_id: token.client_id.clone(),
            expires_at,
            expires_in: (expires_at - seconds(now)).max(0),
            scope: token.scopes.to_string(),
            token_type: "Bearer",
        }
    }
}

/// `POST /v1/oauth/introspect`'s reply: the token fields and `"active": true`, or only
/// `"active": false`.
#[derive(Debug, Serialize)]
pub struct Introspection {
    /// The token, when it is live and the caller's.
    #[serde(flatten)]
    pub token: Option<TokenResponse>,
    /// Whether the token works.
    pub active: bool,
}

/// The scopes a token request asks for: `missing_parameters` unless both parameters are
/// given, `invalid_grant_type` unless it is `client_credentials`, `invalid_scope` naming
/// every name that is not a scope (commas are not separators, so `vouchers,campaigns` is one
/// such name).
pub fn token_request(grant_type: Option<&str>, scope: Option<&str>) -> Result<Scopes, ApiError> {
    let (Some(grant_type), Some(scope)) = (grant_type, scope) else {
        return Err(ApiError::MissingParameters(None));
    };
    if grant_type != CLIENT_CREDENTIALS {
        return Err(ApiError::InvalidGrantType);
    }
    Scopes::parse(scope).map_err(|invalid| ApiError::InvalidScope(invalid.0.join(",")))
}

/// Whole seconds since the epoch, rounded down.
fn seconds(at: Timestamp) -> i64 {
    at.as_millis().div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use cv_domain::ProjectId;
    use serde_json::json;

    use super::*;

    fn token(expires_at: i64) -> OAuthToken {
        OAuthToken {
            token_hash: "h".into(),
            project_id: ProjectId::from_string("proj_1"),
            client_id: "app_1".into(),
            scopes: Scopes::parse("customers api").expect("scopes"),
            created_at: Timestamp::from_millis(expires_at - 900_000),
            expires_at: Timestamp::from_millis(expires_at),
        }
    }

    #[test]
    fn the_token_object_has_voucherify_fields_in_seconds() {
        let reply = TokenResponse::new(
            "tok".into(),
            &token(1_738_945_086_500),
            Timestamp::from_millis(1_738_944_186_500),
        );
        assert_eq!(
            serde_json::to_value(&reply).expect("json"),
            json!({"access_token": "tok", "client_id": "app_1", "expires_at": 1_738_945_086_i64,
                   "expires_in": 900, "scope": "customers api", "token_type": "Bearer"})
        );
        let later = TokenResponse::new(
            "tok".into(),
            &token(1_738_945_086_500),
            Timestamp::from_millis(1_738_944_531_000),
        );
        assert_eq!(later.expires_in, 555);
    }

    #[test]
    fn introspection_flattens_the_token_before_active() {
        let active = Introspection {
            token: Some(TokenResponse::new(
                "tok".into(),
                &token(2_000_000),
                Timestamp::from_millis(1_100_000),
            )),
            active: true,
        };
        let text = serde_json::to_string(&active).expect("json");
        assert!(
            text.starts_with(r#"{"access_token":"tok","#)
                && text.ends_with(r#""token_type":"Bearer","active":true}"#),
            "{text}"
        );
        let inactive = Introspection { token: None, active: false };
        assert_eq!(serde_json::to_string(&inactive).expect("json"), r#"{"active":false}"#);
    }

    #[test]
    fn token_requests_are_checked_in_voucherify_order() {
        let scope = |g, s| token_request(g, s).map(|s| s.to_string()).map_err(|e| e.to_string());
        assert_eq!(
            scope(Some("client_credentials"), Some("api  customers")),
            Ok("api customers".into())
        );
        assert_eq!(scope(None, Some("api")), Err("missing parameters".into()));
        assert_eq!(scope(Some("client_credentials"), None), Err("missing parameters".into()));
        assert_eq!(scope(Some("password"), Some("nope")), Err("invalid grant_type".into()));
        assert_eq!(
            scope(Some("client_credentials"), Some("vouchers,campaigns")),
            Err("invalid scope: vouchers,campaigns".into())
        );
        assert_eq!(
            scope(Some("client_credentials"), Some("api x y")),
            Err("invalid scope: x,y".into())
        );
    }
}
