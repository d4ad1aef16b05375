//! OAuth 2.0 (v1) access tokens: the scope vocabulary and the stored token.
//!
//! A token is issued to an app key (`client_id`), belongs to that key's project, carries a set
//! of scopes and expires at a fixed time. Only the SHA-256 of the token is ever stored; the
//! token itself is shown once, in the reply that issues it.

use std::fmt;

use crate::{ProjectId, Timestamp, ids::random_secret};

/// Every scope name Voucherify accepts in `POST /v1/oauth/token` (its
/// `OAuthTokenGenerateRequestBody.scope`), in its order.
pub const SCOPE_NAMES: [&str; 42] = [
    "api",
    "assets",
    "async-actions",
    "campaigns",
    "categories",
    "client_api",
    "client_consents",
    "client_customers",
    "client_events",
    "client_promotions",
    "client_publish",
    "client_qualifications",
    "client_redeem",
    "client_redemptions",
    "client_validate",
    "client_validations",
    "client_vouchers",
    "consents",
    "customers",
    "events",
    "exports",
    "locations",
    "loyalties",
    "metadata-schemas",
    "orders",
    "product-collections",
    "products",
    "promotions",
    "publications",
    "qualifications",
    "redemptions",
    "referrals",
    "rewards",
    "segments",
    "skus",
    "task-results",
    "templates",
    "trash-bin",
    "validation-rules-assignments",
    "validation-rules",
    "validations",
    "vouchers",
];

/// The scope that covers the whole server-side API.
pub const API_SCOPE: &str = "api";

/// A token's scopes: known names, each once, in the order first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<&'static str>);

/// The names of a scope string that are not scopes, in the order given (a comma-separated
/// list such as `vouchers,campaigns` is one such name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope: {}", .0.join(","))]
pub struct InvalidScopes(pub Vec<String>);

impl Scopes {
    /// Parses a whitespace-separated scope string. Fails with every unknown name when there is
    /// one; an empty string gives an empty set (the caller decides whether that is allowed).
    pub fn parse(raw: &str) -> Result<Self, InvalidScopes> {
        let mut names: Vec<&'static str> = Vec::new();
        let mut invalid = Vec::new();
        for word in raw.split_ascii_whitespace() {
            match SCOPE_NAMES.iter().find(|name| **name == word) {
                Some(name) if !names.contains(name) => names.push(name),
                Some(_) => {}
                None if !invalid.iter().any(|w: &String| w == word) => {
                    invalid.push(word.to_owned())
                }
                None => {}
            }
        }
        if invalid.is_empty() { Ok(Self(names)) } else { Err(InvalidScopes(invalid)) }
    }

    /// Whether the set holds no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `name` is one of the scopes.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }

    /// The scope names, in order.
    pub fn names(&self) -> &[&'static str] {
        &self.0
    }
}

/// Space-separated, as Voucherify writes `scope`.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// A new access token: 50 random alphanumerics (about 297 bits) from the thread's CSPRNG, the
/// length of Voucherify's example tokens, safe in URLs and headers as they are.
pub fn new_access_token() -> String {
    random_secret(50)
}

/// An issued access token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthToken {
    /// Lowercase hex SHA-256 of the access token; the token itself is never stored.
    pub token_hash: String,
    /// The project of the app key that issued it; the token works only there.
    pub project_id: ProjectId,
    /// The app id (`X-App-Id`) that issued it. The token stops working when that key is gone.
    pub client_id: String,
    /// What the token may call.
    pub scopes: Scopes,
    /// When it was issued.
    pub created_at: Timestamp,
    /// The first moment it no longer works.
    pub expires_at: Timestamp,
}

impl OAuthToken {
    /// Whether the token still works at `now` (revoked tokens are not stored at all).
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_42_distinct_scope_names() {
        let mut names = SCOPE_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 42);
    }

    #[test]
    fn scopes_are_split_on_whitespace_deduplicated_and_kept_in_order() {
        let scopes = Scopes::parse("  vouchers\tcustomers  vouchers\napi ").expect("valid");
        assert_eq!(scopes.names(), ["vouchers", "customers", "api"]);
        assert_eq!(scopes.to_string(), "vouchers customers api");
        assert!(scopes.contains("api") && !scopes.contains("orders"));
        assert!(Scopes::parse(" ").expect("empty").is_empty());
    }

    #[test]
    fn unknown_names_and_comma_lists_are_reported_as_given() {
        assert_eq!(
            Scopes::parse("vouchers,campaigns"),
            Err(InvalidScopes(vec!["vouchers,campaigns".to_owned()]))
        );
        let err = Scopes::parse("api foo vouchers bar foo").expect_err("invalid");
        assert_eq!(err.0, ["foo", "bar"]);
        assert_eq!(err.to_string(), "invalid scope: foo,bar");
        // Names are case-sensitive, as in Voucherify's list.
        assert!(Scopes::parse("API").is_err());
    }

    #[test]
    fn access_tokens_are_long_random_alphanumerics() {
        let (a, b) = (new_access_token(), new_access_token());
        assert_eq!(a.len(), 50);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_token_is_live_until_its_expiry() {
        let token = OAuthToken {
            token_hash: "h".into(),
            project_id: ProjectId::from_string("proj_1"),
            client_id: "app".into(),
            scopes: Scopes::parse("api").expect("valid"),
            created_at: Timestamp::from_millis(1_000),
            expires_at: Timestamp::from_millis(901_000),
        };
        assert!(token.is_live(Timestamp::from_millis(900_999)));
        assert!(!token.is_live(Timestamp::from_millis(901_000)));
    }
}
