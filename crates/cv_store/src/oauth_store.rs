//! The OAuth part of the storage contract: [`OAuthStore`], part of the API's role
//! ([`crate::ApiStore`]).
//! Tokens are stored by the SHA-256 of the access token, never the token itself; a revoked
//! token is deleted, and expired ones are deleted when their project next issues a token.

use async_trait::async_trait;
use cv_domain::{OAuthToken, ProjectId, Timestamp};

use crate::StoreError;

/// What [`OAuthStore::insert_oauth_token`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenInsert {
    /// The token is stored.
    Inserted,
    /// The project already holds `limit` live tokens; nothing was stored.
    LimitReached {
        /// When the project's earliest live token expires (a slot frees up then, at the
        /// latest).
        next_expiry: Timestamp,
    },
}

/// OAuth access tokens. Each call is one short transaction.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// Stores `token` unless its project already holds `limit` live tokens at `now`. In one
    /// transaction, serialised per project (SQLite's single writer; a row lock on the project
    /// on PostgreSQL), so concurrent calls never exceed the limit: deletes the project's
    /// tokens expired at `now`, counts the live ones, inserts.
    async fn insert_oauth_token(
        &self,
        token: &OAuthToken,
        now: Timestamp,
        limit: u32,
    ) -> Result<TokenInsert, StoreError>;

    /// The token with this hash if it is live at `now` and the app key that issued it still
    /// belongs to the token's project.
    async fn find_oauth_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OAuthToken>, StoreError>;

    /// Revokes (deletes) the token with this hash if it belongs to `project` and is live at
    /// `now`; whether there was such a token.
    async fn revoke_oauth_token(
        &self,
        project: &ProjectId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// How many tokens of `project` are live at `now`.
    async fn count_live_oauth_tokens(
        &self,
        project: &ProjectId,
        now: Timestamp,
    ) -> Result<u64, StoreError>;
}
