//! The shared backend conformance suite, on PostgreSQL.
//!
//! Needs `CONVEYOR_TEST_DATABASE_URL`; every test gets a fresh schema in that database.
//! Without it the tests are skipped, unless `CONVEYOR_TEST_REQUIRE_POSTGRES=1`.

use std::sync::Arc;

use cv_store::Store;
use cv_store_postgres::PostgresStore;
use rand::Rng as _;

async fn fresh() -> Option<Arc<dyn Store>> {
    let Ok(url) = std::env::var("CONVEYOR_TEST_DATABASE_URL") else {
        if std::env::var("CONVEYOR_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!(
                "CONVEYOR_TEST_REQUIRE_POSTGRES=1 but CONVEYOR_TEST_DATABASE_URL is not set \
                 (start one with `bash .ci/pg-test.sh start`)"
            );
        }
        return None;
    };
    let schema = format!("t_{:016x}", rand::rng().random::<u64>());
    let store = PostgresStore::connect_in_schema(&url, &schema).await.expect("connect");
    Some(Arc::new(store))
}

cv_store_conformance::conformance_tests!(fresh);
