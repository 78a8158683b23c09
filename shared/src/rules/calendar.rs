//! Which days the certificate halls work, as data. China moves working days around its public
//! holidays (调休), so "Monday to Friday" is wrong several weeks a year, and the schedule is only
//! announced by the State Council each November for the following year.

use crate::error::ApiError;
use crate::t;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Without any dates this is a plain Monday-to-Friday week.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkCalendar {
    /// Days off, including any weekend days inside a holiday stretch (listing them is harmless
    /// and lets the data mirror the official notice).
    pub holidays: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays that are working days to make up for a holiday (调休上班).
    pub makeup_workdays: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    /// Parses and validates a calendar document, as stored by the system or submitted by ops.
    pub fn from_json(json: &str) -> Result<WorkCalendar, ApiError> {
        let calendar: WorkCalendar =
            super::parse_document("calendar", t!("rules.bad_calendar"), json)?;
        calendar.validate()?;
        Ok(calendar)
    }

    /// A makeup working day on a weekday, or a date that is both, is a data-entry mistake that
    /// would otherwise silently shift every estimate.
    pub fn validate(&self) -> Result<(), ApiError> {
        if let Some(d) = self.makeup_workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(ApiError::invalid(
                "calendar.makeup_workdays",
                t!("calendar.makeup_not_weekend", date = d.to_string()),
            ));
        }
        if let Some(d) = self.holidays.intersection(&self.makeup_workdays).next() {
            return Err(ApiError::invalid(
                "calendar.holidays",
                t!("calendar.holiday_and_makeup", date = d.to_string()),
            ));
        }
        Ok(())
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.makeup_workdays.contains(&date) {
            return true;
        }
        !self.holidays.contains(&date) && !is_weekend(date)
    }

    /// Whether an office that opens on `open_weekdays` (ISO, 1 = Monday .. 7 = Sunday) in a usual
    /// week opens on `date`: never on a public holiday, always on a make-up working day.
    pub fn office_opens(&self, date: NaiveDate, open_weekdays: &[u32]) -> bool {
        if self.makeup_workdays.contains(&date) {
            return true;
        }
        !self.holidays.contains(&date)
            && open_weekdays.contains(&date.weekday().number_from_monday())
    }

    /// The `n`-th working day strictly after `start`: the day of acceptance does not count,
    /// because offices quote "N working days" from the day after the application. `n == 0` returns
    /// `start` itself.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut date = start;
        let mut remaining = n;
        while remaining > 0 {
            // Terminates: the sets are finite, so ordinary weekdays follow their last entry.
            date = date.succ_opt().expect("date stays within chrono's range");
            if self.is_working_day(date) {
                remaining -= 1;
            }
        }
        date
    }

    /// The seeded calendar, `shared/data/calendar-cn.json` (from the State Council General
    /// Office notice of 2025-11-04, 《国务院办公厅关于2026年部分节假日安排的通知》): the same file the
    /// local stack loads into D1's `calendar_days`. It is data, not code: ops replace it each year
    /// once the next notice is out.
    pub fn seed() -> WorkCalendar {
        #[derive(serde::Deserialize)]
        struct SeedFile {
            holidays: Vec<(NaiveDate, String)>,
            makeup_workdays: Vec<(NaiveDate, String)>,
        }
        let file: SeedFile = serde_json::from_str(include_str!("../../data/calendar-cn.json"))
            .expect("shared/data/calendar-cn.json is valid (checked by the tests)");
        WorkCalendar {
            holidays: file.holidays.into_iter().map(|(d, _)| d).collect(),
            makeup_workdays: file.makeup_workdays.into_iter().map(|(d, _)| d).collect(),
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn without_data_it_is_monday_to_friday() {
        let cal = WorkCalendar::default();
        // 2026-03-02 is a Monday.
        let week: Vec<bool> = (2..=8)
            .map(|day| cal.is_working_day(d(2026, 3, day)))
            .collect();
        assert_eq!(week, [true, true, true, true, true, false, false]);
    }

    #[test]
    fn the_seed_matches_the_notice_weekdays() {
        let cal = WorkCalendar::seed();
        assert!(cal.validate().is_ok());
        let in_2026 = cal.holidays.iter().filter(|d| d.year() == 2026).count();
        assert_eq!(in_2026, 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(d(2026, 2, 15).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 10, 1).weekday(), Weekday::Thu);
        assert_eq!(d(2026, 9, 20).weekday(), Weekday::Sun);
        assert!(cal
            .makeup_workdays
            .iter()
            .all(|day| cal.is_working_day(*day)));
        assert!(cal.holidays.iter().all(|day| !cal.is_working_day(*day)));
    }

    #[test]
    fn spring_festival_2026_with_its_makeup_saturdays() {
        let cal = WorkCalendar::seed();
        assert!(cal.is_working_day(d(2026, 2, 13))); // Friday
        assert!(cal.is_working_day(d(2026, 2, 14))); // makeup Saturday
        assert!(!cal.is_working_day(d(2026, 2, 16))); // Monday, but 除夕
        assert!(!cal.is_working_day(d(2026, 2, 23))); // Monday, last day off
        assert!(cal.is_working_day(d(2026, 2, 24)));
        // Accepted Friday 13th: 14 (Sat, makeup), then 24, 25, 26, 27, 28 (Sat, makeup), Mar 2.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 14));
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 2), d(2026, 2, 24));
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 6), d(2026, 2, 28));
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 7), d(2026, 3, 2));
        // Without the calendar the same passport would wrongly be "ready" on Feb 24.
        assert_eq!(
            WorkCalendar::default().add_working_days(d(2026, 2, 13), 7),
            d(2026, 2, 24)
        );
    }

    #[test]
    fn national_day_2026_with_makeup_sunday_and_saturday() {
        let cal = WorkCalendar::seed();
        // Accepted Friday Sep 18: Sun 20 (makeup), 21..24, then the 中秋 weekend, 28, 29, 30,
        // then the whole Golden Week, then Thu 8, Fri 9, Sat 10 (makeup).
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 1), d(2026, 9, 20));
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 5), d(2026, 9, 24));
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 6), d(2026, 9, 28));
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 8), d(2026, 9, 30));
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 9), d(2026, 10, 8));
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 11), d(2026, 10, 10));
        assert_eq!(cal.add_working_days(d(2026, 9, 18), 12), d(2026, 10, 12));
    }

    #[test]
    fn the_day_of_acceptance_does_not_count_even_if_it_is_a_working_day() {
        let cal = WorkCalendar::default();
        assert_eq!(cal.add_working_days(d(2026, 3, 2), 1), d(2026, 3, 3));
        assert_eq!(cal.add_working_days(d(2026, 3, 2), 0), d(2026, 3, 2));
        // From a Saturday, the first working day is Monday.
        assert_eq!(cal.add_working_days(d(2026, 3, 7), 1), d(2026, 3, 9));
    }

    #[test]
    fn serde_uses_iso_dates_and_fills_missing_sets() {
        let cal = WorkCalendar::from_json(r#"{"holidays": ["2026-03-03"]}"#).unwrap();
        assert!(!cal.is_working_day(d(2026, 3, 3)));
        assert!(cal.makeup_workdays.is_empty());
        let json = serde_json::to_value(WorkCalendar::seed()).unwrap();
        assert_eq!(json["makeup_workdays"][0], "2026-01-04");
        let back: WorkCalendar = serde_json::from_value(json).unwrap();
        assert_eq!(back, WorkCalendar::seed());
    }

    #[test]
    fn inconsistent_calendars_are_refused() {
        // 2026-03-04 is a Wednesday: it cannot be a makeup working day.
        let err = WorkCalendar::from_json(r#"{"makeup_workdays": ["2026-03-04"]}"#).unwrap_err();
        assert_eq!(err.details.unwrap()["field"], "calendar.makeup_workdays");
        let both = r#"{"holidays": ["2026-03-07"], "makeup_workdays": ["2026-03-07"]}"#;
        let err = WorkCalendar::from_json(both).unwrap_err();
        assert_eq!(err.details.unwrap()["field"], "calendar.holidays");
        let err = WorkCalendar::from_json(r#"{"holidays": ["2026-02-30"]}"#).unwrap_err();
        assert_eq!(err.details.unwrap()["field"], "calendar");
    }

    proptest! {
        #[test]
        fn add_working_days_lands_on_the_nth_working_day_after_start(
            offset in 0i64..500,
            n in 1u32..40,
        ) {
            let cal = WorkCalendar::seed();
            let start = d(2025, 11, 1) + chrono::Duration::days(offset);
            let end = cal.add_working_days(start, n);
            prop_assert!(end > start);
            prop_assert!(cal.is_working_day(end));
            let counted = start
                .iter_days()
                .skip(1)
                .take_while(|day| *day <= end)
                .filter(|day| cal.is_working_day(*day))
                .count();
            prop_assert_eq!(counted, n as usize);
        }

        #[test]
        fn add_working_days_composes(offset in 0i64..500, a in 0u32..20, b in 0u32..20) {
            let cal = WorkCalendar::seed();
            let start = d(2025, 11, 1) + chrono::Duration::days(offset);
            prop_assert_eq!(
                cal.add_working_days(cal.add_working_days(start, a), b),
                cal.add_working_days(start, a + b)
            );
        }
    }
}
