//! Numbers handed to applicants: the booking number they quote at the office or over the phone,
//! and the application number opened at check-in. Both are Crockford base32 with a check symbol
//! so a mistyped number is caught before any lookup, and random so they cannot be enumerated.

use super::crockford;
use super::FieldError;
use chrono::{Datelike, NaiveDate};

const BAD_LENGTH: FieldError = FieldError::new("bad_length", "number.bad_length");
const BAD_CHAR: FieldError = FieldError::new("bad_char", "number.bad_char");
const BAD_CHECK: FieldError = FieldError::new("bad_check_symbol", "number.bad_check_symbol");
const BAD_DATE: FieldError = FieldError::new("bad_date", "number.bad_date");

/// 11 data symbols × 5 bits.
const BOOKING_BITS: u32 = 55;
const BOOKING_SYMBOLS: u32 = BOOKING_BITS / 5;
const BOOKING_LEN: usize = BOOKING_SYMBOLS as usize + 1;

/// A booking number: 55 random bits as 11 symbols plus a check symbol, e.g. `4HMA-SW9N-F6Y2`
/// grouped for reading aloud. Guessing a live one takes about 2^55 / bookings tries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BookingNo(String);

impl BookingNo {
    /// Uses the low 55 of the 56 bits, so callers pass 7 bytes straight from the random source.
    pub fn from_entropy(bytes: [u8; 7]) -> Self {
        let mut wide = [0u8; 8];
        wide[1..].copy_from_slice(&bytes);
        Self::from_value(u64::from_be_bytes(wide) & ((1 << BOOKING_BITS) - 1))
    }

    fn from_value(value: u64) -> Self {
        let mut s = String::with_capacity(BOOKING_LEN);
        crockford::encode(value, BOOKING_SYMBOLS, &mut s);
        s.push(crockford::check_symbol(u128::from(value)));
        BookingNo(s)
    }

    /// Case-insensitive; ignores spaces and hyphens; reads O as 0 and I or L as 1.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let symbols = crockford::strip_grouping(s);
        if symbols.len() != BOOKING_LEN {
            return Err(BAD_LENGTH);
        }
        let (data, check) = symbols.split_at(BOOKING_LEN - 1);
        let value = decode_data(data)?;
        let check = crockford::decode_check(check[0]).ok_or(BAD_CHAR)?;
        if check != crockford::check_value(u128::from(value)) {
            return Err(BAD_CHECK);
        }
        Ok(Self::from_value(value))
    }

    /// The canonical 12 characters, for storage and lookups.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `XXXX-XXXX-XXXX`, for reading out.
    pub fn display_grouped(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
    }
}

fn decode_data(symbols: &[u8]) -> Result<u64, FieldError> {
    symbols.iter().try_fold(0u64, |acc, &c| {
        let v = crockford::decode(c).ok_or(BAD_CHAR)?;
        Ok((acc << 5) | u64::from(v))
    })
}

const APPLICATION_SYMBOLS: u32 = 8;
const APPLICATION_LEN: usize = 1 + 8 + APPLICATION_SYMBOLS as usize + 1;

/// An application number: `A`, the check-in date `YYYYMMDD`, 40 random bits as 8 symbols, and a
/// check symbol over date and random part together, so a mistyped date is caught too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApplicationNo {
    text: String,
    date: NaiveDate,
}

impl ApplicationNo {
    /// `None` only for a date whose year is not four digits.
    pub fn new(date: NaiveDate, entropy: [u8; 5]) -> Option<Self> {
        if !(1000..=9999).contains(&date.year()) {
            return None;
        }
        let mut wide = [0u8; 8];
        wide[3..].copy_from_slice(&entropy);
        Some(Self::build(date, u64::from_be_bytes(wide)))
    }

    fn build(date: NaiveDate, random: u64) -> Self {
        let mut text = String::with_capacity(APPLICATION_LEN);
        text.push('A');
        text.push_str(&crate::time::compact_date(date));
        crockford::encode(random, APPLICATION_SYMBOLS, &mut text);
        text.push(crockford::check_symbol(checked_value(date, random)));
        ApplicationNo { text, date }
    }

    /// Case-insensitive; ignores spaces and hyphens; reads O as 0 and I or L as 1 after the date.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let symbols = crockford::strip_grouping(s);
        if symbols.len() != APPLICATION_LEN {
            return Err(BAD_LENGTH);
        }
        let (prefix, rest) = symbols.split_at(1);
        let (date_digits, rest) = rest.split_at(8);
        let (data, check) = rest.split_at(APPLICATION_SYMBOLS as usize);
        if !prefix[0].eq_ignore_ascii_case(&b'A') || !date_digits.iter().all(u8::is_ascii_digit) {
            return Err(BAD_CHAR);
        }
        let date = parse_yyyymmdd(date_digits).ok_or(BAD_DATE)?;
        let random = decode_data(data)?;
        let check = crockford::decode_check(check[0]).ok_or(BAD_CHAR)?;
        if check != crockford::check_value(checked_value(date, random)) {
            return Err(BAD_CHECK);
        }
        Ok(Self::build(date, random))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The check-in date the number was opened on.
    pub fn date(&self) -> NaiveDate {
        self.date
    }
}

/// The date's digits and the random part as one number, so the check symbol covers both.
fn checked_value(date: NaiveDate, random: u64) -> u128 {
    let yyyymmdd = date.year() as u128 * 10_000 + u128::from(date.month() * 100 + date.day());
    (yyyymmdd << (5 * APPLICATION_SYMBOLS)) | u128::from(random)
}

fn parse_yyyymmdd(d: &[u8]) -> Option<NaiveDate> {
    let num = |b: &[u8]| b.iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    NaiveDate::from_ymd_opt(num(&d[..4]) as i32, num(&d[4..6]), num(&d[6..8]))
}

/// 12 data symbols × 5 bits.
const INVITATION_BITS: u32 = 60;
const INVITATION_SYMBOLS: u32 = INVITATION_BITS / 5;
const INVITATION_LEN: usize = INVITATION_SYMBOLS as usize + 1;

/// The code a helper passes to an adult they want to act for (by message, aloud): 60 random bits
/// as 12 symbols plus a check symbol. It is a bearer secret until accepted, so it is only ever
/// stored hashed, and accepting is rate limited per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationCode(String);

impl InvitationCode {
    /// Uses the low 60 of the 64 bits.
    pub fn from_entropy(bytes: [u8; 8]) -> Self {
        Self::from_value(u64::from_be_bytes(bytes) & ((1 << INVITATION_BITS) - 1))
    }

    fn from_value(value: u64) -> Self {
        let mut s = String::with_capacity(INVITATION_LEN);
        crockford::encode(value, INVITATION_SYMBOLS, &mut s);
        s.push(crockford::check_symbol(u128::from(value)));
        InvitationCode(s)
    }

    /// Case-insensitive; ignores spaces and hyphens; reads O as 0 and I or L as 1.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let symbols = crockford::strip_grouping(s);
        if symbols.len() != INVITATION_LEN {
            return Err(BAD_LENGTH);
        }
        let (data, check) = symbols.split_at(INVITATION_LEN - 1);
        let value = decode_data(data)?;
        let check = crockford::decode_check(check[0]).ok_or(BAD_CHAR)?;
        if check != crockford::check_value(u128::from(value)) {
            return Err(BAD_CHECK);
        }
        Ok(Self::from_value(value))
    }

    /// The canonical 13 characters; what is hashed for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `XXXX-XXXX-XXXXX`, for reading out.
    pub fn display_grouped(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
    }
}

display_as_str!(BookingNo, ApplicationNo);
serde_via_str!(BookingNo, ApplicationNo);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALPHABET: &[u8] = crockford::ALPHABET;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn invitation_codes_round_trip_and_catch_typos() {
        let code = InvitationCode::from_entropy([0xA5; 8]);
        assert_eq!(code.as_str().len(), 13);
        let grouped = code.display_grouped();
        assert_eq!(InvitationCode::parse(&grouped), Ok(code.clone()));
        assert_eq!(
            InvitationCode::parse(&grouped.to_ascii_lowercase()),
            Ok(code.clone())
        );
        let mut typo = code.as_str().as_bytes().to_vec();
        typo[3] = if typo[3] == b'7' { b'8' } else { b'7' };
        assert_eq!(
            InvitationCode::parse(std::str::from_utf8(&typo).unwrap()),
            Err(BAD_CHECK)
        );
        assert_eq!(InvitationCode::parse("ABC"), Err(BAD_LENGTH));
        assert_eq!(InvitationCode::parse("!!!!!!!!!!!!!"), Err(BAD_CHAR));
        assert_ne!(InvitationCode::from_entropy([1; 8]), code);
    }

    #[test]
    fn extreme_entropy_gives_the_extreme_numbers() {
        let zero = BookingNo::from_entropy([0; 7]);
        assert_eq!(zero.as_str(), "000000000000");
        // The top bit is dropped: 55 ones, and 2^55 - 1 ≡ 34 (mod 37), the check symbol "$".
        let max = BookingNo::from_entropy([0xFF; 7]);
        assert_eq!(max.as_str(), "ZZZZZZZZZZZ$");
        assert_eq!(
            BookingNo::from_entropy([0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            max
        );
    }

    #[test]
    fn known_value_has_a_known_check_symbol() {
        // 1 ≡ 1 (mod 37); 32 needs the extended check alphabet.
        assert_eq!(
            BookingNo::from_entropy([0, 0, 0, 0, 0, 0, 1]).as_str(),
            "000000000011"
        );
        assert_eq!(
            BookingNo::from_entropy([0, 0, 0, 0, 0, 0, 32]).as_str(),
            "00000000010*"
        );
    }

    #[test]
    fn parse_is_lenient_about_case_grouping_and_confusable_letters() {
        let no = BookingNo::from_entropy([0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE]);
        let grouped = no.display_grouped();
        assert_eq!(grouped, "4HMA-SW9N-F6Y2");
        assert_eq!(grouped.replace('-', ""), no.as_str());
        assert_eq!(BookingNo::parse(&grouped), Ok(no.clone()));
        assert_eq!(
            BookingNo::parse(&grouped.to_ascii_lowercase()),
            Ok(no.clone())
        );
        assert_eq!(
            BookingNo::parse(&format!(" {} ", grouped.replace('-', " "))),
            Ok(no)
        );
        assert_eq!(
            BookingNo::parse("OOOO-OOOO-OOO0").unwrap().as_str(),
            "000000000000"
        );
        assert_eq!(
            BookingNo::parse("oooo-oooo-ooIl").unwrap().as_str(),
            "000000000011"
        );
    }

    #[test]
    fn parse_names_what_is_wrong() {
        let reason = |s: &str| BookingNo::parse(s).unwrap_err().reason;
        assert_eq!(reason(""), "bad_length");
        assert_eq!(reason("00000000000"), "bad_length");
        assert_eq!(reason("0000000000000"), "bad_length");
        assert_eq!(reason("0000000000U0"), "bad_char");
        assert_eq!(reason("0000000000*0"), "bad_char");
        assert_eq!(reason("00000000000!"), "bad_char");
        assert_eq!(reason("000000000001"), "bad_check_symbol");
        assert_eq!(reason("00000000000*"), "bad_check_symbol");
    }

    #[test]
    fn application_numbers_carry_their_date() {
        let date = d(2026, 11, 21);
        let no = ApplicationNo::new(date, [0, 0, 0, 0, 0]).unwrap();
        assert_eq!(no.as_str().len(), 18);
        assert!(no.as_str().starts_with("A2026112100000000"), "{no}");
        assert_eq!(no.date(), date);
        let max = ApplicationNo::new(date, [0xFF; 5]).unwrap();
        assert_eq!(&max.as_str()[9..17], "ZZZZZZZZ");
        assert_eq!(ApplicationNo::parse(max.as_str()), Ok(max.clone()));
        assert_eq!(
            ApplicationNo::parse(&max.as_str().to_ascii_lowercase()),
            Ok(max)
        );
        assert!(ApplicationNo::new(d(999, 1, 1), [0; 5]).is_none());
        assert!(ApplicationNo::new(d(10_000, 1, 1), [0; 5]).is_none());
    }

    #[test]
    fn application_parse_names_what_is_wrong() {
        let good = ApplicationNo::new(d(2026, 11, 21), [1, 2, 3, 4, 5]).unwrap();
        let with = |i: usize, c: char| {
            let mut s = good.as_str().to_owned();
            s.replace_range(i..i + 1, &c.to_string());
            ApplicationNo::parse(&s).unwrap_err().reason
        };
        assert_eq!(with(0, 'B'), "bad_char");
        assert_eq!(with(3, 'O'), "bad_char");
        assert_eq!(with(5, '3'), "bad_date");
        assert_eq!(with(12, 'U'), "bad_char");
        assert_eq!(
            ApplicationNo::parse("A20261121").unwrap_err().reason,
            "bad_length"
        );
        // 2026-11-21 → 2026-11-22 is a valid date, so only the check symbol can catch it.
        assert_eq!(with(8, '2'), "bad_check_symbol");
    }

    /// Any data symbol but `original`, chosen by `pick`.
    fn other_symbol(original: u8, pick: usize) -> u8 {
        let others: Vec<u8> = ALPHABET
            .iter()
            .copied()
            .filter(|&c| c != original)
            .collect();
        others[pick % others.len()]
    }

    proptest! {
        #[test]
        fn booking_numbers_round_trip(bytes in any::<[u8; 7]>()) {
            let no = BookingNo::from_entropy(bytes);
            prop_assert_eq!(no.as_str().len(), 12);
            prop_assert!(no.as_str()[..11].bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(BookingNo::parse(no.as_str()), Ok(no.clone()));
            prop_assert_eq!(BookingNo::parse(&no.display_grouped()), Ok(no.clone()));
            let json = serde_json::to_string(&no).unwrap();
            prop_assert_eq!(serde_json::from_str::<BookingNo>(&json).unwrap(), no);
        }

        #[test]
        fn different_entropy_gives_different_numbers(a in any::<[u8; 7]>(), b in any::<[u8; 7]>()) {
            let masked = |x: [u8; 7]| [x[0] & 0x7F, x[1], x[2], x[3], x[4], x[5], x[6]];
            prop_assume!(masked(a) != masked(b));
            prop_assert_ne!(BookingNo::from_entropy(a), BookingNo::from_entropy(b));
        }

        #[test]
        fn any_single_substitution_is_caught(
            bytes in any::<[u8; 7]>(),
            pos in 0usize..11,
            pick in 0usize..31,
        ) {
            let mut s = BookingNo::from_entropy(bytes).as_str().as_bytes().to_vec();
            s[pos] = other_symbol(s[pos], pick);
            let changed = String::from_utf8(s).unwrap();
            prop_assert_eq!(BookingNo::parse(&changed).unwrap_err().reason, "bad_check_symbol");
        }

        #[test]
        fn any_adjacent_transposition_is_caught(bytes in any::<[u8; 7]>(), pos in 0usize..11) {
            let mut s = BookingNo::from_entropy(bytes).as_str().as_bytes().to_vec();
            prop_assume!(s[pos] != s[pos + 1]);
            s.swap(pos, pos + 1);
            let changed = String::from_utf8(s).unwrap();
            prop_assert!(BookingNo::parse(&changed).is_err(), "{}", changed);
        }

        #[test]
        fn application_numbers_round_trip(
            days in 0u64..36_500,
            entropy in any::<[u8; 5]>(),
        ) {
            let date = d(2000, 1, 1) + chrono::Days::new(days);
            let no = ApplicationNo::new(date, entropy).unwrap();
            prop_assert_eq!(no.as_str().len(), 18);
            prop_assert_eq!(no.date(), date);
            prop_assert_eq!(ApplicationNo::parse(no.as_str()), Ok(no.clone()));
            let json = serde_json::to_string(&no).unwrap();
            prop_assert_eq!(serde_json::from_str::<ApplicationNo>(&json).unwrap(), no);
        }

        #[test]
        fn application_substitutions_in_the_random_part_are_caught(
            entropy in any::<[u8; 5]>(),
            pos in 9usize..17,
            pick in 0usize..31,
        ) {
            let no = ApplicationNo::new(d(2026, 11, 21), entropy).unwrap();
            let mut s = no.as_str().as_bytes().to_vec();
            s[pos] = other_symbol(s[pos], pick);
            let changed = String::from_utf8(s).unwrap();
            prop_assert_eq!(ApplicationNo::parse(&changed).unwrap_err().reason, "bad_check_symbol");
        }
    }
}
