//! The write generation on PostgreSQL (see `ActionReads::write_generation`), which lets the API
//! keep hot answers on each node although other nodes write too: it moves on when this node
//! starts and ends a write the API's kept answers depend on (action rows, projects,
//! credentials), and whenever the LISTEN connection hears a notification — every committed
//! change to an action row, by any node, sends one. While a write of this node is in flight,
//! or while the LISTEN connection is down (a notification could be missed), there is none,
//! and nothing is kept.
//!
//! So a kept answer is never older than this node's last write, and older than another
//! node's write only until its notification arrives (the commit-to-delivery delay of
//! `NOTIFY`, a millisecond or so on one network).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The generation counter, the writes in flight, and whether notifications are heard.
#[derive(Debug, Default)]
pub struct Generation {
    value: AtomicU64,
    writing: AtomicU64,
    listening: AtomicBool,
    listened: tokio::sync::Notify,
}

impl Generation {
    /// The current generation; `None` while a write is in flight or notifications may be
    /// missed.
    pub fn current(&self) -> Option<u64> {
        let before = self.value.load(Ordering::SeqCst);
        if self.writing.load(Ordering::SeqCst) > 0 || !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        (self.value.load(Ordering::SeqCst) == before).then_some(before)
    }

    /// Something changed, or may have: answers kept until now are stale.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether the LISTEN connection is up (every change is heard).
    pub fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
        self.bump();
        self.listened.notify_waiters();
    }

    /// Resolves once notifications are heard.
    pub async fn listening(&self) {
        loop {
            let changed = self.listened.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.listening.load(Ordering::SeqCst) {
                return;
            }
            changed.await;
        }
    }

    /// Marks a write in flight until the guard drops (after its transaction ended).
    pub fn writing(&self) -> Writing<'_> {
        self.writing.fetch_add(1, Ordering::SeqCst);
        self.bump();
        Writing(self)
    }
}

/// A write in flight (see [`Generation::writing`]).
#[must_use = "the write is in flight while the guard lives"]
pub struct Writing<'a>(&'a Generation);

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.bump();
        self.0.writing.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_quiet_listening_store_has_a_generation() {
        let g = Generation::default();
        assert_eq!(g.current(), None, "not listening yet");
        g.set_listening(true);
        let first = g.current().expect("listening, nothing in flight");
        {
            let _w = g.writing();
            assert_eq!(g.current(), None, "a write in flight");
        }
        let after = g.current().expect("the write ended");
        assert_ne!(after, first, "a write moves it on");
        g.bump();
        assert_ne!(g.current(), Some(after), "a notification moves it on");
        g.set_listening(false);
        assert_eq!(g.current(), None, "notifications may be missed");
    }
}
