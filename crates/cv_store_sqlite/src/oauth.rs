//! OAuth tokens on SQLite: `impl OAuthStore for SqliteStore`. The limit check and the insert
//! share one `BEGIN IMMEDIATE` transaction on the single writer, so concurrent issues are
//! serialised and never exceed the limit.

use anyhow::anyhow;
use async_trait::async_trait;
use cv_domain::{OAuthToken, ProjectId, Scopes, Timestamp};
use cv_store::{OAuthStore, StoreError, TokenInsert, sql::oauth as qo};
use rusqlite::{OptionalExtension, Row, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{error, sql},
};

/// Decodes a row of `cv_store::sql::oauth::SELECT_LIVE_TOKEN`.
fn token(row: &Row<'_>) -> rusqlite::Result<OAuthToken> {
    let scope: String = row.get(3)?;
    Ok(OAuthToken {
        token_hash: row.get(0)?,
        project_id: ProjectId::from_string(row.get::<_, String>(1)?),
        client_id: row.get(2)?,
        scopes: Scopes::parse(&scope).map_err(|e| {
            rusqlite::Error::ToSqlConversionFailure(anyhow!("bad stored scope: {e}").into())
        })?,
        created_at: Timestamp::from_millis(row.get(4)?),
        expires_at: Timestamp::from_millis(row.get(5)?),
    })
}

#[async_trait]
impl OAuthStore for SqliteStore {
    async fn insert_oauth_token(
        &self,
        token: &OAuthToken,
        now: Timestamp,
        limit: u32,
    ) -> Result<TokenInsert, StoreError> {
        let t = token.clone();
        self.write(move |tx| {
            let (project, now) = (t.project_id.as_str(), now.as_millis());
            tx.exec(&sql(qo::PRUNE_PROJECT_TOKENS), params![project, now]).map_err(error)?;
            let (live, earliest): (i64, Option<i64>) = tx
                .row(&sql(qo::COUNT_LIVE_TOKENS), params![project, now], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(error)?;
            if live >= i64::from(limit) {
                let next_expiry = Timestamp::from_millis(earliest.unwrap_or(now));
                return Ok(TokenInsert::LimitReached { next_expiry });
            }
            tx.exec(
                &sql(qo::INSERT_TOKEN),
                params![
                    t.token_hash,
                    project,
                    t.client_id,
                    t.scopes.to_string(),
                    t.created_at.as_millis(),
                    t.expires_at.as_millis()
                ],
            )
            .map_err(error)?;
            Ok(TokenInsert::Inserted)
        })
        .await
    }

    async fn find_oauth_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OAuthToken>, StoreError> {
        let hash = token_hash.to_owned();
        self.read(move |c| {
            c.prepare_cached(&sql(qo::SELECT_LIVE_TOKEN))?
                .query_row(params![hash, now.as_millis()], token)
                .optional()
        })
        .await
    }

    async fn revoke_oauth_token(
        &self,
        project: &ProjectId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (project, hash) = (project.clone(), token_hash.to_owned());
        self.write(move |tx| {
            let n = tx
                .exec(&sql(qo::REVOKE_TOKEN), params![project.as_str(), hash, now.as_millis()])
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn count_live_oauth_tokens(
        &self,
        project: &ProjectId,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            c.row(&sql(qo::COUNT_LIVE_TOKENS), params![project.as_str(), now.as_millis()], |r| {
                r.get::<_, i64>(0)
            })
        })
        .await
        .map(|n| n as u64)
    }
}
