//! Deterministic simulation of the booking path, in the spirit of FoundationDB's simulator and
//! TigerBeetle's VOPR: one seed drives clients submitting, retrying under the same key and
//! cancelling, ops changing capacity and reconciling, the clock moving so holds lapse, alarms
//! firing early or late, D1 and the object failing before or after they commit, and the object
//! restarting from its storage — all interleaved at every storage step, since each storage call
//! of the in-memory store yields once ([`MemoryStore::interleave`]) and the executor here picks
//! which request moves next. The code under test is the real one: `book`, `cancel`,
//! `reconcile_day`, and the inventory's [`crate::inventory::Day`] that the object runs too.
//!
//! After every step the invariants are checked against a simple model of what was promised;
//! at the end everything in flight finishes, the holds lapse, and reconciliation must leave the
//! object and the record in agreement. A failing seed is replayed with steps taken out while it
//! still fails, and the shortest trace found is printed with the seed.
//!
//! `SIM_SEEDS` (default [`DEFAULT_SEEDS`]) and `SIM_FIRST_SEED` choose the seeds; `make simulate`
//! runs many more.

use super::book::{book, BookOutcome};
use super::cancel::{cancel, CancelInput};
use super::reconcile::reconcile_day;
use super::tests::{d, hm, now, request, world, Submitting};
use crate::domain::{BookingNo, OfficeId, PeriodId};
use crate::error::ApiResult;
use crate::fake::MemoryStore;
use crate::store::*;
use crate::time::Instant;
use chrono::NaiveDate;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

pub const DEFAULT_SEEDS: u64 = 2_000;
const CLIENTS: usize = 8;
const STEPS: usize = 150;
const PERIODS: [&str; 3] = ["am-1", "am-2", "pm-1"];
/// The latest an alarm fires after the hold it is for lapses (it may fire any time before).
const ALARM_LATE_S: i64 = 30;
/// Operations that can fail, or lose their answer after committing.
const FAILING: [&str; 8] = [
    "hold",
    "confirm",
    "abandon",
    "release",
    "create_booking",
    "cancel_booking",
    "submit_facts",
    "booking",
];
const LOSING: [&str; 3] = ["hold", "confirm", "create_booking"];

fn office() -> OfficeId {
    OfficeId::parse("sz-futian").unwrap()
}

fn date() -> NaiveDate {
    d(2026, 11, 25)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A new attempt under a fresh key, for a period.
    Submit {
        client: usize,
        period: usize,
    },
    /// The client's last attempt again, same key and body: a retry, or a double tap while the
    /// first is still in flight.
    Retry {
        client: usize,
    },
    /// One request in flight moves to its next storage step.
    Poll {
        task: usize,
    },
    Cancel {
        client: usize,
    },
    Capacity {
        period: usize,
        capacity: u32,
    },
    Advance {
        seconds: u32,
    },
    Alarm,
    Fail {
        op: usize,
    },
    LoseAnswer {
        op: usize,
    },
    Restart,
    Reconcile,
}

fn random_step(rng: &mut ChaCha8Rng) -> Step {
    let mut pick = |n: u32| (rng.next_u32() % n) as usize;
    match pick(100) {
        0..=19 => Step::Submit {
            client: pick(CLIENTS as u32),
            period: pick(PERIODS.len() as u32),
        },
        20..=27 => Step::Retry {
            client: pick(CLIENTS as u32),
        },
        28..=69 => Step::Poll {
            task: pick(u32::MAX),
        },
        70..=75 => Step::Cancel {
            client: pick(CLIENTS as u32),
        },
        76..=79 => Step::Capacity {
            period: pick(PERIODS.len() as u32),
            capacity: pick(5) as u32,
        },
        80..=87 => Step::Advance {
            seconds: pick(90) as u32,
        },
        88..=90 => Step::Alarm,
        91..=93 => Step::Fail {
            op: pick(FAILING.len() as u32),
        },
        94..=95 => Step::LoseAnswer {
            op: pick(LOSING.len() as u32),
        },
        96..=97 => Step::Restart,
        _ => Step::Reconcile,
    }
}

enum Done {
    Booked {
        client: usize,
        key: String,
        result: Box<ApiResult<BookOutcome>>,
    },
    Cancelled {
        no: BookingNo,
        ok: bool,
    },
    /// An alarm started at `started_ms` asked the record about every lapsed hold.
    Alarm {
        started_ms: i64,
        complete: bool,
    },
    Other,
}

type Task<'s> = Pin<Box<dyn Future<Output = Done> + 's>>;

/// One run: the world, the requests in flight, and the model of what was promised.
struct Sim<'s> {
    store: &'s MemoryStore,
    clients: &'s [Submitting],
    clock: Instant,
    tasks: Vec<Task<'s>>,
    /// Each client's last attempt: its key and period.
    attempts: Vec<Option<(String, usize)>>,
    next_key: u64,
    /// Bookings acknowledged to a client and not cancelled by an acknowledged cancel.
    acked: BTreeMap<BookingNo, (usize, PeriodId)>,
    /// The number each key was acknowledged with.
    numbers: BTreeMap<String, BookingNo>,
    /// Bookings some cancel was sent for: the record may show them cancelled.
    cancel_sent: BTreeSet<BookingNo>,
    /// Alarms in flight.
    alarms: usize,
}

impl<'s> Sim<'s> {
    fn new(store: &'s MemoryStore, clients: &'s [Submitting]) -> Self {
        store.interleave(true);
        Sim {
            store,
            clients,
            clock: now(),
            tasks: Vec::new(),
            attempts: vec![None; CLIENTS],
            next_key: 0,
            acked: BTreeMap::new(),
            numbers: BTreeMap::new(),
            cancel_sent: BTreeSet::new(),
            alarms: 0,
        }
    }

    fn submit(&mut self, client: usize, key: String, period: usize) {
        let (store, sub, at) = (self.store, &self.clients[client], self.clock);
        let mut req = request(&format!("ap{client}"));
        req.period_id = PERIODS[period].into();
        self.tasks.push(Box::pin(async move {
            let result = book(store, store, sub.input(&key, &req, at)).await;
            Done::Booked {
                client,
                key,
                result: Box::new(result),
            }
        }));
    }

    fn run(&mut self, step: Step) -> Result<(), String> {
        match step {
            Step::Submit { client, period } => {
                self.next_key += 1;
                let key = format!("sim-key-{client}-{:06}", self.next_key);
                self.attempts[client] = Some((key.clone(), period));
                self.submit(client, key, period);
            }
            Step::Retry { client } => {
                if let Some((key, period)) = self.attempts[client].clone() {
                    self.submit(client, key, period);
                }
            }
            Step::Poll { task } => return self.poll(task),
            Step::Cancel { client } => {
                let Some(no) = self
                    .acked
                    .iter()
                    .find(|(_, (c, _))| *c == client)
                    .map(|(no, _)| no.clone())
                else {
                    return Ok(());
                };
                self.cancel_sent.insert(no.clone());
                let (store, sub, at) = (self.store, &self.clients[client], self.clock);
                self.tasks.push(Box::pin(async move {
                    let ok = cancel(
                        store,
                        store,
                        CancelInput {
                            caller: &sub.caller,
                            booking_no: no.as_str(),
                            reason: None,
                            rules: &sub.rules,
                            now: at,
                            request_id: "sim",
                            qr: &sub.signer,
                            lang: crate::i18n::Lang::Zh,
                        },
                    )
                    .await
                    .is_ok();
                    Done::Cancelled { no, ok }
                }));
            }
            Step::Capacity { period, capacity } => {
                let store = self.store;
                let mut periods = self.store.inventory_stored(&office(), date()).periods;
                let id = PeriodId::parse(PERIODS[period]).unwrap();
                if let Some(p) = periods.get_mut(&id) {
                    p.capacity = capacity;
                }
                let periods: Vec<PublishedPeriod> = periods.into_values().collect();
                self.tasks.push(Box::pin(async move {
                    let _ = store.publish(&office(), date(), &periods).await;
                    Done::Other
                }));
            }
            Step::Advance { seconds } => {
                self.clock += chrono::Duration::seconds(seconds.into());
                self.store.set_now(self.clock);
                self.fire_late_alarm();
            }
            Step::Alarm => {
                let (store, started_ms) = (self.store, self.clock.timestamp_millis());
                self.alarms += 1;
                self.tasks.push(Box::pin(async move {
                    let complete = store.alarm(&office(), date()).await;
                    Done::Alarm {
                        started_ms,
                        complete,
                    }
                }));
            }
            Step::Fail { op } => self.store.fail_next(FAILING[op]),
            Step::LoseAnswer { op } => self.store.lose_next_answer(LOSING[op]),
            Step::Restart => self.store.restart_inventory(),
            Step::Reconcile => {
                let (store, at) = (self.store, self.clock);
                self.tasks.push(Box::pin(async move {
                    let _ = reconcile_day(store, store, &office(), date(), at).await;
                    Done::Other
                }));
            }
        }
        Ok(())
    }

    /// An alarm is never later than [`ALARM_LATE_S`] after a lapse: when the clock passes that,
    /// it fires (as a request that interleaves like any other).
    fn fire_late_alarm(&mut self) {
        let stored = self.store.inventory_stored(&office(), date());
        let due = stored.places.values().any(|p| {
            !p.confirmed
                && p.expires_at_ms.unwrap_or(0) + ALARM_LATE_S * 1000
                    <= self.clock.timestamp_millis()
        });
        if due && self.alarms == 0 {
            let _ = self.run(Step::Alarm);
        }
    }

    fn poll(&mut self, task: usize) -> Result<(), String> {
        if self.tasks.is_empty() {
            return Ok(());
        }
        let i = task % self.tasks.len();
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(done) = self.tasks[i].as_mut().poll(&mut cx) {
            drop(self.tasks.swap_remove(i));
            self.learn(done)?;
        }
        Ok(())
    }

    fn learn(&mut self, done: Done) -> Result<(), String> {
        match done {
            Done::Booked {
                client,
                key,
                result,
            } if result.is_ok() => {
                let outcome = result.unwrap();
                let no = BookingNo::parse(outcome.body["booking_no"].as_str().unwrap()).unwrap();
                if let Some(first) = self.numbers.insert(key.clone(), no.clone()) {
                    assert_eq!(first, no, "one key acknowledged two bookings");
                }
                let period = PeriodId::parse(outcome.body["period_id"].as_str().unwrap()).unwrap();
                self.acked.insert(no, (client, period));
            }
            Done::Booked { .. } | Done::Other => {}
            Done::Cancelled { no, ok } => {
                if ok {
                    self.acked.remove(&no);
                }
            }
            Done::Alarm {
                started_ms,
                complete,
            } => {
                self.alarms -= 1;
                // No hold outlives its deadline plus one alarm: one that lapsed before an alarm
                // that could ask about everything started is settled when it ends (a hold
                // renewed meanwhile lapses later).
                let stored = self.store.inventory_stored(&office(), date());
                let left = stored
                    .places
                    .values()
                    .any(|p| !p.confirmed && p.expires_at_ms.unwrap_or(0) <= started_ms);
                if complete && left {
                    return Err("a lapsed hold outlived the alarm after it".into());
                }
            }
        }
        Ok(())
    }

    fn bookings(&self) -> Vec<Booking> {
        self.store.interleave(false);
        let all = crate::fake::block_on(self.store.bookings_on(&office(), date()));
        self.store.interleave(true);
        all.unwrap()
    }

    /// `SIM_TRACE=1`: each step with the day's places and the record's bookings before it.
    fn trace(&self, i: usize, step: &Step) {
        let stored = self.store.inventory_stored(&office(), date());
        let places: Vec<String> = stored
            .places
            .iter()
            .map(|(no, p)| {
                let state = if p.confirmed {
                    "c".to_owned()
                } else {
                    format!("h{}", p.expires_at_ms.unwrap_or(0) / 1000 % 100_000)
                };
                format!("{no}@{}:{state}", p.period)
            })
            .collect();
        let booked: Vec<String> = self
            .bookings()
            .iter()
            .map(|b| format!("{}@{}:{}", b.booking_no, b.period_id, b.status.as_str()))
            .collect();
        eprintln!(
            "#{i} t={} tasks={} {step:?}\n    object {places:?}\n    record {booked:?}\n    acked {:?}",
            self.clock.timestamp() % 100_000,
            self.tasks.len(),
            self.acked.keys().collect::<Vec<_>>()
        );
    }

    /// What must hold after every step.
    fn check(&self) -> Result<(), String> {
        let stored = self.store.inventory_stored(&office(), date());
        for (id, p) in &stored.periods {
            let taken = stored.taken(id);
            if taken > p.capacity {
                return Err(format!("{id} holds {taken} places over {}", p.capacity));
            }
        }
        if stored
            .places
            .values()
            .any(|p| !stored.periods.contains_key(&p.period))
        {
            return Err("a place in a period that does not exist".into());
        }
        let bookings = self.bookings();
        for (no, (_, period)) in &self.acked {
            let Some(b) = bookings.iter().find(|b| &b.booking_no == no) else {
                return Err(format!("acknowledged {no} is not in the record"));
            };
            if b.status == BookingStatus::Cancelled {
                if !self.cancel_sent.contains(no) {
                    return Err(format!("acknowledged {no} was cancelled by nobody"));
                }
                continue;
            }
            match stored.places.get(no) {
                Some(place) if &place.period == period => {}
                _ => return Err(format!("acknowledged {no} does not hold its place")),
            }
        }
        let mut active = BTreeSet::new();
        for b in bookings
            .iter()
            .filter(|b| b.status == BookingStatus::Booked)
        {
            if !active.insert((&b.applicant_id, b.service)) {
                return Err(format!("{} has two active bookings", b.applicant_id));
            }
        }
        Ok(())
    }

    /// Everything in flight finishes with nothing failing any more, the holds lapse and their
    /// alarm runs, reconciliation runs: the object and the record must then agree exactly.
    fn settle(&mut self) -> Result<(), String> {
        self.store.clear_faults();
        let mut turn = 0;
        let trace = std::env::var_os("SIM_TRACE").is_some();
        while !self.tasks.is_empty() {
            if trace {
                self.trace(turn, &Step::Poll { task: turn });
            }
            self.poll(turn)?;
            turn += 1;
            self.check()?;
        }
        self.store.interleave(false);
        self.clock += chrono::Duration::seconds(3_600);
        self.store.set_now(self.clock);
        self.store.expire_holds();
        crate::fake::block_on(reconcile_day(
            self.store,
            self.store,
            &office(),
            date(),
            self.clock,
        ))
        .map_err(|e| format!("reconciliation failed: {e:?}"))?;
        self.store.interleave(true);
        self.check()?;
        let stored = self.store.inventory_stored(&office(), date());
        let places: BTreeSet<(&BookingNo, &PeriodId)> = stored
            .places
            .iter()
            .map(|(no, p)| (no, &p.period))
            .collect();
        let bookings = self.bookings();
        let live: BTreeSet<(&BookingNo, &PeriodId)> = bookings
            .iter()
            .filter(|b| b.status.holds_place())
            .map(|b| (&b.booking_no, &b.period_id))
            .collect();
        if places != live {
            return Err(format!(
                "after reconciliation the object holds {places:?} and the record {live:?}"
            ));
        }
        if stored.places.values().any(|p| !p.confirmed) {
            return Err("a hold survived its lapse".into());
        }
        Ok(())
    }
}

fn world_of(seed: u64) -> (MemoryStore, Vec<Submitting>) {
    let store = world(2, CLIENTS);
    let capacity = 1 + (seed % 3) as u32;
    let periods: Vec<PublishedPeriod> = PERIODS
        .iter()
        .enumerate()
        .map(|(i, id)| PublishedPeriod {
            period_id: PeriodId::parse(id).unwrap(),
            start: hm(9 + i as u32, 0),
            end: hm(10 + i as u32, 0),
            capacity,
        })
        .collect();
    crate::fake::block_on(store.put_schedule(&office(), date(), &periods)).unwrap();
    let clients = (0..CLIENTS)
        .map(|i| Submitting::of(&store, &format!("u{i}")))
        .collect();
    (store, clients)
}

/// Runs `steps` in a fresh world; the first invariant broken, with the step it broke at.
fn replay(seed: u64, steps: &[Step]) -> Result<(), (usize, String)> {
    let (store, clients) = world_of(seed);
    let mut sim = Sim::new(&store, &clients);
    let trace = std::env::var_os("SIM_TRACE").is_some();
    for (i, step) in steps.iter().enumerate() {
        if trace {
            sim.trace(i, step);
        }
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sim.run(*step)));
        ran.map_err(|p| (i, panic_text(p)))?.map_err(|e| (i, e))?;
        sim.check().map_err(|e| (i, e))?;
    }
    sim.settle().map_err(|e| (steps.len(), e))
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

fn steps_of(seed: u64) -> Vec<Step> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..STEPS).map(|_| random_step(&mut rng)).collect()
}

/// The shortest trace found that still fails: cut at the failure, then take out chunks, then
/// single steps, while it keeps failing.
fn shrink(seed: u64, mut steps: Vec<Step>, at: usize) -> Vec<Step> {
    steps.truncate(at + 1);
    let mut chunk = steps.len() / 2;
    while chunk >= 1 {
        let mut i = 0;
        while i + chunk <= steps.len() {
            let mut shorter = steps.clone();
            shorter.drain(i..i + chunk);
            if replay(seed, &shorter).is_err() {
                steps = shorter;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    steps
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn no_seed_overbooks_loses_an_acknowledged_booking_or_leaves_object_and_record_apart() {
    let first = env_u64("SIM_FIRST_SEED", 1);
    let seeds = env_u64("SIM_SEEDS", DEFAULT_SEEDS);
    let started = std::time::Instant::now();
    // Failures print their own report; the panics inside a replay are expected findings.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    for seed in first..first + seeds {
        let steps = steps_of(seed);
        if let Err((at, why)) = replay(seed, &steps) {
            let trace = shrink(seed, steps, at);
            failure = Some((seed, why, trace));
            break;
        }
    }
    std::panic::set_hook(hook);
    if let Some((seed, why, trace)) = failure {
        let lines: Vec<String> = trace.iter().map(|s| format!("  {s:?}")).collect();
        panic!(
            "seed {seed} broke an invariant: {why}\nshortest trace ({} steps), replay with SIM_FIRST_SEED={seed} SIM_SEEDS=1:\n{}",
            trace.len(),
            lines.join("\n")
        );
    }
    eprintln!(
        "simulation: {seeds} seeds x {STEPS} steps in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
