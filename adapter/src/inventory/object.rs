//! The inventory object: one SQLite-backed Durable Object per (office, date), the only place that
//! decides whether a place is taken. The decisions are [`Day`]'s, in `shared`; this is its
//! storage and its protocol. The day lives in memory beside its SQLite, which holds what
//! [`Stored`] holds, one table per map, and each [`Change`] a decision returns is written as one
//! statement before the answer leaves. Triggers refuse any row that would exceed capacity: the
//! invariant is held by the storage too, not only by the code in front of it.
//!
//! Each decision and its writes run with no await in between, so the object's single thread
//! makes them one step, and the writes of one event commit together.

use crate::d1::D1Store;
use crate::object_call::read_json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};
use yuyue_shared::booking::lapse::lapses;
use yuyue_shared::domain::WaitlistId;
use yuyue_shared::domain::{ApplicantId, BookingNo, OfficeId, PeriodId, UserId};
use yuyue_shared::inventory::protocol::{Answer, Answered, Message, Request as Ask};
use yuyue_shared::inventory::{
    Change, Day, Entry, HoldOutcome, Place, PublishedPeriod, Queued, Room, Stored,
};
use yuyue_shared::store::{Catalog, Inventory as Authority};
use yuyue_shared::time::{format_hhmm, parse_hhmm};
use yuyue_shared::waitlist::serve::ServeInput;
use yuyue_shared::waitlist::settle_waitlist;

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
        drawn INTEGER NOT NULL DEFAULT 0 CHECK (drawn IN (0, 1)),
        seed TEXT)",
    "CREATE TABLE IF NOT EXISTS queue (
        user_id TEXT PRIMARY KEY,
        joined_at INTEGER NOT NULL,
        position INTEGER UNIQUE)",
    // The waitlist: each entry's join order, the periods it waits for and its state (JSON of
    // `Wanted` and `EntryState`); a place taken for a served entry is a row of `taken`.
    "CREATE TABLE IF NOT EXISTS waitlist (
        waitlist_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        applicant_id TEXT NOT NULL,
        booking_no TEXT NOT NULL UNIQUE,
        wanted TEXT NOT NULL,
        state TEXT NOT NULL)",
    // Messages to send once the decisions behind them are committed (a booking's confirmation):
    // written with the decision, sent in batches by the alarm, deleted once sent.
    "CREATE TABLE IF NOT EXISTS notices (id INTEGER PRIMARY KEY, notice TEXT NOT NULL)",
    // No place beyond capacity, and none in a period that does not exist.
    "CREATE TRIGGER IF NOT EXISTS taken_within_capacity BEFORE INSERT ON taken
     WHEN (SELECT count(*) FROM taken WHERE period_id = NEW.period_id)
          >= coalesce((SELECT capacity FROM periods WHERE period_id = NEW.period_id), 0)
     BEGIN SELECT RAISE(ABORT, 'capacity exceeded'); END",
    "CREATE TRIGGER IF NOT EXISTS place_moves_within_capacity BEFORE UPDATE OF period_id ON taken
     WHEN NEW.period_id != OLD.period_id
      AND (SELECT count(*) FROM taken WHERE period_id = NEW.period_id)
          >= coalesce((SELECT capacity FROM periods WHERE period_id = NEW.period_id), 0)
     BEGIN SELECT RAISE(ABORT, 'capacity exceeded'); END",
    "CREATE TRIGGER IF NOT EXISTS capacity_not_below_taken BEFORE UPDATE OF capacity ON periods
     WHEN NEW.capacity < (SELECT count(*) FROM taken WHERE period_id = NEW.period_id)
     BEGIN SELECT RAISE(ABORT, 'capacity below taken'); END",
    "CREATE TRIGGER IF NOT EXISTS period_with_taken_stays BEFORE DELETE ON periods
     WHEN EXISTS (SELECT 1 FROM taken WHERE period_id = OLD.period_id)
     BEGIN SELECT RAISE(ABORT, 'period has bookings'); END",
];

/// Objects created before the lottery seed was kept: the column is added once, and a failure
/// (it exists) is the expected answer.
const SCHEMA_UPGRADES: &[&str] = &["ALTER TABLE admission ADD COLUMN seed TEXT"];

/// When D1 cannot be asked about a lapsed hold, ask again this much later.
const ALARM_RETRY_MS: i64 = 10_000;

#[durable_object]
pub struct Inventory {
    state: State,
    env: Env,
    sql: SqlStorage,
    /// The day as its SQLite holds it, read once per instance; `None` until then, and again
    /// after a write failed, so the next request starts from what was committed.
    day: RefCell<Option<Day>>,
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn corrupt(what: &str) -> worker::Error {
    worker::Error::RustError(format!("inventory storage holds a bad {what}"))
}

fn fresh_seed() -> Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(seed)
}

fn num(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

fn flag(v: bool) -> JsValue {
    JsValue::from_f64(if v { 1.0 } else { 0.0 })
}

#[derive(Deserialize)]
struct MetaRow {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct PeriodRow {
    period_id: String,
    start: String,
    end: String,
    capacity: f64,
}

#[derive(Deserialize)]
struct PlaceRow {
    booking_no: String,
    period_id: String,
    applicant_id: String,
    confirmed: f64,
    expires_at: Option<f64>,
    created_at: f64,
}

#[derive(Deserialize)]
struct RoomRow {
    config: String,
    drawn: f64,
    seed: Option<String>,
}

#[derive(Deserialize)]
struct EntryRow {
    waitlist_id: String,
    seq: f64,
    applicant_id: String,
    booking_no: String,
    wanted: String,
    state: String,
}

#[derive(Deserialize)]
struct NoticeRow {
    id: f64,
    notice: String,
}

#[derive(Deserialize)]
struct QueueRow {
    user_id: String,
    joined_at: f64,
    position: Option<f64>,
}

impl Inventory {
    fn rows<T: DeserializeOwned>(&self, sql: &str, args: Vec<JsValue>) -> Result<Vec<T>> {
        self.sql.exec_raw(sql, args)?.to_array()
    }

    fn exec(&self, sql: &str, args: Vec<JsValue>) -> Result<()> {
        self.sql.exec_raw(sql, args).map(|_| ())
    }

    fn store(&self) -> Result<D1Store> {
        D1Store::from_env(&self.env)
            .map_err(|e| worker::Error::RustError(e.code.as_str().to_owned()))
    }

    /// Reads the whole day from SQLite: its periods and places (hundreds) and its waiting room
    /// (at most the people of one release).
    fn read_stored(&self) -> Result<Stored> {
        let mut stored = Stored::default();
        let mut office = None;
        let mut date = None;
        for m in self.rows::<MetaRow>("SELECT key, value FROM meta", vec![])? {
            match m.key.as_str() {
                "office" => office = Some(OfficeId::parse(&m.value).map_err(|_| corrupt("hall"))?),
                "date" => {
                    date = Some(
                        yuyue_shared::time::date_from(&m.value).ok_or_else(|| corrupt("date"))?,
                    )
                }
                "schedule_checked_at" => stored.schedule_checked_at_ms = m.value.parse().ok(),
                "waitlist_closed" => stored.waitlist_closed = m.value == "1",
                _ => {}
            }
        }
        stored.day = office.zip(date);
        for p in self.rows::<PeriodRow>(
            "SELECT period_id, start, end, capacity FROM periods",
            vec![],
        )? {
            let period = PublishedPeriod {
                period_id: PeriodId::parse(&p.period_id).map_err(|_| corrupt("period"))?,
                start: parse_hhmm("start", &p.start).map_err(|_| corrupt("start"))?,
                end: parse_hhmm("end", &p.end).map_err(|_| corrupt("end"))?,
                capacity: p.capacity as u32,
            };
            stored.periods.insert(period.period_id.clone(), period);
        }
        let places: Vec<PlaceRow> = self.rows(
            "SELECT booking_no, period_id, applicant_id, confirmed, expires_at, created_at FROM taken",
            vec![],
        )?;
        for t in places {
            let no = BookingNo::parse(&t.booking_no).map_err(|_| corrupt("booking number"))?;
            let place = Place {
                period: PeriodId::parse(&t.period_id).map_err(|_| corrupt("period"))?,
                applicant: ApplicantId::parse(&t.applicant_id).map_err(|_| corrupt("applicant"))?,
                confirmed: t.confirmed != 0.0,
                expires_at_ms: t.expires_at.map(|v| v as i64),
                created_at_ms: t.created_at as i64,
            };
            stored.places.insert(no, place);
        }
        let room: Vec<RoomRow> = self.rows(
            "SELECT config, drawn, seed FROM admission WHERE id = 1",
            vec![],
        )?;
        if let Some(r) = room.into_iter().next() {
            let seed = match r.seed.as_deref().map(hex_seed) {
                Some(Some(seed)) => seed,
                _ => fresh_seed()?,
            };
            stored.room = Some(Room {
                config: serde_json::from_str(&r.config).map_err(|_| corrupt("waiting room"))?,
                drawn: r.drawn != 0.0,
                seed,
            });
        }
        let queue: Vec<QueueRow> =
            self.rows("SELECT user_id, joined_at, position FROM queue", vec![])?;
        for q in queue {
            stored.queue.insert(
                UserId::parse(&q.user_id).map_err(|_| corrupt("user"))?,
                Queued {
                    joined_at_ms: q.joined_at as i64,
                    position: q.position.map(|p| p as u64),
                },
            );
        }
        let entries: Vec<EntryRow> = self.rows(
            "SELECT waitlist_id, seq, applicant_id, booking_no, wanted, state FROM waitlist",
            vec![],
        )?;
        for e in entries {
            let entry = Entry {
                seq: e.seq as u64,
                applicant: ApplicantId::parse(&e.applicant_id).map_err(|_| corrupt("applicant"))?,
                booking_no: BookingNo::parse(&e.booking_no)
                    .map_err(|_| corrupt("booking number"))?,
                wanted: serde_json::from_str(&e.wanted).map_err(|_| corrupt("waitlist entry"))?,
                state: serde_json::from_str(&e.state).map_err(|_| corrupt("waitlist entry"))?,
            };
            stored.apply(&Change::PutEntry(
                WaitlistId::parse(&e.waitlist_id).map_err(|_| corrupt("waitlist id"))?,
                entry,
            ));
        }
        for n in self.rows::<NoticeRow>("SELECT id, notice FROM notices ORDER BY id", vec![])? {
            stored.apply(&Change::PutNotice(n.id as u64, n.notice));
        }
        Ok(stored)
    }

    fn write(&self, change: &Change) -> Result<()> {
        let meta = |key: &str, value: String| {
            self.exec(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                vec![key.into(), value.into()],
            )
        };
        match change {
            Change::Named(office, date) => {
                meta("office", office.to_string())?;
                meta("date", date.to_string())
            }
            Change::ScheduleChecked(at) => meta("schedule_checked_at", at.to_string()),
            Change::WaitlistClosed(closed) => {
                meta("waitlist_closed", if *closed { "1" } else { "0" }.to_owned())
            }
            Change::PutPeriod(p) => self.exec(
                "INSERT INTO periods (period_id, start, end, capacity) VALUES (?, ?, ?, ?)
                 ON CONFLICT (period_id) DO UPDATE SET start = excluded.start, end = excluded.end, capacity = excluded.capacity",
                vec![
                    p.period_id.as_str().into(),
                    format_hhmm(p.start).into(),
                    format_hhmm(p.end).into(),
                    num(p.capacity.into()),
                ],
            ),
            Change::DropPeriod(id) => self.exec(
                "DELETE FROM periods WHERE period_id = ?",
                vec![id.as_str().into()],
            ),
            Change::PutPlace(no, p) => {
                let expires = p.expires_at_ms.map_or(JsValue::NULL, num);
                // An update first: an INSERT would meet the capacity trigger even when the row
                // exists, and a place that is only confirmed or renewed takes nothing new.
                let updated: Vec<serde_json::Value> = self.rows(
                    "UPDATE taken SET period_id = ?, applicant_id = ?, confirmed = ?, expires_at = ?
                     WHERE booking_no = ? RETURNING 1 AS n",
                    vec![
                        p.period.as_str().into(),
                        p.applicant.as_str().into(),
                        flag(p.confirmed),
                        expires.clone(),
                        no.as_str().into(),
                    ],
                )?;
                if !updated.is_empty() {
                    return Ok(());
                }
                self.exec(
                    "INSERT INTO taken (booking_no, period_id, applicant_id, confirmed, expires_at, created_at)
                     VALUES (?, ?, ?, ?, ?, ?)",
                    vec![
                        no.as_str().into(),
                        p.period.as_str().into(),
                        p.applicant.as_str().into(),
                        flag(p.confirmed),
                        expires,
                        num(p.created_at_ms),
                    ],
                )
            }
            Change::DropPlace(no) => self.exec(
                "DELETE FROM taken WHERE booking_no = ?",
                vec![no.as_str().into()],
            ),
            Change::PutRoom(room) => {
                let config = serde_json::to_string(&room.config)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                self.exec(
                    "INSERT INTO admission (id, config, drawn, seed) VALUES (1, ?, ?, ?)
                     ON CONFLICT (id) DO UPDATE SET config = excluded.config, drawn = excluded.drawn, seed = excluded.seed",
                    vec![config.into(), flag(room.drawn), seed_hex(&room.seed).into()],
                )
            }
            Change::DropRoom => {
                self.exec("DELETE FROM admission", vec![])?;
                self.exec("DELETE FROM queue", vec![])
            }
            Change::PutEntry(id, e) => {
                let json = |v: serde_json::Result<String>| {
                    v.map_err(|e| worker::Error::RustError(e.to_string()))
                };
                self.exec(
                    "INSERT INTO waitlist (waitlist_id, seq, applicant_id, booking_no, wanted, state)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (waitlist_id) DO UPDATE SET state = excluded.state",
                    vec![
                        id.as_str().into(),
                        num(e.seq as i64),
                        e.applicant.as_str().into(),
                        e.booking_no.as_str().into(),
                        json(serde_json::to_string(&e.wanted))?.into(),
                        json(serde_json::to_string(&e.state))?.into(),
                    ],
                )
            }
            Change::DropEntry(id) => self.exec(
                "DELETE FROM waitlist WHERE waitlist_id = ?",
                vec![id.as_str().into()],
            ),
            Change::PutNotice(id, notice) => self.exec(
                "INSERT INTO notices (id, notice) VALUES (?, ?)",
                vec![num(*id as i64), notice.as_str().into()],
            ),
            Change::DropNotice(id) => {
                self.exec("DELETE FROM notices WHERE id = ?", vec![num(*id as i64)])
            }
            Change::PutQueued(user, q) => self.exec(
                "INSERT INTO queue (user_id, joined_at, position) VALUES (?, ?, ?)
                 ON CONFLICT (user_id) DO UPDATE SET joined_at = excluded.joined_at, position = excluded.position",
                vec![
                    user.as_str().into(),
                    num(q.joined_at_ms),
                    q.position.map_or(JsValue::NULL, |p| num(p as i64)),
                ],
            ),
        }
    }

    /// Runs `decide` on the day (read from SQLite the first time) and writes what it changed.
    /// A write refused (a trigger: a decision the storage does not allow) fails the request and
    /// drops the day from memory, so the next request starts from what SQLite holds.
    fn with_day<T>(&self, decide: impl FnOnce(&mut Day) -> Result<T>) -> Result<T> {
        let mut slot = self.day.borrow_mut();
        if slot.is_none() {
            *slot = Some(Day::new(self.read_stored()?));
        }
        let day = slot.as_mut().expect("loaded above");
        let out = decide(day);
        let written = day
            .take_changes()
            .iter()
            .try_for_each(|change| self.write(change));
        if written.is_err() {
            *slot = None;
        }
        written.and(out)
    }

    /// The first time a day is used (or while it is still empty), its periods come from the
    /// schedule ops published in D1; after that, changes arrive through `publish`.
    async fn ensure_schedule(&self, msg: &Message, now: i64) -> Result<()> {
        if !self.with_day(|day| Ok(day.wants_schedule(now)))? {
            return Ok(());
        }
        let schedule = self
            .store()?
            .schedule(&msg.office, msg.date, msg.date)
            .await
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        let periods: Vec<PublishedPeriod> = schedule.into_iter().map(|(_, p)| p).collect();
        self.with_day(|day| {
            day.load_schedule(&periods, now);
            Ok(())
        })
    }

    /// Wakes when the earliest unconfirmed hold lapses, or a waiting entry may, or at once
    /// while the record has waitlist entries to be told of.
    async fn schedule_alarm(&self) -> Result<()> {
        let now = now_ms();
        let Some(at) = self.with_day(|day| Ok(day.next_wake(now)))? else {
            return Ok(());
        };
        let storage = self.state.storage();
        let current = storage.get_alarm().await?;
        if current.is_none_or(|c| c > at) {
            // `set_alarm` takes an i64 as an offset from now, not as a timestamp.
            storage.set_alarm((at - now).max(0)).await?;
        }
        Ok(())
    }

    /// Settles lapsed holds against the record (see [`Day::settle`]). If D1 cannot answer,
    /// nothing more is settled and the alarm tries again in `ALARM_RETRY_MS`: `Ok(true)`.
    async fn settle_lapsed(&self) -> Result<bool> {
        let now = now_ms();
        let (lapsed, named) =
            self.with_day(|day| Ok((day.lapsed(now), day.stored().day.clone())))?;
        let Some((office, date)) = named else {
            return Ok(false);
        };
        if lapsed.is_empty() {
            return Ok(false);
        }
        let (lapses, complete) = lapses(&self.store()?, &office, date, &lapsed).await;
        self.with_day(|day| {
            for l in lapses {
                day.settle(&l.booking_no, l.booked, l.notice.as_deref(), now);
            }
            Ok(())
        })?;
        if !complete {
            self.state.storage().set_alarm(ALARM_RETRY_MS).await?;
        }
        Ok(!complete)
    }
}

impl Inventory {
    /// Sends the notices the day kept (bookings confirmed), in batches, and forgets them. If
    /// the queue refuses, the alarm tries again in `ALARM_RETRY_MS`: `Ok(true)`; a notice may
    /// then go twice, which the consumer's one message per event absorbs.
    async fn send_notices(&self) -> Result<bool> {
        let kept = self.with_day(|day| Ok(day.notices()))?;
        if kept.is_empty() {
            return Ok(false);
        }
        let (ids, notices): (Vec<u64>, Vec<String>) = kept.into_iter().unzip();
        match crate::notify::enqueue_batch(&self.env, &notices).await {
            Ok(()) => {
                self.with_day(|day| {
                    day.sent(&ids);
                    Ok(())
                })?;
                Ok(false)
            }
            Err(cause) => {
                crate::log::event(
                    "error",
                    "notify_enqueue_failed",
                    &[("cause", cause.into()), ("count", ids.len().into())],
                );
                self.state.storage().set_alarm(ALARM_RETRY_MS).await?;
                Ok(true)
            }
        }
    }

    /// Tells the record what the day decided for its waitlist
    /// ([`yuyue_shared::waitlist::settle_waitlist`]) and sends the notices. If the record cannot
    /// answer, the alarm tries again in `ALARM_RETRY_MS`: `Ok(true)`.
    async fn settle_waitlist(&self) -> Result<bool> {
        let now = now_ms();
        let named =
            self.with_day(|day| Ok(day.stored().day.clone().filter(|_| day.waitlist_due(now))))?;
        let Some((office, date)) = named else {
            return Ok(false);
        };
        let store = self.store()?;
        let settled = async {
            let (rules, _) = crate::rules_cache::current(&store).await?;
            let input = ServeInput {
                rules: &rules,
                now: crate::clock::system_now(),
                request_id: "alarm",
            };
            settle_waitlist(&store, &Local(self), &office, date, &input).await
        };
        match settled.await {
            Ok(notices) => {
                for notice in &notices {
                    crate::notify::enqueue(&self.env, notice, "alarm").await;
                }
                Ok(false)
            }
            Err(e) => {
                crate::log::event(
                    "error",
                    "waitlist_settle_failed",
                    &[("code", e.code.as_str().into())],
                );
                self.state.storage().set_alarm(ALARM_RETRY_MS).await?;
                Ok(true)
            }
        }
    }
}

/// The object asking its own day, through the same protocol as a function's client: the
/// waitlist's settling is written once, against the storage traits.
struct Local<'a>(&'a Inventory);

impl Authority for Local<'_> {
    async fn ask(
        &self,
        office: &OfficeId,
        date: chrono::NaiveDate,
        _op: &'static str,
        request: Ask,
    ) -> yuyue_shared::ApiResult<Answered> {
        let msg = Message {
            office: office.clone(),
            date,
            request,
        };
        self.0
            .with_day(|day| Ok(Answered::Built(day.handle(&msg, now_ms(), || [0; 32]))))
            .map_err(|e| {
                crate::log::event(
                    "error",
                    "inventory_write_failed",
                    &[("error", e.to_string().into())],
                );
                yuyue_shared::ApiError::internal()
            })
    }
}

fn seed_hex(seed: &[u8; 32]) -> String {
    seed.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_seed(hex: &str) -> Option<[u8; 32]> {
    let mut seed = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(seed)
}

impl DurableObject for Inventory {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA {
            // The schema is fixed and idempotent; failing here means the object cannot work.
            sql.exec(stmt, None).expect("inventory schema");
        }
        for stmt in SCHEMA_UPGRADES {
            let _ = sql.exec(stmt, None);
        }
        Inventory {
            state,
            env,
            sql,
            day: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let msg: Message = read_json(&mut req).await?;
        let now = now_ms();
        if msg.request.reads_periods() {
            self.ensure_schedule(&msg, now).await?;
        }
        // Drawn before the decision, which cannot fail half way: only a room opening uses it.
        let seed = match msg.request {
            Ask::SetAdmission { config: Some(_) } => fresh_seed()?,
            _ => [0; 32],
        };
        let answer = self.with_day(|day| Ok(day.handle(&msg, now, || seed)))?;
        let held =
            matches!(&answer, Answer::Hold(a) if matches!(a.outcome, HoldOutcome::Held { .. }));
        if held || msg.request.wakes() {
            self.schedule_alarm().await?;
        }
        Response::from_json(&answer)
    }

    async fn alarm(&self) -> Result<Response> {
        // After a D1 failure the retry alarm is set; scheduling the next wake now would bring
        // it forward to the lapse already past, and ask D1 again at once, in a loop.
        let retrying = self.settle_lapsed().await?;
        let retrying = retrying | self.settle_waitlist().await?;
        let retrying = retrying | self.send_notices().await?;
        if !retrying {
            self.schedule_alarm().await?;
        }
        Response::ok("settled")
    }
}
