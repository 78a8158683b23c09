//! 居民身份证号 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence whose last
//! digit gives the sex, and an ISO 7064 MOD 11-2 check character.

use super::FieldError;
use crate::domain::mask;
use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};
use std::fmt;

const BAD_FORMAT: FieldError = FieldError::new("bad_format", "id_number.bad_format");
const BAD_REGION: FieldError = FieldError::new("bad_region", "id_number.bad_region");
const BAD_BIRTH_DATE: FieldError = FieldError::new("bad_birth_date", "id_number.bad_birth_date");
const FUTURE_BIRTH_DATE: FieldError =
    FieldError::new("future_birth_date", "id_number.future_birth_date");
const BAD_CHECK_DIGIT: FieldError = FieldError::new("bad_check_digit", "id_number.bad_check_digit");

const REASONS: Gb11643Reasons = Gb11643Reasons {
    format: BAD_FORMAT,
    region: BAD_REGION,
    birth_date: BAD_BIRTH_DATE,
    future_birth_date: FUTURE_BIRTH_DATE,
    check_digit: BAD_CHECK_DIGIT,
};

/// What a number in the GB 11643 layout is refused for, in the words of its own document.
pub(super) struct Gb11643Reasons {
    pub format: FieldError,
    pub region: FieldError,
    pub birth_date: FieldError,
    pub future_birth_date: FieldError,
    pub check_digit: FieldError,
}

/// A number in the layout of GB 11643 (the resident ID card's, which the permanent residence
/// card borrows): 18 characters, 17 digits and a digit or X, starting with `leading` where one
/// is required, a province code at `region_at`, the birth date in characters 7–14, and the
/// ISO 7064 MOD 11-2 check character. Checked in that order, so the reason names the first
/// flaw. Returns the number (uppercase X) and the birth date.
pub(super) fn parse_gb11643(
    s: &str,
    today: NaiveDate,
    leading: Option<u8>,
    region_at: usize,
    reasons: &Gb11643Reasons,
) -> Result<(String, NaiveDate), FieldError> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let b = s.as_bytes();
    let shaped = b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && matches!(b[17], b'0'..=b'9' | b'X' | b'x')
        && leading.is_none_or(|l| b[0] == l);
    if !shaped {
        return Err(reasons.format);
    }
    if !PROVINCE_CODES.contains(&two_digits(&b[region_at..region_at + 2])) {
        return Err(reasons.region);
    }
    let birth = birth_date(&b[6..14]).ok_or(reasons.birth_date)?;
    if birth > today {
        return Err(reasons.future_birth_date);
    }
    if IdNumber::check_char(&s[..17]) != Some(char::from(b[17].to_ascii_uppercase())) {
        return Err(reasons.check_digit);
    }
    Ok((s.to_ascii_uppercase(), birth))
}

/// Province-level codes (GB/T 2260) that begin a real ID number.
pub const PROVINCE_CODES: [u8; 34] = [
    11, 12, 13, 14, 15, // 华北
    21, 22, 23, // 东北
    31, 32, 33, 34, 35, 36, 37, // 华东
    41, 42, 43, 44, 45, 46, // 中南
    50, 51, 52, 53, 54, // 西南
    61, 62, 63, 64, 65, // 西北
    71, 81, 82, // 台湾、香港、澳门
];

/// 2^(17-i) mod 11 for positions 0..17, as the standard tabulates them.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// A valid ID number, stored with an uppercase X. `Debug` shows only the masked form and there
/// is no `Display`, so printing the clear number takes a deliberate `as_str()`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    text: String,
    birth: NaiveDate,
}

impl IdNumber {
    /// `today` bounds the birth date; this crate never reads the clock.
    pub fn parse(s: &str, today: NaiveDate) -> Result<Self, FieldError> {
        let (text, birth) = parse_gb11643(s, today, None, 0, &REASONS)?;
        Ok(IdNumber { text, birth })
    }

    /// The check character for 17 leading digits, or `None` if that is not what was given.
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = b
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        Some(char::from(CHECK_CHARS[(sum % 11) as usize]))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// Completed years on `date` (0 before birth). A 29 February birthday counts as reached on
    /// 1 March in common years, as Chinese civil law reckons age.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        age_on(self.birth, date)
    }

    pub fn sex(&self) -> Sex {
        if (self.text.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 6-digit administrative division code the number was issued under.
    pub fn region_code(&self) -> &str {
        &self.text[..6]
    }
}

/// Completed years of someone born on `birth`, on `date` (0 before birth). A 29 February
/// birthday counts as reached on 1 March in common years, as Chinese civil law reckons age.
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    let years = date.year() - birth.year();
    let before_birthday = (date.month(), date.day()) < (birth.month(), birth.day());
    u32::try_from(years - i32::from(before_birthday)).unwrap_or(0)
}

fn two_digits(b: &[u8]) -> u8 {
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

/// `YYYYMMDD` from ASCII digits; years before 1900 are data-entry errors, not people.
fn birth_date(b: &[u8]) -> Option<NaiveDate> {
    let year = b[..4]
        .iter()
        .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
    let date = NaiveDate::from_ymd_opt(
        year,
        u32::from(two_digits(&b[4..6])),
        u32::from(two_digits(&b[6..8])),
    )?;
    (year >= 1900).then_some(date)
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber")
            .field(&mask::mask_id(self))
            .finish()
    }
}

/// The clear number, for storage. Responses show [`mask::mask_id`] instead.
impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: NaiveDate = arb::TODAY;
    /// The worked example of GB 11643-1999 (北京市朝阳区, 1949-12-31, male).
    const STANDARD_EXAMPLE: &str = "11010519491231002X";

    fn reason(s: &str) -> &'static str {
        IdNumber::parse(s, TODAY).unwrap_err().reason
    }

    #[test]
    fn the_standards_example_parses_with_its_fields() {
        let id = IdNumber::parse(STANDARD_EXAMPLE, TODAY).unwrap();
        assert_eq!(id.as_str(), STANDARD_EXAMPLE);
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.birth_date(), d(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(IdNumber::check_char("11010519491231002"), Some('X'));
    }

    #[test]
    fn check_char_maps_every_remainder() {
        // The last digit has weight 2, so digit d gives remainder 2d mod 11: every remainder
        // but 9, which a 5 in the weight-4 position gives.
        for (d, expected) in "1X86420975".chars().enumerate() {
            let first17 = format!("{}{d}", "0".repeat(16));
            assert_eq!(IdNumber::check_char(&first17), Some(expected), "{first17}");
        }
        assert_eq!(IdNumber::check_char("00000000000000050"), Some('3'));
        assert_eq!(IdNumber::check_char("11010119900307001"), Some('1'));
        assert_eq!(IdNumber::check_char("1101011990030700"), None);
        assert_eq!(IdNumber::check_char("1101011990030700X"), None);
    }

    #[test]
    fn whitespace_is_trimmed_and_lowercase_x_is_stored_uppercase() {
        let id = IdNumber::parse(" \t11010519491231002x\n", TODAY).unwrap();
        assert_eq!(id.as_str(), STANDARD_EXAMPLE);
    }

    #[test]
    fn shape_errors_share_one_reason() {
        for bad in [
            "",
            "1101051949123100",
            "11010519491231002X1",
            "1101051949123100X2",
            "11010519491231002Y",
            "１１010519491231002X",
            "110105 19491231002X",
        ] {
            assert_eq!(reason(bad), "bad_format", "{bad:?}");
        }
    }

    #[test]
    fn region_must_be_a_real_province() {
        let first17 = "99010519491231002";
        let id = format!("{first17}{}", IdNumber::check_char(first17).unwrap());
        assert_eq!(reason(&id), "bad_region");
        let first17 = "10010519491231002";
        let id = format!("{first17}{}", IdNumber::check_char(first17).unwrap());
        assert_eq!(reason(&id), "bad_region");
    }

    #[test]
    fn birth_date_must_be_real_and_not_in_the_future() {
        let with = |date: &str| {
            let first17 = format!("110105{date}002");
            format!("{first17}{}", IdNumber::check_char(&first17).unwrap())
        };
        assert_eq!(reason(&with("19990230")), "bad_birth_date");
        assert_eq!(reason(&with("19991301")), "bad_birth_date");
        assert_eq!(reason(&with("18991231")), "bad_birth_date");
        assert_eq!(reason(&with("20230229")), "bad_birth_date");
        assert!(IdNumber::parse(&with("20240229"), TODAY).is_ok());
        assert!(IdNumber::parse(&with("19000101"), TODAY).is_ok());
        assert!(IdNumber::parse(&with(&TODAY.format("%Y%m%d").to_string()), TODAY).is_ok());
        let tomorrow = TODAY.succ_opt().unwrap().format("%Y%m%d").to_string();
        assert_eq!(reason(&with(&tomorrow)), "future_birth_date");
    }

    #[test]
    fn a_wrong_check_character_is_named_as_such() {
        assert_eq!(reason("110105194912310021"), "bad_check_digit");
    }

    #[test]
    fn sex_follows_the_parity_of_the_17th_digit() {
        let id = |seq: &str| {
            let first17 = format!("11010519900307{seq}");
            let s = format!("{first17}{}", IdNumber::check_char(&first17).unwrap());
            IdNumber::parse(&s, TODAY).unwrap()
        };
        assert_eq!(id("001").sex(), Sex::Male);
        assert_eq!(id("019").sex(), Sex::Male);
        assert_eq!(id("002").sex(), Sex::Female);
        assert_eq!(id("010").sex(), Sex::Female);
    }

    #[test]
    fn age_counts_completed_years() {
        let id = IdNumber::parse(STANDARD_EXAMPLE, TODAY).unwrap(); // born 1949-12-31
        assert_eq!(id.age_on(d(1949, 12, 31)), 0);
        assert_eq!(id.age_on(d(1950, 12, 30)), 0);
        assert_eq!(id.age_on(d(1950, 12, 31)), 1);
        assert_eq!(id.age_on(d(2025, 12, 30)), 75);
        assert_eq!(id.age_on(d(2025, 12, 31)), 76);
        assert_eq!(id.age_on(d(1900, 1, 1)), 0);
    }

    #[test]
    fn a_leap_day_birthday_is_reached_on_1_march_in_common_years() {
        let first17 = "11010520000229003";
        let s = format!("{first17}{}", IdNumber::check_char(first17).unwrap());
        let id = IdNumber::parse(&s, TODAY).unwrap();
        assert_eq!(id.age_on(d(2018, 2, 28)), 17);
        assert_eq!(id.age_on(d(2018, 3, 1)), 18);
        assert_eq!(id.age_on(d(2020, 2, 28)), 19);
        assert_eq!(id.age_on(d(2020, 2, 29)), 20);
    }

    #[test]
    fn debug_never_shows_the_clear_number() {
        let id = IdNumber::parse(STANDARD_EXAMPLE, TODAY).unwrap();
        let debug = format!("{id:?}");
        assert!(!debug.contains(STANDARD_EXAMPLE), "{debug}");
        assert!(debug.contains("1101**********002X"), "{debug}");
        let nested = format!("{:?}", Some(&id));
        assert!(!nested.contains(STANDARD_EXAMPLE), "{nested}");
    }

    #[test]
    fn serializes_as_the_clear_string() {
        let id = IdNumber::parse(STANDARD_EXAMPLE, TODAY).unwrap();
        assert_eq!(
            serde_json::to_value(&id).unwrap(),
            serde_json::json!(STANDARD_EXAMPLE)
        );
        assert_eq!(
            serde_json::to_value(Sex::Female).unwrap(),
            serde_json::json!("female")
        );
    }

    proptest! {
        #[test]
        fn every_generated_valid_number_parses((s, birth) in arb::id_with_birth()) {
            let id = IdNumber::parse(&s, TODAY).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.region_code(), &s[..6]);
            prop_assert!(id.age_on(TODAY) <= 126);
        }

        #[test]
        fn every_single_character_change_is_rejected(
            s in arb::id_number(),
            pos in 0usize..18,
            replacement in proptest::sample::select(b"0123456789X".to_vec()),
        ) {
            prop_assume!(s.as_bytes()[pos] != replacement);
            let mut changed = s.into_bytes();
            changed[pos] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            prop_assert!(IdNumber::parse(&changed, TODAY).is_err(), "{}", changed);
        }

        #[test]
        fn lowercase_x_is_accepted_and_normalized(s in arb::id_number_ending_in_x()) {
            let lower = s.to_ascii_lowercase();
            prop_assert!(lower.ends_with('x'));
            let id = IdNumber::parse(&lower, TODAY).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
        }
    }
}
