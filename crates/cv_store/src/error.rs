use cv_domain::ActionId;

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The fenced write found a newer attempt (or a finished action): this worker no longer
    /// owns the action and must stop without writing anything.
    #[error("lease lost on async action {0}")]
    LeaseLost(ActionId),
    /// A unique constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The constraint or key that conflicted.
        constraint: String,
    },
    /// A test-only failure injected before a chunk's commit (see [`crate::CommitMode`]).
    #[error("injected failure before commit")]
    InjectedFailure,
    /// The database could not be reached or is busy; a retry may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupted data.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}
