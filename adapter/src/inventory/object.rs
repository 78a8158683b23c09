//! The inventory object: one SQLite-backed Durable Object per (hall, date), the only place that
//! decides whether a place is taken. Its SQLite holds each period's capacity and every booking
//! number holding a place, and triggers refuse any row that would exceed capacity — the
//! invariant is held by the storage itself, not only by the code in front of it.
//!
//! Each decision (count, then insert) runs synchronously with no await in between, so the
//! object's single thread makes it atomic; the writes of one event commit together.

use super::protocol::{self as p};
use crate::d1::D1Store;
use crate::object_call::read_json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};
use yuyue_shared::booking::admission::{self, AdmissionConfig, AdmissionStatus};
use yuyue_shared::domain::{BookingNo, OfficeId};
use yuyue_shared::store::{BookingStatus, Bookings, Catalog};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS periods (
        period_id TEXT PRIMARY KEY,
        start TEXT NOT NULL,
        end TEXT NOT NULL,
        capacity INTEGER NOT NULL CHECK (capacity >= 0))",
    "CREATE TABLE IF NOT EXISTS taken (
        booking_no TEXT PRIMARY KEY,
        period_id TEXT NOT NULL,
        applicant_id TEXT NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
        expires_at INTEGER,
        created_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS taken_by_period ON taken (period_id)",
    // The waiting room, when ops switched it on: its config and the queue (positions once drawn).
    "CREATE TABLE IF NOT EXISTS admission (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        config TEXT NOT NULL,
        drawn INTEGER NOT NULL DEFAULT 0 CHECK (drawn IN (0, 1)))",
    "CREATE TABLE IF NOT EXISTS queue (
        user_id TEXT PRIMARY KEY,
        joined_at INTEGER NOT NULL,
        position INTEGER UNIQUE)",
    // No place beyond capacity, and none in a period that does not exist.
    "CREATE TRIGGER IF NOT EXISTS taken_within_capacity BEFORE INSERT ON taken
     WHEN (SELECT count(*) FROM taken WHERE period_id = NEW.period_id)
          >= coalesce((SELECT capacity FROM periods WHERE period_id = NEW.period_id), 0)
     BEGIN SELECT RAISE(ABORT, 'capacity exceeded'); END",
    "CREATE TRIGGER IF NOT EXISTS capacity_not_below_taken BEFORE UPDATE OF capacity ON periods
     WHEN NEW.capacity < (SELECT count(*) FROM taken WHERE period_id = NEW.period_id)
     BEGIN SELECT RAISE(ABORT, 'capacity below taken'); END",
    "CREATE TRIGGER IF NOT EXISTS period_with_taken_stays BEFORE DELETE ON periods
     WHEN EXISTS (SELECT 1 FROM taken WHERE period_id = OLD.period_id)
     BEGIN SELECT RAISE(ABORT, 'period has bookings'); END",
];

/// How long an empty day waits before asking D1 for its schedule again.
const EMPTY_DAY_RECHECK_MS: i64 = 60_000;
/// Refusals are remembered this long so a retried submit gets the same answer.
const REJECTION_MEMORY_MS: i64 = 24 * 3_600_000;
/// At most this many refusals are remembered; past it the oldest half is forgotten.
const REJECTION_MEMORY_ENTRIES: usize = 200_000;
/// When D1 cannot be asked about a lapsed hold, ask again this much later.
const ALARM_RETRY_MS: i64 = 10_000;

#[durable_object]
pub struct Inventory {
    state: State,
    env: Env,
    sql: SqlStorage,
    /// The day's periods are in SQLite: no need to look again on every request.
    loaded: Cell<bool>,
    /// Booking numbers refused as full: (period, when). In memory, not in SQLite: a refusal is
    /// the hot path of a booking wave and must not wait on a durable write, and forgetting one
    /// when the object is evicted only means a retry is judged afresh.
    rejected: RefCell<HashMap<String, (String, i64)>>,
    /// How many submits rely on each unconfirmed hold this instance took or saw joined: a
    /// retry or double tap (same caller and key, so the same number) shares the first one's
    /// place, and `abandon` frees it only when the last of them gives up. A hold taken before
    /// the object was last evicted is not here: nobody may then tell how many still rely on
    /// it, so no abandon frees it and its alarm settles it against D1.
    attached: RefCell<HashMap<String, u32>>,
}

#[derive(Deserialize)]
struct Count {
    n: f64,
}

#[derive(Deserialize)]
struct PeriodRow {
    period_id: String,
    start: String,
    end: String,
    capacity: f64,
}

#[derive(Deserialize)]
struct TakenRow {
    booking_no: String,
    period_id: String,
    confirmed: f64,
    expires_at: Option<f64>,
}

#[derive(Deserialize)]
struct MetaRow {
    value: String,
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn json<T: Serialize>(value: &T) -> Result<Response> {
    Response::from_json(value)
}

impl Inventory {
    fn rows<T: DeserializeOwned>(&self, sql: &str, args: Vec<JsValue>) -> Result<Vec<T>> {
        self.sql.exec_raw(sql, args)?.to_array()
    }

    fn exec(&self, sql: &str, args: Vec<JsValue>) -> Result<()> {
        self.sql.exec_raw(sql, args).map(|_| ())
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        let rows: Vec<MetaRow> =
            self.rows("SELECT value FROM meta WHERE key = ?", vec![key.into()])?;
        Ok(rows.into_iter().next().map(|r| r.value))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![key.into(), value.into()],
        )
    }

    fn period(&self, id: &str) -> Result<Option<PeriodRow>> {
        let rows: Vec<PeriodRow> = self.rows(
            "SELECT period_id, start, end, capacity FROM periods WHERE period_id = ?",
            vec![id.into()],
        )?;
        Ok(rows.into_iter().next())
    }

    fn count(&self, period: &str) -> Result<u32> {
        let rows: Vec<Count> = self.rows(
            "SELECT count(*) AS n FROM taken WHERE period_id = ?",
            vec![period.into()],
        )?;
        Ok(rows.first().map_or(0, |c| c.n as u32))
    }

    fn store(&self) -> Result<D1Store> {
        Ok(D1Store::new(self.env.d1("DB")?))
    }

    /// The first time a day is used (or while it is still empty), its periods come from the
    /// schedule ops published in D1; after that, changes arrive through `publish`.
    async fn ensure_loaded(&self, day: &p::Day) -> Result<()> {
        if self.loaded.get() {
            return Ok(());
        }
        if self.meta("office")?.is_none() {
            self.set_meta("office", &day.office)?;
            self.set_meta("date", &day.date)?;
        }
        let has_periods = !self
            .rows::<Count>("SELECT count(*) AS n FROM periods", vec![])?
            .first()
            .is_none_or(|c| c.n == 0.0);
        if has_periods {
            self.loaded.set(true);
            return Ok(());
        }
        let checked: i64 = self
            .meta("schedule_checked_at")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if now_ms() - checked < EMPTY_DAY_RECHECK_MS {
            return Ok(());
        }
        let (Ok(office), Ok(date)) = (
            OfficeId::parse(&day.office),
            chrono::NaiveDate::parse_from_str(&day.date, "%Y-%m-%d"),
        ) else {
            return Ok(());
        };
        let schedule = self
            .store()?
            .schedule(&office, date, date)
            .await
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        for (_, p) in schedule {
            self.exec(
                "INSERT OR IGNORE INTO periods (period_id, start, end, capacity) VALUES (?, ?, ?, ?)",
                vec![
                    p.period_id.as_str().into(),
                    yuyue_shared::time::format_hhmm(p.start).into(),
                    yuyue_shared::time::format_hhmm(p.end).into(),
                    JsValue::from_f64(p.capacity.into()),
                ],
            )?;
        }
        self.set_meta("schedule_checked_at", &now_ms().to_string())
    }

    fn hold(&self, h: &p::Hold, now: i64) -> Result<p::HoldAnswer> {
        let Some(period) = self.period(&h.period)? else {
            return Ok(p::HoldAnswer::Closed);
        };
        let held = |holders| p::HoldAnswer::Held {
            start: period.start.clone(),
            end: period.end.clone(),
            holders,
        };
        let mine: Vec<TakenRow> = self.rows(
            "SELECT booking_no, period_id, confirmed, expires_at FROM taken WHERE booking_no = ?",
            vec![h.booking_no.as_str().into()],
        )?;
        if let Some(t) = mine.first() {
            if t.period_id != h.period {
                return Ok(p::HoldAnswer::Conflict);
            }
            if t.confirmed == 0.0 {
                self.join(h, now)?;
            }
            let full = self.count(&h.period)? >= period.capacity as u32;
            return Ok(held(full.then(|| self.holders(&h.period)).transpose()?));
        }
        let remembered = self
            .rejected
            .borrow()
            .get(&h.booking_no)
            .map(|(period_id, _)| period_id.clone());
        let taken = self.count(&h.period)?;
        let full = taken >= period.capacity as u32;
        match remembered {
            Some(period_id) if period_id != h.period => return Ok(p::HoldAnswer::Conflict),
            Some(_) => {
                return Ok(p::HoldAnswer::Full {
                    holders: full.then(|| self.holders(&h.period)).transpose()?,
                })
            }
            None if full => {
                self.remember_rejection(&h.booking_no, &h.period, now);
                return Ok(p::HoldAnswer::Full {
                    holders: Some(self.holders(&h.period)?),
                });
            }
            None => {}
        }
        let admission = self.admission_status(&h.user, h.at_ms)?;
        if !admission.admits() {
            return Ok(p::HoldAnswer::NotAdmitted { admission });
        }
        let expires = now + i64::from(h.ttl_seconds) * 1000;
        self.exec(
            "INSERT INTO taken (booking_no, period_id, applicant_id, confirmed, expires_at, created_at) VALUES (?, ?, ?, 0, ?, ?)",
            vec![
                h.booking_no.as_str().into(),
                h.period.as_str().into(),
                h.applicant.as_str().into(),
                JsValue::from_f64(expires as f64),
                JsValue::from_f64(now as f64),
            ],
        )?;
        self.attached.borrow_mut().insert(h.booking_no.clone(), 1);
        let last = taken + 1 >= period.capacity as u32;
        Ok(held(last.then(|| self.holders(&h.period)).transpose()?))
    }

    /// Another submit of the number relies on its unconfirmed hold: count it, and give the
    /// hold a full `ttl_seconds` from now, so the newcomer's write is not overtaken by a lapse
    /// the first submit's clock started.
    fn join(&self, h: &p::Hold, now: i64) -> Result<()> {
        if let Some(n) = self.attached.borrow_mut().get_mut(&h.booking_no) {
            *n += 1;
        }
        let expires = now + i64::from(h.ttl_seconds) * 1000;
        self.exec(
            "UPDATE taken SET expires_at = max(coalesce(expires_at, 0), ?) WHERE booking_no = ? AND confirmed = 0",
            vec![JsValue::from_f64(expires as f64), h.booking_no.as_str().into()],
        )
    }

    /// Confirms a number's place; `false` when it holds none.
    fn confirm(&self, booking_no: &str) -> Result<bool> {
        self.attached.borrow_mut().remove(booking_no);
        let updated: Vec<Count> = self.rows(
            "UPDATE taken SET confirmed = 1, expires_at = NULL WHERE booking_no = ? RETURNING 1 AS n",
            vec![booking_no.into()],
        )?;
        Ok(!updated.is_empty())
    }

    /// A submit gives up its hold (see `attached`).
    fn abandon(&self, booking_no: &str) -> Result<()> {
        let mut attached = self.attached.borrow_mut();
        let Some(n) = attached.get_mut(booking_no) else {
            return Ok(());
        };
        if *n > 1 {
            *n -= 1;
            return Ok(());
        }
        attached.remove(booking_no);
        self.exec(
            "DELETE FROM taken WHERE booking_no = ? AND confirmed = 0",
            vec![booking_no.into()],
        )
    }

    /// The numbers holding places (held or confirmed) in a period.
    fn holders(&self, period: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            booking_no: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT booking_no FROM taken WHERE period_id = ?",
            vec![period.into()],
        )?;
        Ok(rows.into_iter().map(|r| r.booking_no).collect())
    }

    fn remember_rejection(&self, booking_no: &str, period: &str, now: i64) {
        let mut rejected = self.rejected.borrow_mut();
        if rejected.len() >= REJECTION_MEMORY_ENTRIES {
            let mut ages: Vec<i64> = rejected.values().map(|(_, at)| *at).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2].max(now - REJECTION_MEMORY_MS);
            rejected.retain(|_, (_, at)| *at > cut);
        }
        rejected.insert(booking_no.to_owned(), (period.to_owned(), now));
    }

    fn admission_config(&self) -> Result<Option<(AdmissionConfig, bool)>> {
        #[derive(Deserialize)]
        struct Row {
            config: String,
            drawn: f64,
        }
        let rows: Vec<Row> =
            self.rows("SELECT config, drawn FROM admission WHERE id = 1", vec![])?;
        rows.into_iter()
            .next()
            .map(|r| {
                serde_json::from_str(&r.config)
                    .map(|c| (c, r.drawn != 0.0))
                    .map_err(|e| worker::Error::RustError(e.to_string()))
            })
            .transpose()
    }

    fn set_admission(&self, config: Option<&AdmissionConfig>) -> Result<()> {
        match config {
            None => {
                self.exec("DELETE FROM admission", vec![])?;
                self.exec("DELETE FROM queue", vec![])
            }
            Some(c) => {
                let text = serde_json::to_string(c)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                self.exec(
                    "INSERT INTO admission (id, config, drawn) VALUES (1, ?, 0)
                     ON CONFLICT (id) DO UPDATE SET config = excluded.config",
                    vec![text.into()],
                )
            }
        }
    }

    /// Where `user` stands at `at_ms`, drawing the lottery first if its time has come. Runs
    /// without an await, so the draw happens exactly once.
    fn admission_status(&self, user: &str, at_ms: i64) -> Result<AdmissionStatus> {
        let Some((config, drawn)) = self.admission_config()? else {
            return Ok(AdmissionStatus::Off);
        };
        if admission::needs_draw(&config, drawn, at_ms) {
            #[derive(Deserialize)]
            struct Waiting {
                user_id: String,
            }
            let mut users: Vec<Waiting> = self.rows(
                "SELECT user_id FROM queue WHERE position IS NULL ORDER BY joined_at, user_id",
                vec![],
            )?;
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| worker::Error::RustError(e.to_string()))?;
            admission::draw(&mut users, seed);
            for (i, w) in users.iter().enumerate() {
                self.exec(
                    "UPDATE queue SET position = ? WHERE user_id = ?",
                    vec![JsValue::from_f64(i as f64 + 1.0), w.user_id.as_str().into()],
                )?;
            }
            self.exec("UPDATE admission SET drawn = 1 WHERE id = 1", vec![])?;
        }
        #[derive(Deserialize)]
        struct Entry {
            position: Option<f64>,
        }
        let entry: Vec<Entry> = self.rows(
            "SELECT position FROM queue WHERE user_id = ?",
            vec![user.into()],
        )?;
        Ok(match entry.first() {
            None => AdmissionStatus::NotJoined,
            Some(e) => config.status(e.position.map(|p| p as u64), at_ms),
        })
    }

    fn join_admission(&self, user: &str, at_ms: i64) -> Result<AdmissionStatus> {
        let status = self.admission_status(user, at_ms)?;
        let Some((_, drawn)) = self.admission_config()? else {
            return Ok(status);
        };
        #[derive(Deserialize)]
        struct Last {
            last: Option<f64>,
        }
        let last: Vec<Last> = self.rows("SELECT max(position) AS last FROM queue", vec![])?;
        let last = last.first().and_then(|l| l.last).unwrap_or(0.0) as u64;
        match admission::join(&status, drawn, last) {
            admission::Join::Keep => Ok(status),
            admission::Join::Enter { position } => {
                self.exec(
                    "INSERT INTO queue (user_id, joined_at, position) VALUES (?, ?, ?)
                     ON CONFLICT (user_id) DO UPDATE SET joined_at = excluded.joined_at, position = excluded.position",
                    vec![
                        user.into(),
                        JsValue::from_f64(at_ms as f64),
                        position.map_or(JsValue::NULL, |p| JsValue::from_f64(p as f64)),
                    ],
                )?;
                self.admission_status(user, at_ms)
            }
        }
    }

    fn admission_summary(&self) -> Result<Option<p::AdmissionSummary>> {
        let Some((config, drawn)) = self.admission_config()? else {
            return Ok(None);
        };
        let joined: Vec<Count> = self.rows("SELECT count(*) AS n FROM queue", vec![])?;
        Ok(Some(p::AdmissionSummary {
            config,
            joined: joined.first().map_or(0, |c| c.n as u64),
            drawn,
        }))
    }

    fn restore(&self, r: &p::Restore, now: i64) -> Result<p::HoldAnswer> {
        let Some(period) = self.period(&r.period)? else {
            return Ok(p::HoldAnswer::Closed);
        };
        let exists = !self
            .rows::<Count>(
                "SELECT count(*) AS n FROM taken WHERE booking_no = ?",
                vec![r.booking_no.as_str().into()],
            )?
            .first()
            .is_none_or(|c| c.n == 0.0);
        if !exists {
            if self.count(&r.period)? >= period.capacity as u32 {
                return Ok(p::HoldAnswer::Full { holders: None });
            }
            self.exec(
                "INSERT INTO taken (booking_no, period_id, applicant_id, confirmed, expires_at, created_at) VALUES (?, ?, ?, 1, NULL, ?)",
                vec![r.booking_no.as_str().into(), r.period.as_str().into(), r.applicant.as_str().into(), JsValue::from_f64(now as f64)],
            )?;
        }
        Ok(p::HoldAnswer::Held {
            start: period.start,
            end: period.end,
            holders: None,
        })
    }

    fn publish(&self, msg: &p::Publish) -> Result<p::PublishAnswer> {
        // Check everything first so a refused publish changes nothing.
        let existing: Vec<PeriodRow> = self.rows(
            "SELECT period_id, start, end, capacity FROM periods",
            vec![],
        )?;
        for e in &existing {
            let taken = self.count(&e.period_id)?;
            let cap = msg
                .periods
                .iter()
                .find(|p| p.period_id == e.period_id)
                .map_or(0, |p| p.capacity);
            if cap < taken {
                return Ok(p::PublishAnswer::BelowTaken {
                    period_id: e.period_id.clone(),
                    taken,
                });
            }
        }
        for e in &existing {
            if !msg.periods.iter().any(|p| p.period_id == e.period_id) {
                self.exec(
                    "DELETE FROM periods WHERE period_id = ?",
                    vec![e.period_id.as_str().into()],
                )?;
            }
        }
        for p in &msg.periods {
            self.exec(
                "INSERT INTO periods (period_id, start, end, capacity) VALUES (?, ?, ?, ?)
                 ON CONFLICT (period_id) DO UPDATE SET start = excluded.start, end = excluded.end, capacity = excluded.capacity",
                vec![p.period_id.as_str().into(), p.start.as_str().into(), p.end.as_str().into(), JsValue::from_f64(p.capacity.into())],
            )?;
        }
        self.set_meta("schedule_checked_at", &now_ms().to_string())?;
        Ok(p::PublishAnswer::Published)
    }

    fn day_state(&self) -> Result<Vec<p::PeriodState>> {
        #[derive(Deserialize)]
        struct Row {
            period_id: String,
            start: String,
            end: String,
            capacity: f64,
            taken: f64,
            holds: f64,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT p.period_id, p.start, p.end, p.capacity,
                    (SELECT count(*) FROM taken t WHERE t.period_id = p.period_id) AS taken,
                    (SELECT count(*) FROM taken t WHERE t.period_id = p.period_id AND t.confirmed = 0) AS holds
             FROM periods p ORDER BY p.start, p.period_id",
            vec![],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| p::PeriodState {
                period_id: r.period_id,
                start: r.start,
                end: r.end,
                capacity: r.capacity as u32,
                taken: r.taken as u32,
                holds: r.holds as u32,
            })
            .collect())
    }

    fn taken(&self) -> Result<Vec<p::TakenEntry>> {
        let rows: Vec<TakenRow> = self.rows(
            "SELECT booking_no, period_id, confirmed, expires_at FROM taken",
            vec![],
        )?;
        Ok(rows
            .into_iter()
            .map(|t| p::TakenEntry {
                booking_no: t.booking_no,
                period_id: t.period_id,
                confirmed: t.confirmed != 0.0,
                expires_at: (t.confirmed == 0.0).then_some(t.expires_at.unwrap_or(0.0) as i64),
            })
            .collect())
    }

    /// Wakes when the earliest unconfirmed hold lapses.
    async fn schedule_alarm(&self) -> Result<()> {
        #[derive(Deserialize)]
        struct Next {
            at: Option<f64>,
        }
        let next: Vec<Next> = self.rows(
            "SELECT min(expires_at) AS at FROM taken WHERE confirmed = 0",
            vec![],
        )?;
        if let Some(at) = next.first().and_then(|n| n.at) {
            let storage = self.state.storage();
            let current = storage.get_alarm().await?;
            if current.is_none_or(|c| c > at as i64) {
                // `set_alarm` takes an i64 as an offset from now, not as a timestamp.
                storage.set_alarm((at as i64 - now_ms()).max(0)).await?;
            }
        }
        Ok(())
    }

    /// Settles lapsed holds against the record: a hold whose booking exists in D1 for this
    /// place is confirmed (its confirmation was lost), any other is released. If D1 cannot
    /// answer, nothing is released and the alarm tries again in `ALARM_RETRY_MS`: `Ok(true)`.
    async fn settle_lapsed(&self) -> Result<bool> {
        let now = now_ms();
        self.rejected
            .borrow_mut()
            .retain(|_, (_, at)| *at >= now - REJECTION_MEMORY_MS);
        let lapsed: Vec<TakenRow> = self.rows(
            "SELECT booking_no, period_id, confirmed, expires_at FROM taken WHERE confirmed = 0 AND expires_at <= ?",
            vec![JsValue::from_f64(now as f64)],
        )?;
        if lapsed.is_empty() {
            return Ok(false);
        }
        let store = self.store()?;
        let (office, date) = (self.meta("office")?, self.meta("date")?);
        for t in lapsed {
            let Ok(no) = BookingNo::parse(&t.booking_no) else {
                self.attached.borrow_mut().remove(&t.booking_no);
                self.exec(
                    "DELETE FROM taken WHERE booking_no = ?",
                    vec![t.booking_no.as_str().into()],
                )?;
                continue;
            };
            match store.booking(&no).await {
                // The same number at another hall or period (the same key sent elsewhere)
                // does not keep this place.
                Ok(Some(b))
                    if b.status != BookingStatus::Cancelled
                        && b.period_id.as_str() == t.period_id
                        && office.as_deref().is_none_or(|o| o == b.office_id.as_str())
                        && date
                            .as_deref()
                            .is_none_or(|d| d == b.date.to_string().as_str()) =>
                {
                    self.confirm(&t.booking_no)?;
                }
                Ok(_) => {
                    // Only if still lapsed: a submit of the number may have joined the hold
                    // (and renewed it) while D1 was being asked.
                    let gone: Vec<Count> = self.rows(
                        "DELETE FROM taken WHERE booking_no = ? AND confirmed = 0 AND expires_at <= ? RETURNING 1 AS n",
                        vec![t.booking_no.as_str().into(), JsValue::from_f64(now as f64)],
                    )?;
                    if !gone.is_empty() {
                        self.attached.borrow_mut().remove(&t.booking_no);
                    }
                }
                Err(_) => {
                    self.state.storage().set_alarm(ALARM_RETRY_MS).await?;
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

impl DurableObject for Inventory {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA {
            // The schema is fixed and idempotent; failing here means the object cannot work.
            sql.exec(stmt, None).expect("inventory schema");
        }
        Inventory {
            state,
            env,
            sql,
            loaded: Cell::new(false),
            rejected: RefCell::new(HashMap::new()),
            attached: RefCell::new(HashMap::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let now = now_ms();
        match path.as_str() {
            "/hold" => {
                let h: p::Hold = read_json(&mut req).await?;
                self.ensure_loaded(&h.day).await?;
                let answer = self.hold(&h, now)?;
                if matches!(answer, p::HoldAnswer::Held { .. }) {
                    self.schedule_alarm().await?;
                }
                json(&answer)
            }
            "/confirm" => {
                let m: p::ByNumber = read_json(&mut req).await?;
                json(&p::ConfirmAnswer {
                    confirmed: self.confirm(&m.booking_no)?,
                })
            }
            "/abandon" => {
                let m: p::ByNumber = read_json(&mut req).await?;
                self.abandon(&m.booking_no)?;
                json(&serde_json::json!({"ok": true}))
            }
            "/release" => {
                let m: p::ByNumber = read_json(&mut req).await?;
                self.attached.borrow_mut().remove(&m.booking_no);
                self.exec(
                    "DELETE FROM taken WHERE booking_no = ?",
                    vec![m.booking_no.as_str().into()],
                )?;
                json(&serde_json::json!({"ok": true}))
            }
            "/restore" => {
                let r: p::Restore = read_json(&mut req).await?;
                self.ensure_loaded(&r.day).await?;
                json(&self.restore(&r, now)?)
            }
            "/publish" => {
                let m: p::Publish = read_json(&mut req).await?;
                if self.meta("office")?.is_none() {
                    self.set_meta("office", &m.day.office)?;
                    self.set_meta("date", &m.day.date)?;
                }
                json(&self.publish(&m)?)
            }
            "/admission/set" => {
                let m: p::SetAdmission = read_json(&mut req).await?;
                self.set_admission(m.config.as_ref())?;
                json(&serde_json::json!({"ok": true}))
            }
            "/admission" => {
                let m: p::Admission = read_json(&mut req).await?;
                json(&if m.join {
                    self.join_admission(&m.user, m.at_ms)?
                } else {
                    self.admission_status(&m.user, m.at_ms)?
                })
            }
            "/admission/summary" => json(&self.admission_summary()?),
            "/day" => {
                let d: p::Day = read_json(&mut req).await?;
                self.ensure_loaded(&d).await?;
                json(&self.day_state()?)
            }
            "/taken" => {
                let d: p::Day = read_json(&mut req).await?;
                self.ensure_loaded(&d).await?;
                json(&self.taken()?)
            }
            _ => Response::error("no such inventory operation", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        // After a D1 failure the retry alarm is set; scheduling the next lapse now would bring
        // it forward to the lapse already past, and ask D1 again at once, in a loop.
        if !self.settle_lapsed().await? {
            self.schedule_alarm().await?;
        }
        Response::ok("settled")
    }
}
