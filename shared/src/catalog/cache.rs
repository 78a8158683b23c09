//! A read-through cache with a hard bound on staleness, for the slot page.
//!
//! Everyone refreshes the slot page in a booking wave, and each page asks several inventory
//! objects; answering every refresh from the objects would put the whole wave on the
//! authority that the bookings themselves need. So a page is kept for a short while, under two
//! bounds measured from when its data was *read* (not when it was stored):
//!
//! - before `soft_ms` it is served as is;
//! - after `soft_ms`, the first request is still served the old page and starts a rebuild in the
//!   background ([`Lookup::Refresh`]); requests arriving while that rebuild is under way are
//!   served the old page too, but only until `hard_ms`;
//! - after `hard_ms` it is never served: the request rebuilds before it answers.
//!
//! So a served page is never more than `hard_ms` older than the authority, under load the
//! authority sees about one rebuild per key per `soft_ms` rather than one per request, and no
//! request waits for a rebuild unless the page has aged past `hard_ms`. The clock is passed in
//! (milliseconds), so the bound is tested here without waiting.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<V> {
    /// Younger than the soft bound.
    Fresh(V),
    /// Older than the soft bound but younger than the hard one, while another request rebuilds.
    Stale(V),
    /// Older than the soft bound but younger than the hard one, and nobody is rebuilding: serve
    /// it, and rebuild in the background ([`BoundedCache::put`] or [`BoundedCache::abandon`]).
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

    pub fn get(&mut self, key: &str, now_ms: u64) -> Lookup<V> {
        let Some(e) = self.entries.get_mut(key) else {
            return Lookup::Miss;
        };
        let age = now_ms.saturating_sub(e.read_at);
        if age < self.soft_ms {
            return Lookup::Fresh(e.value.clone());
        }
        if age < self.hard_ms && e.refreshing {
            return Lookup::Stale(e.value.clone());
        }
        // This caller rebuilds; the others lean on the old value until the hard bound.
        e.refreshing = true;
        if age < self.hard_ms {
            Lookup::Refresh(e.value.clone())
        } else {
            Lookup::Miss
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
            steps in proptest::collection::vec((0u64..400, any::<bool>()), 1..200),
        ) {
            let (soft, hard) = (250, 750);
            let mut c = BoundedCache::new(soft, hard, 4);
            let mut now = 0u64;
            let mut rebuilds: Vec<u64> = Vec::new();
            for (advance, finish) in steps {
                now += advance;
                if finish {
                    if let Some(read_at) = rebuilds.pop() {
                        c.put("k", read_at, read_at);
                    }
                }
                match c.get("k", now) {
                    Lookup::Fresh(read_at) | Lookup::Stale(read_at) => {
                        prop_assert!(now - read_at < hard, "served {} ms old", now - read_at);
                    }
                    Lookup::Refresh(read_at) => {
                        prop_assert!(now - read_at < hard, "served {} ms old", now - read_at);
                        rebuilds.push(now);
                    }
                    Lookup::Miss => rebuilds.push(now),
                }
            }
        }
    }
}
