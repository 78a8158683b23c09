//! The decisions of one (office, date): who gets a place, who waits, what a lapsed hold becomes.
//! This is the rule the project stands on — a period never holds more places than its capacity,
//! and a place confirmed is only freed by a release — written once. The Durable Object keeps a
//! `Day` in memory beside its SQLite and writes the [`Change`]s each decision returns; the
//! in-memory store and the simulation run the very same code.
//!
//! Every method is synchronous: the object runs each decision without an await, so its single
//! thread makes the decision and its writes one step.

use super::admission::{self, AdmissionConfig, AdmissionStatus, Join};
use super::model::{
    AdmissionSummary, HoldOutcome, HoldRequest, PeriodInventory, Publish, PublishedPeriod, Taken,
};
use super::stored::{Change, Place, Queued, Room, Stored};
use crate::domain::{ApplicantId, BookingNo, OfficeId, PeriodId, UserId};
use crate::time::from_unix_millis;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How long an empty day waits before asking D1 for its schedule again.
pub const EMPTY_DAY_RECHECK_MS: i64 = 60_000;
/// Refusals are remembered this long so a retried submit gets the same answer.
pub const REFUSAL_MEMORY_MS: i64 = 24 * 3_600_000;
/// At most this many refusals are remembered; past it the oldest half is forgotten.
pub const REFUSAL_MEMORY_ENTRIES: usize = 200_000;
/// How long the first notice kept to be sent waits for others to go with it: in a wave, one
/// send to the queue carries the confirmations of many bookings.
pub const NOTICE_BATCH_MS: i64 = 500;

/// A submit asking for a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub period: PeriodId,
    pub booking_no: BookingNo,
    pub applicant: ApplicantId,
    pub ttl_seconds: u32,
    /// The submitter and the caller's clock (unix ms), for the waiting room.
    pub user: UserId,
    pub at_ms: i64,
}

impl From<&HoldRequest> for Hold {
    fn from(r: &HoldRequest) -> Self {
        Hold {
            period: r.period.clone(),
            booking_no: r.booking_no.clone(),
            applicant: r.applicant.clone(),
            ttl_seconds: r.ttl_seconds,
            user: r.user.clone(),
            at_ms: r.at.timestamp_millis(),
        }
    }
}

/// The answer to a hold. `holders`: when the period is at capacity (this hold took the last
/// place, the number held one already, or it was refused), the numbers holding its places, so
/// a caller may answer other numbers as full for a moment without asking again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldAnswer {
    pub outcome: HoldOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holders: Option<Vec<BookingNo>>,
}

/// Numbers refused as full, in memory only: a refusal is the hot path of a booking wave and
/// must not wait on a durable write, and forgetting one (eviction, age, count) only means a
/// retry is judged afresh.
#[derive(Debug, Default)]
struct Refusals(HashMap<BookingNo, (PeriodId, i64)>);

impl Refusals {
    fn get(&self, no: &BookingNo) -> Option<&PeriodId> {
        self.0.get(no).map(|(period, _)| period)
    }

    fn remember(&mut self, no: &BookingNo, period: &PeriodId, now: i64) {
        if self.0.len() >= REFUSAL_MEMORY_ENTRIES {
            let mut ages: Vec<i64> = self.0.values().map(|(_, at)| *at).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2].max(now - REFUSAL_MEMORY_MS);
            self.0.retain(|_, (_, at)| *at > cut);
        }
        self.0.insert(no.clone(), (period.clone(), now));
    }

    fn forget_older(&mut self, now: i64) {
        self.0.retain(|_, (_, at)| *at >= now - REFUSAL_MEMORY_MS);
    }
}

#[derive(Debug, Default)]
pub struct Day {
    stored: Stored,
    changes: Vec<Change>,
    refused: Refusals,
    /// How many submits rely on each unconfirmed hold this instance took or saw joined: a
    /// retry or double tap (same caller and key, so the same number) shares the first one's
    /// place, and `abandon` frees it only when the last of them gives up. A hold taken before
    /// the last restart is not here: nobody may then tell how many still rely on it, so no
    /// abandon frees it and its lapse settles it against the record.
    attached: HashMap<BookingNo, u32>,
}

impl Day {
    /// The day as its storage holds it: after a restart, or the first time it is used.
    pub fn new(stored: Stored) -> Self {
        Day {
            stored,
            ..Day::default()
        }
    }

    pub fn stored(&self) -> &Stored {
        &self.stored
    }

    /// The writes the decisions since the last call made, in order.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    pub(super) fn record(&mut self, change: Change) {
        self.stored.apply(&change);
        self.changes.push(change);
    }

    /// Learns which (office, date) this is, the first time it is told.
    pub fn name(&mut self, office: &OfficeId, date: NaiveDate) {
        if self.stored.day.is_none() {
            self.record(Change::Named(office.clone(), date));
        }
    }

    /// Whether the caller should fetch the published schedule and [`Day::load_schedule`] it: the
    /// day has no periods and has not asked within [`EMPTY_DAY_RECHECK_MS`].
    pub fn wants_schedule(&self, now: i64) -> bool {
        self.stored.periods.is_empty()
            && self
                .stored
                .schedule_checked_at_ms
                .is_none_or(|at| now - at >= EMPTY_DAY_RECHECK_MS)
    }

    /// The schedule published in the record, for a day used for the first time. Later
    /// changes arrive through [`Day::publish`].
    pub fn load_schedule(&mut self, periods: &[PublishedPeriod], now: i64) {
        for p in periods {
            if !self.stored.periods.contains_key(&p.period_id) {
                self.record(Change::PutPeriod(p.clone()));
            }
        }
        self.record(Change::ScheduleChecked(now));
    }

    fn holders(&self, period: &PeriodId) -> Vec<BookingNo> {
        self.stored
            .places
            .iter()
            .filter(|(_, p)| &p.period == period)
            .map(|(no, _)| no.clone())
            .collect()
    }

    fn is_full(&self, period: &PublishedPeriod) -> bool {
        self.stored.taken(&period.period_id) >= period.capacity
    }

    /// The numbers holding places, when `period` is at capacity.
    fn holders_if_full(&self, period: &PublishedPeriod) -> Option<Vec<BookingNo>> {
        self.is_full(period)
            .then(|| self.holders(&period.period_id))
    }

    /// Whether a hold of `no` in `period` would be refused as full without changing anything.
    pub fn known_full(&self, period: &PeriodId, no: &BookingNo) -> bool {
        !self.stored.places.contains_key(no)
            && self
                .stored
                .periods
                .get(period)
                .is_some_and(|p| self.is_full(p))
    }

    pub fn hold(&mut self, h: &Hold, now: i64) -> HoldAnswer {
        let answer = |outcome, holders| HoldAnswer { outcome, holders };
        let Some(period) = self.stored.periods.get(&h.period).cloned() else {
            return answer(HoldOutcome::Closed, None);
        };
        let held = |lapses_at_ms| HoldOutcome::Held {
            start: period.start,
            end: period.end,
            lapses_at_ms,
        };
        if let Some(mine) = self.stored.places.get(&h.booking_no).cloned() {
            if mine.period != h.period {
                return answer(HoldOutcome::Conflict, None);
            }
            if !mine.confirmed {
                self.join(&h.booking_no, mine, h.ttl_seconds, now);
            }
            let lapses = self.stored.places[&h.booking_no].expires_at_ms;
            return answer(held(lapses), self.holders_if_full(&period));
        }
        match self.refused.get(&h.booking_no) {
            Some(refused) if refused != &h.period => return answer(HoldOutcome::Conflict, None),
            Some(_) => return answer(HoldOutcome::Full, self.holders_if_full(&period)),
            None if self.is_full(&period) => {
                self.refused.remember(&h.booking_no, &h.period, now);
                return answer(HoldOutcome::Full, Some(self.holders(&h.period)));
            }
            None => {}
        }
        let admission = self.admission_status(&h.user, h.at_ms);
        if !admission.admits() {
            return answer(HoldOutcome::NotAdmitted { admission }, None);
        }
        let lapses = now + i64::from(h.ttl_seconds) * 1000;
        self.record(Change::PutPlace(
            h.booking_no.clone(),
            Place {
                period: h.period.clone(),
                applicant: h.applicant.clone(),
                confirmed: false,
                expires_at_ms: Some(lapses),
                created_at_ms: now,
            },
        ));
        self.attached.insert(h.booking_no.clone(), 1);
        answer(held(Some(lapses)), self.holders_if_full(&period))
    }

    /// Another submit of the number relies on its unconfirmed hold: count it, and give the
    /// hold a full `ttl_seconds` from now, so the newcomer's write is not overtaken by a lapse
    /// the first submit's clock started.
    fn join(&mut self, no: &BookingNo, mut place: Place, ttl_seconds: u32, now: i64) {
        if let Some(n) = self.attached.get_mut(no) {
            *n += 1;
        }
        let renewed = now + i64::from(ttl_seconds) * 1000;
        if place.expires_at_ms.is_none_or(|at| at < renewed) {
            place.expires_at_ms = Some(renewed);
            self.record(Change::PutPlace(no.clone(), place));
        }
    }

    /// Confirms a number's place; `false` when it holds none.
    pub fn confirm(&mut self, no: &BookingNo) -> bool {
        self.attached.remove(no);
        let Some(mut place) = self.stored.places.get(no).cloned() else {
            return false;
        };
        if !place.confirmed {
            place.confirmed = true;
            place.expires_at_ms = None;
            self.record(Change::PutPlace(no.clone(), place));
        }
        true
    }

    /// [`Day::confirm`], keeping `notice` (the message telling the booker) in the notices when the
    /// place is confirmed: it is committed with the confirmation, and the alarm sends the day's
    /// notices in batches ([`Day::notices`]), so a booking pays no send of its own.
    pub fn confirm_and_tell(&mut self, no: &BookingNo, notice: Option<&str>) -> bool {
        let confirmed = self.confirm(no);
        if let (true, Some(notice)) = (confirmed, notice) {
            self.tell(notice);
        }
        confirmed
    }

    /// Keeps `notice` to be sent.
    fn tell(&mut self, notice: &str) {
        let id = self.stored.notices.last().map_or(1, |(last, _)| last + 1);
        self.record(Change::PutNotice(id, notice.to_owned()));
    }

    /// The notices to send, oldest first, each with its id for [`Day::sent`].
    pub fn notices(&self) -> Vec<(u64, String)> {
        self.stored.notices.clone()
    }

    /// The notices `ids` were handed to the queue.
    pub fn sent(&mut self, ids: &[u64]) {
        for id in ids {
            if self.stored.notices.iter().any(|(kept, _)| kept == id) {
                self.record(Change::DropNotice(*id));
            }
        }
    }

    /// A submit gives up its hold (see `attached`).
    pub fn abandon(&mut self, no: &BookingNo, now: i64) {
        let Some(n) = self.attached.get_mut(no) else {
            return;
        };
        if *n > 1 {
            *n -= 1;
            return;
        }
        self.attached.remove(no);
        if self.stored.places.get(no).is_some_and(|p| !p.confirmed) {
            self.free(no, now);
        }
    }

    /// Frees the number's place, held or confirmed (a cancel, reconciliation), for the
    /// waitlist first.
    pub fn release(&mut self, no: &BookingNo, now: i64) {
        self.attached.remove(no);
        self.free(no, now);
    }

    /// Gives back a confirmed place to a booking the record has and the day lost; `Full`
    /// rather than exceeding capacity.
    pub fn restore(
        &mut self,
        period: &PeriodId,
        no: &BookingNo,
        applicant: &ApplicantId,
        now: i64,
    ) -> HoldOutcome {
        let Some(p) = self.stored.periods.get(period).cloned() else {
            return HoldOutcome::Closed;
        };
        if !self.stored.places.contains_key(no) {
            if self.is_full(&p) {
                return HoldOutcome::Full;
            }
            self.record(Change::PutPlace(
                no.clone(),
                Place {
                    period: period.clone(),
                    applicant: applicant.clone(),
                    confirmed: true,
                    expires_at_ms: None,
                    created_at_ms: now,
                },
            ));
        }
        HoldOutcome::Held {
            start: p.start,
            end: p.end,
            lapses_at_ms: None,
        }
    }

    /// Replaces the day's periods; refused, changing nothing, when a capacity would fall below
    /// the places taken (a period dropped counts as capacity 0).
    pub fn publish(&mut self, periods: &[PublishedPeriod], now: i64) -> Publish {
        for id in self.stored.periods.keys() {
            let taken = self.stored.taken(id);
            let cap = periods
                .iter()
                .find(|p| &p.period_id == id)
                .map_or(0, |p| p.capacity);
            if cap < taken {
                return Publish::BelowTaken {
                    period_id: id.clone(),
                    taken,
                };
            }
        }
        let dropped: Vec<PeriodId> = self
            .stored
            .periods
            .keys()
            .filter(|id| !periods.iter().any(|p| &p.period_id == *id))
            .cloned()
            .collect();
        for id in dropped {
            self.record(Change::DropPeriod(id));
        }
        for p in periods {
            if self.stored.periods.get(&p.period_id) != Some(p) {
                self.record(Change::PutPeriod(p.clone()));
            }
        }
        self.record(Change::ScheduleChecked(now));
        if self.stored.waitlist_closed && !periods.is_empty() {
            self.record(Change::WaitlistClosed(false));
        }
        self.serve_all(now);
        self.lapse_entries(now);
        Publish::Published
    }

    pub fn periods(&self, now: i64) -> Vec<PeriodInventory> {
        let mut out: Vec<PeriodInventory> = self
            .stored
            .periods
            .values()
            .map(|p| {
                let mine = || {
                    self.stored
                        .places
                        .values()
                        .filter(|t| t.period == p.period_id)
                };
                PeriodInventory {
                    period_id: p.period_id.clone(),
                    start: p.start,
                    end: p.end,
                    capacity: p.capacity,
                    taken: mine().count() as u32,
                    holds: mine().filter(|t| !t.confirmed).count() as u32,
                    waiting: self.waiting_in(&p.period_id, now),
                }
            })
            .collect();
        out.sort_by(|a, b| (a.start, &a.period_id).cmp(&(b.start, &b.period_id)));
        out
    }

    pub fn taken(&self) -> Vec<Taken> {
        self.stored
            .places
            .iter()
            .map(|(no, p)| Taken {
                booking_no: no.clone(),
                period_id: p.period.clone(),
                confirmed: p.confirmed,
                expires_at: p.expires_at_ms.map(from_unix_millis),
            })
            .collect()
    }

    /// When the day's alarm must fire: when the earliest hold lapses, or a waiting entry may,
    /// or at once (`now`) while the record has entries to be told of, or shortly
    /// ([`NOTICE_BATCH_MS`]) while there are notices to send.
    pub fn next_wake(&self, now: i64) -> Option<i64> {
        let holds = self
            .stored
            .places
            .values()
            .filter_map(|p| p.expires_at_ms.filter(|_| !p.confirmed))
            .min();
        let outbox = self.has_outbox().then_some(now);
        let notices = (!self.stored.notices.is_empty()).then_some(now + NOTICE_BATCH_MS);
        [holds, self.next_entry_lapse(), outbox, notices]
            .into_iter()
            .flatten()
            .min()
    }

    /// The unconfirmed holds lapsed at `now`, for the caller to look up in the record and
    /// [`Day::settle`]. Also forgets refusals past [`REFUSAL_MEMORY_MS`].
    pub fn lapsed(&mut self, now: i64) -> Vec<(BookingNo, PeriodId)> {
        self.refused.forget_older(now);
        self.stored
            .places
            .iter()
            .filter(|(_, p)| Self::is_lapsed(p, now))
            .map(|(no, p)| (no.clone(), p.period.clone()))
            .collect()
    }

    /// A served entry's place has no lapse ([`super::waitlist`]).
    fn is_lapsed(p: &Place, now: i64) -> bool {
        !p.confirmed && p.expires_at_ms.is_some_and(|at| at <= now)
    }

    /// Settles a lapsed hold: confirmed if the record has its booking for this place (its
    /// confirmation was lost), keeping `notice` to tell its booker, freed otherwise. Only if it
    /// is still lapsed: a submit of the number may have joined (and renewed) it, or confirmed
    /// it, while the record was being asked. `true` when it was settled.
    pub fn settle(
        &mut self,
        no: &BookingNo,
        booked_here: bool,
        notice: Option<&str>,
        now: i64,
    ) -> bool {
        if !self
            .stored
            .places
            .get(no)
            .is_some_and(|p| Self::is_lapsed(p, now))
        {
            return false;
        }
        if booked_here {
            self.confirm_and_tell(no, notice);
        } else {
            self.attached.remove(no);
            self.free(no, now);
        }
        true
    }

    /// Switches the waiting room on (keeping a drawn queue's positions when only the config
    /// changes) or off, emptying its queue. `seed` is used only when a new room opens.
    pub fn set_admission(&mut self, config: Option<&AdmissionConfig>, seed: [u8; 32]) {
        match (config, self.stored.room.clone()) {
            (None, None) => {}
            (None, Some(_)) => self.record(Change::DropRoom),
            (Some(c), Some(room)) => self.record(Change::PutRoom(Room { config: *c, ..room })),
            (Some(c), None) => self.record(Change::PutRoom(Room {
                config: *c,
                drawn: false,
                seed,
            })),
        }
    }

    /// Where `user` stands at `at_ms`, drawing the lottery first if its time has come.
    pub fn admission_status(&mut self, user: &UserId, at_ms: i64) -> AdmissionStatus {
        let Some(room) = self.stored.room.clone() else {
            return AdmissionStatus::Off;
        };
        if admission::needs_draw(&room.config, room.drawn, at_ms) {
            let mut waiting: Vec<(i64, UserId)> = self
                .stored
                .queue
                .iter()
                .filter(|(_, q)| q.position.is_none())
                .map(|(u, q)| (q.joined_at_ms, u.clone()))
                .collect();
            waiting.sort();
            admission::draw(&mut waiting, room.seed);
            for (i, (joined_at_ms, user)) in waiting.into_iter().enumerate() {
                self.record(Change::PutQueued(
                    user,
                    Queued {
                        joined_at_ms,
                        position: Some(i as u64 + 1),
                    },
                ));
            }
            self.record(Change::PutRoom(Room {
                drawn: true,
                ..room
            }));
        }
        match self.stored.queue.get(user) {
            None => AdmissionStatus::NotJoined,
            Some(q) => room.config.status(q.position, at_ms),
        }
    }

    /// Joins `user` to the waiting room if absent (or again at the end, once their admission
    /// expired).
    pub fn join_admission(&mut self, user: &UserId, at_ms: i64) -> AdmissionStatus {
        let status = self.admission_status(user, at_ms);
        let Some(room) = &self.stored.room else {
            return status;
        };
        let last = self
            .stored
            .queue
            .values()
            .filter_map(|q| q.position)
            .max()
            .unwrap_or(0);
        match admission::join(&status, room.drawn, last) {
            Join::Keep => status,
            Join::Enter { position } => {
                self.record(Change::PutQueued(
                    user.clone(),
                    Queued {
                        joined_at_ms: at_ms,
                        position,
                    },
                ));
                self.admission_status(user, at_ms)
            }
        }
    }

    pub fn admission_summary(&self) -> Option<AdmissionSummary> {
        self.stored.room.as_ref().map(|room| AdmissionSummary {
            config: room.config,
            joined: self.stored.queue.len() as u64,
            drawn: room.drawn,
        })
    }
}
