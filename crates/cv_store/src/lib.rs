//! cv_store
