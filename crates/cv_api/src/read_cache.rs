//! Finished answers of hot reads, kept while the store has not been written since.
//!
//! A page of `GET /v1/async-actions` is a hundred rows decoded and 28 kB of JSON encoded, and
//! dashboards and pollers ask for the same page over and over; every call looks up its app
//! key. Each entry is filed under the
//! store's write generation ([`cv_store::ActionReads::write_generation`]) read *before* the answer
//! was computed, and served only while the generation is still that value: any write that
//! committed, or was in flight, since then moves it on, so a served entry is always what a
//! fresh read would return. On PostgreSQL, where other nodes write too, their writes move it
//! on when their change notification arrives (see `cv_store_postgres`'s `generation`); while
//! the store cannot tell (a write in flight, notifications not heard), it answers `None` and
//! nothing is kept.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::body::Bytes;

/// Entries kept at most; past it the cache starts over (entries of older generations are
/// dead anyway, and a live one costs one read to make again).
const CAPACITY: usize = 1024;

/// Answers `V` under keys `K`, valid for one write generation each.
#[derive(Debug)]
pub struct ReadCache<K, V = Bytes> {
    entries: RwLock<HashMap<K, (u64, V)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K, V> Default for ReadCache<K, V> {
    fn default() -> Self {
        Self { entries: RwLock::default(), hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    /// The answer kept under `key` for `generation`, if any.
    pub fn get<Q>(&self, key: &Q, generation: Option<u64>) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let generation = generation?;
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let found = entries.get(key).filter(|(g, _)| *g == generation).map(|(_, b)| b.clone());
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `body` as the answer under `key` for `generation` (read before the answer was
    /// computed); nothing when there was none.
    pub fn put(&self, key: K, generation: Option<u64>, body: V) {
        let Some(generation) = generation else { return };
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.retain(|_, (g, _)| *g == generation);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (generation, body));
    }

    /// How many lookups found an answer, and how many did not (lookups without a generation
    /// are not counted).
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl<K, V> ReadCache<K, V> {
        fn len(&self) -> usize {
            self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
        }
    }

    #[test]
    fn an_answer_is_served_only_for_its_generation() {
        let cache = ReadCache::default();
        cache.put("page", Some(2), Bytes::from_static(b"a"));
        assert_eq!(cache.get(&"page", Some(2)).as_deref(), Some(&b"a"[..]));
        assert_eq!(cache.get(&"page", Some(4)), None);
        assert_eq!(cache.get(&"page", None), None);
        assert_eq!(cache.get(&"other", Some(2)), None);
        assert_eq!(cache.counts(), (1, 2));
    }

    #[test]
    fn without_a_generation_nothing_is_kept() {
        let cache = ReadCache::default();
        cache.put("page", None, Bytes::from_static(b"a"));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_full_cache_drops_dead_entries_first_and_stays_bounded() {
        let cache = ReadCache::default();
        for i in 0..CAPACITY {
            cache.put(i, Some(1), Bytes::new());
        }
        cache.put(CAPACITY, Some(3), Bytes::new());
        assert_eq!(cache.len(), 1);
        for i in 0..2 * CAPACITY {
            cache.put(i, Some(3), Bytes::new());
            assert!(cache.len() <= CAPACITY);
        }
    }
}
