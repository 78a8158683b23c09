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
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// A request to the object named for (`office`, `date`): every message names its day, so the
/// object can load that day's schedule the first time it is used and ask D1 about its holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub office: OfficeId,
    #[serde(with = "crate::time::ymd")]
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
        /// What to tell the booker once the place is confirmed ([`Day::confirm_and_tell`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice: Option<String>,
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
    /// freed (and served to the waitlist), an entry joined or settled, a notice to send. A hold
    /// that took a place moves it too; the caller knows that from the answer.
    pub fn wakes(&self) -> bool {
        matches!(
            self,
            Request::Confirm {
                notice: Some(_),
                ..
            } | Request::Abandon { .. }
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
            Request::Confirm { booking_no, notice } => {
                Answer::Confirmed(self.confirm_and_tell(booking_no, notice.as_deref()))
            }
            Request::Abandon { booking_no } => {
                self.abandon(booking_no, now);
                Answer::Done
            }
            Request::Release { booking_no } => {
                self.release(booking_no, now);
                Answer::Done
            }
            Request::ReleaseLapsed { booking_no } => {
                Answer::Released(self.settle(booking_no, false, None, now))
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

/// An object's answer as the asker has it: built (a day answering in the same isolate, and the
/// in-memory store) or the JSON text of one (from a Durable Object). It is read as the answer
/// its request expects ([`Answered::hold`], …), and JSON is decoded as that one variant only, so
/// a function links the decoding of the answers it asks for and no other (the whole [`Answer`]
/// decoding was 36 KB of every function that asks the inventory).
#[derive(Debug, Clone, PartialEq)]
pub enum Answered {
    Built(Answer),
    Json(String),
}

/// `{"<name>": T}`, the JSON of the `Answer` variant `name`; another variant is a broken object.
fn variant<T: DeserializeOwned>(json: &str, name: &str) -> ApiResult<T> {
    serde_json::from_str(variant_text(json, name)?).map_err(|_| ApiError::internal())
}

/// The JSON text of `T` in `{"<name>": T}`: found once for every `T`, so each answer type adds
/// only its own decoding.
fn variant_text<'a>(json: &'a str, name: &str) -> ApiResult<&'a str> {
    let one: BTreeMap<&str, &RawValue> =
        serde_json::from_str(json).map_err(|_| ApiError::internal())?;
    match (one.len(), one.get(name)) {
        (1, Some(v)) => Ok(v.get()),
        _ => Err(ApiError::internal()),
    }
}

/// Each answer read as the one its request expects: another is a broken object, `500`. A
/// method's name is its variant's name on the wire (`rename_all = "snake_case"`).
macro_rules! expect_answer {
    ($($name:ident: $variant:ident($ty:ty)),* $(,)?) => {
        impl Answered {
            $(pub fn $name(self) -> ApiResult<$ty> {
                match self {
                    Answered::Built(Answer::$variant(v)) => Ok(v),
                    Answered::Built(_) => Err(ApiError::internal()),
                    Answered::Json(json) => variant(&json, stringify!($name)),
                }
            })*

            pub fn done(self) -> ApiResult<()> {
                match self {
                    Answered::Built(Answer::Done) => Ok(()),
                    Answered::Json(json) if json.trim() == "\"done\"" => Ok(()),
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
        assert!(Answered::Built(Answer::Done).confirmed().is_err());
    }

    /// Every answer read from its JSON as its request expects is the answer built; read as
    /// another, it is refused.
    #[test]
    fn answers_decode_from_json_as_the_variant_expected_only() {
        let no = BookingNo::from_entropy([3; 7]);
        let hold = Answer::Hold(HoldAnswer {
            outcome: HoldOutcome::Full,
            holders: Some(vec![no]),
        });
        let json = |a: &Answer| Answered::Json(serde_json::to_string(a).unwrap());
        assert_eq!(
            json(&hold).hold().unwrap(),
            Answered::Built(hold.clone()).hold().unwrap()
        );
        assert!(json(&hold).confirmed().is_err());
        assert!(json(&hold).done().is_err());
        assert!(json(&Answer::Confirmed(true)).confirmed().unwrap());
        assert!(!json(&Answer::Released(false)).released().unwrap());
        assert!(json(&Answer::Confirmed(true)).released().is_err());
        json(&Answer::Done).done().unwrap();
        assert!(json(&Answer::Done).hold().is_err());
        assert_eq!(
            json(&Answer::Positions(vec![Some(1), None]))
                .positions()
                .unwrap(),
            vec![Some(1), None]
        );
        assert_eq!(json(&Answer::Summary(None)).summary().unwrap(), None);
        assert!(Answered::Json("{}".into()).outbox().is_err());
        assert!(Answered::Json(r#"{"outbox":[],"taken":[]}"#.into())
            .outbox()
            .is_err());
        assert!(Answered::Json("not json".into()).done().is_err());
    }
}
