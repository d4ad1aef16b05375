use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use cv_domain::Timestamp;

/// Where the engine reads the time. Tests drive a [`ManualClock`] to expire leases without
/// sleeping.
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

/// The wall clock plus an offset that tests move forward, to expire leases without sleeping.
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
