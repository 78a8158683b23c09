//! Cancelling a booking: until when it is allowed, and how serial cancelling limits new bookings.
//! The late cutoff gives the office time to offer the slot to someone else; the quota stops people
//! from holding slots "just in case" and releasing them at the last moment.

use super::Rules;
use crate::error::{ApiError, ErrorCode};
use crate::i18n::Arg;
use crate::t;
use crate::time::{self, Instant};
use chrono::Duration;
use serde_json::json;

/// The last moment to cancel is just before `period_start - cutoff_minutes_before_start`;
/// at the cutoff instant itself it is already too late.
pub fn check_cancel_allowed(
    rules: &Rules,
    now: Instant,
    period_start: Instant,
) -> Result<(), ApiError> {
    let minutes = rules.cancellation.cutoff_minutes_before_start;
    let cutoff = period_start - Duration::minutes(minutes.into());
    if now < cutoff {
        return Ok(());
    }
    Err(ApiError::new(ErrorCode::CancelTooLate)
        .with_message(t!("cancel.too_late", before = Arg::Minutes(minutes)))
        .with_details(json!({ "cutoff": time::rfc3339(&cutoff) })))
}

/// Whether an applicant may make a NEW booking given their past `cancellations` (in any order).
///
/// A cancellation counts while it is less than `window_days` old. With `max_in_window` or more
/// counted, booking reopens when enough of the oldest have aged out to leave one fewer than the
/// maximum; LIMIT_EXCEEDED carries that instant as `details.until`. Never call this to decide
/// whether a cancel is allowed: refusing a cancel would only turn it into a no-show.
pub fn check_cancellation_quota(
    rules: &Rules,
    now: Instant,
    cancellations: &[Instant],
) -> Result<(), ApiError> {
    let max = rules.cancellation.max_in_window as usize;
    let window = Duration::days(rules.cancellation.window_days.into());
    let mut counted: Vec<Instant> = cancellations
        .iter()
        .copied()
        .filter(|c| *c > now - window)
        .collect();
    if counted.len() < max {
        return Ok(());
    }
    counted.sort();
    // Cancellations are never refused, so there may be more than `max` in the window; booking
    // reopens when the one that leaves exactly `max - 1` behind it ages out.
    let until = counted[counted.len() - max] + window;
    Err(ApiError::new(ErrorCode::LimitExceeded)
        .with_message(t!(
            "cancel.quota",
            days = rules.cancellation.window_days,
            count = counted.len(),
            until = until.with_timezone(&time::shanghai()).naive_local(),
        ))
        .with_details(json!({ "until": time::rfc3339(&until) })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use chrono::{NaiveDate, NaiveTime};
    use proptest::prelude::*;

    fn at(m: u32, day: u32, h: u32, min: u32) -> Instant {
        time::at(
            NaiveDate::from_ymd_opt(2026, m, day).unwrap(),
            NaiveTime::from_hms_opt(h, min, 0).unwrap(),
        )
    }

    #[test]
    fn cancelling_is_allowed_until_the_cutoff_and_refused_from_it() {
        let rules = Rules::default();
        let start = at(3, 12, 10, 0);
        assert!(check_cancel_allowed(&rules, at(3, 11, 10, 0), start).is_ok());
        assert!(check_cancel_allowed(&rules, at(3, 12, 7, 59), start).is_ok());
        let last_second = at(3, 12, 8, 0) - Duration::seconds(1);
        assert!(check_cancel_allowed(&rules, last_second, start).is_ok());

        for too_late in [
            at(3, 12, 8, 0),
            at(3, 12, 8, 1),
            at(3, 12, 10, 0),
            at(3, 12, 11, 0),
        ] {
            let err = check_cancel_allowed(&rules, too_late, start).unwrap_err();
            assert_eq!(err.code, ErrorCode::CancelTooLate);
            assert_eq!(
                err.details.unwrap(),
                json!({"cutoff": "2026-03-12T08:00:00+08:00"})
            );
            assert_eq!(err.message.render(Lang::Zh), "开始前2小时内不可取消");
            assert_eq!(
                err.message.render(Lang::En),
                "Appointments cannot be cancelled in the 2 hours before they start."
            );
        }
    }

    #[test]
    fn a_zero_cutoff_allows_cancelling_until_the_start() {
        let mut rules = Rules::default();
        rules.cancellation.cutoff_minutes_before_start = 0;
        let start = at(3, 12, 10, 0);
        assert!(check_cancel_allowed(&rules, at(3, 12, 9, 59), start).is_ok());
        assert!(check_cancel_allowed(&rules, start, start).is_err());
    }

    #[test]
    fn fewer_than_the_maximum_cancellations_do_not_limit() {
        let rules = Rules::default();
        let now = at(3, 31, 12, 0);
        assert!(check_cancellation_quota(&rules, now, &[]).is_ok());
        assert!(check_cancellation_quota(&rules, now, &[at(3, 20, 9, 0), at(3, 25, 9, 0)]).is_ok());
    }

    #[test]
    fn the_maximum_within_the_window_blocks_until_the_oldest_ages_out() {
        let rules = Rules::default();
        let oldest = at(3, 5, 9, 30);
        let cancellations = [at(3, 20, 9, 0), oldest, at(3, 25, 9, 0)];
        let err = check_cancellation_quota(&rules, at(3, 31, 12, 0), &cancellations).unwrap_err();
        assert_eq!(err.code, ErrorCode::LimitExceeded);
        assert_eq!(
            err.details.unwrap(),
            json!({"until": "2026-04-04T09:30:00+08:00"})
        );
        let zh = err.message.render(Lang::Zh);
        assert!(zh.contains("4月4日 09:30"), "{zh}");
        let en = err.message.render(Lang::En);
        assert!(en.contains("after 4 Apr 09:30"), "{en}");

        let until = oldest + Duration::days(30);
        assert!(
            check_cancellation_quota(&rules, until - Duration::seconds(1), &cancellations).is_err()
        );
        assert!(check_cancellation_quota(&rules, until, &cancellations).is_ok());
    }

    #[test]
    fn cancellations_older_than_the_window_do_not_count() {
        let rules = Rules::default();
        let cancellations = [
            at(1, 5, 9, 0),
            at(1, 6, 9, 0),
            at(3, 25, 9, 0),
            at(3, 26, 9, 0),
        ];
        assert!(check_cancellation_quota(&rules, at(3, 31, 12, 0), &cancellations).is_ok());
    }

    #[test]
    fn more_than_the_maximum_waits_for_enough_to_age_out() {
        let rules = Rules::default();
        // Five in the window with a maximum of three: booking reopens when the first three have
        // aged out, i.e. 30 days after the third oldest.
        let cancellations = [
            at(3, 1, 9, 0),
            at(3, 2, 9, 0),
            at(3, 3, 9, 0),
            at(3, 4, 9, 0),
            at(3, 5, 9, 0),
        ];
        let err = check_cancellation_quota(&rules, at(3, 10, 9, 0), &cancellations).unwrap_err();
        assert_eq!(err.details.unwrap()["until"], "2026-04-02T09:00:00+08:00");
    }

    proptest! {
        #[test]
        fn booking_is_allowed_exactly_from_until(
            offsets in proptest::collection::vec(0i64..60 * 86_400, 0..8),
            now_offset in 0i64..60 * 86_400,
        ) {
            let rules = Rules::default();
            let base = at(1, 1, 0, 0);
            // Cancellations are in the past.
            let cancellations: Vec<Instant> = offsets
                .iter()
                .map(|s| base + Duration::seconds((*s).min(now_offset)))
                .collect();
            let now = base + Duration::seconds(now_offset);
            match check_cancellation_quota(&rules, now, &cancellations) {
                Ok(()) => {}
                Err(err) => {
                    let until_text = err.details.unwrap()["until"].as_str().unwrap().to_owned();
                    let until = chrono::DateTime::parse_from_rfc3339(&until_text).unwrap();
                    prop_assert!(until > now);
                    prop_assert!(
                        check_cancellation_quota(&rules, until - Duration::seconds(1), &cancellations).is_err()
                    );
                    prop_assert!(check_cancellation_quota(&rules, until, &cancellations).is_ok());
                }
            }
        }
    }
}
