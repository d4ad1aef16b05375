use cv_domain::{ActionId, DeliveryId};

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The fenced write found a newer attempt (or a finished action): this worker no longer
    /// owns the action and must stop without writing anything.
    #[error("lease lost on async action {0}")]
    LeaseLost(ActionId),
    /// The fenced record of a webhook delivery attempt found a newer claim, an ended delivery,
    /// or none (its endpoint was deleted): nothing was written.
    #[error("claim lost on webhook delivery {0}")]
    DeliveryClaimLost(DeliveryId),
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
