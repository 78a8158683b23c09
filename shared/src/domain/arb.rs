//! Property-test generators of valid values, shared by the domain and masking tests.

use super::id_number::{IdNumber, PROVINCE_CODES};
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use proptest::sample::select;

/// The fixed "today" of every test, so generated birth dates are reproducible.
pub const TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 6, 15) {
    Some(d) => d,
    None => panic!("valid date"),
};

const EARLIEST_BIRTH: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

fn birth_date() -> impl Strategy<Value = NaiveDate> {
    let span = (TODAY - EARLIEST_BIRTH).num_days() as u64;
    (0..=span).prop_map(|days| EARLIEST_BIRTH + Days::new(days))
}

/// The first 15 digits: province, 4 digits of city and county, birth date, and 1 sequence digit.
fn first15() -> impl Strategy<Value = (String, NaiveDate)> {
    (
        select(PROVINCE_CODES.to_vec()),
        0u32..10_000,
        birth_date(),
        0u32..10,
    )
        .prop_map(|(province, area, birth, seq)| {
            let s = format!("{province:02}{area:04}{}{seq}", birth.format("%Y%m%d"));
            (s, birth)
        })
}

pub fn with_check(first17: &str) -> String {
    let check = IdNumber::check_char(first17).expect("17 digits");
    format!("{first17}{check}")
}

/// A valid ID number and the birth date it encodes.
pub fn id_with_birth() -> impl Strategy<Value = (String, NaiveDate)> {
    (first15(), 0u32..100)
        .prop_map(|((prefix, birth), tail)| (with_check(&format!("{prefix}{tail:02}")), birth))
}

pub fn id_number() -> impl Strategy<Value = String> {
    id_with_birth().prop_map(|(s, _)| s)
}

/// Only 1 in 11 numbers ends in X, so rather than filter, search the last two sequence digits
/// (weights 4 and 2 reach every remainder) from a random starting point.
pub fn id_number_ending_in_x() -> impl Strategy<Value = String> {
    (first15(), 0u32..100).prop_map(|((prefix, _), start)| {
        (0..100)
            .map(|k| with_check(&format!("{prefix}{:02}", (start + k) % 100)))
            .find(|s| s.ends_with('X'))
            .expect("some pair of digits gives X")
    })
}

pub fn phone() -> impl Strategy<Value = String> {
    "1[3-9][0-9]{9}"
}

fn han_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
        1 => proptest::char::range('\u{3400}', '\u{4DBF}'),
        1 => proptest::char::range('\u{20000}', '\u{2A6DF}'),
    ]
}

/// A Han name without separator, sometimes starting with a compound surname.
pub fn han_name() -> impl Strategy<Value = String> {
    let surname = prop_oneof![
        3 => han_char().prop_map(String::from),
        1 => select(crate::domain::mask::COMPOUND_SURNAMES).prop_map(String::from),
    ];
    (surname, proptest::collection::vec(han_char(), 1..=10)).prop_map(|(surname, given)| {
        let mut s = surname;
        s.extend(given);
        s
    })
}

/// A minority name: 2 or 3 parts joined by "·", at most 20 characters in all.
pub fn minority_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::collection::vec(han_char(), 1..=6), 2..=3).prop_map(
        |parts| {
            parts
                .iter()
                .map(|p| p.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("·")
        },
    )
}

/// An uppercase Latin name, words separated by one space, hyphen or apostrophe.
pub fn latin_name() -> impl Strategy<Value = String> {
    "[A-Z]{2,12}([ '-][A-Z]{1,12}){0,3}"
}

/// A valid permanent residence ID number: `9`, an issuing province, a nationality code, a
/// birth date and a sequence, with its check character.
pub fn permanent_residence_id() -> impl Strategy<Value = String> {
    (
        select(PROVINCE_CODES.to_vec()),
        0u32..1000,
        birth_date(),
        0u32..1000,
    )
        .prop_map(|(province, nationality, birth, seq)| {
            with_check(&format!(
                "9{province:02}{nationality:03}{}{seq:03}",
                birth.format("%Y%m%d")
            ))
        })
}

/// A passport number as `ForeignPassport::parse` accepts it: letters and digits, one digit.
pub fn passport_number() -> impl Strategy<Value = String> {
    "[A-Z0-9]{4,16}[0-9]"
}

/// The body fields naming a resident by `name` and ID number `id`, as the use-case tests send.
pub fn resident(name: &str, id: &str) -> super::PersonFields {
    super::PersonFields {
        name: name.into(),
        id_number: Some(id.into()),
        ..Default::default()
    }
}
