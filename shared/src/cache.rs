//! A read-through cache with a hard bound on staleness, for what the inventory authority said:
//! the slot page (`functions/catalog`) and a period's being full (the inventory client).
//!
//! Everyone refreshes the slot page and resubmits in a booking wave; answering each of them from
//! the objects would put the whole wave on the authority that the bookings themselves need. So
//! an answer is kept for a short while, under two bounds measured from when its data was *read*
//! (not when it was stored):
//!
//! - before `soft_ms` it is served as is;
//! - after `soft_ms`, the first request takes the rebuild on ([`Lookup::Refresh`]); requests
//!   arriving while that rebuild is under way are served the old value, but only until
//!   `hard_ms`;
//! - after `hard_ms` it is never served: the request rebuilds before it answers.
//!
//! So a served value is never more than `hard_ms` older than the authority, under load the
//! authority sees about one rebuild per key per `soft_ms` rather than one per request, and no
//! request waits for a rebuild unless the value has aged past `hard_ms`. The clock is passed in
//! (milliseconds), so the bound is tested here without waiting.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<V> {
    /// Younger than the soft bound.
    Fresh(V),
    /// Older than the soft bound but younger than the hard one, while another request rebuilds.
    Stale(V),
    /// Older than the soft bound but younger than the hard one, and nobody is rebuilding: the
    /// caller rebuilds ([`BoundedCache::put`], [`BoundedCache::forget`] or
    /// [`BoundedCache::abandon`]), serving the old value meanwhile or not, as suits it.
    Refresh(V),
    /// Nothing that may be served: the caller builds the value before answering, then
    /// [`BoundedCache::put`]s it (or [`BoundedCache::abandon`]s).
    Miss,
}

struct Entry<V> {
    value: V,
    read_at: u64,
    refreshing: bool,
}

pub struct BoundedCache<V> {
    soft_ms: u64,
    hard_ms: u64,
    max_entries: usize,
    entries: HashMap<String, Entry<V>>,
}

impl<V: Clone> BoundedCache<V> {
    pub fn new(soft_ms: u64, hard_ms: u64, max_entries: usize) -> Self {
        assert!(soft_ms <= hard_ms && max_entries > 0);
        BoundedCache {
            soft_ms,
            hard_ms,
            max_entries,
            entries: HashMap::new(),
        }
    }

    pub fn hard_ms(&self) -> u64 {
        self.hard_ms
    }

    /// The value for `key` at `now_ms`, taking the rebuild on when one is due ([`Lookup::Refresh`]
    /// or [`Lookup::Miss`]): until [`BoundedCache::put`], [`BoundedCache::forget`] or
    /// [`BoundedCache::abandon`], the others get [`Lookup::Stale`] below the hard bound and
    /// [`Lookup::Miss`] past it.
    pub fn get(&mut self, key: &str, now_ms: u64) -> Lookup<V> {
        let lookup = self.peek(key, now_ms);
        if let (Lookup::Refresh(_) | Lookup::Miss, Some(e)) = (&lookup, self.entries.get_mut(key)) {
            // This caller rebuilds; the others lean on the old value until the hard bound.
            e.refreshing = true;
        }
        lookup
    }

    /// What [`BoundedCache::get`] would answer, without taking a rebuild on: for a caller that
    /// may serve a value but will not rebuild it.
    pub fn peek(&self, key: &str, now_ms: u64) -> Lookup<V> {
        let Some(e) = self.entries.get(key) else {
            return Lookup::Miss;
        };
        let age = now_ms.saturating_sub(e.read_at);
        if age < self.soft_ms {
            Lookup::Fresh(e.value.clone())
        } else if age >= self.hard_ms {
            Lookup::Miss
        } else if e.refreshing {
            Lookup::Stale(e.value.clone())
        } else {
            Lookup::Refresh(e.value.clone())
        }
    }

    /// Stores a value whose data was read at `read_at_ms` (taken *before* reading, so the age is
    /// never underestimated). An older read never replaces a newer one.
    pub fn put(&mut self, key: &str, value: V, read_at_ms: u64) {
        if let Some(e) = self.entries.get(key) {
            if e.read_at > read_at_ms {
                return;
            }
        } else if self.entries.len() >= self.max_entries {
            self.evict_oldest();
        }
        self.entries.insert(
            key.to_owned(),
            Entry {
                value,
                read_at: read_at_ms,
                refreshing: false,
            },
        );
    }

    /// A rebuild failed: let the next request try again rather than wait out the hard bound.
    pub fn abandon(&mut self, key: &str) {
        if let Some(e) = self.entries.get_mut(key) {
            e.refreshing = false;
        }
    }

    /// The authority said something that makes the value wrong: nothing is served for `key`
    /// until the next [`BoundedCache::put`].
    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn evict_oldest(&mut self) {
        if let Some(oldest) = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.read_at)
            .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fresh_then_one_rebuild_while_the_others_get_the_old_page() {
        let mut c = BoundedCache::new(250, 750, 8);
        assert_eq!(c.get("k", 0), Lookup::Miss);
        c.put("k", 1, 0);
        assert_eq!(c.get("k", 249), Lookup::Fresh(1));
        // The first request past the soft bound gets the old page and rebuilds in the background;
        // concurrent ones are served the old page too.
        assert_eq!(c.get("k", 250), Lookup::Refresh(1));
        assert_eq!(c.get("k", 300), Lookup::Stale(1));
        assert_eq!(c.get("k", 749), Lookup::Stale(1));
        // Past the hard bound nothing old is served, even while a rebuild is under way.
        assert_eq!(c.get("k", 750), Lookup::Miss);
        assert_eq!(c.get("k", 751), Lookup::Miss);
        c.put("k", 2, 740);
        assert_eq!(c.get("k", 800), Lookup::Fresh(2));
    }

    #[test]
    fn an_abandoned_rebuild_lets_the_next_request_try() {
        let mut c = BoundedCache::new(100, 1000, 8);
        c.put("k", 1, 0);
        assert_eq!(c.get("k", 150), Lookup::Refresh(1));
        c.abandon("k");
        assert_eq!(
            c.get("k", 160),
            Lookup::Refresh(1),
            "nobody is rebuilding: the next one does"
        );
        c.abandon("k");
        assert_eq!(c.get("k", 1000), Lookup::Miss);
    }

    #[test]
    fn a_peek_serves_but_never_takes_the_rebuild_on() {
        let mut c = BoundedCache::new(250, 750, 8);
        c.put("k", 1, 0);
        assert_eq!(c.peek("k", 100), Lookup::Fresh(1));
        assert_eq!(c.peek("k", 300), Lookup::Refresh(1));
        assert_eq!(
            c.peek("k", 300),
            Lookup::Refresh(1),
            "peeking left it to the next get"
        );
        assert_eq!(c.get("k", 300), Lookup::Refresh(1));
        assert_eq!(c.peek("k", 310), Lookup::Stale(1));
        assert_eq!(c.get("k", 310), Lookup::Stale(1));
        assert_eq!(c.peek("k", 750), Lookup::Miss);
        assert_eq!(c.peek("nothing", 0), Lookup::Miss);
    }

    #[test]
    fn a_forgotten_value_is_not_served_until_the_next_put() {
        let mut c = BoundedCache::new(250, 750, 8);
        c.put("k", 1, 0);
        c.forget("k");
        assert_eq!(c.get("k", 10), Lookup::Miss);
        assert!(c.is_empty());
        c.put("k", 2, 20);
        assert_eq!(c.get("k", 30), Lookup::Fresh(2));
    }

    #[test]
    fn an_older_read_does_not_overwrite_a_newer_one() {
        let mut c = BoundedCache::new(100, 1000, 8);
        c.put("k", 2, 500);
        c.put("k", 1, 400);
        assert_eq!(c.get("k", 550), Lookup::Fresh(2));
    }

    #[test]
    fn the_oldest_entry_makes_room() {
        let mut c = BoundedCache::new(100, 1000, 2);
        c.put("a", 1, 10);
        c.put("b", 2, 20);
        c.put("c", 3, 30);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("a", 40), Lookup::Miss);
        assert_eq!(c.get("c", 40), Lookup::Fresh(3));
    }

    proptest! {
        /// Whatever the interleaving of requests and rebuilds, a served value was read at most
        /// `hard` ms before it was served.
        #[test]
        fn nothing_older_than_the_hard_bound_is_ever_served(
            steps in proptest::collection::vec((0u64..400, any::<bool>(), any::<bool>()), 1..200),
        ) {
            let (soft, hard) = (250, 750);
            let mut c = BoundedCache::new(soft, hard, 4);
            let mut now = 0u64;
            let mut rebuilds: Vec<u64> = Vec::new();
            for (advance, finish, peek) in steps {
                now += advance;
                if finish {
                    if let Some(read_at) = rebuilds.pop() {
                        c.put("k", read_at, read_at);
                    }
                }
                // A peek serves what it may and leaves the rebuild to a later get.
                let lookup = if peek { c.peek("k", now) } else { c.get("k", now) };
                match lookup {
                    Lookup::Fresh(read_at) | Lookup::Stale(read_at) => {
                        prop_assert!(now - read_at < hard, "served {} ms old", now - read_at);
                    }
                    Lookup::Refresh(read_at) => {
                        prop_assert!(now - read_at < hard, "served {} ms old", now - read_at);
                        if !peek {
                            rebuilds.push(now);
                        }
                    }
                    Lookup::Miss if peek => {}
                    Lookup::Miss => rebuilds.push(now),
                }
            }
        }
    }
}
