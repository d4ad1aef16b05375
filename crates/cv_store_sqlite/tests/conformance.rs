//! The shared backend conformance suite, on SQLite.

use std::sync::Arc;

use cv_store::Store;
use cv_store_sqlite::SqliteStore;

async fn fresh() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("conformance.db")).await.expect("open");
    // The directory must outlive the store; tests are short, so leak it.
    std::mem::forget(dir);
    Arc::new(store)
}

cv_store_conformance::conformance_tests!(fresh);
