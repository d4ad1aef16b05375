//! cv_engine
