//! A person's name as written on their document: Han characters (with "·" between the parts of
//! a minority name) for ID card holders, uppercase Latin letters for foreigners' passports.

use super::FieldError;
use crate::domain::mask;
use std::fmt;

const BAD_LENGTH: FieldError = FieldError::new("bad_length", "name.bad_length");
const BAD_CHAR: FieldError = FieldError::new("bad_char", "name.bad_char");
const BAD_SEPARATOR: FieldError = FieldError::new("bad_separator", "name.bad_separator");
const MIXED_SCRIPTS: FieldError = FieldError::new("mixed_scripts", "name.mixed_scripts");

/// The separator between the parts of a minority name (U+00B7).
pub const SEPARATOR: char = '·';

/// What input methods produce instead of U+00B7 (bullet, katakana middle dot, full-width full
/// stop, hyphenation point); a booking must match the name on the ID card, which uses U+00B7.
const LOOKALIKE_SEPARATORS: [char; 4] = ['\u{2022}', '\u{30FB}', '\u{FF0E}', '\u{2027}'];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameScript {
    Han,
    Latin,
}

/// A valid name. `Debug` shows only the masked form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName {
    text: String,
    script: NameScript,
}

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let has_han = s.chars().any(is_han);
        let has_latin = s.chars().any(|c| c.is_ascii_alphabetic());
        match (has_han, has_latin) {
            (true, true) => Err(MIXED_SCRIPTS),
            (false, true) => parse_latin(s),
            _ => parse_han(s),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn script(&self) -> NameScript {
        self.script
    }
}

/// CJK Unified Ideographs, Extension A, and Extensions B onwards: rare characters in names are
/// exactly why people fail to book elsewhere, so the supplementary planes are accepted.
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{323AF}')
}

fn parse_han(s: &str) -> Result<PersonName, FieldError> {
    let text: String = s
        .chars()
        .map(|c| {
            if LOOKALIKE_SEPARATORS.contains(&c) {
                SEPARATOR
            } else {
                c
            }
        })
        .collect();
    if !text.chars().all(|c| is_han(c) || c == SEPARATOR) {
        return Err(BAD_CHAR);
    }
    if !(2..=20).contains(&text.chars().count()) {
        return Err(BAD_LENGTH);
    }
    if text.starts_with(SEPARATOR) || text.ends_with(SEPARATOR) || text.contains("··") {
        return Err(BAD_SEPARATOR);
    }
    Ok(PersonName {
        text,
        script: NameScript::Han,
    })
}

fn parse_latin(s: &str) -> Result<PersonName, FieldError> {
    // iOS "smart punctuation" turns a typed apostrophe into U+2019.
    let text: String = s
        .chars()
        .map(|c| {
            if c == '\u{2019}' {
                '\''
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    if !text
        .chars()
        .all(|c| c.is_ascii_uppercase() || matches!(c, ' ' | '-' | '\''))
    {
        return Err(BAD_CHAR);
    }
    if !(2..=60).contains(&text.len()) {
        return Err(BAD_LENGTH);
    }
    // Every separator sits between two letters: this rules out a leading or trailing one,
    // double spaces, and runs like "- " that are always typing slips.
    let b = text.as_bytes();
    let separators_ok = b[0].is_ascii_uppercase()
        && b[b.len() - 1].is_ascii_uppercase()
        && b.windows(2)
            .all(|w| w[0].is_ascii_uppercase() || w[1].is_ascii_uppercase());
    if !separators_ok {
        return Err(BAD_SEPARATOR);
    }
    Ok(PersonName {
        text,
        script: NameScript::Latin,
    })
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PersonName")
            .field(&mask::mask_name(self))
            .finish()
    }
}

serde_via_str!(PersonName);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use proptest::prelude::*;

    fn reason(s: &str) -> &'static str {
        PersonName::parse(s).unwrap_err().reason
    }

    fn parsed(s: &str) -> String {
        PersonName::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn han_names_including_rare_characters_are_accepted() {
        for ok in [
            "张三",
            "欧阳娜娜",
            "买买提·艾力",
            "王㐀",
            "𠀀𠀁",
            "李𪚥",
            "爱新觉罗·溥仪",
        ] {
            assert_eq!(parsed(ok), ok);
            assert_eq!(PersonName::parse(ok).unwrap().script(), NameScript::Han);
        }
        assert_eq!(parsed("\u{3000} 张三 "), "张三");
    }

    #[test]
    fn lookalike_dots_become_the_middle_dot() {
        for sep in ['\u{2022}', '\u{30FB}', '\u{FF0E}', '\u{2027}'] {
            assert_eq!(
                parsed(&format!("买买提{sep}艾力")),
                "买买提·艾力",
                "{sep:?}"
            );
        }
    }

    #[test]
    fn han_length_is_2_to_20_characters() {
        assert_eq!(reason("张"), "bad_length");
        assert_eq!(reason(""), "bad_length");
        assert_eq!(reason("   "), "bad_length");
        assert_eq!(parsed(&"张".repeat(20)).chars().count(), 20);
        assert_eq!(reason(&"张".repeat(21)), "bad_length");
    }

    #[test]
    fn han_names_reject_other_characters() {
        for bad in [
            "张三1",
            "张 三",
            "张三。",
            "张三！",
            "キム",
            "김철수",
            "张-三",
        ] {
            assert_eq!(reason(bad), "bad_char", "{bad:?}");
        }
    }

    #[test]
    fn the_dot_only_separates() {
        for bad in ["·买买提", "买买提·", "买买提··艾力", "买买提•·艾力"] {
            assert_eq!(reason(bad), "bad_separator", "{bad:?}");
        }
    }

    #[test]
    fn latin_names_are_uppercased() {
        assert_eq!(parsed("John Smith"), "JOHN SMITH");
        assert_eq!(parsed("o'neil"), "O'NEIL");
        assert_eq!(parsed("O\u{2019}Neil"), "O'NEIL");
        assert_eq!(parsed(" Anne-Marie Dupont "), "ANNE-MARIE DUPONT");
        assert_eq!(PersonName::parse("JO").unwrap().script(), NameScript::Latin);
    }

    #[test]
    fn latin_names_are_checked() {
        assert_eq!(reason("J"), "bad_length");
        assert_eq!(reason(&"A".repeat(61)), "bad_length");
        assert_eq!(parsed(&"A".repeat(60)).len(), 60);
        for bad in ["JOSÉ", "JOHN2", "JOHN.SMITH", "JOHN_SMITH", "JOHN\tSMITH"] {
            assert_eq!(reason(bad), "bad_char", "{bad:?}");
        }
        for bad in [
            "JOHN  SMITH",
            "-JOHN",
            "JOHN-",
            "'JOHN",
            "JOHN- SMITH",
            "O''NEIL",
        ] {
            assert_eq!(reason(bad), "bad_separator", "{bad:?}");
        }
    }

    #[test]
    fn scripts_may_not_mix() {
        for bad in ["张John", "JOHN·张", "李A"] {
            assert_eq!(reason(bad), "mixed_scripts", "{bad:?}");
        }
    }

    #[test]
    fn debug_is_masked() {
        let name = PersonName::parse("张三丰").unwrap();
        let debug = format!("{name:?}");
        assert!(!debug.contains("三丰"), "{debug}");
        assert!(debug.contains("张**"), "{debug}");
    }

    #[test]
    fn serde_round_trips_through_parse() {
        let name: PersonName = serde_json::from_str(r#"" john smith ""#).unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), r#""JOHN SMITH""#);
        assert!(serde_json::from_str::<PersonName>(r#""张John""#).is_err());
    }

    proptest! {
        #[test]
        fn generated_han_names_parse_unchanged(s in arb::han_name()) {
            prop_assert_eq!(parsed(&s), s);
        }

        #[test]
        fn generated_minority_names_parse_unchanged(s in arb::minority_name()) {
            prop_assert_eq!(parsed(&s), s);
        }

        #[test]
        fn generated_latin_names_parse_in_any_case(s in arb::latin_name()) {
            prop_assert_eq!(parsed(&s.to_ascii_lowercase()), s.clone());
            prop_assert_eq!(parsed(&s), s);
        }
    }
}
