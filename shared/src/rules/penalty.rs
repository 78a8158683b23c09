//! Booking bans for repeated no-shows. A missed appointment wastes a slot someone else needed,
//! so an applicant who misses `threshold` of them within `window_days` of each other is barred
//! from booking for `ban_days`.

use super::Rules;
use crate::error::{ApiError, ErrorCode};
use crate::t;
use chrono::{Days, NaiveDate};
use serde_json::json;

/// The date a ban in force on `today` ends (exclusive: the first day booking is possible again),
/// or `None` if there is none.
///
/// Each run of `threshold` no-shows whose first and last are at most `window_days` apart
/// (inclusive: 90 days apart is within 90 days) starts a ban on its last no-show's date.
/// No-shows are not used up by a ban: one that already led to a ban can combine with a later one.
pub fn booking_ban(rules: &Rules, today: NaiveDate, no_shows: &[NaiveDate]) -> Option<NaiveDate> {
    // `validate` refuses a zero threshold; the guard keeps `windows(0)` from panicking anyway.
    let threshold = rules.no_show.threshold.max(1) as usize;
    let window = i64::from(rules.no_show.window_days);
    let mut dates = no_shows.to_vec();
    dates.sort_unstable();
    dates
        .windows(threshold)
        .filter(|run| (run[threshold - 1] - run[0]).num_days() <= window)
        .map(|run| run[threshold - 1])
        .filter(|start| *start <= today)
        .map(|start| start + Days::new(rules.no_show.ban_days.into()))
        .filter(|end| today < *end)
        .max()
}

/// Refuses booking with BOOKING_BANNED while a ban is in force; `details.until` is the first day
/// booking is possible again.
pub fn check_not_banned(
    rules: &Rules,
    today: NaiveDate,
    no_shows: &[NaiveDate],
) -> Result<(), ApiError> {
    match booking_ban(rules, today, no_shows) {
        None => Ok(()),
        Some(until) => Err(ApiError::new(ErrorCode::BookingBanned)
            .with_message(t!("penalty.banned_until", until = until))
            .with_details(json!({ "until": until.to_string() }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn one_no_show_is_not_banned() {
        let rules = Rules::default();
        assert_eq!(booking_ban(&rules, d(3, 2), &[d(3, 1)]), None);
        assert_eq!(booking_ban(&rules, d(3, 2), &[]), None);
        assert!(check_not_banned(&rules, d(3, 2), &[d(3, 1)]).is_ok());
    }

    #[test]
    fn a_second_no_show_inside_the_window_bans_for_ban_days_from_it() {
        let rules = Rules::default();
        let no_shows = [d(1, 10), d(3, 1)];
        assert_eq!(booking_ban(&rules, d(3, 1), &no_shows), Some(d(5, 30)));
        assert_eq!(booking_ban(&rules, d(5, 29), &no_shows), Some(d(5, 30)));

        let err = check_not_banned(&rules, d(3, 2), &no_shows).unwrap_err();
        assert_eq!(err.code, ErrorCode::BookingBanned);
        assert_eq!(err.details.unwrap(), json!({"until": "2026-05-30"}));
        let zh = err.message.render(crate::i18n::Lang::Zh);
        assert!(zh.contains("2026年5月30日"), "{zh}");
        let en = err.message.render(crate::i18n::Lang::En);
        assert!(en.contains("from 30 May 2026"), "{en}");
    }

    #[test]
    fn the_window_is_inclusive_of_its_last_day() {
        let rules = Rules::default();
        let first = d(1, 1);
        let ninety = first + Days::new(90);
        let ninety_one = first + Days::new(91);
        assert_eq!(
            booking_ban(&rules, ninety, &[first, ninety]),
            Some(ninety + Days::new(90))
        );
        assert_eq!(booking_ban(&rules, ninety_one, &[first, ninety_one]), None);
    }

    #[test]
    fn the_ban_ends_on_its_until_date() {
        let rules = Rules::default();
        let no_shows = [d(1, 10), d(3, 1)];
        assert!(check_not_banned(&rules, d(5, 29), &no_shows).is_err());
        assert!(check_not_banned(&rules, d(5, 30), &no_shows).is_ok());
        assert!(check_not_banned(&rules, d(9, 1), &no_shows).is_ok());
    }

    #[test]
    fn input_order_does_not_matter() {
        let rules = Rules::default();
        let sorted = [d(1, 2), d(6, 1), d(7, 15)];
        let unsorted = [d(7, 15), d(1, 2), d(6, 1)];
        assert_eq!(booking_ban(&rules, d(7, 16), &unsorted), Some(d(10, 13)));
        assert_eq!(
            booking_ban(&rules, d(7, 16), &sorted),
            booking_ban(&rules, d(7, 16), &unsorted)
        );
    }

    #[test]
    fn the_latest_ban_wins_when_bans_overlap() {
        let rules = Rules::default();
        // Feb 1 + Mar 1 bans until May 30; Mar 1 + Apr 1 then extends it to Jun 30.
        let no_shows = [d(2, 1), d(3, 1), d(4, 1)];
        assert_eq!(booking_ban(&rules, d(3, 15), &no_shows), Some(d(5, 30)));
        assert_eq!(booking_ban(&rules, d(4, 1), &no_shows), Some(d(6, 30)));
    }

    #[test]
    fn a_higher_threshold_needs_that_many_within_the_window() {
        let mut rules = Rules::default();
        rules.no_show.threshold = 3;
        assert_eq!(booking_ban(&rules, d(3, 2), &[d(1, 10), d(3, 1)]), None);
        // Jan 1 .. Apr 20 spans 109 days: three no-shows, but not within 90 days of each other.
        let spread = [d(1, 1), d(3, 15), d(4, 20)];
        assert_eq!(booking_ban(&rules, d(4, 20), &spread), None);
        // A fourth makes Mar 15 .. May 1 (47 days) a run of three.
        let no_shows = [d(1, 1), d(3, 15), d(4, 20), d(5, 1)];
        assert_eq!(booking_ban(&rules, d(5, 1), &no_shows), Some(d(7, 30)));
    }

    #[test]
    fn two_no_shows_on_the_same_day_count_twice() {
        let rules = Rules::default();
        assert_eq!(
            booking_ban(&rules, d(3, 1), &[d(3, 1), d(3, 1)]),
            Some(d(5, 30))
        );
    }

    proptest! {
        #[test]
        fn a_ban_always_ends_after_today_and_ignores_order(
            mut offsets in proptest::collection::vec(0u64..400, 0..6),
            today_offset in 0u64..500,
        ) {
            let rules = Rules::default();
            let base = d(1, 1);
            let today = base + Days::new(today_offset);
            let dates: Vec<NaiveDate> = offsets.iter().map(|o| base + Days::new(*o)).collect();
            let ban = booking_ban(&rules, today, &dates);
            if let Some(until) = ban {
                prop_assert!(until > today);
                prop_assert!(until <= today + Days::new(rules.no_show.ban_days.into()));
            }
            offsets.reverse();
            let reversed: Vec<NaiveDate> = offsets.iter().map(|o| base + Days::new(*o)).collect();
            prop_assert_eq!(booking_ban(&rules, today, &reversed), ban);
            if dates.len() < 2 {
                prop_assert_eq!(ban, None);
            }
        }
    }
}
