//! The waitlist (候补) of a (office, date), beside its places: whoever asked for a full period
//! gets a place freed in it before any new submit, earliest first. The decisions are [`Day`]'s,
//! made in the step that frees the place (see [`Day::free`]), so no submit can come between a
//! place freed and the entry it goes to, and no place goes to two entries.
//!
//! A served entry holds its place unconfirmed while its booking is written to the record; it
//! then waits in the day's *outbox* ([`Day::outbox`]) until the record has answered, and is
//! settled by [`Day::settle_entry`]. Its place does not lapse like a submit's hold: nothing but
//! the record's answer (or the entry's removal) frees it, so the write can be retried however
//! long the record is away. An entry none of whose periods can still be booked lapses
//! ([`Day::lapse_entries`]) and waits in the outbox too, until the record knows.

use super::admission::AdmissionStatus;
use super::day::Day;
use super::model::PublishedPeriod;
use super::stored::{Change, Place};
use crate::domain::{ApplicantId, BookingNo, PeriodId, UserId, WaitlistId};
use serde::{Deserialize, Serialize};

/// A period an entry waits for, and the instant (unix ms) after which it can no longer be
/// booked ([`crate::rules::window::bookable_until`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wanted {
    pub period: PeriodId,
    pub until_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EntryState {
    Waiting,
    /// A place in `period` is taken for the entry; its booking is being written.
    Served {
        period: PeriodId,
    },
    /// None of its periods can be booked any more; the record is being told.
    Lapsed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's place in the day's order, the lower served first: [`order_key`] of its
    /// lottery rank and its arrival.
    pub seq: u64,
    pub applicant: ApplicantId,
    /// The number its booking gets when it is served.
    pub booking_no: BookingNo,
    pub wanted: Vec<Wanted>,
    pub state: EntryState,
}

const ARRIVAL_BITS: u32 = 24;
const RANK_LIMIT: u64 = (1 << 29) - 1;

/// The order of the day's entries. With the waiting room on, an entry is ordered by its
/// holder's lottery rank first and only then by when it arrived, so joining the waitlist
/// quickly earns nothing the lottery did not give (the room admits whole batches, and within one
/// the fastest script would otherwise go first); without it (rank 0), by arrival. Packed in one
/// integer that stays exact as the object's f64 column (29 + 24 bits).
pub fn order_key(rank: u64, arrival: u64) -> u64 {
    (rank.min(RANK_LIMIT) << ARRIVAL_BITS) | arrival.min((1 << ARRIVAL_BITS) - 1)
}

/// The arrival part of an [`order_key`]: what the day's arrival counter continues from.
pub fn arrival_of(seq: u64) -> u64 {
    seq & ((1 << ARRIVAL_BITS) - 1)
}

/// `POST /v1/waitlist` as the day is asked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinEntry {
    pub id: WaitlistId,
    pub applicant: ApplicantId,
    pub booking_no: BookingNo,
    pub wanted: Vec<Wanted>,
    /// Who joins, and when (unix ms): what the day's waiting room, if on, judges.
    pub user: UserId,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Joined {
    /// In the queue (newly, or already under this id), `position` 1 being served next.
    Waiting {
        position: u64,
    },
    /// Under this id, served or lapsed already.
    Settling,
    /// A named period has a place: book it instead.
    PlacesAvailable {
        period: PeriodId,
    },
    /// A named period is not published that day, or none can still be booked.
    Closed,
    NotAdmitted {
        admission: AdmissionStatus,
    },
}

/// What the record must be told of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub id: WaitlistId,
    pub booking_no: BookingNo,
    pub applicant: ApplicantId,
    pub state: EntryState,
    /// The period a served entry's place is in, as published.
    pub period: Option<PublishedPeriod>,
}

/// What the record answered for a [`Pending`] entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Settled {
    /// The served entry's booking is in the record: its place is confirmed.
    Booked,
    /// The record refused the served entry's booking (the applicant booked elsewhere meanwhile,
    /// left the waitlist, is banned): its place goes to the next entry.
    Refused,
    /// The record knows the entry lapsed.
    Recorded,
}

impl Entry {
    fn wants(&self, period: &PeriodId, now: i64) -> bool {
        self.wanted
            .iter()
            .any(|w| &w.period == period && w.until_ms > now)
    }
}

impl Day {
    pub fn join_waitlist(&mut self, j: &JoinEntry, now: i64) -> Joined {
        if let Some(e) = self.stored().waitlist.get(&j.id) {
            return match e.state {
                EntryState::Waiting => Joined::Waiting {
                    position: self.position(&j.id, now).unwrap_or(1),
                },
                _ => Joined::Settling,
            };
        }
        // The number was served already (its entry settled and forgotten here): it never
        // waits again, or a place could sit free while it waits in vain.
        if self.stored().places.contains_key(&j.booking_no) {
            return Joined::Settling;
        }
        if self.stored().waitlist_closed {
            return Joined::Closed;
        }
        let mut open = false;
        for w in &j.wanted {
            let Some(period) = self.stored().periods.get(&w.period) else {
                return Joined::Closed;
            };
            if self.stored().taken(&w.period) < period.capacity {
                return Joined::PlacesAvailable {
                    period: w.period.clone(),
                };
            }
            open |= w.until_ms > now;
        }
        if !open || j.wanted.is_empty() {
            return Joined::Closed;
        }
        let rank = match self.admission_status(&j.user, j.at_ms) {
            AdmissionStatus::Off => 0,
            AdmissionStatus::Admitted { position, .. } => position,
            admission => return Joined::NotAdmitted { admission },
        };
        let seq = order_key(rank, self.stored().next_seq);
        self.record(Change::PutEntry(
            j.id.clone(),
            Entry {
                seq,
                applicant: j.applicant.clone(),
                booking_no: j.booking_no.clone(),
                wanted: j.wanted.clone(),
                state: EntryState::Waiting,
            },
        ));
        Joined::Waiting {
            position: self.position(&j.id, now).unwrap_or(1),
        }
    }

    /// Where a waiting entry stands: for each period it can still be booked in, one more than
    /// the waiting entries ahead of it there, and the best of those. `None` when it is not
    /// waiting (served, lapsed, unknown).
    pub fn position(&self, id: &WaitlistId, now: i64) -> Option<u64> {
        let me = self.stored().waitlist.get(id)?;
        if me.state != EntryState::Waiting {
            return None;
        }
        me.wanted
            .iter()
            .filter(|w| w.until_ms > now && self.stored().periods.contains_key(&w.period))
            .map(|w| {
                let ahead = self
                    .stored()
                    .waitlist
                    .values()
                    .filter(|e| {
                        e.seq < me.seq && e.state == EntryState::Waiting && e.wants(&w.period, now)
                    })
                    .count();
                ahead as u64 + 1
            })
            .min()
    }

    /// Waiting entries that can still be served in `period`.
    pub fn waiting_in(&self, period: &PeriodId, now: i64) -> u32 {
        self.stored()
            .waitlist
            .values()
            .filter(|e| e.state == EntryState::Waiting && e.wants(period, now))
            .count() as u32
    }

    /// Frees a place and gives it (and any other free place of its period) to the earliest
    /// waiting entries: every path that frees a place comes here.
    pub(super) fn free(&mut self, no: &BookingNo, now: i64) {
        let Some(place) = self.stored().places.get(no).cloned() else {
            return;
        };
        self.record(Change::DropPlace(no.clone()));
        self.serve(&place.period, now);
    }

    /// Gives each free place of `period` to the earliest waiting entry that can still be
    /// booked in it.
    pub(super) fn serve(&mut self, period: &PeriodId, now: i64) {
        let Some(capacity) = self.stored().periods.get(period).map(|p| p.capacity) else {
            return;
        };
        while self.stored().taken(period) < capacity {
            let next = self
                .stored()
                .waitlist
                .iter()
                .filter(|(_, e)| e.state == EntryState::Waiting && e.wants(period, now))
                .min_by_key(|(_, e)| e.seq)
                .map(|(id, e)| (id.clone(), e.clone()));
            let Some((id, mut entry)) = next else {
                return;
            };
            self.record(Change::PutPlace(
                entry.booking_no.clone(),
                Place {
                    period: period.clone(),
                    applicant: entry.applicant.clone(),
                    confirmed: false,
                    expires_at_ms: None,
                    created_at_ms: now,
                },
            ));
            entry.state = EntryState::Served {
                period: period.clone(),
            };
            self.record(Change::PutEntry(id, entry));
        }
    }

    /// Serves every period (after capacity was raised).
    pub(super) fn serve_all(&mut self, now: i64) {
        let periods: Vec<PeriodId> = self.stored().periods.keys().cloned().collect();
        for p in periods {
            self.serve(&p, now);
        }
    }

    /// The entry leaves (`DELETE /v1/waitlist/{id}`, after the record marked it left): a place
    /// taken for it and not yet confirmed goes to the next entry.
    pub fn leave_waitlist(&mut self, id: &WaitlistId, now: i64) {
        let Some(entry) = self.stored().waitlist.get(id).cloned() else {
            return;
        };
        self.record(Change::DropEntry(id.clone()));
        if let EntryState::Served { .. } = entry.state {
            if self
                .stored()
                .places
                .get(&entry.booking_no)
                .is_some_and(|p| !p.confirmed)
            {
                self.free(&entry.booking_no, now);
            }
        }
    }

    /// The office closes the day: every waiting entry lapses, and none joins until a schedule
    /// with periods is published again. Before the day's places are freed, so none is served.
    pub fn close_waitlist(&mut self) {
        if !self.stored().waitlist_closed {
            self.record(Change::WaitlistClosed(true));
        }
        self.lapse_entries(i64::MAX);
    }

    /// Waiting entries none of whose periods can still be booked at `now` become lapsed.
    pub fn lapse_entries(&mut self, now: i64) {
        let lapsed: Vec<(WaitlistId, Entry)> =
            self.stored()
                .waitlist
                .iter()
                .filter(|(_, e)| {
                    e.state == EntryState::Waiting
                        && !e.wanted.iter().any(|w| {
                            w.until_ms > now && self.stored().periods.contains_key(&w.period)
                        })
                })
                .map(|(id, e)| (id.clone(), e.clone()))
                .collect();
        for (id, mut entry) in lapsed {
            entry.state = EntryState::Lapsed;
            self.record(Change::PutEntry(id, entry));
        }
    }

    /// When the earliest waiting entry may lapse: the last instant any of its periods can be
    /// booked.
    pub fn next_entry_lapse(&self) -> Option<i64> {
        self.stored()
            .waitlist
            .values()
            .filter(|e| e.state == EntryState::Waiting)
            .filter_map(|e| e.wanted.iter().map(|w| w.until_ms).max())
            .min()
    }

    /// Whether the record has entries to be told of (served, or lapsed).
    pub(super) fn has_outbox(&self) -> bool {
        self.stored()
            .waitlist
            .values()
            .any(|e| e.state != EntryState::Waiting)
    }

    /// Whether the record must be asked now: entries to be told of, or waiting entries whose
    /// lapse is due (the outbox lapses them first).
    pub fn waitlist_due(&self, now: i64) -> bool {
        self.has_outbox() || self.next_entry_lapse().is_some_and(|at| at <= now)
    }

    /// The entries served or lapsed that the record has not yet answered for, in join order.
    pub fn outbox(&self) -> Vec<Pending> {
        let mut out: Vec<(u64, Pending)> = self
            .stored()
            .waitlist
            .iter()
            .filter(|(_, e)| e.state != EntryState::Waiting)
            .map(|(id, e)| {
                (
                    e.seq,
                    Pending {
                        id: id.clone(),
                        booking_no: e.booking_no.clone(),
                        applicant: e.applicant.clone(),
                        state: e.state.clone(),
                        period: match &e.state {
                            EntryState::Served { period } => {
                                self.stored().periods.get(period).cloned()
                            }
                            _ => None,
                        },
                    },
                )
            })
            .collect();
        out.sort_by_key(|(seq, _)| *seq);
        out.into_iter().map(|(_, p)| p).collect()
    }

    /// The record answered for an entry of the outbox. Anything else (an entry unknown, or in
    /// another state than the answer is about) changes nothing: a second answer to the same
    /// entry, after a retry, is the first one's.
    pub fn settle_entry(&mut self, id: &WaitlistId, settled: Settled, now: i64) {
        let Some(entry) = self.stored().waitlist.get(id).cloned() else {
            return;
        };
        match (&entry.state, settled) {
            (EntryState::Served { .. }, Settled::Booked) => {
                self.record(Change::DropEntry(id.clone()));
                self.confirm(&entry.booking_no);
            }
            (EntryState::Served { .. }, Settled::Refused) => {
                self.record(Change::DropEntry(id.clone()));
                self.free(&entry.booking_no, now);
            }
            (EntryState::Lapsed, Settled::Recorded) => {
                self.record(Change::DropEntry(id.clone()));
            }
            _ => {}
        }
    }
}
