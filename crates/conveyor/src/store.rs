//! Opening the store named by the database URL.

use std::sync::Arc;

use anyhow::bail;
use cv_store::Store;
use cv_store_postgres::PostgresStore;
use cv_store_sqlite::{SqliteStore, Synchronous};

/// Opens (and migrates) the database at `url`: `sqlite://PATH` (its commits synced as
/// `synchronous` says) or `postgres://…`.
pub async fn open(url: &str, synchronous: Synchronous) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            bail!("database URL {url:?} names no file; use sqlite://PATH");
        }
        return Ok(Arc::new(SqliteStore::open_with(path, synchronous).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::connect(url).await?));
    }
    bail!("unsupported database URL {:?}: use sqlite://PATH or postgres://…", redact(url))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}
