//! cv_actions
