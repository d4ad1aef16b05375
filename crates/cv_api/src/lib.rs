//! cv_api
