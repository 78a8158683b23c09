//! Telling people what happened to their booking: confirmed, cancelled, tomorrow's reminder, the
//! application moving, ready to collect, the office closing the day. The functions that cause an
//! event put a [`Notice`] on the notifications queue; the queue consumer ([`deliver`]) finds who
//! to tell (the applicant's own accounts, and the helper who acted) and sends each a WeChat
//! subscribe message or an Alipay template message.
//!
//! A message is never sent twice for the same event: each (event, account) is claimed in D1
//! before the provider is called, and a claim that was sent, refused (no subscription left,
//! WeChat's 43101) or given up is never sent again. A transient failure (busy, rate limited,
//! unreachable) releases the claim and the queue retries the notice later with backoff; a
//! consumer that dies between calling the provider and recording the outcome leaves the claim
//! taken, so that message may be lost but is never repeated.

pub mod render;

#[cfg(test)]
mod tests;

use crate::domain::mask::mask_name;
use crate::domain::ServiceId;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::store::{
    Applicant, ApplicantId, Application, ApplicationStatus, Booking, Link, LinkStatus, Office,
    Platform, ServiceInfo, User, UserId, WaitlistEntry,
};
use crate::time::{format_hhmm, Instant};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    BookingConfirmed,
    BookingCancelled,
    Reminder,
    ProgressChanged,
    ReadyToCollect,
    DayClosed,
    /// A waitlist entry was served: its booking is made.
    WaitlistBooked,
    /// A waitlist entry can no longer be served.
    WaitlistExpired,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::BookingConfirmed => "booking_confirmed",
            NoticeKind::BookingCancelled => "booking_cancelled",
            NoticeKind::Reminder => "reminder",
            NoticeKind::ProgressChanged => "progress_changed",
            NoticeKind::ReadyToCollect => "ready_to_collect",
            NoticeKind::DayClosed => "day_closed",
            NoticeKind::WaitlistBooked => "waitlist_booked",
            NoticeKind::WaitlistExpired => "waitlist_expired",
        }
    }
}

/// One event to tell people about, as it travels on the queue. Ids only: names are looked up
/// when the message is written, and no personal data is on the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Unique per event: at most one message per (event, account).
    pub event_id: String,
    pub kind: NoticeKind,
    pub applicant_id: ApplicantId,
    /// The other account to tell: the one that acted (a helper who booked or cancelled) or, for
    /// a reminder or a closed day, the one that booked. Told only while it may act for the
    /// applicant (see [`recipients`]).
    pub actor: Option<UserId>,
    pub service: ServiceId,
    pub office_id: String,
    pub booking_no: Option<String>,
    pub application_no: Option<String>,
    pub date: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub status: Option<ApplicationStatus>,
}

impl Notice {
    /// The message telling a booking's booker (and its applicant) it is confirmed: sent with its
    /// place's confirmation, by whatever confirms it (the submit, a retry of it, or the lapse
    /// that finds the booking in the record). One event per booking, so a second is absorbed.
    pub fn booking_confirmed(b: &Booking) -> Notice {
        Notice::booking(NoticeKind::BookingConfirmed, b, Some(&b.booked_by))
    }

    /// The notice as an inventory object keeps it with a confirmation and hands it to the queue.
    pub fn to_json(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }

    /// About a booking: confirmed, cancelled, the reminder, or the day closed.
    pub fn booking(kind: NoticeKind, b: &Booking, actor: Option<&UserId>) -> Notice {
        // Nobody acted on a reminder or a closed day: whoever booked (a helper booking for a
        // parent without a phone) is the one to tell besides the applicant.
        let actor = match kind {
            NoticeKind::Reminder | NoticeKind::DayClosed => actor.or(Some(&b.booked_by)),
            _ => actor,
        };
        let what = match kind {
            NoticeKind::BookingConfirmed => "confirmed",
            NoticeKind::BookingCancelled => "cancelled",
            NoticeKind::Reminder => "reminder",
            NoticeKind::DayClosed => "day_closed",
            NoticeKind::WaitlistBooked => "waitlist_booked",
            NoticeKind::ProgressChanged
            | NoticeKind::ReadyToCollect
            | NoticeKind::WaitlistExpired => "other",
        };
        Notice {
            event_id: format!("booking.{what}:{}", b.booking_no),
            kind,
            applicant_id: b.applicant_id.clone(),
            actor: actor.cloned(),
            service: b.service,
            office_id: b.office_id.as_str().to_owned(),
            booking_no: Some(b.booking_no.as_str().to_owned()),
            application_no: None,
            date: Some(b.date.to_string()),
            start: Some(format_hhmm(b.start)),
            end: Some(format_hhmm(b.end)),
            status: None,
        }
    }

    /// About a waitlist entry that can no longer be served; the helper who joined it is told too.
    pub fn waitlist_expired(e: &WaitlistEntry) -> Notice {
        Notice {
            event_id: format!("waitlist.expired:{}", e.id),
            kind: NoticeKind::WaitlistExpired,
            applicant_id: e.applicant_id.clone(),
            actor: Some(e.joined_by.clone()),
            service: e.service,
            office_id: e.office_id.as_str().to_owned(),
            booking_no: None,
            application_no: None,
            date: Some(e.date.to_string()),
            start: None,
            end: None,
            status: None,
        }
    }

    /// About an application moving to `a.status` (ready to collect is its own message).
    pub fn progress(a: &Application) -> Notice {
        let kind = if a.status == ApplicationStatus::Ready {
            NoticeKind::ReadyToCollect
        } else {
            NoticeKind::ProgressChanged
        };
        let status = serde_json::to_value(a.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Notice {
            event_id: format!("application.{status}:{}", a.application_no),
            kind,
            applicant_id: a.applicant_id.clone(),
            actor: None,
            service: a.service,
            office_id: a.office_id.as_str().to_owned(),
            booking_no: Some(a.booking_no.as_str().to_owned()),
            application_no: Some(a.application_no.as_str().to_owned()),
            date: None,
            start: None,
            end: None,
            status: Some(a.status),
        }
    }
}

/// Where a message goes: an account and its platform's user id.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub user: UserId,
    pub platform: Platform,
    pub openid: String,
    /// What the message is written in: the account's language.
    pub lang: Lang,
}

/// What a channel reports for one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Delivered,
    /// The user has no subscription for this kind of message (WeChat 43101): recorded.
    NoSubscription,
    /// This kind of message has no template configured for the platform: nothing to send.
    NotConfigured,
    /// Busy, rate limited, unreachable: try the notice again later.
    Transient(String),
    /// Refused in a way another try will not change: recorded, given up.
    Failed(String),
}

/// Sends one rendered message (WeChat subscribe message or Alipay template message).
#[allow(async_fn_in_trait)]
pub trait Channel {
    async fn send(&self, to: &Recipient, message: &render::Message) -> Sent;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sending,
    Sent,
    NoSubscription,
    NotConfigured,
    Retry,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::NoSubscription => "no_subscription",
            DeliveryStatus::NotConfigured => "not_configured",
            DeliveryStatus::Retry => "retry",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// The record that keeps a message from being sent twice. Both take a whole queue batch: one
/// round trip to the record each.
#[allow(async_fn_in_trait)]
pub trait Deliveries {
    /// Takes each (event, account) for sending, in order and all in one transaction: true where
    /// this call took it (first time, or after a transient failure released it); false where
    /// it was sent, refused, given up, or is being (or was, by a consumer that died) sent
    /// already. On error none is taken.
    async fn claim(&self, items: &[(&Notice, &Recipient)], at: Instant) -> ApiResult<Vec<bool>>;
    /// Records the outcome of each claimed send; returns how many times each has been tried.
    async fn settle(&self, outcomes: &[Outcome<'_>], at: Instant) -> ApiResult<Vec<u32>>;
}

/// How one claimed send went.
pub struct Outcome<'a> {
    pub notice: &'a Notice,
    pub to: &'a Recipient,
    pub status: DeliveryStatus,
    pub detail: Option<String>,
}

/// What a notice's message and recipients are made of, read in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoticeFacts {
    pub service: Option<ServiceInfo>,
    pub office: Option<Office>,
    pub applicant: Option<Applicant>,
    /// The accounts bound to the applicant's identity, oldest first.
    pub bound: Vec<User>,
    /// The notice's actor (when it has one): their link to the applicant, and their account.
    pub actor_link: Option<Link>,
    pub actor: Option<User>,
}

/// The reads of a batch of notices: one round trip to the record, not one per notice and fact.
#[allow(async_fn_in_trait)]
pub trait NoticeReads {
    /// The facts of each of `notices`, in order.
    async fn notice_facts(&self, notices: &[Notice]) -> ApiResult<Vec<NoticeFacts>>;
}

/// Everyone to tell about `notice`: the applicant's own accounts and the actor, once each. An
/// actor who is not the applicant is told only while their link to the applicant is active: a
/// helper whose link was revoked hears nothing more about the principal's bookings.
pub fn recipients(notice: &Notice, facts: &NoticeFacts) -> Vec<Recipient> {
    let mut users: Vec<&User> = facts.bound.iter().collect();
    if let (Some(actor), Some(account)) = (&notice.actor, &facts.actor) {
        let linked = facts
            .actor_link
            .as_ref()
            .is_some_and(|l| l.status == LinkStatus::Active && &l.helper == actor);
        if &account.id == actor && linked && !users.iter().any(|u| &u.id == actor) {
            users.push(account);
        }
    }
    users
        .into_iter()
        .map(|u| Recipient {
            user: u.id.clone(),
            platform: u.platform,
            openid: u.openid.clone(),
            lang: u.lang,
        })
        .collect()
}

/// What delivering a notice came to: whether the queue should try it again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivered {
    pub sent: u32,
    pub skipped: u32,
    pub retry: bool,
    /// The most tries any of its messages has had, for the backoff.
    pub attempts: u32,
}

/// Delivers `notice` to everyone it concerns, each message at most once.
pub async fn deliver<S, C>(
    store: &S,
    channel: &C,
    notice: &Notice,
    now: Instant,
) -> ApiResult<Delivered>
where
    S: NoticeReads + Deliveries,
    C: Channel,
{
    let mut out = deliver_all(store, channel, std::slice::from_ref(notice), now).await?;
    out.pop().ok_or_else(crate::error::ApiError::internal)
}

/// Delivers each of `notices` (a queue batch) as [`deliver`] does one, with three round trips
/// to the store for the whole batch (the facts, the claims, the outcomes), not three per
/// notice and account. Each message is still sent at most once; an error means none of the
/// batch was claimed (retry it all) or, from the outcomes, that what was sent stays claimed.
pub async fn deliver_all<S, C>(
    store: &S,
    channel: &C,
    notices: &[Notice],
    now: Instant,
) -> ApiResult<Vec<Delivered>>
where
    S: NoticeReads + Deliveries,
    C: Channel,
{
    let facts = store.notice_facts(notices).await?;
    // Each notice's message in each language its recipients read, written once.
    let mut messages: Vec<[Option<render::Message>; 2]> = vec![[None, None]; notices.len()];
    let mut wanted: Vec<(usize, Recipient)> = Vec::new();
    for (i, (notice, facts)) in notices.iter().zip(&facts).enumerate() {
        for to in recipients(notice, facts) {
            messages[i][to.lang as usize].get_or_insert_with(|| {
                render::message(notice, &render::Names::of(notice, facts, to.lang), to.lang)
            });
            wanted.push((i, to));
        }
    }
    let mut out = vec![Delivered::default(); notices.len()];
    if wanted.is_empty() {
        return Ok(out);
    }
    let pairs: Vec<(&Notice, &Recipient)> =
        wanted.iter().map(|(i, to)| (&notices[*i], to)).collect();
    let taken = store.claim(&pairs, now).await?;
    let mut outcomes = Vec::new();
    let mut owners = Vec::new();
    for ((i, to), took) in wanted.iter().zip(taken) {
        if !took {
            out[*i].skipped += 1;
            continue;
        }
        let Some(message) = &messages[*i][to.lang as usize] else {
            return Err(crate::error::ApiError::internal());
        };
        let (status, detail) = match channel.send(to, message).await {
            Sent::Delivered => (DeliveryStatus::Sent, None),
            Sent::NoSubscription => (DeliveryStatus::NoSubscription, None),
            Sent::NotConfigured => (DeliveryStatus::NotConfigured, None),
            Sent::Failed(why) => (DeliveryStatus::Failed, Some(why)),
            Sent::Transient(why) => {
                out[*i].retry = true;
                (DeliveryStatus::Retry, Some(why))
            }
        };
        if status == DeliveryStatus::Sent {
            out[*i].sent += 1;
        }
        outcomes.push(Outcome {
            notice: &notices[*i],
            to,
            status,
            detail,
        });
        owners.push(*i);
    }
    if !outcomes.is_empty() {
        let tries = store.settle(&outcomes, now).await?;
        for (i, t) in owners.into_iter().zip(tries) {
            out[i].attempts = out[i].attempts.max(t);
        }
    }
    Ok(out)
}

/// The first retry's wait in production; `NOTIFY_RETRY_SECONDS` changes it (the local stack
/// uses 1, so tests see a retry without waiting half a minute).
pub const RETRY_BASE_SECONDS: u32 = 30;

/// How long the queue waits before the `attempt`-th retry (from 1): `base` doubling, at most
/// 30 times `base` (15 minutes in production).
pub fn retry_delay_seconds(attempt: u32, base: u32) -> u32 {
    base.saturating_mul(1 << attempt.saturating_sub(1).min(5))
        .min(base.saturating_mul(30))
}

/// The principal's name as messages show it.
pub fn masked(applicant: &crate::store::Applicant) -> String {
    mask_name(&applicant.name)
}
