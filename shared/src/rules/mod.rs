//! Business rules held as data: a versioned config with defaults, changeable by ops.
//!
//! The system stores [`Rules`] as one JSON document and parses it with [`Rules::from_json`]; the
//! submodules are the pure functions that apply it. A document only has to name what it changes:
//! every section and field falls back to its default, so ops can write `{"version": 2,
//! "booking": {"days_ahead": 14}}`. Unknown fields are ignored rather than refused so that a
//! document written for a newer release still loads on an older one during a rollout.

use crate::t;
pub mod calendar;
pub mod cancel;
pub mod helpers;
pub mod limits;
pub mod penalty;
pub mod window;

use crate::error::ApiError;
use chrono::{NaiveTime, Timelike};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::ops::RangeInclusive;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// Bumped by ops on every change, so a booking can record which rules it was made under.
    pub version: u32,
    pub booking: BookingRules,
    pub cancellation: CancellationRules,
    pub no_show: NoShowRules,
    pub helpers: HelperRules,
    pub rate_limits: RateLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingRules {
    /// The furthest bookable day is `today + days_ahead` (once released, see `release_time`).
    pub days_ahead: u32,
    /// The nearest bookable day is `today + min_days_ahead`; 1 means no same-day booking.
    pub min_days_ahead: u32,
    /// The day `today + days_ahead` opens at this time today. Releasing at a fixed time rather
    /// than at midnight keeps the rush for new slots to office hours, when support is staffed.
    #[serde(with = "crate::time::hhmm")]
    pub release_time: NaiveTime,
    /// How long an inventory hold waits for the user to confirm before the slot goes back.
    pub hold_seconds: u32,
    /// At most one active booking per applicant per service, so nobody hoards slots.
    pub one_active_per_service: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CancellationRules {
    /// Cancelling is allowed until this many minutes before the period starts.
    pub cutoff_minutes_before_start: u32,
    /// After this many cancellations within `window_days`, no new booking until the oldest
    /// counted one leaves the window. Cancelling itself is never refused for quota.
    pub max_in_window: u32,
    pub window_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoShowRules {
    /// This many no-shows within `window_days` of each other bar booking for `ban_days`,
    /// counted from the later no-show's date.
    pub threshold: u32,
    pub window_days: u32,
    pub ban_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HelperRules {
    /// How many people (principals) one user may book for.
    pub max_principals_per_user: u32,
    /// How many users may book for one principal.
    pub max_helpers_per_principal: u32,
    /// A parent or guardian may add a child younger than this without the child's consent.
    pub guardian_consent_free_under_age: u32,
    pub minor_link_policy: MinorLinkPolicy,
    pub invitation_ttl_hours: u32,
}

/// What happens to a link made for a minor without consent once the child reaches
/// `guardian_consent_free_under_age`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinorLinkPolicy {
    /// The link stops giving rights on that birthday and stays pending until the child consents:
    /// the child never agreed to it, and now can.
    #[default]
    LapseAtAge,
    /// The link keeps working.
    Continue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Per client address, across all endpoints.
    pub requests_per_client_per_second: u32,
    /// Per client address, to slow credential stuffing and code guessing.
    pub login_per_client_per_minute: u32,
    /// Per account (platform and openid), so one account cannot be logged into in a loop
    /// from many addresses.
    pub login_per_account_per_minute: u32,
    /// Per user, booking creations and cancellations together, to slow scalper scripts.
    pub booking_per_user_per_minute: u32,
    /// Per user: each real-name verification is a paid upstream call.
    pub identity_verifications_per_user_per_day: u32,
    /// Per user: accepting helper invitations, so invitation codes cannot be guessed by trying.
    pub invitation_accepts_per_user_per_hour: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            version: 1,
            booking: BookingRules::default(),
            cancellation: CancellationRules::default(),
            no_show: NoShowRules::default(),
            helpers: HelperRules::default(),
            rate_limits: RateLimits::default(),
        }
    }
}

impl Default for BookingRules {
    fn default() -> Self {
        BookingRules {
            days_ahead: 7,
            min_days_ahead: 1,
            release_time: NaiveTime::from_hms_opt(8, 0, 0).expect("08:00 is a valid time"),
            hold_seconds: 60,
            one_active_per_service: true,
        }
    }
}

impl Default for CancellationRules {
    fn default() -> Self {
        CancellationRules {
            cutoff_minutes_before_start: 120,
            max_in_window: 3,
            window_days: 30,
        }
    }
}

impl Default for NoShowRules {
    fn default() -> Self {
        NoShowRules {
            threshold: 2,
            window_days: 90,
            ban_days: 90,
        }
    }
}

impl Default for HelperRules {
    fn default() -> Self {
        HelperRules {
            max_principals_per_user: 5,
            max_helpers_per_principal: 3,
            guardian_consent_free_under_age: 16,
            minor_link_policy: MinorLinkPolicy::LapseAtAge,
            invitation_ttl_hours: 72,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            requests_per_client_per_second: 20,
            login_per_client_per_minute: 20,
            login_per_account_per_minute: 10,
            booking_per_user_per_minute: 10,
            identity_verifications_per_user_per_day: 5,
            invitation_accepts_per_user_per_hour: 10,
        }
    }
}

impl Rules {
    /// Parses and validates a stored or ops-submitted document. Fields it omits take defaults.
    pub fn from_json(json: &str) -> Result<Rules, ApiError> {
        let rules: Rules = parse_document("rules", t!("rules.bad_rules"), json)?;
        rules.validate()?;
        Ok(rules)
    }

    /// Refuses values no office could mean, naming the first offending field.
    pub fn validate(&self) -> Result<(), ApiError> {
        let b = &self.booking;
        let c = &self.cancellation;
        let n = &self.no_show;
        let h = &self.helpers;
        let r = &self.rate_limits;
        // Stored as "HH:MM", so seconds set in code would silently vanish on the next save.
        if b.release_time.second() != 0 || b.release_time.nanosecond() != 0 {
            return Err(ApiError::invalid(
                "booking.release_time",
                t!("rules.release_time_whole_minutes"),
            ));
        }
        const AT_LEAST_ONE: RangeInclusive<u32> = 1..=u32::MAX;
        let checks: [(&str, u32, RangeInclusive<u32>); 20] = [
            ("version", self.version, AT_LEAST_ONE),
            ("booking.days_ahead", b.days_ahead, 1..=60),
            ("booking.min_days_ahead", b.min_days_ahead, 0..=b.days_ahead),
            ("booking.hold_seconds", b.hold_seconds, 10..=1800),
            // Up to a week; beyond that "cancel" would practically mean "cannot cancel".
            (
                "cancellation.cutoff_minutes_before_start",
                c.cutoff_minutes_before_start,
                0..=7 * 24 * 60,
            ),
            ("cancellation.max_in_window", c.max_in_window, 1..=100),
            ("cancellation.window_days", c.window_days, 1..=366),
            ("no_show.threshold", n.threshold, 1..=100),
            ("no_show.window_days", n.window_days, 1..=730),
            ("no_show.ban_days", n.ban_days, 1..=730),
            (
                "helpers.max_principals_per_user",
                h.max_principals_per_user,
                1..=50,
            ),
            (
                "helpers.max_helpers_per_principal",
                h.max_helpers_per_principal,
                1..=50,
            ),
            // Past 18 the principal is an adult, whom nobody may add without consent.
            (
                "helpers.guardian_consent_free_under_age",
                h.guardian_consent_free_under_age,
                0..=18,
            ),
            (
                "helpers.invitation_ttl_hours",
                h.invitation_ttl_hours,
                1..=24 * 30,
            ),
            (
                "rate_limits.requests_per_client_per_second",
                r.requests_per_client_per_second,
                AT_LEAST_ONE,
            ),
            (
                "rate_limits.login_per_client_per_minute",
                r.login_per_client_per_minute,
                AT_LEAST_ONE,
            ),
            (
                "rate_limits.login_per_account_per_minute",
                r.login_per_account_per_minute,
                AT_LEAST_ONE,
            ),
            (
                "rate_limits.booking_per_user_per_minute",
                r.booking_per_user_per_minute,
                AT_LEAST_ONE,
            ),
            (
                "rate_limits.identity_verifications_per_user_per_day",
                r.identity_verifications_per_user_per_day,
                AT_LEAST_ONE,
            ),
            (
                "rate_limits.invitation_accepts_per_user_per_hour",
                r.invitation_accepts_per_user_per_hour,
                AT_LEAST_ONE,
            ),
        ];
        for (field, value, range) in checks {
            if !range.contains(&value) {
                let message = if *range.end() == u32::MAX {
                    t!("config.at_least", field = field, min = *range.start())
                } else {
                    t!(
                        "config.between",
                        field = field,
                        min = *range.start(),
                        max = *range.end()
                    )
                };
                return Err(ApiError::invalid(field, message));
            }
        }
        Ok(())
    }
}

/// Parses a JSON object into `T`. serde would also accept an array for a struct, which no one
/// means for a config document. A config holds no personal data, so the parser's message goes
/// into `details.error` for the ops user who submitted it.
fn parse_document<T: DeserializeOwned>(
    field: &str,
    message: crate::i18n::Text,
    json: &str,
) -> Result<T, ApiError> {
    let invalid = |error: String| {
        ApiError::invalid(field, message.clone()).with_details(serde_json::json!({
            "field": field,
            "error": error,
        }))
    };
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
    if !value.is_object() {
        return Err(invalid("expected a JSON object".to_owned()));
    }
    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use serde_json::json;

    fn field_of(err: &ApiError) -> &str {
        err.details
            .as_ref()
            .and_then(|d| d["field"].as_str())
            .unwrap_or("")
    }

    #[test]
    fn defaults_are_the_documented_values() {
        let r = Rules::default();
        assert_eq!(r.version, 1);
        assert_eq!(r.booking.days_ahead, 7);
        assert_eq!(r.booking.min_days_ahead, 1);
        assert_eq!(
            r.booking.release_time,
            NaiveTime::from_hms_opt(8, 0, 0).unwrap()
        );
        assert_eq!(r.booking.hold_seconds, 60);
        assert!(r.booking.one_active_per_service);
        assert_eq!(r.cancellation.cutoff_minutes_before_start, 120);
        assert_eq!(
            (r.cancellation.max_in_window, r.cancellation.window_days),
            (3, 30)
        );
        assert_eq!(
            (
                r.no_show.threshold,
                r.no_show.window_days,
                r.no_show.ban_days
            ),
            (2, 90, 90)
        );
        assert_eq!(r.helpers.max_principals_per_user, 5);
        assert_eq!(r.helpers.max_helpers_per_principal, 3);
        assert_eq!(r.helpers.guardian_consent_free_under_age, 16);
        assert_eq!(r.helpers.minor_link_policy, MinorLinkPolicy::LapseAtAge);
        assert_eq!(r.helpers.invitation_ttl_hours, 72);
        assert_eq!(r.rate_limits.booking_per_user_per_minute, 10);
        assert!(r.validate().is_ok());
    }

    #[test]
    fn the_empty_document_is_the_defaults() {
        assert_eq!(Rules::from_json("{}").unwrap(), Rules::default());
    }

    #[test]
    fn a_partial_document_fills_in_the_rest() {
        let r = Rules::from_json(
            r#"{"version": 4, "booking": {"days_ahead": 14, "release_time": "09:30"},
                "helpers": {"minor_link_policy": "continue"}}"#,
        )
        .unwrap();
        assert_eq!(r.version, 4);
        assert_eq!(r.booking.days_ahead, 14);
        assert_eq!(
            r.booking.release_time,
            NaiveTime::from_hms_opt(9, 30, 0).unwrap()
        );
        assert_eq!(r.booking.min_days_ahead, 1);
        assert_eq!(r.helpers.minor_link_policy, MinorLinkPolicy::Continue);
        assert_eq!(r.helpers.max_principals_per_user, 5);
        assert_eq!(r.cancellation, CancellationRules::default());
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let r = Rules::from_json(
            r#"{"booking": {"days_ahead": 5, "from_the_future": true}, "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(r.booking.days_ahead, 5);
    }

    #[test]
    fn serialized_form_round_trips_and_writes_hhmm_and_snake_case() {
        let value = serde_json::to_value(Rules::default()).unwrap();
        assert_eq!(value["booking"]["release_time"], json!("08:00"));
        assert_eq!(value["helpers"]["minor_link_policy"], json!("lapse_at_age"));
        let back = Rules::from_json(&value.to_string()).unwrap();
        assert_eq!(back, Rules::default());
    }

    #[test]
    fn malformed_documents_are_invalid_argument() {
        for bad in [
            "",
            "[]",
            r#"{"booking": {"release_time": "8:00"}}"#,
            r#"{"booking": {"release_time": "24:00"}}"#,
            r#"{"booking": {"days_ahead": -1}}"#,
            r#"{"helpers": {"minor_link_policy": "forever"}}"#,
        ] {
            let err = Rules::from_json(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad}");
            assert_eq!(field_of(&err), "rules", "{bad}");
        }
    }

    #[test]
    fn nonsense_values_name_their_field() {
        let cases = [
            (r#"{"version": 0}"#, "version"),
            (r#"{"booking": {"days_ahead": 0}}"#, "booking.days_ahead"),
            (r#"{"booking": {"days_ahead": 61}}"#, "booking.days_ahead"),
            (
                r#"{"booking": {"days_ahead": 3, "min_days_ahead": 4}}"#,
                "booking.min_days_ahead",
            ),
            (
                r#"{"booking": {"hold_seconds": 0}}"#,
                "booking.hold_seconds",
            ),
            (
                r#"{"cancellation": {"max_in_window": 0}}"#,
                "cancellation.max_in_window",
            ),
            (
                r#"{"cancellation": {"window_days": 0}}"#,
                "cancellation.window_days",
            ),
            (r#"{"no_show": {"threshold": 0}}"#, "no_show.threshold"),
            (r#"{"no_show": {"ban_days": 0}}"#, "no_show.ban_days"),
            (
                r#"{"helpers": {"max_helpers_per_principal": 0}}"#,
                "helpers.max_helpers_per_principal",
            ),
            (
                r#"{"helpers": {"guardian_consent_free_under_age": 19}}"#,
                "helpers.guardian_consent_free_under_age",
            ),
            (
                r#"{"rate_limits": {"login_per_client_per_minute": 0}}"#,
                "rate_limits.login_per_client_per_minute",
            ),
        ];
        for (doc, field) in cases {
            let err = Rules::from_json(doc).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{doc}");
            assert_eq!(field_of(&err), field, "{doc}");
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        for doc in [
            r#"{"booking": {"days_ahead": 60}}"#,
            r#"{"booking": {"days_ahead": 1, "min_days_ahead": 1}}"#,
            r#"{"booking": {"min_days_ahead": 0}}"#,
            r#"{"cancellation": {"cutoff_minutes_before_start": 0}}"#,
            r#"{"no_show": {"threshold": 1}}"#,
        ] {
            assert!(Rules::from_json(doc).is_ok(), "{doc}");
        }
    }

    #[test]
    fn a_release_time_with_seconds_set_in_code_is_refused() {
        let mut r = Rules::default();
        r.booking.release_time = NaiveTime::from_hms_opt(8, 0, 30).unwrap();
        assert_eq!(field_of(&r.validate().unwrap_err()), "booking.release_time");
    }
}

#[cfg(test)]
mod seed_file {
    use super::Rules;

    /// The local stack seeds D1's `rules` table from this file; it must say what the code's
    /// defaults say. Regenerate with `YUYUE_WRITE_RULES=1 cargo test -p yuyue-shared seed_file`.
    #[test]
    fn seeded_rules_file_matches_the_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rules-default.json");
        let expected = serde_json::to_string_pretty(&Rules::default()).unwrap() + "\n";
        if std::env::var_os("YUYUE_WRITE_RULES").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap();
        assert_eq!(on_disk, expected, "shared/data/rules-default.json is stale");
        assert_eq!(Rules::from_json(&on_disk).unwrap(), Rules::default());
    }
}
