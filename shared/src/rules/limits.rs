//! Rate limits as fixed-window counters. The counters live in a fixed set of [`SHARDS`] Durable
//! Objects (the `RateLimiter` class, hosted by the objects Worker), each key always in the same one, which
//! serializes the hits on it, so a limit holds under any concurrency. A fixed set rather than an
//! object per key keeps the number of objects bounded however many client addresses and accounts
//! appear. This module holds the arithmetic, the keys and the sharding; the object only stores the
//! counts.
//!
//! A fixed window admits up to twice the limit across a window boundary. For login and
//! verification limits, whose point is to make guessing and scripted abuse slow rather than to
//! meter exactly, that is an accepted trade for one row of state per key.

use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How many counter objects there are. Each serializes its keys' hits; 64 of them carry far more
/// logins per second than the providers behind login would.
pub const SHARDS: u32 = 64;

/// One limit to apply: at most `max` hits per `window_seconds` on `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub max: u32,
    pub window_seconds: u32,
}

impl Limit {
    /// The name of the counter object that holds this key, from a hash so keys spread evenly.
    pub fn shard(&self) -> String {
        let digest = Sha256::digest(self.key.as_bytes());
        let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % SHARDS;
        format!("ratelimit-{n:02}")
    }
}

/// What the caller sends the counter object for one hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub key: String,
    pub max: u32,
    pub window_seconds: u32,
    pub now_ms: i64,
}

/// The object's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub allowed: bool,
    /// Hits in the current window, this one included.
    pub count: u32,
    /// Seconds until the window ends; meaningful when refused.
    pub retry_after: u32,
}

impl Hit {
    /// The key as the record stores its counts: a digest, so no user id or client address
    /// sits in the table (the counter objects, which keep only a window's rows, store it whole).
    pub fn row_key(&self) -> String {
        hex::encode(&Sha256::digest(self.key.as_bytes())[..16])
    }

    pub fn new(limit: &Limit, now_ms: i64) -> Self {
        Hit {
            key: limit.key.clone(),
            max: limit.max,
            window_seconds: limit.window_seconds,
            now_ms,
        }
    }

    /// Refuses what no limit means, so a bad request cannot divide by zero in the object.
    pub fn is_valid(&self) -> bool {
        (1..=256).contains(&self.key.len())
            && self.max >= 1
            && self.window_seconds >= 1
            && self.now_ms >= 0
    }

    /// The start of the window `now_ms` falls in, in milliseconds since the epoch.
    pub fn window_start_ms(&self) -> i64 {
        let w = i64::from(self.window_seconds) * 1000;
        self.now_ms - self.now_ms.rem_euclid(w)
    }

    pub fn window_end_ms(&self) -> i64 {
        self.window_start_ms() + i64::from(self.window_seconds) * 1000
    }

    /// The verdict once the window's count, including this hit, is `count`.
    pub fn verdict(&self, count: u32) -> Verdict {
        let remaining_ms = (self.window_end_ms() - self.now_ms).max(0);
        Verdict {
            allowed: count <= self.max,
            count,
            retry_after: u32::try_from((remaining_ms + 999) / 1000)
                .unwrap_or(u32::MAX)
                .max(1),
        }
    }
}

impl Verdict {
    pub fn into_result(self) -> ApiResult<()> {
        if self.allowed {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::RateLimited).with_retry_after(self.retry_after))
        }
    }
}

/// The first limit a count passes: `429 RATE_LIMITED` with `Retry-After`. `counts[i]` is the
/// count of `hits[i]`'s window with the hit itself, as the storage that counted it answered.
pub fn judge(hits: &[Hit], counts: &[u32]) -> ApiResult<()> {
    hits.iter()
        .zip(counts)
        .try_for_each(|(hit, &count)| hit.verdict(count).into_result())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hit(max: u32, window_seconds: u32, now_ms: i64) -> Hit {
        Hit {
            key: "k".into(),
            max,
            window_seconds,
            now_ms,
        }
    }

    #[test]
    fn the_limit_itself_is_allowed_and_one_more_is_not() {
        let h = hit(3, 60, 1_000_000);
        assert!(h.verdict(1).allowed);
        assert!(h.verdict(3).allowed);
        let refused = h.verdict(4);
        assert!(!refused.allowed);
        let err = refused.into_result().unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.retry_after, Some(20));
    }

    #[test]
    fn judge_refuses_with_the_first_limit_passed() {
        let hits = [hit(2, 60, 1_000), hit(1, 1, 1_000)];
        assert!(judge(&hits, &[2, 1]).is_ok());
        let e = judge(&hits, &[3, 2]).unwrap_err();
        assert_eq!((e.code, e.retry_after), (ErrorCode::RateLimited, Some(59)));
        let e = judge(&hits, &[1, 2]).unwrap_err();
        assert_eq!(e.retry_after, Some(1));
    }

    #[test]
    fn windows_are_aligned_and_retry_after_counts_up_to_their_end() {
        let h = hit(1, 60, 120_000);
        assert_eq!(h.window_start_ms(), 120_000);
        assert_eq!(h.verdict(2).retry_after, 60);
        let h = hit(1, 60, 179_001);
        assert_eq!(h.window_start_ms(), 120_000);
        assert_eq!(h.verdict(2).retry_after, 1);
        let h = hit(1, 60, 179_999);
        assert_eq!(h.verdict(2).retry_after, 1);
    }

    #[test]
    fn zero_limits_and_unusable_keys_are_invalid() {
        assert!(!hit(0, 60, 1).is_valid());
        assert!(!hit(1, 0, 1).is_valid());
        assert!(!hit(1, 1, -1).is_valid());
        assert!(hit(1, 1, 0).is_valid());
        let mut h = hit(1, 1, 0);
        h.key = String::new();
        assert!(!h.is_valid());
        h.key = "k".repeat(257);
        assert!(!h.is_valid());
    }

    #[test]
    fn a_key_always_lands_in_the_same_shard_and_keys_spread_over_all_of_them() {
        let limit = |key: String| Limit {
            key,
            max: 1,
            window_seconds: 60,
        };
        let a = limit("login:client:203.0.113.9".into());
        assert_eq!(a.shard(), a.clone().shard());
        let shards: std::collections::HashSet<String> = (0..2000)
            .map(|i| limit(format!("login:client:{i}")).shard())
            .collect();
        assert_eq!(shards.len(), SHARDS as usize);
        assert!(shards.iter().all(|s| s.starts_with("ratelimit-")));
    }

    proptest! {
        #[test]
        fn now_is_inside_its_window_and_retry_after_never_passes_its_end(
            now in 0i64..4_000_000_000_000,
            window in 1u32..100_000,
        ) {
            let h = hit(1, window, now);
            prop_assert!(h.window_start_ms() <= now && now < h.window_end_ms());
            let v = h.verdict(2);
            prop_assert!(v.retry_after >= 1 && v.retry_after <= window);
        }
    }
}
