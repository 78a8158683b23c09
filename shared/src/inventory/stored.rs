//! What a day's storage holds, and the changes a decision makes to it. The object's SQLite has
//! one table per map here and applies each [`Change`] as one statement; the in-memory store and
//! the simulation apply them with [`Stored::apply`]. A [`super::Day`] rebuilt from a `Stored` is
//! the day after a restart: whatever is not here is, by design, forgotten when the object is
//! evicted.

use super::admission::AdmissionConfig;
use super::model::PublishedPeriod;
use super::waitlist::Entry;
use crate::domain::{ApplicantId, BookingNo, OfficeId, PeriodId, UserId, WaitlistId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A place taken in a period: held while a submit writes its booking, confirmed once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub period: PeriodId,
    pub applicant: ApplicantId,
    pub confirmed: bool,
    /// When an unconfirmed hold lapses (unix ms); `None` once confirmed.
    pub expires_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

/// The waiting room's settings. The lottery's seed is chosen when the room is set up, kept
/// inside the object and never shown: nobody can know the order before the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub config: AdmissionConfig,
    pub drawn: bool,
    pub seed: [u8; 32],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub joined_at_ms: i64,
    /// Known once the lottery is drawn (or at once for whoever joins after it).
    pub position: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// Which (office, date) this is, learnt from the first message, for asking D1 about it.
    pub day: Option<(OfficeId, NaiveDate)>,
    /// When D1 was last asked for the schedule of a day that had none.
    pub schedule_checked_at_ms: Option<i64>,
    pub periods: BTreeMap<PeriodId, PublishedPeriod>,
    pub places: BTreeMap<BookingNo, Place>,
    pub room: Option<Room>,
    pub queue: BTreeMap<UserId, Queued>,
    pub waitlist: BTreeMap<WaitlistId, Entry>,
    /// The arrival number the next waitlist entry gets: above every entry's.
    pub next_seq: u64,
    /// The day is being closed: nobody joins its waitlist, which has lapsed.
    pub waitlist_closed: bool,
    /// Messages to send once the decisions behind them are committed (a booking's confirmation:
    /// [`super::Day::confirm_and_tell`]), with their ids, oldest first; opaque here (a notice's
    /// JSON). A few at a time: the alarm sends them within half a second.
    pub notices: Vec<(u64, String)>,
}

/// One write to a day's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Named(OfficeId, NaiveDate),
    ScheduleChecked(i64),
    PutPeriod(PublishedPeriod),
    DropPeriod(PeriodId),
    PutPlace(BookingNo, Place),
    DropPlace(BookingNo),
    PutRoom(Room),
    /// The room and its whole queue.
    DropRoom,
    PutQueued(UserId, Queued),
    PutEntry(WaitlistId, Entry),
    DropEntry(WaitlistId),
    WaitlistClosed(bool),
    PutNotice(u64, String),
    DropNotice(u64),
}

impl Stored {
    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::Named(office, date) => self.day = Some((office.clone(), *date)),
            Change::ScheduleChecked(at) => self.schedule_checked_at_ms = Some(*at),
            Change::PutPeriod(p) => {
                self.periods.insert(p.period_id.clone(), p.clone());
            }
            Change::DropPeriod(id) => {
                self.periods.remove(id);
            }
            Change::PutPlace(no, place) => {
                self.places.insert(no.clone(), place.clone());
            }
            Change::DropPlace(no) => {
                self.places.remove(no);
            }
            Change::PutRoom(room) => self.room = Some(room.clone()),
            Change::DropRoom => {
                self.room = None;
                self.queue.clear();
            }
            Change::PutQueued(user, q) => {
                self.queue.insert(user.clone(), *q);
            }
            Change::PutEntry(id, entry) => {
                self.next_seq = self
                    .next_seq
                    .max(super::waitlist::arrival_of(entry.seq) + 1);
                self.waitlist.insert(id.clone(), entry.clone());
            }
            Change::DropEntry(id) => {
                self.waitlist.remove(id);
            }
            Change::WaitlistClosed(closed) => self.waitlist_closed = *closed,
            Change::PutNotice(id, notice) => self.notices.push((*id, notice.clone())),
            Change::DropNotice(id) => self.notices.retain(|(kept, _)| kept != id),
        }
    }

    /// Places taken (held or confirmed) in `period`.
    pub fn taken(&self, period: &PeriodId) -> u32 {
        self.places.values().filter(|p| &p.period == period).count() as u32
    }
}
