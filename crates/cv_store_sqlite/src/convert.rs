//! Conversions between rusqlite and the store's records.

use std::borrow::Cow;

use anyhow::anyhow;
use cv_domain::{ActionId, Customer, CustomerId, Progress, ProjectId, RequestId, Timestamp};
use cv_store::{ActionCount, ActionRecord, ItemError, ReportLine, StoreError};
use rusqlite::{Connection, Params, Row, Transaction, ffi::ErrorCode};

/// Rewrites the shared SQL's `$N` placeholders to SQLite's positional `?N`.
pub fn sql(shared: &str) -> Cow<'_, str> {
    if !shared.contains('$') {
        return Cow::Borrowed(shared);
    }
    Cow::Owned(shared.replace('$', "?"))
}

/// Maps a rusqlite error to the store's vocabulary.
pub fn error(err: rusqlite::Error) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(e, msg) => match e.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                StoreError::Unavailable(err.to_string())
            }
            ErrorCode::ConstraintViolation => StoreError::Conflict {
                constraint: msg.clone().unwrap_or_else(|| "constraint".to_owned()),
            },
            _ => StoreError::Other(err.into()),
        },
        _ => StoreError::Other(err.into()),
    }
}

/// Decodes stored JSON text.
pub fn json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Decodes a `body` column: a record stored whole as JSON.
pub fn body<T: serde::de::DeserializeOwned>(row: &Row<'_>) -> rusqlite::Result<T> {
    json(&row.get::<_, String>(0)?)
}

/// The rows `query` selects by `?1` project and, from `?2` on, one JSON array parameter per
/// list of `keys` (ids, source_ids, codes), decoded with `decode`; none when every list is
/// empty.
pub fn select_by_keys<T>(
    tx: &Transaction<'_>,
    query: &str,
    project: &str,
    keys: &[&[String]],
    decode: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    if keys.iter().all(|k| k.is_empty()) {
        return Ok(Vec::new());
    }
    let mut params = vec![project.to_owned()];
    for k in keys {
        params.push(serde_json::to_string(k).map_err(anyhow::Error::from)?);
    }
    let mut stmt = tx.prepare_cached(query).map_err(error)?;
    stmt.query_map(rusqlite::params_from_iter(params), decode)
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(error)
}

/// Parses the text of column `index` where it lies, without copying it into a `String`.
fn parse<T: std::str::FromStr>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    row.get_ref(index)?.as_str()?.parse::<T>().map_err(|e| {
        rusqlite::Error::ToSqlConversionFailure(anyhow!("bad stored value: {e}").into())
    })
}

/// Decodes a row selected with `cv_store::sql::ACTION_COLUMNS`.
pub fn action(row: &Row<'_>) -> rusqlite::Result<ActionRecord> {
    let result: Option<&str> = row.get_ref(11)?.as_str_or_null()?;
    Ok(ActionRecord {
        id: ActionId::from_string(row.get::<_, String>(0)?),
        project_id: ProjectId::from_string(row.get::<_, String>(1)?),
        kind: parse(row, 2)?,
        status: parse(row, 3)?,
        progress: Progress::from_stored(row.get(4)?),
        attempt: row.get::<_, i64>(5)? as u32,
        cursor: row.get::<_, i64>(6)? as u64,
        total_items: row.get::<_, i64>(7)? as u64,
        done_count: row.get::<_, i64>(8)? as u64,
        failed_count: row.get::<_, i64>(9)? as u64,
        request_id: RequestId::from_string(row.get::<_, String>(10)?),
        result: result.map(json).transpose()?,
        created_at: Timestamp::from_millis(row.get(12)?),
        updated_at: Timestamp::from_millis(row.get(13)?),
    })
}

/// Decodes a row of `cv_store::sql::COUNT_ACTIONS`.
pub fn action_count(row: &Row<'_>) -> rusqlite::Result<ActionCount> {
    Ok(ActionCount {
        kind: parse(row, 0)?,
        status: parse(row, 1)?,
        count: row.get::<_, i64>(2)? as u64,
    })
}

/// Decodes a report line row.
pub fn report_line(row: &Row<'_>) -> rusqlite::Result<ReportLine> {
    let error: Option<String> = row.get(4)?;
    Ok(ReportLine {
        line: row.get::<_, i64>(0)? as u64,
        key: row.get(1)?,
        found: row.get(2)?,
        updated: row.get(3)?,
        error: error.as_deref().map(json::<ItemError>).transpose()?,
    })
}

/// Decodes a row selected with `cv_store::sql::CUSTOMER_COLUMNS`.
pub fn customer(row: &Row<'_>) -> rusqlite::Result<Customer> {
    let address: Option<String> = row.get(8)?;
    let metadata: String = row.get(9)?;
    Ok(Customer {
        id: CustomerId::from_string(row.get::<_, String>(0)?),
        source_id: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        email: row.get(4)?,
        phone: row.get(5)?,
        birthdate: row.get(6)?,
        birthday: row.get(7)?,
        address: address.as_deref().map(json).transpose()?,
        metadata: json(&metadata)?,
        created_at: Timestamp::from_millis(row.get(10)?),
        updated_at: row.get::<_, Option<i64>>(11)?.map(Timestamp::from_millis),
    })
}

/// Serialises a value stored as JSON text.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Decodes a row of `id, definition, created_at, updated_at` from `metadata_schemas`.
pub fn metadata_schema(row: &Row<'_>) -> rusqlite::Result<cv_store::MetadataSchemaRecord> {
    let definition: String = row.get(1)?;
    Ok(cv_store::MetadataSchemaRecord {
        id: row.get(0)?,
        schema: json(&definition)?,
        created_at: Timestamp::from_millis(row.get(2)?),
        updated_at: row.get::<_, Option<i64>>(3)?.map(Timestamp::from_millis),
    })
}

/// One-shot statements through the connection's prepared-statement cache: parsing and
/// planning a statement costs more than running most of this store's, and the engine runs
/// the same few (create, claim, chunk commit, finish) for every action.
pub trait Cached {
    /// [`Connection::execute`](rusqlite::Connection::execute), with a cached statement.
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// [`Connection::query_row`](rusqlite::Connection::query_row), with a cached statement.
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}
