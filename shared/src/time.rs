//! Yuyue runs on Asia/Shanghai time (UTC+8, no daylight saving since 1991), so a fixed offset is
//! exact. Nothing in this crate reads the clock: callers pass "now" in, which keeps every rule
//! testable at any instant and lets the dev environment override the clock.

use crate::error::ApiError;
use crate::t;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

pub type Instant = DateTime<FixedOffset>;

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Milliseconds since the Unix epoch (what the Workers runtime gives) as Shanghai time.
pub fn from_unix_millis(ms: i64) -> Instant {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&shanghai())
}

/// The Shanghai instant at `date` `time`.
pub fn at(date: NaiveDate, time: NaiveTime) -> Instant {
    shanghai()
        .from_local_datetime(&date.and_time(time))
        .single()
        .expect("a fixed offset has exactly one mapping")
}

/// RFC 3339 with the `+08:00` offset, as the contract writes timestamps.
pub fn rfc3339(t: &Instant) -> String {
    t.with_timezone(&shanghai())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

// Dates and times are read and written by the fixed-format helpers below, not by chrono's
// strftime (`format`, `parse_from_str`): its format-string machinery is about 50 KB of every
// wasm module that links it, for four fixed layouts.

/// The number written by the ASCII digits of `s[from..to]`; `None` if any byte is not a digit.
fn digits(s: &[u8], from: usize, to: usize) -> Option<u32> {
    s.get(from..to)?.iter().try_fold(0u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Strict `YYYY-MM-DD`, or `None`.
pub fn date_from(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(b, 0, 4)?;
    NaiveDate::from_ymd_opt(year as i32, digits(b, 5, 7)?, digits(b, 8, 10)?)
}

/// Strict `YYYY-MM-DD`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    date_from(s).ok_or_else(|| ApiError::invalid(field, t!("time.bad_date")))
}

/// `YYYYMMDD`, as booking numbers and QR payloads carry a date.
pub fn compact_date(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// Strict `YYYYMMDD`, or `None`.
pub fn compact_date_from(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    NaiveDate::from_ymd_opt(year as i32, digits(b, 4, 6)?, digits(b, 6, 8)?)
}

/// Strict `HH:MM`, 24-hour.
pub fn parse_hhmm(field: &str, s: &str) -> Result<NaiveTime, ApiError> {
    let b = s.as_bytes();
    (b.len() == 5 && b[2] == b':')
        .then(|| NaiveTime::from_hms_opt(digits(b, 0, 2)?, digits(b, 3, 5)?, 0))
        .flatten()
        .ok_or_else(|| ApiError::invalid(field, t!("time.bad_time")))
}

pub fn format_hhmm(t: NaiveTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// `YYYY-MM-DD HH:MM:SS` in Shanghai time (Alipay's gateway timestamp).
pub fn date_time_text(t: &Instant) -> String {
    let t = t.with_timezone(&shanghai());
    format!(
        "{} {:02}:{:02}:{:02}",
        t.date_naive(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// An RFC 3339 instant as [`opt_instant`] writes it and chrono's serde did —
/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction of up to nine digits, then `Z` or `±HH:MM` — or
/// `None`. Read here rather than by chrono's `FromStr`, whose parser is format-string machinery.
pub fn instant_from(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = date_from(s.get(..10)?)?;
    let (h, m, sec) = (digits(b, 11, 13)?, digits(b, 14, 16)?, digits(b, 17, 19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let width = i - start;
        if !(1..=9).contains(&width) {
            return None;
        }
        nanos = digits(b, start, i)? * 10u32.pow((9 - width) as u32);
    }
    let offset_secs = match b.get(i..)? {
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let secs = (digits(rest, 0, 2)? * 3600 + digits(rest, 3, 5)? * 60) as i32;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    FixedOffset::east_opt(offset_secs)?
        .from_local_datetime(&date.and_time(time))
        .single()
}

/// `Option<Instant>` in serde as RFC 3339 in Shanghai time, to the millisecond.
pub mod opt_instant {
    use super::{instant_from, shanghai, Instant};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(
                &t.with_timezone(&shanghai())
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            ),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Instant>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(raw) => instant_from(&raw)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 instant")),
            None => Ok(None),
        }
    }
}

/// `NaiveDate` as `"YYYY-MM-DD"` in serde, read by [`date_from`]: chrono's own reader is its
/// general parser, kilobytes of every Worker that takes a date this way.
pub mod ymd {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let raw = String::deserialize(d)?;
        super::date_from(&raw).ok_or_else(|| serde::de::Error::custom("not a YYYY-MM-DD date"))
    }
}

/// `NaiveTime` as `"HH:MM"` in serde.
pub mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::format_hhmm(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let raw = String::deserialize(d)?;
        crate::time::parse_hhmm("time", &raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ymd_dates_cross_serde_as_chrono_writes_them() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct D(#[serde(with = "ymd")] NaiveDate);
        let d = D(NaiveDate::from_ymd_opt(2026, 2, 3).unwrap());
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-02-03\"");
        assert_eq!(serde_json::from_str::<D>("\"2026-02-03\"").unwrap(), d);
        for bad in ["\"2026-2-3\"", "\"2026-02-30\"", "\"20260203\"", "3"] {
            assert!(serde_json::from_str::<D>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unix_millis_become_shanghai_wall_time() {
        // 2026-11-21T00:00:00Z is 08:00 in Shanghai.
        let t = from_unix_millis(1_795_219_200_000);
        assert_eq!(rfc3339(&t), "2026-11-21T08:00:00+08:00");
        assert_eq!(
            t.date_naive(),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("date", "2026-11-21").is_ok());
        for bad in [
            "2026-2-1",
            "2026/11/21",
            "2026-02-30",
            "20261121",
            " 2026-11-21",
            "２０２６-11-21",
        ] {
            assert!(parse_date("date", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_are_read_as_rfc3339_writes_them_and_nothing_else() {
        let t = instant_from("2026-11-21T08:00:00.125+08:00").unwrap();
        assert_eq!(t.timestamp_millis(), 1_795_219_200_125);
        assert_eq!(
            instant_from("2026-11-21T00:00:00Z").unwrap(),
            t - chrono::Duration::milliseconds(125)
        );
        assert_eq!(
            instant_from("2026-11-20T19:00:00-05:00")
                .unwrap()
                .timestamp(),
            1_795_219_200
        );
        for bad in [
            "",
            "2026-11-21",
            "2026-11-21 08:00:00+08:00",
            "2026-11-21T08:00:00",
            "2026-11-21T08:00:00.+08:00",
            "2026-11-21T08:00:00.1234567890+08:00",
            "2026-11-21T25:00:00+08:00",
            "2026-11-21T08:00:00+0800",
            "2026-11-21T08:00:00+08:00x",
            "2026-02-30T08:00:00Z",
        ] {
            assert_eq!(instant_from(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        // chrono's parser, which instant_from replaces, is the reference here.
        #[test]
        fn instants_read_back_as_chrono_reads_them(ms in 0i64..4_000_000_000_000, offset_min in -720i32..=840, millis in proptest::bool::ANY) {
            let t = from_unix_millis(ms).with_timezone(&FixedOffset::east_opt(offset_min * 60).unwrap());
            let text = t.to_rfc3339_opts(if millis { chrono::SecondsFormat::Millis } else { chrono::SecondsFormat::AutoSi }, offset_min == 0);
            proptest::prop_assert_eq!(instant_from(&text), Some(DateTime::parse_from_rfc3339(&text).unwrap()));
        }
    }

    proptest::proptest! {
        // chrono's strftime, which the helpers replace, is the reference here.
        #[test]
        fn the_fixed_formats_agree_with_strftime(days in 0i64..3_000_000, secs in 0u32..86_400) {
            let date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap();
            let compact = date.format("%Y%m%d").to_string();
            proptest::prop_assert_eq!(&compact_date(date), &compact);
            proptest::prop_assert_eq!(compact_date_from(&compact), Some(date));
            proptest::prop_assert_eq!(date_from(&date.format("%Y-%m-%d").to_string()), Some(date));
            let hhmm = time.format("%H:%M").to_string();
            proptest::prop_assert_eq!(&format_hhmm(time), &hhmm);
            proptest::prop_assert_eq!(parse_hhmm("t", &hhmm).unwrap(), time.with_second(0).unwrap());
            let instant = at(date, time);
            proptest::prop_assert_eq!(date_time_text(&instant), instant.format("%Y-%m-%d %H:%M:%S").to_string());
        }
    }

    #[test]
    fn compact_dates_are_strict() {
        assert_eq!(
            compact_date_from("20261121"),
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        for bad in [
            "2026112",
            "202611210",
            "20260230",
            "2026-1-21",
            "2026112x",
            "+0261121",
        ] {
            assert_eq!(compact_date_from(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_are_strict() {
        assert_eq!(format_hhmm(parse_hhmm("start", "08:30").unwrap()), "08:30");
        for bad in ["8:30", "24:00", "08:60", "0830", "08:30:00"] {
            assert!(parse_hhmm("start", bad).is_err(), "{bad}");
        }
    }
}
