//! Where Conveyor reads the time. The engine and the API take a [`Clock`], so tests move time
//! forward (leases, OAuth token expiry) with a [`ManualClock`] instead of sleeping.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use crate::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The wall clock plus an offset that tests move forward, to expire leases and tokens without
/// sleeping. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing the wall-clock time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::now().plus_millis(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_forward_for_every_clone() {
        let clock = ManualClock::new();
        let shared = clock.clone();
        let before = shared.now();
        clock.advance(900_000);
        let after = shared.now();
        assert!(after.as_millis() - before.as_millis() >= 900_000, "{before} {after}");
    }
}
