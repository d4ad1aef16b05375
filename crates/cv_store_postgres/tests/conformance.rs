//! The shared backend conformance suite, on PostgreSQL.
//!
//! Needs `CONVEYOR_TEST_DATABASE_URL`; every test gets a fresh schema in that database.
//! Without it the tests are ignored (the build script's `postgres_unconfigured`), unless
//! `CONVEYOR_TEST_REQUIRE_POSTGRES=1`, which makes them fail instead.

use std::sync::Arc;

use cv_store::Store;
use cv_store_postgres::PostgresStore;
use rand::Rng as _;

async fn fresh() -> Arc<dyn Store> {
    let Ok(url) = std::env::var("CONVEYOR_TEST_DATABASE_URL") else {
        panic!(
            "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL \
             (start one with `bash .ci/pg-test.sh start`)"
        );
    };
    let schema = format!("t_{:016x}", rand::rng().random::<u64>());
    let store = PostgresStore::connect_in_schema(&url, &schema).await.expect("connect");
    Arc::new(store)
}

cv_store_conformance::conformance_tests!(
    fresh,
    #[cfg_attr(
        postgres_unconfigured,
        ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
    )]
);
