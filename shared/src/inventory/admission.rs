//! The waiting room ops can switch on for an office's release day: instead of a race that scripts
//! win, everyone who joins before the release time gets a place in a lottery drawn at that time,
//! and people are admitted in that order, `batch_size` at the release and `batch_size` more
//! every `batch_interval_seconds`. Whoever joins after the draw queues behind, in arrival order.
//! An admission lasts `admitted_for_seconds`; a submit from someone not (or no longer) admitted
//! is `429 RATE_LIMITED` with their position and a `Retry-After` of when their turn comes.
//!
//! The (office, date) day ([`super::day`]) keeps the queue and decides, in the same place and step
//! as the hold, so a refusal costs nothing beyond the object. This module is the arithmetic.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::t;
use crate::time::{from_unix_millis, rfc3339};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdmissionConfig {
    /// When the lottery is drawn and the first batch admitted (unix ms): normally the release.
    pub opens_at_ms: i64,
    pub batch_size: u32,
    pub batch_interval_seconds: u32,
    pub admitted_for_seconds: u32,
}

/// Where one user stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdmissionStatus {
    /// The day has no waiting room: book as usual.
    Off,
    /// The user has not joined the queue.
    NotJoined,
    /// Joined; `position` is known once the lottery is drawn. `turn_at_ms`: when the position
    /// is admitted (the opening, before the draw).
    Waiting {
        position: Option<u64>,
        turn_at_ms: i64,
    },
    Admitted {
        position: u64,
        until_ms: i64,
    },
    /// Admitted, and the time to book ran out; joining again queues at the end.
    Expired {
        position: u64,
    },
}

impl AdmissionConfig {
    pub fn validate(&self) -> ApiResult<()> {
        let checks = [
            ("batch_size", self.batch_size, 1..=10_000),
            (
                "batch_interval_seconds",
                self.batch_interval_seconds,
                1..=3_600,
            ),
            (
                "admitted_for_seconds",
                self.admitted_for_seconds,
                30..=7_200,
            ),
        ];
        for (field, value, range) in checks {
            if !range.contains(&value) {
                return Err(ApiError::invalid(
                    field,
                    t!(
                        "config.between",
                        field = field,
                        min = *range.start(),
                        max = *range.end()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn interval_ms(&self) -> i64 {
        i64::from(self.batch_interval_seconds) * 1000
    }

    /// Positions `1..=n` are admitted at `now_ms`.
    pub fn admitted_through(&self, now_ms: i64) -> u64 {
        if now_ms < self.opens_at_ms {
            return 0;
        }
        let batches = 1 + (now_ms - self.opens_at_ms) / self.interval_ms();
        u64::from(self.batch_size).saturating_mul(batches as u64)
    }

    /// When `position` (from 1) is admitted.
    pub fn turn_at(&self, position: u64) -> i64 {
        let batch = (position.max(1) - 1) / u64::from(self.batch_size);
        self.opens_at_ms + (batch as i64).saturating_mul(self.interval_ms())
    }

    /// Where the holder of `position` (`None`: joined, not yet drawn) stands at `now_ms`.
    pub fn status(&self, position: Option<u64>, now_ms: i64) -> AdmissionStatus {
        let Some(pos) = position else {
            return AdmissionStatus::Waiting {
                position: None,
                turn_at_ms: self.opens_at_ms,
            };
        };
        let turn = self.turn_at(pos);
        if now_ms < turn {
            return AdmissionStatus::Waiting {
                position: Some(pos),
                turn_at_ms: turn,
            };
        }
        let until = turn + i64::from(self.admitted_for_seconds) * 1000;
        if now_ms < until {
            AdmissionStatus::Admitted {
                position: pos,
                until_ms: until,
            }
        } else {
            AdmissionStatus::Expired { position: pos }
        }
    }
}

/// The lottery: a uniformly random order of `users` (Fisher–Yates over a ChaCha20 stream), so
/// arriving first, or many times, earns nothing.
pub fn draw<T>(users: &mut [T], seed: [u8; 32]) {
    let mut rng = ChaCha20Rng::from_seed(seed);
    for i in (1..users.len()).rev() {
        // Rejection sampling keeps every index equally likely.
        let bound = (i + 1) as u64;
        let zone = u64::MAX - u64::MAX % bound;
        let j = loop {
            let r = rng.next_u64();
            if r < zone {
                break (r % bound) as usize;
            }
        };
        users.swap(i, j);
    }
}

impl AdmissionStatus {
    /// May this user take a place now?
    pub fn admits(&self) -> bool {
        matches!(
            self,
            AdmissionStatus::Off | AdmissionStatus::Admitted { .. }
        )
    }

    /// The refusal of a submit from someone not admitted: `429` with the position and when to
    /// come back.
    pub fn refusal(&self, now_ms: i64) -> ApiError {
        let (reason, position, retry_ms) = match *self {
            AdmissionStatus::NotJoined => ("not_joined", None, 0),
            AdmissionStatus::Waiting {
                position,
                turn_at_ms,
            } => ("waiting", position, turn_at_ms - now_ms),
            AdmissionStatus::Expired { position } => ("expired", Some(position), 0),
            AdmissionStatus::Off | AdmissionStatus::Admitted { .. } => ("admitted", None, 0),
        };
        let retry_after = u32::try_from((retry_ms.max(0) + 999) / 1000)
            .unwrap_or(u32::MAX)
            .max(1);
        let message = match reason {
            "waiting" => t!("admission.waiting"),
            "expired" => t!("admission.expired"),
            _ => t!("admission.join_first"),
        };
        ApiError::new(ErrorCode::RateLimited)
            .with_message(message)
            .with_details(
                json!({ "reason": "admission", "admission": reason, "position": position }),
            )
            .with_retry_after(retry_after)
    }

    pub fn view(&self) -> Value {
        let at = |ms: i64| rfc3339(&from_unix_millis(ms));
        match *self {
            AdmissionStatus::Off => json!({ "status": "off" }),
            AdmissionStatus::NotJoined => json!({ "status": "not_joined" }),
            AdmissionStatus::Waiting {
                position,
                turn_at_ms,
            } => json!({ "status": "waiting", "position": position, "turn_at": at(turn_at_ms) }),
            AdmissionStatus::Admitted { position, until_ms } => {
                json!({ "status": "admitted", "position": position, "until": at(until_ms) })
            }
            AdmissionStatus::Expired { position } => {
                json!({ "status": "expired", "position": position })
            }
        }
    }
}

/// Whether the lottery must be drawn before answering at `at_ms`.
pub fn needs_draw(cfg: &AdmissionConfig, drawn: bool, at_ms: i64) -> bool {
    !drawn && at_ms >= cfg.opens_at_ms
}

/// What joining does to a user's entry, given where they stand: nothing for someone waiting or
/// admitted; a new entry for someone absent, or again at the end for someone whose admission
/// expired. A new entry gets the position after `last` once the lottery is drawn, none before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    Keep,
    Enter { position: Option<u64> },
}

pub fn join(status: &AdmissionStatus, drawn: bool, last: u64) -> Join {
    match status {
        AdmissionStatus::NotJoined | AdmissionStatus::Expired { .. } => Join::Enter {
            position: drawn.then_some(last + 1),
        },
        _ => Join::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cfg() -> AdmissionConfig {
        AdmissionConfig {
            opens_at_ms: 1_000_000,
            batch_size: 50,
            batch_interval_seconds: 30,
            admitted_for_seconds: 300,
        }
    }

    #[test]
    fn batches_are_admitted_at_the_opening_and_each_interval_after() {
        let c = cfg();
        assert_eq!(c.admitted_through(999_999), 0);
        assert_eq!(c.admitted_through(1_000_000), 50);
        assert_eq!(c.admitted_through(1_029_999), 50);
        assert_eq!(c.admitted_through(1_030_000), 100);
        assert_eq!(c.turn_at(1), 1_000_000);
        assert_eq!(c.turn_at(50), 1_000_000);
        assert_eq!(c.turn_at(51), 1_030_000);
        assert_eq!(c.turn_at(101), 1_060_000);
    }

    #[test]
    fn a_position_waits_then_is_admitted_for_a_while_then_expires() {
        let c = cfg();
        assert_eq!(
            c.status(None, 1_500_000),
            AdmissionStatus::Waiting {
                position: None,
                turn_at_ms: 1_000_000
            }
        );
        assert_eq!(
            c.status(Some(60), 1_010_000),
            AdmissionStatus::Waiting {
                position: Some(60),
                turn_at_ms: 1_030_000
            }
        );
        assert_eq!(
            c.status(Some(60), 1_030_000),
            AdmissionStatus::Admitted {
                position: 60,
                until_ms: 1_330_000
            }
        );
        assert_eq!(
            c.status(Some(60), 1_330_000),
            AdmissionStatus::Expired { position: 60 }
        );
        assert!(c.status(Some(1), 1_000_000).admits());
        assert!(!c.status(Some(51), 1_000_000).admits());
    }

    #[test]
    fn a_refusal_is_429_with_the_position_and_when_to_return() {
        let e = cfg().status(Some(60), 1_010_000).refusal(1_010_000);
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(e.retry_after, Some(20));
        let d = e.details.unwrap();
        assert_eq!(d["position"], 60);
        assert_eq!(d["admission"], "waiting");
        assert_eq!(AdmissionStatus::NotJoined.refusal(0).retry_after, Some(1));
    }

    #[test]
    fn joining_enters_the_absent_and_the_expired_only() {
        let waiting = AdmissionStatus::Waiting {
            position: Some(3),
            turn_at_ms: 0,
        };
        assert_eq!(join(&waiting, true, 9), Join::Keep);
        assert_eq!(
            join(&AdmissionStatus::NotJoined, false, 0),
            Join::Enter { position: None }
        );
        assert_eq!(
            join(&AdmissionStatus::NotJoined, true, 9),
            Join::Enter { position: Some(10) }
        );
        assert_eq!(
            join(&AdmissionStatus::Expired { position: 2 }, true, 9),
            Join::Enter { position: Some(10) }
        );
        assert!(needs_draw(&cfg(), false, 1_000_000));
        assert!(!needs_draw(&cfg(), true, 1_000_000));
        assert!(!needs_draw(&cfg(), false, 999_999));
    }

    #[test]
    fn bad_configs_are_named() {
        let mut c = cfg();
        c.batch_size = 0;
        assert_eq!(
            c.validate().unwrap_err().details.unwrap()["field"],
            "batch_size"
        );
        let mut c = cfg();
        c.admitted_for_seconds = 5;
        assert!(c.validate().is_err());
        assert!(cfg().validate().is_ok());
    }

    #[test]
    fn the_draw_is_a_permutation_that_depends_on_the_seed() {
        let mut a: Vec<u32> = (0..200).collect();
        let mut b = a.clone();
        draw(&mut a, [1; 32]);
        draw(&mut b, [2; 32]);
        assert_ne!(a, b);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..200).collect::<Vec<_>>());
        assert_ne!(a, (0..200).collect::<Vec<_>>());
    }

    proptest! {
        /// Arriving early buys nothing: over many seeds, the first arrival lands in the first
        /// half about as often as not.
        #[test]
        fn early_arrivals_are_not_favoured(seed in any::<[u8; 32]>()) {
            let mut users: Vec<u32> = (0..100).collect();
            draw(&mut users, seed);
            // The first 10 arrivals do not all end up first.
            let first_ten: Vec<u32> = users[..10].to_vec();
            prop_assert_ne!(first_ten, (0..10).collect::<Vec<u32>>());
        }
    }

    #[test]
    fn each_position_is_equally_likely_for_the_first_arrival() {
        let mut first_half = 0;
        for s in 0..2000u32 {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&s.to_le_bytes());
            let mut users: Vec<u32> = (0..10).collect();
            draw(&mut users, seed);
            if users.iter().position(|&u| u == 0).unwrap() < 5 {
                first_half += 1;
            }
        }
        // Binomial(2000, 0.5): mean 1000, sd ~22; ±150 is far beyond chance.
        assert!((850..=1150).contains(&first_half), "{first_half}");
    }
}
