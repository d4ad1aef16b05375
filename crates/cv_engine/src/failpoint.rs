//! Named points where tests make the engine fail: "crash" points stop the worker dead,
//! without releasing its lease or finishing the action, exactly as if the process had been
//! killed there; the others inject a transient database error or a panic in action code.

use std::sync::Mutex;

/// Where a crash is injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureLocation {
    /// After a chunk committed, before the next one starts (between chunks).
    AfterChunkCommit,
    /// Inside a chunk's transaction: all its writes done, then rolled back instead of
    /// committed.
    InsideChunkBeforeCommit,
    /// After the last chunk committed, before the action is marked finished.
    BeforeFinish,
    /// A chunk's commit fails with a transient database error (busy, connection lost)
    /// before reaching the database; the worker retries it.
    TransientCommitError,
    /// The action's code panics while a chunk is prepared.
    PanicInChunk,
}

/// A set of armed failure points. Each fires once, at the `n`-th time (0-based) the engine
/// reaches its location.
#[derive(Debug, Default)]
pub struct FailPoints {
    armed: Mutex<Vec<(FailureLocation, u32)>>,
}

impl FailPoints {
    /// No failure points.
    pub fn none() -> Self {
        Self::default()
    }

    /// Arms `location` to fire the `nth` (0-based) time it is reached.
    pub fn arm(self, location: FailureLocation, nth: u32) -> Self {
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).push((location, nth));
        self
    }

    /// Whether a failure is armed at `location` (it will fire there some time).
    pub(crate) fn armed(&self, location: FailureLocation) -> bool {
        let armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        armed.iter().any(|(at, _)| *at == location)
    }

    /// Called by the engine on reaching `location`; true when it must crash here.
    pub(crate) fn hit(&self, location: FailureLocation) -> bool {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let mut fire = false;
        armed.retain_mut(|(at, n)| {
            if *at != location {
                return true;
            }
            if *n == 0 {
                fire = true;
                return false;
            }
            *n -= 1;
            true
        });
        fire
    }
}
