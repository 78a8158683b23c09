//! What `GET /v1/ops/metrics` reports about the functions themselves: answers by code and
//! latency per function. Every isolate counts its own requests ([`Recorder`]) and hands the
//! counts to the metrics object every [`FLUSH_INTERVAL_MS`] or [`FLUSH_EVERY`] requests, so a
//! booking wave costs the object a few writes a minute per isolate, not one per request. The
//! object keeps them by minute; a report sums the minutes asked for.

use crate::t;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Upper bounds of the latency buckets, in ms; one more bucket counts everything slower.
pub const LATENCY_BOUNDS_MS: [u64; 9] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500];
pub const FLUSH_INTERVAL_MS: i64 = 10_000;
pub const FLUSH_EVERY: u64 = 5_000;

/// Counts of one function over a stretch of time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observations {
    pub function: String,
    /// Answers by envelope code (`OK` for successes).
    pub codes: BTreeMap<String, u64>,
    /// `latency[i]`: answers within `LATENCY_BOUNDS_MS[i]` (and above the previous bound); the
    /// last entry counts the slower ones.
    pub latency: Vec<u64>,
}

impl Observations {
    pub fn new(function: &str) -> Self {
        Observations {
            function: function.to_owned(),
            codes: BTreeMap::new(),
            latency: vec![0; LATENCY_BOUNDS_MS.len() + 1],
        }
    }

    pub fn observe(&mut self, code: &str, duration_ms: u64) {
        *self.codes.entry(code.to_owned()).or_default() += 1;
        let bucket = LATENCY_BOUNDS_MS
            .iter()
            .position(|&b| duration_ms <= b)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        if self.latency.len() <= bucket {
            self.latency.resize(LATENCY_BOUNDS_MS.len() + 1, 0);
        }
        self.latency[bucket] += 1;
    }

    pub fn requests(&self) -> u64 {
        self.codes.values().sum()
    }

    pub fn merge(&mut self, other: &Observations) {
        for (code, n) in &other.codes {
            *self.codes.entry(code.clone()).or_default() += n;
        }
        if self.latency.len() < other.latency.len() {
            self.latency.resize(other.latency.len(), 0);
        }
        for (i, n) in other.latency.iter().enumerate() {
            self.latency[i] += n;
        }
    }
}

/// What the record says about one day, for the metrics report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayStats {
    /// Bookings for appointments on the day, by status.
    pub bookings_by_status: BTreeMap<String, u64>,
    /// Bookings made on the day (any appointment date).
    pub made: u64,
    /// Bookings cancelled on the day.
    pub cancelled: u64,
    /// Notification deliveries by status (all time): `sending` and `retry` are the backlog.
    pub deliveries_by_status: BTreeMap<String, u64>,
    pub waitlist: WaitlistStats,
}

/// What the record says about the waitlist, for the metrics report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitlistStats {
    /// Entries for appointments on the day, by status (`waiting` is the queue across periods).
    pub by_status: BTreeMap<String, u64>,
    /// Entries that joined on the day (any appointment date).
    pub joined: u64,
    /// Entries served (their booking written) on the day.
    pub served: u64,
    /// Entries that lapsed on the day, their periods past or their booking refused.
    pub lapsed: u64,
    /// Entries left on the day by the applicant or a helper.
    pub left: u64,
}

/// The record's side of the metrics report.
#[allow(async_fn_in_trait)]
pub trait Stats {
    async fn day_stats(&self, date: chrono::NaiveDate) -> crate::error::ApiResult<DayStats>;
}

/// One isolate's counts since its last flush.
pub struct Recorder {
    current: Option<Observations>,
    flushed_at_ms: i64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            current: None,
            flushed_at_ms: i64::MIN,
        }
    }
}

impl Recorder {
    /// Counts one answer; returns the counts to hand over when a flush is due: every
    /// `interval_ms` (normally [`FLUSH_INTERVAL_MS`]) or [`FLUSH_EVERY`] answers.
    pub fn observe(
        &mut self,
        function: &str,
        code: &str,
        duration_ms: u64,
        now_ms: i64,
        interval_ms: i64,
    ) -> Option<Observations> {
        if self.flushed_at_ms == i64::MIN && interval_ms > 0 {
            // The first request of an isolate starts the interval rather than flushing.
            self.flushed_at_ms = now_ms;
        }
        let current = self
            .current
            .get_or_insert_with(|| Observations::new(function));
        current.observe(code, duration_ms);
        let due = now_ms.saturating_sub(self.flushed_at_ms) >= interval_ms
            || current.requests() >= FLUSH_EVERY;
        if !due {
            return None;
        }
        self.flushed_at_ms = now_ms;
        self.current.take()
    }
}

/// The smallest bucket bound under which a `q` share of the answers fall (`None`: no answers;
/// `u64::MAX`: above the largest bound).
pub fn percentile_bound(latency: &[u64], q: f64) -> Option<u64> {
    let total: u64 = latency.iter().sum();
    if total == 0 {
        return None;
    }
    let target = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, n) in latency.iter().enumerate() {
        seen += n;
        if seen >= target {
            return Some(LATENCY_BOUNDS_MS.get(i).copied().unwrap_or(u64::MAX));
        }
    }
    Some(u64::MAX)
}

/// The functions part of the report: per function its answers by code, latency buckets and
/// p50/p99 bounds; and the refusals of all functions by code.
pub fn functions_view(all: &[Observations]) -> Value {
    let mut by_function: BTreeMap<String, Observations> = BTreeMap::new();
    for o in all {
        by_function
            .entry(o.function.clone())
            .or_insert_with(|| Observations::new(&o.function))
            .merge(o);
    }
    let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
    let mut functions = Map::new();
    for (name, o) in &by_function {
        for (code, n) in o.codes.iter().filter(|(c, _)| *c != "OK") {
            *refusals.entry(code.clone()).or_default() += n;
        }
        let buckets: Map<String, Value> = o
            .latency
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let label = match LATENCY_BOUNDS_MS.get(i) {
                    Some(b) => format!("le_{b}"),
                    None => format!("gt_{}", LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1]),
                };
                (label, json!(n))
            })
            .collect();
        let bound = |q| percentile_bound(&o.latency, q).filter(|b| *b != u64::MAX);
        functions.insert(
            name.clone(),
            json!({
                "requests": o.requests(),
                "codes": o.codes,
                "latency_ms": buckets,
                "p50_ms_at_most": bound(0.5),
                "p99_ms_at_most": bound(0.99),
            }),
        );
    }
    json!({ "functions": functions, "refusals": refusals })
}

/// Places across the active offices of one day, as their inventory objects hold them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Places {
    pub capacity: u64,
    pub taken: u64,
    pub holds: u64,
}

/// `GET /v1/ops/metrics?minutes=&date=`, the minutes to sum: 1..=1440, default 15.
pub fn parse_minutes(raw: Option<&str>) -> crate::error::ApiResult<u32> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(15),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=1440).contains(m))
            .ok_or_else(|| crate::error::ApiError::invalid("minutes", t!("ops.bad_minutes"))),
    }
}

/// The booking rate minute by minute, for the dashboard's chart: each minute of the window (in
/// Asia/Shanghai, `HH:MM`) with the bookings made (`201`s of the book function, `OK`) and the
/// submits refused, from `(unix minute, code, count)` rows.
pub fn booking_rate(rows: &[(i64, String, u64)], now_minute: i64, minutes: u32) -> Value {
    let first = now_minute - i64::from(minutes) + 1;
    let points: Vec<Value> = (first..=now_minute)
        .map(|m| {
            let (mut booked, mut refused) = (0u64, 0u64);
            for (_, code, n) in rows.iter().filter(|(rm, _, _)| *rm == m) {
                if code == "OK" {
                    booked += n;
                } else {
                    refused += n;
                }
            }
            let at = crate::time::format_hhmm(crate::time::from_unix_millis(m * 60_000).time());
            json!({ "minute": at, "booked": booked, "refused": refused })
        })
        .collect();
    Value::Array(points)
}

/// The whole report. `functions` is `None` when the metrics object could not be read.
pub fn report(
    date: chrono::NaiveDate,
    minutes: u32,
    stats: &DayStats,
    places: Places,
    functions: Option<&[Observations]>,
) -> Value {
    let backlog: u64 = ["sending", "retry"]
        .iter()
        .filter_map(|s| stats.deliveries_by_status.get(*s))
        .sum();
    let mut out = json!({
        "date": date.to_string(),
        "window_minutes": minutes,
        "bookings": {
            "by_status": stats.bookings_by_status,
            "made": stats.made,
            "cancelled": stats.cancelled,
        },
        "places": {
            "capacity": places.capacity,
            "taken": places.taken,
            "holds": places.holds,
        },
        "notifications": {
            "by_status": stats.deliveries_by_status,
            "backlog": backlog,
        },
        "waitlist": {
            "by_status": stats.waitlist.by_status,
            "joined": stats.waitlist.joined,
            "served": stats.waitlist.served,
            "lapsed": stats.waitlist.lapsed,
            "left": stats.waitlist.left,
        },
    });
    let f = functions.map_or(
        json!({ "functions": null, "refusals": null }),
        functions_view,
    );
    out["functions"] = f["functions"].clone();
    out["refusals"] = f["refusals"].clone();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_has_the_record_the_places_and_the_functions() {
        let mut stats = DayStats::default();
        stats.bookings_by_status.insert("booked".into(), 3);
        stats.deliveries_by_status.insert("retry".into(), 2);
        stats.deliveries_by_status.insert("sent".into(), 5);
        stats.waitlist.by_status.insert("waiting".into(), 7);
        stats.waitlist.served = 2;
        let places = Places {
            capacity: 10,
            taken: 4,
            holds: 1,
        };
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let mut o = Observations::new("book");
        o.observe("SLOT_FULL", 3);
        let v = report(d, 15, &stats, places, Some(&[o]));
        assert_eq!(v["bookings"]["by_status"]["booked"], 3);
        assert_eq!(v["notifications"]["backlog"], 2);
        assert_eq!(v["places"]["holds"], 1);
        assert_eq!(v["refusals"]["SLOT_FULL"], 1);
        assert_eq!(v["waitlist"]["by_status"]["waiting"], 7);
        assert_eq!(v["waitlist"]["served"], 2);
        assert_eq!(v["waitlist"]["lapsed"], 0);
        let blind = report(d, 15, &stats, places, None);
        assert_eq!(blind["functions"], Value::Null);
        assert_eq!(parse_minutes(None).unwrap(), 15);
        assert!(parse_minutes(Some("0")).is_err());
        assert!(parse_minutes(Some("1441")).is_err());
    }

    #[test]
    fn the_booking_rate_has_every_minute_of_the_window_in_shanghai_time() {
        // 2026-11-27 12:00 UTC is 20:00 in Asia/Shanghai.
        let now = 1_796_385_600_000 / 60_000;
        let rows = vec![
            (now - 1, "OK".to_owned(), 3),
            (now - 1, "SLOT_FULL".to_owned(), 40),
            (now, "OK".to_owned(), 1),
            (now - 9, "OK".to_owned(), 7),
        ];
        let v = booking_rate(&rows, now, 3);
        assert_eq!(
            v,
            json!([
                {"minute": "19:58", "booked": 0, "refused": 0},
                {"minute": "19:59", "booked": 3, "refused": 40},
                {"minute": "20:00", "booked": 1, "refused": 0},
            ])
        );
    }

    #[test]
    fn answers_fall_into_their_buckets() {
        let mut o = Observations::new("book");
        for (code, ms) in [("OK", 3), ("OK", 5), ("SLOT_FULL", 6), ("SLOT_FULL", 3000)] {
            o.observe(code, ms);
        }
        assert_eq!(o.requests(), 4);
        assert_eq!(o.codes["SLOT_FULL"], 2);
        assert_eq!(o.latency[0], 2, "3 and 5 ms are within 5");
        assert_eq!(o.latency[1], 1);
        assert_eq!(o.latency[9], 1, "3 s is above the last bound");
        assert_eq!(percentile_bound(&o.latency, 0.5), Some(5));
        assert_eq!(percentile_bound(&o.latency, 0.99), Some(u64::MAX));
        assert_eq!(percentile_bound(&Observations::new("x").latency, 0.5), None);
    }

    #[test]
    fn an_isolate_hands_over_its_counts_every_interval_or_batch() {
        let mut r = Recorder::default();
        assert!(r
            .observe("book", "OK", 1, 1_000, FLUSH_INTERVAL_MS)
            .is_none());
        assert!(r
            .observe(
                "book",
                "OK",
                1,
                1_000 + FLUSH_INTERVAL_MS - 1,
                FLUSH_INTERVAL_MS
            )
            .is_none());
        let batch = r
            .observe(
                "book",
                "SLOT_FULL",
                1,
                1_000 + FLUSH_INTERVAL_MS,
                FLUSH_INTERVAL_MS,
            )
            .unwrap();
        assert_eq!(batch.requests(), 3);
        assert_eq!(batch.function, "book");
        // Counted from zero again.
        let mut n = 0;
        let t = 1_000 + FLUSH_INTERVAL_MS;
        let big = loop {
            n += 1;
            if let Some(b) = r.observe("book", "OK", 1, t, FLUSH_INTERVAL_MS) {
                break b;
            }
        };
        assert_eq!((n, big.requests()), (FLUSH_EVERY, FLUSH_EVERY));
        // With no interval (the test stack), every answer is handed over at once.
        let mut eager = Recorder::default();
        assert_eq!(eager.observe("ops", "OK", 1, 5, 0).unwrap().requests(), 1);
    }

    #[test]
    fn the_report_sums_isolates_by_function_and_refusals_across_functions() {
        let mut a = Observations::new("book");
        a.observe("SLOT_FULL", 4);
        a.observe("OK", 30);
        let mut b = Observations::new("book");
        b.observe("SLOT_FULL", 4);
        let mut c = Observations::new("catalog");
        c.observe("OK", 2);
        c.observe("NOT_FOUND", 2);
        let v = functions_view(&[a, b, c]);
        assert_eq!(v["functions"]["book"]["requests"], 3);
        assert_eq!(v["functions"]["book"]["codes"]["SLOT_FULL"], 2);
        assert_eq!(v["functions"]["book"]["latency_ms"]["le_5"], 2);
        assert_eq!(v["functions"]["book"]["p50_ms_at_most"], 5);
        assert_eq!(v["functions"]["book"]["p99_ms_at_most"], 50);
        assert_eq!(v["refusals"], json!({"NOT_FOUND": 1, "SLOT_FULL": 2}));
    }
}
