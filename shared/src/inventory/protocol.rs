//! The messages between a function's isolate and the inventory object of a (office, date), typed
//! on both sides: the client in the adapter serializes a [`Message`], the object deserializes it
//! and answers with what [`Day::handle`] returns.

use super::admission::{AdmissionConfig, AdmissionStatus};
use super::day::{Day, Hold, HoldAnswer};
use super::model::{AdmissionSummary, PeriodInventory, Publish, PublishedPeriod, Taken};
use super::waitlist::{JoinEntry, Joined, Pending, Settled};
use crate::domain::{ApplicantId, BookingNo, OfficeId, PeriodId, UserId, WaitlistId};
use crate::error::{ApiError, ApiResult};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A request to the object named for (`office`, `date`): every message names its day, so the
/// object can load that day's schedule the first time it is used and ask D1 about its holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub office: OfficeId,
    pub date: NaiveDate,
    #[serde(flatten)]
    pub request: Request,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Hold(Hold),
    Confirm {
        booking_no: BookingNo,
    },
    Abandon {
        booking_no: BookingNo,
    },
    Release {
        booking_no: BookingNo,
    },
    /// Frees the number's hold only if it is still unconfirmed and lapsed.
    ReleaseLapsed {
        booking_no: BookingNo,
    },
    Restore {
        period: PeriodId,
        booking_no: BookingNo,
        applicant: ApplicantId,
    },
    Publish {
        periods: Vec<PublishedPeriod>,
    },
    SetAdmission {
        config: Option<AdmissionConfig>,
    },
    Admission {
        user: UserId,
        at_ms: i64,
        join: bool,
    },
    AdmissionSummary,
    Periods,
    Taken,
    JoinWaitlist(JoinEntry),
    /// Drops the entry, freeing a place taken for it and not yet confirmed.
    LeaveWaitlist {
        id: WaitlistId,
    },
    /// Where each of these entries stands (`None`: not waiting there).
    Positions {
        ids: Vec<WaitlistId>,
    },
    /// Lapses the waiting entries that can no longer be booked, then lists what the record
    /// must be told.
    Outbox,
    SettleEntry {
        id: WaitlistId,
        settled: Settled,
    },
    /// The day is being closed: its waitlist lapses and takes nobody new.
    CloseWaitlist,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Hold(HoldAnswer),
    /// To `confirm`: whether the number holds a (now confirmed) place.
    Confirmed(bool),
    /// To `release_lapsed`: whether a lapsed hold was freed.
    Released(bool),
    Done,
    Published(Publish),
    Admission(AdmissionStatus),
    Summary(Option<AdmissionSummary>),
    Periods(Vec<PeriodInventory>),
    Taken(Vec<Taken>),
    Joined(Joined),
    Positions(Vec<Option<u64>>),
    Outbox(Vec<Pending>),
}

impl Request {
    /// Whether answering needs the day's periods: the caller loads the published schedule
    /// first when [`Day::wants_schedule`].
    pub fn reads_periods(&self) -> bool {
        matches!(
            self,
            Request::Hold(_)
                | Request::Restore { .. }
                | Request::Periods
                | Request::Taken
                | Request::JoinWaitlist(_)
        )
    }
}

impl Request {
    /// Whether answering may move when the day's alarm must fire ([`Day::next_wake`]): a place
    /// freed (and served to the waitlist), an entry joined or settled. A hold that took a place
    /// moves it too; the caller knows that from the answer.
    pub fn wakes(&self) -> bool {
        matches!(
            self,
            Request::Abandon { .. }
                | Request::Release { .. }
                | Request::ReleaseLapsed { .. }
                | Request::Publish { .. }
                | Request::JoinWaitlist(_)
                | Request::LeaveWaitlist { .. }
                | Request::SettleEntry { .. }
                | Request::CloseWaitlist
        )
    }
}

/// The object's name: one per (office, date).
pub fn object_name(office: &OfficeId, date: NaiveDate) -> String {
    format!("{office}/{date}")
}

impl Day {
    /// Answers one message at `now` (unix ms). `seed` gives the lottery seed of a waiting room
    /// opened by this message.
    pub fn handle(&mut self, msg: &Message, now: i64, seed: impl FnOnce() -> [u8; 32]) -> Answer {
        self.name(&msg.office, msg.date);
        match &msg.request {
            Request::Hold(h) => Answer::Hold(self.hold(h, now)),
            Request::Confirm { booking_no } => Answer::Confirmed(self.confirm(booking_no)),
            Request::Abandon { booking_no } => {
                self.abandon(booking_no, now);
                Answer::Done
            }
            Request::Release { booking_no } => {
                self.release(booking_no, now);
                Answer::Done
            }
            Request::ReleaseLapsed { booking_no } => {
                Answer::Released(self.settle(booking_no, false, now))
            }
            Request::Restore {
                period,
                booking_no,
                applicant,
            } => Answer::Hold(HoldAnswer {
                outcome: self.restore(period, booking_no, applicant, now),
                holders: None,
            }),
            Request::Publish { periods } => Answer::Published(self.publish(periods, now)),
            Request::SetAdmission { config } => {
                let opens = config.is_some() && self.stored().room.is_none();
                self.set_admission(config.as_ref(), if opens { seed() } else { [0; 32] });
                Answer::Done
            }
            Request::Admission { user, at_ms, join } => Answer::Admission(if *join {
                self.join_admission(user, *at_ms)
            } else {
                self.admission_status(user, *at_ms)
            }),
            Request::AdmissionSummary => Answer::Summary(self.admission_summary()),
            Request::Periods => Answer::Periods(self.periods(now)),
            Request::Taken => Answer::Taken(self.taken()),
            Request::JoinWaitlist(j) => Answer::Joined(self.join_waitlist(j, now)),
            Request::LeaveWaitlist { id } => {
                self.leave_waitlist(id, now);
                Answer::Done
            }
            Request::Positions { ids } => {
                Answer::Positions(ids.iter().map(|id| self.position(id, now)).collect())
            }
            Request::Outbox => {
                self.lapse_entries(now);
                Answer::Outbox(self.outbox())
            }
            Request::SettleEntry { id, settled } => {
                self.settle_entry(id, *settled, now);
                Answer::Done
            }
            Request::CloseWaitlist => {
                self.close_waitlist();
                Answer::Done
            }
        }
    }
}

/// Each answer read as the one its request expects: another is a broken object, `500`.
macro_rules! expect_answer {
    ($($name:ident: $variant:ident($ty:ty)),* $(,)?) => {
        impl Answer {
            $(pub fn $name(self) -> ApiResult<$ty> {
                match self {
                    Answer::$variant(v) => Ok(v),
                    _ => Err(ApiError::internal()),
                }
            })*

            pub fn done(self) -> ApiResult<()> {
                match self {
                    Answer::Done => Ok(()),
                    _ => Err(ApiError::internal()),
                }
            }
        }
    };
}

expect_answer!(
    hold: Hold(HoldAnswer),
    confirmed: Confirmed(bool),
    released: Released(bool),
    published: Published(Publish),
    admission: Admission(AdmissionStatus),
    summary: Summary(Option<AdmissionSummary>),
    periods: Periods(Vec<PeriodInventory>),
    taken: Taken(Vec<Taken>),
    joined: Joined(Joined),
    positions: Positions(Vec<Option<u64>>),
    outbox: Outbox(Vec<Pending>),
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::HoldOutcome;
    use chrono::NaiveTime;

    fn msg(request: Request) -> Message {
        Message {
            office: OfficeId::parse("sz-futian").unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            request,
        }
    }

    #[test]
    fn messages_and_answers_cross_as_json_and_come_back_the_same() {
        let no = BookingNo::from_entropy([7; 7]);
        let hold = Request::Hold(Hold {
            period: PeriodId::parse("am-1").unwrap(),
            booking_no: no.clone(),
            applicant: ApplicantId::parse("ap1").unwrap(),
            ttl_seconds: 60,
            user: UserId::parse("u1").unwrap(),
            at_ms: 1_000,
        });
        for m in [
            msg(hold),
            msg(Request::ReleaseLapsed {
                booking_no: no.clone(),
            }),
            msg(Request::Taken),
        ] {
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), m, "{json}");
        }
        let answer = Answer::Hold(HoldAnswer {
            outcome: HoldOutcome::Held {
                start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                lapses_at_ms: Some(61_000),
            },
            holders: Some(vec![no]),
        });
        let json = serde_json::to_string(&answer).unwrap();
        assert_eq!(serde_json::from_str::<Answer>(&json).unwrap(), answer);
        let refused = Answer::Hold(HoldAnswer {
            outcome: HoldOutcome::NotAdmitted {
                admission: crate::inventory::admission::AdmissionStatus::NotJoined,
            },
            holders: None,
        });
        let json = serde_json::to_string(&refused).unwrap();
        assert_eq!(serde_json::from_str::<Answer>(&json).unwrap(), refused);
    }

    #[test]
    fn a_bad_id_in_a_message_is_refused_where_it_is_read() {
        let bad = r#"{"office":"SZ","date":"2026-11-25","op":"taken"}"#;
        assert!(serde_json::from_str::<Message>(bad).is_err());
        assert!(Answer::Done.confirmed().is_err());
    }
}
