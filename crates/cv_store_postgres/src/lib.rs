//! cv_store_postgres
