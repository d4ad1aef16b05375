//! cv_store_sqlite
