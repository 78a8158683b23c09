//! Booking on someone else's behalf: when a guardian may link a child without the child's
//! consent, how long such a link keeps working, and how many links a person may have.

use super::{MinorLinkPolicy, Rules};
use crate::error::{ApiError, ErrorCode};
use crate::t;
use chrono::{Datelike, NaiveDate};
use serde_json::json;

/// Age in full years on `day`. A birthday counts from its own date; someone born on Feb 29 turns
/// a year older on Mar 1 in a non-leap year (the day after Feb 28), as the Feb 29 anniversary has
/// not been reached on Feb 28. Zero before birth.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    if day < birth {
        return 0;
    }
    let years = day.year() - birth.year();
    let before_birthday = (day.month(), day.day()) < (birth.month(), birth.day());
    u32::try_from(years - i32::from(before_birthday)).unwrap_or(0)
}

/// Whether a guardian may add the principal without the principal's consent on `today`.
pub fn may_add_without_consent(
    rules: &Rules,
    principal_birth: NaiveDate,
    today: NaiveDate,
) -> bool {
    age_on(principal_birth, today) < rules.helpers.guardian_consent_free_under_age
}

/// Whether a link created for a minor without consent still gives rights on `today`. Under
/// `LapseAtAge` it stops on the birthday that reaches the consent age, and the caller should
/// treat it as pending until the principal consents.
pub fn guardian_link_active(rules: &Rules, principal_birth: NaiveDate, today: NaiveDate) -> bool {
    match rules.helpers.minor_link_policy {
        MinorLinkPolicy::LapseAtAge => may_add_without_consent(rules, principal_birth, today),
        MinorLinkPolicy::Continue => true,
    }
}

/// How many live links a helper and a principal may each have (`rules.helpers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLimits {
    pub principals_per_user: u32,
    pub helpers_per_principal: u32,
}

/// The limits a new link must fit within, as the store checks them.
pub fn link_limits(rules: &Rules) -> LinkLimits {
    LinkLimits {
        principals_per_user: rules.helpers.max_principals_per_user,
        helpers_per_principal: rules.helpers.max_helpers_per_principal,
    }
}

/// `LIMIT_EXCEEDED` for a helper with as many principals as allowed, naming the limit in
/// `details.limit` with its `max`.
pub fn principals_limit_reached(rules: &Rules) -> ApiError {
    let max = rules.helpers.max_principals_per_user;
    ApiError::new(ErrorCode::LimitExceeded)
        .with_message(t!("helpers.principals_limit", max = max))
        .with_details(json!({ "limit": "principals_per_user", "max": max }))
}

/// `LIMIT_EXCEEDED` for a principal with as many helpers as allowed.
pub fn helpers_limit_reached(rules: &Rules) -> ApiError {
    let max = rules.helpers.max_helpers_per_principal;
    ApiError::new(ErrorCode::LimitExceeded)
        .with_message(t!("helpers.helpers_limit", max = max))
        .with_details(json!({ "limit": "helpers_per_principal", "max": max }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_counts_full_years() {
        let birth = d(2010, 6, 15);
        assert_eq!(age_on(birth, d(2026, 6, 14)), 15);
        assert_eq!(age_on(birth, d(2026, 6, 15)), 16);
        assert_eq!(age_on(birth, d(2026, 12, 31)), 16);
        assert_eq!(age_on(birth, d(2010, 6, 15)), 0);
        assert_eq!(age_on(birth, d(2009, 1, 1)), 0);
    }

    #[test]
    fn a_leap_day_birthday_turns_on_march_first_in_common_years() {
        let birth = d(2008, 2, 29);
        assert_eq!(age_on(birth, d(2026, 2, 28)), 17);
        assert_eq!(age_on(birth, d(2026, 3, 1)), 18);
        assert_eq!(age_on(birth, d(2024, 2, 28)), 15);
        assert_eq!(age_on(birth, d(2024, 2, 29)), 16);
    }

    #[test]
    fn a_guardian_may_add_a_child_under_the_consent_age() {
        let rules = Rules::default();
        let birth = d(2010, 6, 15);
        assert!(may_add_without_consent(&rules, birth, d(2026, 6, 14)));
        assert!(!may_add_without_consent(&rules, birth, d(2026, 6, 15)));
        assert!(may_add_without_consent(
            &rules,
            d(2026, 1, 1),
            d(2026, 3, 1)
        ));
    }

    #[test]
    fn a_link_lapses_on_the_sixteenth_birthday() {
        let rules = Rules::default();
        let birth = d(2010, 6, 15);
        assert!(guardian_link_active(&rules, birth, d(2026, 6, 14)));
        assert!(!guardian_link_active(&rules, birth, d(2026, 6, 15)));
        assert!(!guardian_link_active(&rules, birth, d(2030, 1, 1)));
    }

    #[test]
    fn under_continue_the_link_keeps_working() {
        let mut rules = Rules::default();
        rules.helpers.minor_link_policy = MinorLinkPolicy::Continue;
        let birth = d(2010, 6, 15);
        for day in [d(2026, 6, 14), d(2026, 6, 15), d(2030, 1, 1)] {
            assert!(guardian_link_active(&rules, birth, day), "{day}");
        }
    }

    #[test]
    fn helper_limits_name_the_limit_reached() {
        let rules = Rules::default();
        assert_eq!(
            link_limits(&rules),
            LinkLimits {
                principals_per_user: 5,
                helpers_per_principal: 3
            }
        );
        let err = principals_limit_reached(&rules);
        assert_eq!(err.code, ErrorCode::LimitExceeded);
        assert_eq!(
            err.details.unwrap(),
            json!({"limit": "principals_per_user", "max": 5})
        );
        let err = helpers_limit_reached(&rules);
        assert_eq!(err.code, ErrorCode::LimitExceeded);
        assert_eq!(
            err.details.unwrap(),
            json!({"limit": "helpers_per_principal", "max": 3})
        );
    }

    proptest! {
        #[test]
        fn age_rises_by_exactly_one_on_each_birthday(
            birth_offset in 0i64..40_000,
            years in 1i32..100,
        ) {
            let birth = d(1920, 1, 1) + chrono::Duration::days(birth_offset);
            // The birthday in `birth.year() + years`, moved to Mar 1 when it is a missing Feb 29.
            let y = birth.year() + years;
            let birthday = NaiveDate::from_ymd_opt(y, birth.month(), birth.day())
                .unwrap_or_else(|| d(y, 3, 1));
            prop_assert_eq!(age_on(birth, birthday), years as u32);
            prop_assert_eq!(age_on(birth, birthday.pred_opt().unwrap()), years as u32 - 1);
        }
    }
}
