//! How long an issued certificate is valid, as data: one row per service, by the holder's age on
//! the day of issue.
//!
//! - 普通护照 (《护照法》第六条): 5 years under 16, 10 years from 16.
//! - 往来港澳通行证 / 往来台湾通行证: 5 years under 16, 10 years from 16.
//! - 居民身份证 (《居民身份证法》第五条): 5 years under 16; 10 years from 16 to 25; 20 years
//!   from 26 to 45; long-term (长期) from 46.
//! - Visas and residence permits are granted for the period the case warrants, so the
//!   processing system states it (`valid_until` on the event).
//!
//! A term of N years ends on the same calendar date N years later (Feb 29 → Feb 28).

use crate::domain::ServiceId;
use crate::rules::helpers::age_on;
use chrono::{Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Years(u32),
    /// 长期: no end date.
    LongTerm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// The first band whose `under` the holder's age is below applies, else `otherwise`.
    ByAge {
        bands: &'static [(u32, Term)],
        otherwise: Term,
    },
    /// Decided per application by the issuer.
    PerCase,
}

const TRAVEL_DOCUMENT: Validity = Validity::ByAge {
    bands: &[(16, Term::Years(5))],
    otherwise: Term::Years(10),
};

/// The table. Changing a rule is changing a row here.
pub const RULES: [(ServiceId, Validity); 8] = [
    (ServiceId::Passport, TRAVEL_DOCUMENT),
    (ServiceId::HkMacauPermit, TRAVEL_DOCUMENT),
    (ServiceId::TaiwanPermit, TRAVEL_DOCUMENT),
    (
        ServiceId::IdCard,
        Validity::ByAge {
            bands: &[
                (16, Term::Years(5)),
                (26, Term::Years(10)),
                (46, Term::Years(20)),
            ],
            otherwise: Term::LongTerm,
        },
    ),
    (ServiceId::VisaExtension, Validity::PerCase),
    (ServiceId::VisaRenewal, Validity::PerCase),
    (ServiceId::VisaReissue, Validity::PerCase),
    (ServiceId::ResidencePermit, Validity::PerCase),
];

pub fn validity(service: ServiceId) -> Validity {
    RULES
        .iter()
        .find(|(s, _)| *s == service)
        .map_or(Validity::PerCase, |(_, v)| *v)
}

/// The term of a certificate of `service` issued on `issued_on`; `None` when the issuer decides.
/// A holder whose birth date is unknown (a foreign passport) is treated as an adult.
pub fn term(service: ServiceId, birth: Option<NaiveDate>, issued_on: NaiveDate) -> Option<Term> {
    match validity(service) {
        Validity::PerCase => None,
        Validity::ByAge { bands, otherwise } => {
            let age = birth.map(|b| age_on(b, issued_on));
            Some(
                bands
                    .iter()
                    .find(|(under, _)| age.is_some_and(|a| a < *under))
                    .map_or(otherwise, |(_, t)| *t),
            )
        }
    }
}

/// How a long-term certificate is stored where a date is required.
pub const LONG_TERM_UNTIL: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// The last day of validity (`LONG_TERM_UNTIL` for long-term).
pub fn valid_until(issued_on: NaiveDate, term: Term) -> NaiveDate {
    match term {
        Term::LongTerm => LONG_TERM_UNTIL,
        Term::Years(n) => issued_on
            .checked_add_months(Months::new(12 * n))
            .unwrap_or(LONG_TERM_UNTIL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn until(service: ServiceId, birth: NaiveDate, issued: NaiveDate) -> NaiveDate {
        valid_until(issued, term(service, Some(birth), issued).unwrap())
    }

    const ISSUED: (i32, u32, u32) = (2026, 11, 21);

    fn issued() -> NaiveDate {
        d(ISSUED.0, ISSUED.1, ISSUED.2)
    }

    #[test]
    fn passports_and_permits_are_5_years_under_16_and_10_from_16() {
        for s in [
            ServiceId::Passport,
            ServiceId::HkMacauPermit,
            ServiceId::TaiwanPermit,
        ] {
            // The day before the 16th birthday, and the birthday itself.
            assert_eq!(until(s, d(2010, 11, 22), issued()), d(2031, 11, 21), "{s}");
            assert_eq!(until(s, d(2010, 11, 21), issued()), d(2036, 11, 21), "{s}");
            assert_eq!(until(s, d(1950, 1, 1), issued()), d(2036, 11, 21), "{s}");
        }
    }

    #[test]
    fn id_cards_follow_the_four_age_bands() {
        let s = ServiceId::IdCard;
        assert_eq!(until(s, d(2020, 1, 1), issued()), d(2031, 11, 21));
        assert_eq!(
            until(s, d(2010, 11, 21), issued()),
            d(2036, 11, 21),
            "16: 10 years"
        );
        assert_eq!(
            until(s, d(2000, 11, 22), issued()),
            d(2036, 11, 21),
            "25: 10 years"
        );
        assert_eq!(
            until(s, d(2000, 11, 21), issued()),
            d(2046, 11, 21),
            "26: 20 years"
        );
        assert_eq!(
            until(s, d(1980, 11, 22), issued()),
            d(2046, 11, 21),
            "45: 20 years"
        );
        assert_eq!(
            term(s, Some(d(1980, 11, 21)), issued()),
            Some(Term::LongTerm),
            "46: long-term"
        );
        assert_eq!(until(s, d(1950, 1, 1), issued()), LONG_TERM_UNTIL);
    }

    #[test]
    fn visas_and_residence_permits_are_decided_per_case() {
        for s in [
            ServiceId::VisaExtension,
            ServiceId::VisaRenewal,
            ServiceId::VisaReissue,
            ServiceId::ResidencePermit,
        ] {
            assert_eq!(term(s, None, issued()), None);
        }
    }

    #[test]
    fn an_unknown_birth_date_counts_as_an_adult_and_leap_days_end_on_feb_28() {
        assert_eq!(
            term(ServiceId::Passport, None, issued()),
            Some(Term::Years(10))
        );
        assert_eq!(valid_until(d(2028, 2, 29), Term::Years(10)), d(2038, 2, 28));
    }

    #[test]
    fn every_service_has_exactly_one_rule() {
        for s in ServiceId::ALL {
            assert_eq!(RULES.iter().filter(|(x, _)| *x == s).count(), 1, "{s}");
        }
    }
}
