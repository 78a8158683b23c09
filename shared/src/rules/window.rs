//! Which days can be booked at a given instant. A date opens at `release_time`, `days_ahead`
//! days before it, so everyone competes for a new day at the same announced moment rather than
//! at midnight.

use super::calendar::WorkCalendar;
use super::Rules;
use crate::error::{ApiError, ErrorCode};
use crate::t;
use crate::time::{self, Instant};
use chrono::{Days, NaiveDate, NaiveTime};
use serde_json::json;

/// When `date` becomes bookable: at `release_time`, `days_ahead` days before it.
pub fn release_instant(rules: &Rules, date: NaiveDate) -> Instant {
    let day = date - Days::new(rules.booking.days_ahead.into());
    time::at(day, rules.booking.release_time)
}

/// The first and last bookable dates at `now`, inclusive.
///
/// When `min_days_ahead == days_ahead` the window is empty before the release time (only the
/// not-yet-released day would qualify), and this returns `first > last`.
pub fn booking_window(rules: &Rules, now: Instant) -> (NaiveDate, NaiveDate) {
    let today = local_today(now);
    let first = today + Days::new(rules.booking.min_days_ahead.into());
    let furthest = today + Days::new(rules.booking.days_ahead.into());
    // Decided through `release_instant` so the window and `check_bookable` cannot disagree.
    let last = if release_instant(rules, furthest) <= now {
        furthest
    } else {
        furthest - Days::new(1)
    };
    (first, last)
}

/// Whether a period starting at `period_start` on `date` may be booked at `now`.
///
/// Fails with OUTSIDE_BOOKING_WINDOW and `details.reason`:
/// - `past`: the period starts at or before `now`;
/// - `too_soon`: the date is nearer than `min_days_ahead` (e.g. later today with no same-day
///   booking);
/// - `not_released`: the date opens later today, at `details.release_at`;
/// - `too_far`: beyond that.
pub fn check_bookable(
    rules: &Rules,
    now: Instant,
    date: NaiveDate,
    period_start: NaiveTime,
) -> Result<(), ApiError> {
    let refuse = |reason: &str, message: crate::i18n::Text| {
        ApiError::new(ErrorCode::OutsideBookingWindow)
            .with_message(message)
            .with_details(json!({ "reason": reason }))
    };
    if time::at(date, period_start) <= now {
        return Err(refuse("past", t!("window.past")));
    }
    let (first, last) = booking_window(rules, now);
    if date < first {
        let days = rules.booking.min_days_ahead;
        return Err(refuse("too_soon", t!("window.too_soon", days = days)));
    }
    if date > last {
        let release_at = release_instant(rules, date);
        if release_at.date_naive() == local_today(now) {
            return Err(ApiError::new(ErrorCode::OutsideBookingWindow)
                .with_message(t!(
                    "window.not_released",
                    time = time::format_hhmm(rules.booking.release_time)
                ))
                .with_details(json!({
                    "reason": "not_released",
                    "release_at": time::rfc3339(&release_at),
                })));
        }
        let days = rules.booking.days_ahead;
        return Err(refuse("too_far", t!("window.too_far", days = days)));
    }
    Ok(())
}

/// No booking on a public holiday, whatever was published for it: the slot page shows such a
/// day `closed` (`holiday`), and the booking call agrees.
pub fn check_not_holiday(calendar: &WorkCalendar, date: NaiveDate) -> Result<(), ApiError> {
    if calendar.holidays.contains(&date) {
        return Err(ApiError::new(ErrorCode::OutsideBookingWindow)
            .with_message(t!("window.holiday"))
            .with_details(json!({ "reason": "holiday" })));
    }
    Ok(())
}

/// The Shanghai calendar day of `now`, whatever offset the caller's instant carries.
/// Whether `date` can be booked at all at `now`: inside the window (its last minute not yet
/// past) and not a holiday. What a submit checks before any storage; the period's own start is
/// checked with [`check_bookable`] once it is known.
pub fn check_day(
    rules: &Rules,
    calendar: &WorkCalendar,
    now: Instant,
    date: NaiveDate,
) -> Result<(), ApiError> {
    let last_minute = NaiveTime::from_hms_opt(23, 59, 59).expect("valid");
    check_bookable(rules, now, date, last_minute)?;
    check_not_holiday(calendar, date)
}

/// The instant from which a period starting at `period_start` on `date` can no longer be
/// booked: its start, or the midnight that brings the date nearer than `min_days_ahead`,
/// whichever comes first. What [`check_bookable`] refuses as `past` or `too_soon`; a waitlist
/// entry stops being served for the period then.
pub fn bookable_until(rules: &Rules, date: NaiveDate, period_start: NaiveTime) -> Instant {
    let start = time::at(date, period_start);
    let days = u64::from(rules.booking.min_days_ahead);
    let too_soon = date
        .checked_sub_days(Days::new(days))
        .and_then(|d| d.succ_opt())
        .map(|d| time::at(d, NaiveTime::MIN));
    too_soon.map_or(start, |t| t.min(start))
}

fn local_today(now: Instant) -> NaiveDate {
    now.with_timezone(&time::shanghai()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;
    use chrono::{Duration, FixedOffset, TimeZone};
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn t(h: u32, m: u32, s: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, s).unwrap()
    }

    fn reason(result: Result<(), ApiError>) -> String {
        let err = result.unwrap_err();
        assert_eq!(err.code, ErrorCode::OutsideBookingWindow);
        err.details.unwrap()["reason"].as_str().unwrap().to_owned()
    }

    #[test]
    fn the_furthest_day_opens_at_release_time_today() {
        let rules = Rules::default();
        let release = time::at(d(3, 10), t(8, 0, 0));
        assert_eq!(release_instant(&rules, d(3, 17)), release);

        assert!(check_bookable(&rules, release, d(3, 17), t(9, 0, 0)).is_ok());
        let before = release - Duration::seconds(1);
        let err = check_bookable(&rules, before, d(3, 17), t(9, 0, 0)).unwrap_err();
        let details = err.details.unwrap();
        assert_eq!(details["reason"], "not_released");
        assert_eq!(details["release_at"], "2026-03-10T08:00:00+08:00");
    }

    #[test]
    fn the_window_moves_at_release_time() {
        let rules = Rules::default();
        let at = |h, m, s| time::at(d(3, 10), t(h, m, s));
        assert_eq!(booking_window(&rules, at(7, 59, 59)), (d(3, 11), d(3, 16)));
        assert_eq!(booking_window(&rules, at(8, 0, 0)), (d(3, 11), d(3, 17)));
        assert_eq!(booking_window(&rules, at(0, 0, 0)), (d(3, 11), d(3, 16)));
        assert_eq!(booking_window(&rules, at(23, 59, 59)), (d(3, 11), d(3, 17)));
        // The day before the furthest is open all day.
        assert!(check_bookable(&rules, at(7, 59, 59), d(3, 16), t(8, 30, 0)).is_ok());
    }

    #[test]
    fn beyond_the_furthest_day_is_too_far_without_release_at() {
        let rules = Rules::default();
        let now = time::at(d(3, 10), t(7, 0, 0));
        let err = check_bookable(&rules, now, d(3, 18), t(9, 0, 0)).unwrap_err();
        assert_eq!(err.details.unwrap(), json!({"reason": "too_far"}));
        let after_release = time::at(d(3, 10), t(8, 0, 0));
        assert_eq!(
            reason(check_bookable(&rules, after_release, d(3, 18), t(9, 0, 0))),
            "too_far"
        );
    }

    #[test]
    fn no_same_day_booking_by_default() {
        let rules = Rules::default();
        let now = time::at(d(3, 10), t(9, 0, 0));
        assert_eq!(
            reason(check_bookable(&rules, now, d(3, 10), t(15, 0, 0))),
            "too_soon"
        );
        assert!(check_bookable(&rules, now, d(3, 11), t(8, 30, 0)).is_ok());
    }

    #[test]
    fn same_day_booking_when_min_days_ahead_is_zero() {
        let mut rules = Rules::default();
        rules.booking.min_days_ahead = 0;
        let now = time::at(d(3, 10), t(9, 0, 0));
        assert_eq!(booking_window(&rules, now).0, d(3, 10));
        assert!(check_bookable(&rules, now, d(3, 10), t(9, 0, 1)).is_ok());
        // A period that has started, or starts this very instant, is past.
        assert_eq!(
            reason(check_bookable(&rules, now, d(3, 10), t(9, 0, 0))),
            "past"
        );
        assert_eq!(
            reason(check_bookable(&rules, now, d(3, 10), t(8, 30, 0))),
            "past"
        );
    }

    #[test]
    fn earlier_dates_are_past() {
        let rules = Rules::default();
        let now = time::at(d(3, 10), t(9, 0, 0));
        assert_eq!(
            reason(check_bookable(&rules, now, d(3, 9), t(15, 0, 0))),
            "past"
        );
    }

    #[test]
    fn a_larger_min_days_ahead_moves_the_first_day() {
        let mut rules = Rules::default();
        rules.booking.min_days_ahead = 3;
        let now = time::at(d(3, 10), t(9, 0, 0));
        assert_eq!(booking_window(&rules, now), (d(3, 13), d(3, 17)));
        assert_eq!(
            reason(check_bookable(&rules, now, d(3, 12), t(9, 0, 0))),
            "too_soon"
        );
        assert!(check_bookable(&rules, now, d(3, 13), t(9, 0, 0)).is_ok());
    }

    #[test]
    fn tomorrow_only_is_empty_until_release() {
        let mut rules = Rules::default();
        rules.booking.days_ahead = 1;
        let early = time::at(d(3, 10), t(7, 0, 0));
        let (first, last) = booking_window(&rules, early);
        assert!(first > last);
        assert_eq!(
            reason(check_bookable(&rules, early, d(3, 11), t(9, 0, 0))),
            "not_released"
        );
        let released = time::at(d(3, 10), t(8, 0, 0));
        assert_eq!(booking_window(&rules, released), (d(3, 11), d(3, 11)));
    }

    #[test]
    fn instants_in_another_offset_are_read_as_shanghai_time() {
        let rules = Rules::default();
        // 2026-03-10 00:00 UTC is 08:00 in Shanghai: the release instant.
        let utc_now = FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2026, 3, 10, 0, 0, 0)
            .unwrap();
        assert_eq!(booking_window(&rules, utc_now), (d(3, 11), d(3, 17)));
        assert!(check_bookable(&rules, utc_now, d(3, 17), t(9, 0, 0)).is_ok());
    }

    fn rules_strategy() -> impl Strategy<Value = Rules> {
        (1u32..=60, 0u32..=60, 0u32..24, 0u32..60).prop_map(|(days_ahead, min, h, m)| {
            let mut rules = Rules::default();
            rules.booking.days_ahead = days_ahead;
            rules.booking.min_days_ahead = min.min(days_ahead);
            rules.booking.release_time = t(h, m, 0);
            rules
        })
    }

    fn instant_in_2026(seconds: i64) -> Instant {
        time::at(d(1, 1), t(0, 0, 0)) + Duration::seconds(seconds)
    }

    proptest! {
        #[test]
        fn the_window_is_non_empty_unless_min_equals_days_ahead_before_release(
            rules in rules_strategy(),
            seconds in 0i64..365 * 86_400,
        ) {
            let now = instant_in_2026(seconds);
            let (first, last) = booking_window(&rules, now);
            if rules.booking.min_days_ahead < rules.booking.days_ahead {
                prop_assert!(first <= last);
            }
            prop_assert!(first > now.date_naive() || rules.booking.min_days_ahead == 0);
        }

        #[test]
        fn past_bookable_until_nothing_is_bookable_and_before_it_only_the_release_refuses(
            rules in rules_strategy(),
            seconds in 0i64..365 * 86_400,
            day_offset in -2i64..64,
            minute in 0u32..24 * 60,
        ) {
            let now = instant_in_2026(seconds);
            let date = now.with_timezone(&time::shanghai()).date_naive() + Duration::days(day_offset);
            let start = t(minute / 60, minute % 60, 0);
            let until = bookable_until(&rules, date, start);
            match check_bookable(&rules, now, date, start) {
                Ok(()) => prop_assert!(now < until),
                Err(e) if now >= until => {
                    let reason = e.details.unwrap()["reason"].as_str().unwrap().to_owned();
                    prop_assert!(reason == "past" || reason == "too_soon", "{}", reason);
                }
                Err(e) => {
                    let reason = e.details.unwrap()["reason"].as_str().unwrap().to_owned();
                    prop_assert!(reason == "not_released" || reason == "too_far", "{}", reason);
                }
            }
        }

        #[test]
        fn check_bookable_agrees_with_the_window(
            rules in rules_strategy(),
            seconds in 0i64..365 * 86_400,
            day_offset in -2i64..64,
        ) {
            let now = instant_in_2026(seconds);
            let date = now.date_naive() + Duration::days(day_offset);
            // The last minute of the day, so "past" only applies to earlier days or a late `now`.
            let start = t(23, 59, 0);
            let (first, last) = booking_window(&rules, now);
            let expected = first <= date && date <= last && time::at(date, start) > now;
            prop_assert_eq!(check_bookable(&rules, now, date, start).is_ok(), expected);
        }

        #[test]
        fn a_date_is_in_the_window_exactly_from_its_release_instant(
            rules in rules_strategy(),
            seconds in 0i64..365 * 86_400,
            day_offset in 1i64..64,
        ) {
            let now = instant_in_2026(seconds);
            let date = now.date_naive() + Duration::days(day_offset);
            let (first, last) = booking_window(&rules, now);
            if date >= first {
                prop_assert_eq!(date <= last, release_instant(&rules, date) <= now);
            }
        }
    }
}
