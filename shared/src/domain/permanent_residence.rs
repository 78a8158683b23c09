//! 外国人永久居留身份证 (the 2023 card): `9`, the 2-digit province that issued it, a 3-digit
//! nationality code, the 8-digit birth date, a 3-digit sequence, and the GB 11643 check
//! character over the first 17, as on a resident ID card.

use super::id_number::{parse_gb11643, Gb11643Reasons};
use super::FieldError;
use crate::domain::mask;
use chrono::NaiveDate;
use std::fmt;

const REASONS: Gb11643Reasons = Gb11643Reasons {
    format: FieldError::new("bad_format", "permanent_residence.bad_format"),
    region: FieldError::new("bad_region", "permanent_residence.bad_region"),
    birth_date: FieldError::new("bad_birth_date", "permanent_residence.bad_birth_date"),
    future_birth_date: FieldError::new(
        "future_birth_date",
        "permanent_residence.future_birth_date",
    ),
    check_digit: FieldError::new("bad_check_digit", "permanent_residence.bad_check_digit"),
};

/// A valid permanent residence ID number, with an uppercase X. Like [`IdNumber`] it has no
/// `Display` and a masked `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PermanentResidenceId {
    text: String,
    birth: NaiveDate,
}

impl PermanentResidenceId {
    /// `today` bounds the birth date; this crate never reads the clock.
    pub fn parse(s: &str, today: NaiveDate) -> Result<Self, FieldError> {
        let (text, birth) = parse_gb11643(s, today, Some(b'9'), 1, &REASONS)?;
        Ok(PermanentResidenceId { text, birth })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }
}

impl fmt::Debug for PermanentResidenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PermanentResidenceId")
            .field(&mask::mask_id_str(&self.text))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use proptest::prelude::*;

    fn reason(s: &str) -> &'static str {
        PermanentResidenceId::parse(s, arb::TODAY)
            .unwrap_err()
            .reason
    }

    #[test]
    fn a_valid_number_parses_with_its_birth_date() {
        // Issued in Beijing (11), nationality 840, born 1985-04-12.
        let number = arb::with_check("91184019850412001");
        let id = PermanentResidenceId::parse(&number.to_lowercase(), arb::TODAY).unwrap();
        assert_eq!(id.as_str(), number);
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1985, 4, 12).unwrap()
        );
        assert!(!format!("{id:?}").contains(&number[4..14]));
    }

    #[test]
    fn each_part_is_checked_and_named() {
        let good = arb::with_check("91184019850412001");
        assert_eq!(reason(&good.replacen('9', "1", 1)), "bad_format");
        for bad in [
            "",
            "9118401985041200",
            "91184019850412001Y",
            &format!("{good}1"),
        ] {
            assert_eq!(reason(bad), "bad_format", "{bad:?}");
        }
        assert_eq!(reason(&arb::with_check("99984019850412001")), "bad_region");
        assert_eq!(
            reason(&arb::with_check("91184019850230001")),
            "bad_birth_date"
        );
        assert_eq!(
            reason(&arb::with_check("91184020990101001")),
            "future_birth_date"
        );
        let last = good.chars().last().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        assert_eq!(
            reason(&format!("{}{wrong}", &good[..17])),
            "bad_check_digit"
        );
        // A resident ID number is not a permanent residence number.
        assert_eq!(reason("11010519491231002X"), "bad_format");
    }

    proptest! {
        #[test]
        fn generated_numbers_parse(number in arb::permanent_residence_id()) {
            let id = PermanentResidenceId::parse(&number, arb::TODAY).unwrap();
            prop_assert_eq!(id.as_str(), number);
        }

        #[test]
        fn changing_one_digit_is_caught(number in arb::permanent_residence_id(), at in 7usize..17, d in 0u8..10) {
            let mut b = number.clone().into_bytes();
            prop_assume!(b[at] != b'0' + d);
            b[at] = b'0' + d;
            let changed = String::from_utf8(b).unwrap();
            // A single changed digit always breaks MOD 11-2, unless it breaks the date first.
            prop_assert!(PermanentResidenceId::parse(&changed, arb::TODAY).is_err());
        }
    }
}
