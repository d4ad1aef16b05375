//! Plumbing shared by the store's modules: connection settings, cached statements.

use std::time::Duration;

use anyhow::{Context as _, bail};
use cv_store::{Fence, StoreError};
use deadpool_postgres::GenericClient;
use futures_util::future::try_join_all;
use tokio_postgres::{Row, Statement, types::ToSql};

use crate::convert::{self, error};

/// Whether `schema` is a plain lowercase identifier, usable unquoted everywhere.
fn valid_schema(schema: &str) -> bool {
    let mut chars = schema.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63
}

/// The connection settings for `url`, with defaults for what it leaves out, and
/// `search_path=<schema>` when a schema is given (refused unless [`valid_schema`]).
pub fn config(url: &str, schema: Option<&str>) -> anyhow::Result<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config =
        url.parse().context("parsing the PostgreSQL connection URL")?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("conveyor");
    }
    if let Some(schema) = schema {
        if !valid_schema(schema) {
            bail!("invalid schema name {schema:?}: expected [a-z_][a-z0-9_]*, at most 63 bytes");
        }
        let options = match config.get_options() {
            Some(options) if !options.trim().is_empty() => {
                format!("{options} -c search_path={schema}")
            }
            _ => format!("-c search_path={schema}"),
        };
        config.options(options);
    }
    Ok(config)
}

/// Statement parameters.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs a (cached) prepared statement; every row.
pub async fn query(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>, StoreError> {
    let stmt = c.prepare_cached(sql).await.map_err(error)?;
    c.query(&stmt, params).await.map_err(error)
}

/// Runs a (cached) prepared statement; the row, if any.
pub async fn query_opt(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, StoreError> {
    let stmt = c.prepare_cached(sql).await.map_err(error)?;
    c.query_opt(&stmt, params).await.map_err(error)
}

/// Runs a (cached) prepared statement; how many rows it changed.
pub async fn execute(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, StoreError> {
    let stmt = c.prepare_cached(sql).await.map_err(error)?;
    c.execute(&stmt, params).await.map_err(error)
}

/// Serialises chunks that touch the same keys (`$1` project, `$2` keys): without it, two
/// chunks could both miss a row and both insert it. Locks are transaction-scoped and taken in
/// hash order, so two chunks never wait on each other in a cycle.
pub const LOCK_KEYS: &str = "SELECT pg_advisory_xact_lock(h) \
     FROM (SELECT DISTINCT hashtextextended($1::TEXT || '/' || k, 0) AS h \
           FROM unnest($2::TEXT[]) AS k ORDER BY h) AS keys";

/// `keys` as lock keys of one kind of row (`product/<key>`), for [`lock`].
pub fn namespaced(namespace: &str, keys: &[String]) -> Vec<String> {
    keys.iter().map(|k| format!("{namespace}/{k}")).collect()
}

/// Takes the advisory locks of `keys` (already namespaced). Must run inside a transaction.
pub async fn lock(
    tx: &impl GenericClient,
    project: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    if !keys.is_empty() {
        execute(tx, LOCK_KEYS, &[&project, &keys]).await?;
    }
    Ok(())
}

/// The rows `sql` selects by `$1` project and, from `$2` on, one array parameter per list of
/// `keys` (ids, source_ids, codes), decoded with `decode`; none when every list is empty.
pub async fn select_by_keys<T>(
    tx: &impl GenericClient,
    sql: &str,
    project: &str,
    keys: &[&[String]],
    decode: fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    if keys.iter().all(|k| k.is_empty()) {
        return Ok(Vec::new());
    }
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&project];
    params.extend(keys.iter().map(|k| k as &(dyn ToSql + Sync)));
    convert::all(&query(tx, sql, &params).await?, decode)
}

/// Runs the cached statement of `sql` once per row of `rows`, pipelined: `run` gets the
/// statement and one row and executes it (with that row's parameters) on the connection it
/// captured. Nothing runs for no rows.
pub async fn execute_each<'a, T, F, Fut>(
    c: &impl GenericClient,
    sql: &str,
    rows: &'a [T],
    run: F,
) -> Result<(), StoreError>
where
    F: Fn(Statement, &'a T) -> Fut,
    Fut: Future<Output = Result<u64, StoreError>>,
{
    if rows.is_empty() {
        return Ok(());
    }
    let stmt = c.prepare_cached(sql).await.map_err(error)?;
    try_join_all(rows.iter().map(|row| run(stmt.clone(), row))).await?;
    Ok(())
}

/// The error of a write whose fence is stale.
pub fn lease_lost(fence: &Fence) -> StoreError {
    StoreError::LeaseLost(fence.action_id.clone())
}

/// Decodes a `COUNT(*)` row.
pub fn count(row: &Row) -> Result<u64, StoreError> {
    Ok(row.try_get::<_, i64>(0).map_err(error)? as u64)
}
