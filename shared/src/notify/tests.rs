//! Delivering notices against the in-memory store and a recording channel.

use super::render::{character_string, message, phrase, thing, Names};
use super::*;
use crate::booking::tests::{request, submit, world};
use crate::domain::BookingNo;
use crate::fake::{block_on, MemoryStore};
use crate::store::{Applicants, BookingStatus, Bookings};
use crate::time::at;
use chrono::{NaiveDate, NaiveTime};
use std::cell::RefCell;

fn now() -> Instant {
    at(
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
    )
}

/// Answers from a script (then `Delivered`), and keeps what it was asked to send.
#[derive(Default)]
struct Recording {
    script: RefCell<Vec<Sent>>,
    sent: RefCell<Vec<(String, Message)>>,
}

use super::render::Message;

impl Channel for Recording {
    async fn send(&self, to: &Recipient, message: &Message) -> Sent {
        self.sent
            .borrow_mut()
            .push((to.user.as_str().to_owned(), message.clone()));
        let mut script = self.script.borrow_mut();
        if script.is_empty() {
            Sent::Delivered
        } else {
            script.remove(0)
        }
    }
}

/// A booking of `ap0` made by `u0` in the booking tests' world.
fn booked(s: &MemoryStore) -> Booking {
    let out = submit(s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no = BookingNo::parse(out.body["booking_no"].as_str().unwrap()).unwrap();
    block_on(s.booking(&no)).unwrap().unwrap()
}

/// `helper` may act for `ap0` (active) or may no longer (revoked).
fn link(s: &MemoryStore, helper: &str, status: LinkStatus) {
    let l = crate::store::Link {
        helper: UserId::parse(helper).unwrap(),
        applicant: ApplicantId::parse("ap0").unwrap(),
        relation: crate::store::Relation::Child,
        status,
        consent: crate::store::Consent::FaceVerified,
        invitation_hash: None,
        invitation_expires_at: None,
        created_at: now(),
        updated_at: now(),
    };
    block_on(s.put_link(&l)).unwrap();
}

fn told(channel: &Recording) -> Vec<String> {
    channel
        .sent
        .borrow()
        .iter()
        .map(|(u, _)| u.clone())
        .collect()
}

#[test]
fn a_confirmation_goes_to_the_applicant_and_the_helper_once_each() {
    let s = world(5, 2);
    let b = booked(&s);
    link(&s, "u1", LinkStatus::Active);
    // u1 booked it for ap0's account u0: both are told, u0 once although it is both.
    let notice = Notice::booking(
        NoticeKind::BookingConfirmed,
        &b,
        Some(&UserId::parse("u1").unwrap()),
    );
    assert_eq!(
        notice.event_id,
        format!("booking.confirmed:{}", b.booking_no)
    );
    let channel = Recording::default();
    let first = block_on(deliver(&s, &channel, &notice, now())).unwrap();
    assert_eq!((first.sent, first.skipped, first.retry), (2, 0, false));
    let to: Vec<String> = channel
        .sent
        .borrow()
        .iter()
        .map(|(u, _)| u.clone())
        .collect();
    assert_eq!(to, ["u0", "u1"]);
    let (_, m) = &channel.sent.borrow()[0];
    assert_eq!(m.kind, NoticeKind::BookingConfirmed);
    assert_eq!(m.fields["character_string4"], b.booking_no.as_str());
    assert_eq!(m.fields["time3"], "2026-11-25 09:00~10:00");
    assert_eq!(m.fields["thing5"], "张*", "the principal's name is masked");

    // A redelivered queue message sends nothing again.
    let again = block_on(deliver(&s, &channel, &notice, now())).unwrap();
    assert_eq!((again.sent, again.skipped), (0, 2));
    assert_eq!(channel.sent.borrow().len(), 2);
    assert_eq!(
        s.delivery(&notice.event_id, "u0"),
        Some(DeliveryStatus::Sent)
    );
}

#[test]
fn no_subscription_is_recorded_and_never_retried_while_a_busy_provider_is() {
    let s = world(5, 1);
    let b = booked(&s);
    let notice = Notice::booking(NoticeKind::Reminder, &b, None);
    let channel = Recording::default();
    channel.script.borrow_mut().push(Sent::NoSubscription);
    let out = block_on(deliver(&s, &channel, &notice, now())).unwrap();
    assert!(!out.retry);
    assert_eq!(
        s.delivery(&notice.event_id, "u0"),
        Some(DeliveryStatus::NoSubscription)
    );
    assert_eq!(
        block_on(deliver(&s, &channel, &notice, now()))
            .unwrap()
            .skipped,
        1
    );

    let cancelled = Notice::booking(NoticeKind::BookingCancelled, &b, None);
    channel
        .script
        .borrow_mut()
        .push(Sent::Transient("errcode -1".into()));
    let out = block_on(deliver(&s, &channel, &cancelled, now())).unwrap();
    assert!(out.retry);
    assert_eq!(out.attempts, 1);
    assert_eq!(
        s.delivery(&cancelled.event_id, "u0"),
        Some(DeliveryStatus::Retry)
    );
    let retried = block_on(deliver(&s, &channel, &cancelled, now())).unwrap();
    assert_eq!((retried.sent, retried.retry), (1, false));
    assert_eq!(
        s.delivery(&cancelled.event_id, "u0"),
        Some(DeliveryStatus::Sent)
    );
}

#[test]
fn a_failed_send_is_given_up_and_a_store_failure_is_an_error() {
    let s = world(5, 1);
    let b = booked(&s);
    let notice = Notice::booking(NoticeKind::BookingConfirmed, &b, None);
    let channel = Recording::default();
    channel
        .script
        .borrow_mut()
        .push(Sent::Failed("errcode 47003".into()));
    assert!(
        !block_on(deliver(&s, &channel, &notice, now()))
            .unwrap()
            .retry
    );
    assert_eq!(
        s.delivery(&notice.event_id, "u0"),
        Some(DeliveryStatus::Failed)
    );
    s.fail_next("claim");
    let other = Notice::booking(NoticeKind::Reminder, &b, None);
    assert!(block_on(deliver(&s, &channel, &other, now())).is_err());
}

#[test]
fn a_batch_is_delivered_as_each_notice_would_be_and_a_duplicate_once() {
    let s = world(5, 2);
    let b = booked(&s);
    link(&s, "u1", LinkStatus::Active);
    let confirmed = Notice::booking(
        NoticeKind::BookingConfirmed,
        &b,
        Some(&UserId::parse("u1").unwrap()),
    );
    let reminder = Notice::booking(NoticeKind::Reminder, &b, None);
    let channel = Recording::default();
    // The third message is busy: only its notice is to be retried.
    channel.script.borrow_mut().extend([
        Sent::Delivered,
        Sent::Delivered,
        Sent::Transient("errcode -1".into()),
    ]);
    // The queue may hand over the same message twice, even in one batch.
    let batch = [confirmed.clone(), reminder.clone(), confirmed.clone()];
    let out = block_on(deliver_all(&s, &channel, &batch, now())).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!((out[0].sent, out[0].skipped, out[0].retry), (2, 0, false));
    assert_eq!((out[1].sent, out[1].retry, out[1].attempts), (0, true, 1));
    assert_eq!((out[2].sent, out[2].skipped), (0, 2));
    assert_eq!(told(&channel), ["u0", "u1", "u0"]);
    assert_eq!(
        s.delivery(&reminder.event_id, "u0"),
        Some(DeliveryStatus::Retry)
    );
    // The retried batch sends only what is still owed.
    let again = block_on(deliver_all(&s, &channel, &batch, now())).unwrap();
    assert_eq!((again[1].sent, again[1].retry), (1, false));
    assert_eq!(told(&channel), ["u0", "u1", "u0", "u0"]);
    // A store failure while claiming fails the batch, and nothing is sent.
    let cancelled = Notice::booking(NoticeKind::BookingCancelled, &b, None);
    s.fail_next("claim");
    assert!(block_on(deliver_all(
        &s,
        &channel,
        std::slice::from_ref(&cancelled),
        now()
    ))
    .is_err());
    assert_eq!(channel.sent.borrow().len(), 4);
    assert_eq!(s.delivery(&cancelled.event_id, "u0"), None);
    assert!(block_on(deliver_all(&s, &channel, &[], now()))
        .unwrap()
        .is_empty());
}

#[test]
fn progress_notices_are_one_per_status_and_ready_is_its_own_kind() {
    let s = world(5, 1);
    let b = booked(&s);
    assert_eq!(b.status, BookingStatus::Booked);
    let app = |status| Application {
        application_no: crate::domain::ApplicationNo::new(b.date, [1, 2, 3, 4, 5]).unwrap(),
        booking_no: b.booking_no.clone(),
        applicant_id: b.applicant_id.clone(),
        service: b.service,
        office_id: b.office_id.clone(),
        status,
        timeline: vec![],
        estimated_ready: b.date,
        updated_at: now(),
    };
    let reviewing = Notice::progress(&app(ApplicationStatus::Reviewing));
    let ready = Notice::progress(&app(ApplicationStatus::Ready));
    assert_eq!(reviewing.kind, NoticeKind::ProgressChanged);
    assert_eq!(ready.kind, NoticeKind::ReadyToCollect);
    assert_ne!(reviewing.event_id, ready.event_id);
    let facts = &block_on(s.notice_facts(std::slice::from_ref(&reviewing))).unwrap()[0];
    let names = Names::of(&reviewing, facts, Lang::Zh);
    let m = message(&reviewing, &names, Lang::Zh);
    assert_eq!(m.fields["phrase3"], "审核中");
    assert!(m.page.starts_with("pages/application/application?no=A"));
    // In English the words change, the phrase stays Chinese (WeChat takes nothing else in one).
    let en = message(&ready, &Names::of(&ready, facts, Lang::En), Lang::En);
    assert_eq!(en.fields["thing4"], "Ready to collect");
    assert_eq!(
        message(&reviewing, &names, Lang::En).fields["phrase3"],
        "审核中"
    );
    assert_eq!(
        ApplicationStatus::Reviewing.label().render(Lang::En),
        "Under review"
    );
}

#[test]
fn every_message_fits_wechat_in_both_languages() {
    let s = world(5, 1);
    let b = booked(&s);
    let mut notices = vec![
        Notice::booking(NoticeKind::BookingConfirmed, &b, None),
        Notice::booking(NoticeKind::BookingCancelled, &b, None),
        Notice::booking(NoticeKind::Reminder, &b, None),
        Notice::booking(NoticeKind::DayClosed, &b, None),
    ];
    notices.retain(|n| n.booking_no.is_some());
    assert_eq!(notices.len(), 4);
    for n in &notices {
        let facts = &block_on(s.notice_facts(std::slice::from_ref(n))).unwrap()[0];
        for lang in Lang::ALL {
            let m = message(n, &Names::of(n, facts, lang), lang);
            for (key, value) in &m.fields {
                let v = value.as_str().unwrap();
                if key.starts_with("thing") {
                    assert!(v.chars().count() <= 20, "{key}: {v}");
                    assert!(!v.ends_with('…'), "{lang:?} {key} was cut: {v}");
                }
            }
        }
    }
}

#[test]
fn values_stay_within_wechat_limits() {
    let long = "深圳市公安局出入境管理支队福田区行政服务大厅出入境业务窗口";
    let t = thing(long);
    assert_eq!(t.chars().count(), 20);
    assert!(t.ends_with('…'));
    assert_eq!(thing("普通护照"), "普通护照");
    for status in ApplicationStatus::ALL {
        let p = phrase(status);
        assert!(
            p.chars().count() <= 5 && p.chars().all(|c| !c.is_ascii()),
            "{p}"
        );
    }
    let c = character_string(&format!("{}中文 {}", "A".repeat(30), "B".repeat(10)));
    assert_eq!(c.len(), 32);
    assert!(c.chars().all(|c| c.is_ascii_graphic()));
}

#[test]
fn retries_back_off_to_fifteen_minutes() {
    let delays: Vec<u32> = (1..=8).map(|a| retry_delay_seconds(a, 30)).collect();
    assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900, 900]);
    assert_eq!(retry_delay_seconds(3, 1), 4);
    assert_eq!(retry_delay_seconds(0, RETRY_BASE_SECONDS), 30);
}

#[test]
fn reminders_and_a_closed_day_reach_the_helper_who_booked_only_while_linked() {
    let s = world(5, 2);
    let mut b = booked(&s);
    // As if u1 had booked it for ap0, as their helper.
    b.booked_by = UserId::parse("u1").unwrap();
    link(&s, "u1", LinkStatus::Active);
    let reminder = Notice::booking(NoticeKind::Reminder, &b, None);
    assert_eq!(reminder.actor, Some(UserId::parse("u1").unwrap()));
    let channel = Recording::default();
    block_on(deliver(&s, &channel, &reminder, now())).unwrap();
    assert_eq!(told(&channel), ["u0", "u1"]);

    // The principal revokes u1: the next message about the booking is not theirs to read.
    link(&s, "u1", LinkStatus::Revoked);
    let closed = Notice::booking(NoticeKind::DayClosed, &b, None);
    let channel = Recording::default();
    block_on(deliver(&s, &channel, &closed, now())).unwrap();
    assert_eq!(told(&channel), ["u0"]);

    // A stranger named as actor is never told.
    let confirmed = Notice::booking(
        NoticeKind::BookingConfirmed,
        &b,
        Some(&UserId::parse("u4").unwrap()),
    );
    let channel = Recording::default();
    block_on(deliver(&s, &channel, &confirmed, now())).unwrap();
    assert_eq!(told(&channel), ["u0"]);
}
