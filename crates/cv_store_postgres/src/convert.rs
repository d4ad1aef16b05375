//! Conversions between tokio-postgres and the store's records.

use std::error::Error as _;

use anyhow::anyhow;
use cv_domain::{ActionId, Customer, CustomerId, Progress, ProjectId, RequestId, Timestamp};
use cv_store::{ActionCount, ActionRecord, ItemError, ReportLine, StoreError};
use deadpool_postgres::PoolError;
use tokio_postgres::{Row, error::SqlState};

/// Maps a tokio-postgres error to the store's vocabulary.
pub fn error(err: tokio_postgres::Error) -> StoreError {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        if code.code().starts_with("23") {
            let constraint = db.constraint().unwrap_or("constraint").to_owned();
            return StoreError::Conflict { constraint };
        }
        let retryable = code.code().starts_with("08")
            || code.code().starts_with("53")
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW;
        return if retryable {
            StoreError::Unavailable(format!("{}: {}", code.code(), db.message()))
        } else {
            StoreError::Other(err.into())
        };
    }
    let io = err.source().is_some_and(|s| s.is::<std::io::Error>());
    if err.is_closed() || io || err.to_string().starts_with("timeout") {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::Other(err.into())
    }
}

/// Maps a pool error: timeouts and connection failures mean the database is unavailable.
pub fn pool_error(err: PoolError) -> StoreError {
    match err {
        PoolError::Backend(e) => match error(e) {
            StoreError::Other(e) => StoreError::Unavailable(format!("{e:#}")),
            mapped => mapped,
        },
        PoolError::Timeout(_) | PoolError::Closed => StoreError::Unavailable(err.to_string()),
        _ => StoreError::Other(err.into()),
    }
}

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow!("bad stored value: {e}"))
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(bad)
}

/// Parses a stored text value.
pub fn parse<T: std::str::FromStr>(text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(bad)
}

/// Column `idx` of `row`.
pub fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> Result<T, StoreError> {
    row.try_get(idx).map_err(error)
}

/// Decodes the JSON column `idx` of `row`.
pub fn json_column<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> Result<T, StoreError> {
    serde_json::from_value(get::<serde_json::Value>(row, idx)?).map_err(bad)
}

/// Decodes a `body` column: a record stored whole as JSON; `what` names it in the error.
pub fn body<T: serde::de::DeserializeOwned>(row: &Row, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(get::<serde_json::Value>(row, 0)?)
        .map_err(|e| StoreError::Other(anyhow!("bad stored {what}: {e}")))
}

/// Decodes a row selected with `cv_store::sql::ACTION_COLUMNS`.
pub fn action(row: &Row) -> Result<ActionRecord, StoreError> {
    let result: Option<&str> = get(row, 11)?;
    Ok(ActionRecord {
        id: ActionId::from_string(get::<String>(row, 0)?),
        project_id: ProjectId::from_string(get::<String>(row, 1)?),
        kind: parse(get(row, 2)?)?,
        status: parse(get(row, 3)?)?,
        progress: Progress::from_stored(get(row, 4)?),
        attempt: get::<i64>(row, 5)? as u32,
        cursor: get::<i64>(row, 6)? as u64,
        total_items: get::<i64>(row, 7)? as u64,
        done_count: get::<i64>(row, 8)? as u64,
        failed_count: get::<i64>(row, 9)? as u64,
        request_id: RequestId::from_string(get::<String>(row, 10)?),
        result: result.map(json).transpose()?,
        created_at: Timestamp::from_millis(get(row, 12)?),
        updated_at: Timestamp::from_millis(get(row, 13)?),
    })
}

/// Decodes a row of `cv_store::sql::COUNT_ACTIONS`.
pub fn action_count(row: &Row) -> Result<ActionCount, StoreError> {
    Ok(ActionCount {
        kind: parse(get(row, 0)?)?,
        status: parse(get(row, 1)?)?,
        count: get::<i64>(row, 2)? as u64,
    })
}

/// Decodes a report line row.
pub fn report_line(row: &Row) -> Result<ReportLine, StoreError> {
    let error: Option<&str> = get(row, 4)?;
    Ok(ReportLine {
        line: get::<i64>(row, 0)? as u64,
        key: get(row, 1)?,
        found: get(row, 2)?,
        updated: get(row, 3)?,
        error: error.map(json::<ItemError>).transpose()?,
    })
}

/// Decodes a row selected with `cv_store::sql::CUSTOMER_COLUMNS`.
pub fn customer(row: &Row) -> Result<Customer, StoreError> {
    let address: Option<serde_json::Value> = get(row, 8)?;
    let metadata: serde_json::Value = get(row, 9)?;
    Ok(Customer {
        id: CustomerId::from_string(get::<String>(row, 0)?),
        source_id: get(row, 1)?,
        name: get(row, 2)?,
        description: get(row, 3)?,
        email: get(row, 4)?,
        phone: get(row, 5)?,
        birthdate: get(row, 6)?,
        birthday: get(row, 7)?,
        address: address.map(serde_json::from_value).transpose().map_err(bad)?,
        metadata: serde_json::from_value(metadata).map_err(bad)?,
        created_at: Timestamp::from_millis(get(row, 10)?),
        updated_at: get::<Option<i64>>(row, 11)?.map(Timestamp::from_millis),
    })
}

/// Decodes every row with `f`.
pub fn all<T>(rows: &[Row], f: fn(&Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(f).collect()
}

/// Serialises a value stored as JSON text.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Serialises a value stored as JSONB.
pub fn to_jsonb<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Decodes a row of `id, definition, created_at, updated_at` from `metadata_schemas`.
pub fn metadata_schema(row: &Row) -> Result<cv_store::MetadataSchemaRecord, StoreError> {
    Ok(cv_store::MetadataSchemaRecord {
        id: get(row, 0)?,
        schema: json(get(row, 1)?)?,
        created_at: Timestamp::from_millis(get(row, 2)?),
        updated_at: get::<Option<i64>>(row, 3)?.map(Timestamp::from_millis),
    })
}
