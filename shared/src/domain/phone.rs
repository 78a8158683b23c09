//! Mainland China mobile numbers, the only kind the SMS reminders can reach.

use super::FieldError;
use crate::domain::mask;
use std::fmt;

const BAD_FORMAT: FieldError = FieldError::new("bad_format", "phone.bad_format");
const NOT_MOBILE: FieldError = FieldError::new("not_mobile", "phone.not_mobile");

/// Eleven digits `1[3-9]\d{9}`. `Debug` shows only the masked form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts the ways people paste a number: `+86`/`86` in front and single spaces or hyphens
    /// between digits ("+86 138-1234-5678").
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(13);
        let mut after_separator = true; // no separator may lead
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    digits.push(c);
                    after_separator = false;
                }
                ' ' | '-' if !after_separator => after_separator = true,
                _ => return Err(BAD_FORMAT),
            }
        }
        if after_separator {
            return Err(BAD_FORMAT);
        }
        let national = match (plus, digits.len()) {
            (_, 13) if digits.starts_with("86") => &digits[2..],
            (false, 11) => &digits[..],
            _ => return Err(BAD_FORMAT),
        };
        if !is_mobile(national) {
            return Err(NOT_MOBILE);
        }
        Ok(Phone(national.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `1[3-9]\d{9}` on a string already known to be ASCII digits or not.
pub(crate) fn is_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone")
            .field(&mask::mask_phone(self))
            .finish()
    }
}

serde_via_str!(Phone);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use proptest::prelude::*;

    fn reason(s: &str) -> &'static str {
        Phone::parse(s).unwrap_err().reason
    }

    #[test]
    fn accepts_common_written_forms() {
        for ok in [
            "13812345678",
            " 13812345678 ",
            "+8613812345678",
            "8613812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "138-1234-5678",
            "1 3 8 1 2 3 4 5 6 7 8",
        ] {
            assert_eq!(Phone::parse(ok).unwrap().as_str(), "13812345678", "{ok:?}");
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "1381234567",
            "138123456789",
            "+13812345678",
            "+8513812345678",
            "138--1234-5678",
            "138  12345678",
            "-13812345678",
            "13812345678-",
            "+ 8613812345678",
            "138.1234.5678",
            "１3812345678",
            "(86)13812345678",
        ] {
            assert_eq!(reason(bad), "bad_format", "{bad:?}");
        }
    }

    #[test]
    fn rejects_numbers_that_are_not_mainland_mobiles() {
        for bad in ["12812345678", "10012345678", "23812345678", "8623812345678"] {
            assert_eq!(reason(bad), "not_mobile", "{bad:?}");
        }
    }

    #[test]
    fn debug_is_masked() {
        let p = Phone::parse("13812345678").unwrap();
        let debug = format!("{p:?}");
        assert!(!debug.contains("13812345678"), "{debug}");
        assert!(debug.contains("138****5678"), "{debug}");
    }

    #[test]
    fn serde_uses_the_normalized_string_and_validates() {
        let p: Phone = serde_json::from_str(r#""+86 138 1234 5678""#).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), r#""13812345678""#);
        assert!(serde_json::from_str::<Phone>(r#""12345""#).is_err());
    }

    proptest! {
        #[test]
        fn every_mobile_parses_with_or_without_country_code(p in arb::phone()) {
            let grouped = format!("{} {}-{}", &p[..3], &p[3..7], &p[7..]);
            for written in [p.clone(), format!("+86{p}"), format!("86{p}"), grouped] {
                let parsed = Phone::parse(&written).unwrap();
                prop_assert_eq!(parsed.as_str(), p.as_str());
            }
        }
    }
}
