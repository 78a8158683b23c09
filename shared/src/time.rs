//! Yuyue runs on Asia/Shanghai time (UTC+8, no daylight saving since 1991), so a fixed offset is
//! exact. Nothing in this crate reads the clock: callers pass "now" in, which keeps every rule
//! testable at any instant and lets the dev environment override the clock.

use crate::error::ApiError;
use crate::t;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

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

/// Strict `YYYY-MM-DD`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    let ok = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    ok.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ApiError::invalid(field, t!("time.bad_date")))
}

/// Strict `HH:MM`, 24-hour.
pub fn parse_hhmm(field: &str, s: &str) -> Result<NaiveTime, ApiError> {
    let ok = s.len() == 5
        && s.bytes().enumerate().all(|(i, b)| match i {
            2 => b == b':',
            _ => b.is_ascii_digit(),
        });
    ok.then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| ApiError::invalid(field, t!("time.bad_time")))
}

pub fn format_hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
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
    fn times_are_strict() {
        assert_eq!(format_hhmm(parse_hhmm("start", "08:30").unwrap()), "08:30");
        for bad in ["8:30", "24:00", "08:60", "0830", "08:30:00"] {
            assert!(parse_hhmm("start", bad).is_err(), "{bad}");
        }
    }
}
