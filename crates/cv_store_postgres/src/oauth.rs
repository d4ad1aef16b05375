//! OAuth tokens on PostgreSQL: `impl OAuthStore for PostgresStore`. An insert first locks its
//! project's row (`FOR NO KEY UPDATE`), so concurrent issues for one project — on any node —
//! run their count-then-insert one after another and never exceed the limit. That lock mode
//! does not block the foreign-key checks (`FOR KEY SHARE`) of other writes to the project.

use async_trait::async_trait;
use cv_domain::{OAuthToken, ProjectId, Scopes, Timestamp};
use cv_store::{OAuthStore, StoreError, TokenInsert, sql::oauth as qo};
use tokio_postgres::Row;

use crate::{
    PostgresStore,
    convert::error,
    db::{Params, count, execute, query_opt},
};

/// `$1` project: serialises the token inserts of one project.
const LOCK_PROJECT: &str = "SELECT id FROM projects WHERE id = $1 FOR NO KEY UPDATE";

/// Decodes a row of `cv_store::sql::oauth::SELECT_LIVE_TOKEN`.
fn token(row: &Row) -> Result<OAuthToken, StoreError> {
    let scope: String = row.try_get(3).map_err(error)?;
    Ok(OAuthToken {
        token_hash: row.try_get(0).map_err(error)?,
        project_id: ProjectId::from_string(row.try_get::<_, String>(1).map_err(error)?),
        client_id: row.try_get(2).map_err(error)?,
        scopes: Scopes::parse(&scope)
            .map_err(|e| StoreError::Other(anyhow::anyhow!("bad stored scope: {e}")))?,
        created_at: Timestamp::from_millis(row.try_get(4).map_err(error)?),
        expires_at: Timestamp::from_millis(row.try_get(5).map_err(error)?),
    })
}

#[async_trait]
impl OAuthStore for PostgresStore {
    async fn insert_oauth_token(
        &self,
        token: &OAuthToken,
        now: Timestamp,
        limit: u32,
    ) -> Result<TokenInsert, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let (project, now) = (token.project_id.as_str(), now.as_millis());
        query_opt(&tx, LOCK_PROJECT, &[&project]).await?;
        execute(&tx, qo::PRUNE_PROJECT_TOKENS, &[&project, &now]).await?;
        let row = query_opt(&tx, qo::COUNT_LIVE_TOKENS, &[&project, &now]).await?;
        let live = row.as_ref().map_or(Ok(0), count)?;
        if live >= u64::from(limit) {
            let earliest: Option<i64> =
                row.as_ref().map(|r| r.try_get(1)).transpose().map_err(error)?.flatten();
            // Keep the prune, as SQLite does; nothing else was written.
            tx.commit().await.map_err(error)?;
            return Ok(TokenInsert::LimitReached {
                next_expiry: Timestamp::from_millis(earliest.unwrap_or(now)),
            });
        }
        let scope = token.scopes.to_string();
        let params: Params<'_> = &[
            &token.token_hash,
            &project,
            &token.client_id,
            &scope,
            &token.created_at.as_millis(),
            &token.expires_at.as_millis(),
        ];
        execute(&tx, qo::INSERT_TOKEN, params).await?;
        tx.commit().await.map_err(error)?;
        Ok(TokenInsert::Inserted)
    }

    async fn find_oauth_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OAuthToken>, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&token_hash, &now.as_millis()];
        query_opt(&client, qo::SELECT_LIVE_TOKEN, params).await?.as_ref().map(token).transpose()
    }

    async fn revoke_oauth_token(
        &self,
        project: &ProjectId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &token_hash, &now.as_millis()];
        Ok(execute(&client, qo::REVOKE_TOKEN, params).await? > 0)
    }

    async fn count_live_oauth_tokens(
        &self,
        project: &ProjectId,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &now.as_millis()];
        query_opt(&client, qo::COUNT_LIVE_TOKENS, params).await?.as_ref().map_or(Ok(0), count)
    }
}
