//! The waitlist against the in-memory store: joining, the order of serving, the record refusing
//! a served entry, lapses, authorization; and the day's queue under any sequence of steps.

use super::request::WaitlistRequest;
use super::*;
use crate::booking::list::Reader;
use crate::booking::request::PickupRequest;
use crate::booking::tests::{cancel_as, d, hm, now, request, submit, world, Submitting};
use crate::domain::{BookingNo, OfficeId, PeriodId};
use crate::error::{ApiResult, ErrorCode};
use crate::fake::{block_on, MemoryStore};
use crate::inventory::{Day, EntryState, JoinEntry, Joined, PublishedPeriod, Settled, Wanted};
use crate::notify::NoticeKind;
use crate::store::*;
use proptest::prelude::*;
use serde_json::Value;

fn office() -> OfficeId {
    OfficeId::parse("sz-futian").unwrap()
}

fn wait_request(applicant: &str) -> WaitlistRequest {
    WaitlistRequest {
        applicant_id: applicant.into(),
        service: "passport".into(),
        office_id: "sz-futian".into(),
        date: "2026-11-25".into(),
        period_ids: vec!["am-1".into()],
        phone: "13812345678".into(),
        pickup: PickupRequest {
            method: "collect".into(),
            address: None,
        },
        photo_receipt_no: None,
    }
}

fn join_as(s: &MemoryStore, user: &str, key: &str, req: &WaitlistRequest) -> ApiResult<Value> {
    let sub = Submitting::of(s, user);
    block_on(join(
        s,
        s,
        JoinInput {
            caller: &sub.caller,
            session: &sub.session,
            idempotency_key: Some(key),
            request: req,
            rules: &sub.rules,
            calendar: &sub.calendar,
            catalog: &sub.catalog,
            now: now(),
            request_id: "req-test",
            number_secret: b"test-number-secret",
            lang: crate::i18n::Lang::Zh,
        },
    ))
}

fn reading<T>(user: &str, f: impl FnOnce(&Reader<'_>) -> T) -> T {
    let sub = Submitting::of(&MemoryStore::new(), user);
    let reader = Reader {
        caller: &sub.caller,
        rules: &sub.rules,
        now: now(),
        request_id: "req-test",
        lang: crate::i18n::Lang::En,
    };
    f(&reader)
}

fn entry_as(s: &MemoryStore, user: &str, id: &str) -> ApiResult<Value> {
    reading(user, |r| block_on(read_entry(s, s, r, id)))
}

fn alarm(s: &MemoryStore) {
    block_on(s.serve_waitlist(&office(), d(2026, 11, 25))).unwrap();
}

/// A full `am-1` (capacity 2, booked by u0 and u1) and u2… u(1+n) on its waitlist.
fn full_with_waitlist(n: usize) -> (MemoryStore, Vec<String>, Vec<String>) {
    let s = world(2, n + 2);
    let booked: Vec<String> = (0..2)
        .map(|i| {
            let out = submit(
                &s,
                &format!("u{i}"),
                &format!("key-book-{i}"),
                &request(&format!("ap{i}")),
            );
            out.unwrap().body["booking_no"].as_str().unwrap().to_owned()
        })
        .collect();
    let ids = (2..n + 2)
        .map(|i| {
            let v = join_as(
                &s,
                &format!("u{i}"),
                &format!("key-wait-{i}"),
                &wait_request(&format!("ap{i}")),
            )
            .unwrap();
            assert_eq!(v["status"], "waiting");
            assert_eq!(v["position"], i as u64 - 1, "joined in order");
            v["waitlist_id"].as_str().unwrap().to_owned()
        })
        .collect();
    (s, booked, ids)
}

#[test]
fn cancels_serve_the_earliest_entries_before_any_new_submit() {
    let (s, booked, ids) = full_with_waitlist(20);
    cancel_as(&s, "u0", &booked[0], now()).unwrap();
    // The place went to entry 1 in the cancel's own step: a new submit finds the period full.
    let late = submit(&s, "u22", "key-late-1", &request("ap22"));
    assert_eq!(late.unwrap_err().code, ErrorCode::SlotFull);
    cancel_as(&s, "u1", &booked[1], now()).unwrap();
    alarm(&s);
    for (i, id) in ids.iter().enumerate().take(2) {
        let v = entry_as(&s, &format!("u{}", i + 2), id).unwrap();
        assert_eq!(v["status"], "booked", "{v}");
        let no = v["booking_no"].as_str().unwrap();
        let b = block_on(s.booking(&BookingNo::parse(no).unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(b.status, BookingStatus::Booked);
        assert_eq!(b.applicant_id.as_str(), format!("ap{}", i + 2));
    }
    assert_eq!(entry_as(&s, "u4", &ids[2]).unwrap()["position"], 1);
    assert_eq!(entry_as(&s, "u21", &ids[19]).unwrap()["position"], 18);
    let kinds: Vec<NoticeKind> = s.sent_notices().iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [NoticeKind::WaitlistBooked, NoticeKind::WaitlistBooked]
    );
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 2);
    // The metrics count them: joined and served on the day of the steps, queued for the day.
    use crate::ops::metrics::Stats;
    let today = block_on(s.day_stats(now().date_naive())).unwrap().waitlist;
    assert_eq!((today.joined, today.served, today.lapsed), (20, 2, 0));
    let queued = block_on(s.day_stats(d(2026, 11, 25))).unwrap().waitlist;
    assert_eq!(queued.by_status["waiting"], 18);
    assert_eq!(queued.by_status["booked"], 2);
}

#[test]
fn capacity_raised_by_three_serves_the_next_three_and_no_more() {
    let (s, _, ids) = full_with_waitlist(6);
    let raised = PublishedPeriod {
        period_id: PeriodId::parse("am-1").unwrap(),
        start: hm(9, 0),
        end: hm(10, 0),
        capacity: 5,
    };
    block_on(s.publish(&office(), d(2026, 11, 25), &[raised])).unwrap();
    alarm(&s);
    let statuses: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| entry_as(&s, &format!("u{}", i + 2), id).unwrap()["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        ["booked", "booked", "booked", "waiting", "waiting", "waiting"]
    );
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 5);
}

#[test]
fn joining_a_period_with_places_is_refused_and_so_is_a_second_entry() {
    let s = world(2, 4);
    let e = join_as(&s, "u0", "key-wait-0", &wait_request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert_eq!(e.details.unwrap()["reason"], "places_available");
    let (s, _, ids) = full_with_waitlist(1);
    // The same key again is the same entry; another key for the same service is refused.
    let again = join_as(&s, "u2", "key-wait-2", &wait_request("ap2")).unwrap();
    assert_eq!(again["waitlist_id"], ids[0].as_str());
    let mut other = wait_request("ap2");
    other.phone = "13900001111".into();
    let e = join_as(&s, "u2", "key-wait-2", &other).unwrap_err();
    assert_eq!(e.code, ErrorCode::IdempotencyMismatch);
    let e = join_as(&s, "u2", "key-wait-2b", &wait_request("ap2")).unwrap_err();
    assert_eq!(e.details.unwrap()["reason"], "already_waiting");
    // The refused second join left nothing in the day's queue.
    assert_eq!(
        s.inventory_stored(&office(), d(2026, 11, 25))
            .waitlist
            .len(),
        1
    );
    // Someone with a booking for the service is refused as a submit would be.
    let e = join_as(&s, "u0", "key-wait-0", &wait_request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyBooked);
}

#[test]
fn a_served_entry_the_record_refuses_passes_its_place_on() {
    let (s, booked, ids) = full_with_waitlist(2);
    // u2 books the service elsewhere meanwhile: its entry cannot become a booking.
    let mut elsewhere = request("ap2");
    elsewhere.office_id = "sz-nanshan".into();
    submit(&s, "u2", "key-else-2", &elsewhere).unwrap();
    cancel_as(&s, "u0", &booked[0], now()).unwrap();
    alarm(&s);
    let first = entry_as(&s, "u2", &ids[0]).unwrap();
    assert_eq!(first["status"], "expired");
    assert_eq!(first["reason"], "already_booked");
    assert_eq!(entry_as(&s, "u3", &ids[1]).unwrap()["status"], "booked");
    let kinds: Vec<NoticeKind> = s.sent_notices().iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [NoticeKind::WaitlistExpired, NoticeKind::WaitlistBooked]
    );
}

#[test]
fn a_failed_write_is_retried_and_a_lost_answer_books_once() {
    let (s, booked, ids) = full_with_waitlist(1);
    cancel_as(&s, "u0", &booked[0], now()).unwrap();
    s.fail_next("book_entry");
    assert!(block_on(s.serve_waitlist(&office(), d(2026, 11, 25))).is_err());
    assert_eq!(entry_as(&s, "u2", &ids[0]).unwrap()["status"], "waiting");
    // The place stays the entry's while the record is away.
    let late = submit(&s, "u3", "key-late", &request("ap3"));
    assert_eq!(late.unwrap_err().code, ErrorCode::SlotFull);
    s.lose_next_answer("book_entry");
    assert!(block_on(s.serve_waitlist(&office(), d(2026, 11, 25))).is_err());
    alarm(&s);
    assert_eq!(entry_as(&s, "u2", &ids[0]).unwrap()["status"], "booked");
    let day = s.inventory_stored(&office(), d(2026, 11, 25));
    assert!(day.waitlist.is_empty());
    assert!(day.places.values().all(|p| p.confirmed));
    let of_ap2 = block_on(s.bookings_of(&[ApplicantId::parse("ap2").unwrap()])).unwrap();
    assert_eq!(of_ap2.len(), 1);
}

#[test]
fn an_entry_lapses_when_its_periods_can_no_longer_be_booked() {
    let (s, _, ids) = full_with_waitlist(1);
    // Midnight before the day: with no same-day booking, am-1 can no longer be booked.
    s.set_now(crate::time::at(d(2026, 11, 25), hm(0, 0)));
    alarm(&s);
    let v = reading("u2", |r| {
        let r = Reader {
            now: crate::time::at(d(2026, 11, 25), hm(0, 0)),
            ..*r
        };
        block_on(read_entry(&s, &s, &r, &ids[0]))
    })
    .unwrap();
    assert_eq!(v["status"], "expired");
    assert_eq!(v["reason"], "no_longer_bookable");
    assert_eq!(s.sent_notices()[0].kind, NoticeKind::WaitlistExpired);
}

#[test]
fn someone_elses_entry_is_not_found_and_leaving_frees_nothing_twice() {
    let (s, booked, ids) = full_with_waitlist(2);
    assert_eq!(
        entry_as(&s, "u0", &ids[0]).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        entry_as(&s, "u2", "w_nope").unwrap_err().code,
        ErrorCode::NotFound
    );
    let left = reading("u2", |r| block_on(leave(&s, &s, r, &ids[0]))).unwrap();
    assert_eq!(left["status"], "cancelled");
    let again = reading("u2", |r| block_on(leave(&s, &s, r, &ids[0]))).unwrap();
    assert_eq!(again["status"], "cancelled");
    assert_eq!(entry_as(&s, "u3", &ids[1]).unwrap()["position"], 1);
    cancel_as(&s, "u0", &booked[0], now()).unwrap();
    alarm(&s);
    assert_eq!(entry_as(&s, "u3", &ids[1]).unwrap()["status"], "booked");
    // A booked entry is left by cancelling its booking.
    let e = reading("u3", |r| block_on(leave(&s, &s, r, &ids[1]))).unwrap_err();
    assert_eq!(e.details.unwrap()["reason"], "booked");
}

// ---- The day's queue under any sequence of steps. ----

const PERIODS: [&str; 2] = ["p1", "p2"];

#[derive(Debug, Clone)]
enum Op {
    Hold(u8, usize),
    Join(u8, Vec<usize>),
    Leave(u8),
    Release(u8),
    Raise(usize),
    Settle(u8, bool),
    Lapse(i64),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    let periods = prop::sample::subsequence(vec![0usize, 1], 1..=2);
    prop_oneof![
        (any::<u8>(), 0..2usize).prop_map(|(n, p)| Op::Hold(n % 16, p)),
        (any::<u8>(), periods).prop_map(|(n, ps)| Op::Join(n % 16, ps)),
        any::<u8>().prop_map(|n| Op::Leave(n % 16)),
        any::<u8>().prop_map(|n| Op::Release(n % 16)),
        (0..2usize).prop_map(Op::Raise),
        (any::<u8>(), any::<bool>()).prop_map(|(n, b)| Op::Settle(n % 16, b)),
        (0i64..4).prop_map(Op::Lapse),
        Just(Op::Restart),
    ]
}

fn no(n: u8) -> BookingNo {
    BookingNo::from_entropy([n, 1, 2, 3, 4, 5, 6])
}

fn entry_no(n: u8) -> BookingNo {
    BookingNo::from_entropy([n, 9, 9, 9, 9, 9, 9])
}

fn wid(n: u8) -> crate::domain::WaitlistId {
    crate::domain::WaitlistId::parse(&format!("w_{n}")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever happens: no period over capacity; no free place while an entry that can take it
    /// waits; each entry served at most once, with exactly one place; served in join order per
    /// period; and the day rebuilt from its storage decides the same.
    #[test]
    fn the_queue_holds_its_invariants(ops in prop::collection::vec(op(), 1..60)) {
        let mut capacity = [1u32, 2];
        let publish = |cap: &[u32; 2]| -> Vec<PublishedPeriod> {
            PERIODS.iter().zip(cap).map(|(p, c)| PublishedPeriod {
                period_id: PeriodId::parse(p).unwrap(),
                start: hm(9, 0),
                end: hm(10, 0),
                capacity: *c,
            }).collect()
        };
        let mut day = Day::default();
        day.load_schedule(&publish(&capacity), 0);
        let mut now = 0i64;
        let mut ever_served = std::collections::BTreeSet::new();
        for op in ops {
            match op {
                Op::Hold(n, p) => {
                    let h = crate::inventory::Hold {
                        period: PeriodId::parse(PERIODS[p]).unwrap(),
                        booking_no: no(n),
                        applicant: ApplicantId::parse(&format!("ap{n}")).unwrap(),
                        ttl_seconds: 60,
                        user: UserId::parse(&format!("u{n}")).unwrap(),
                        at_ms: now,
                    };
                    day.hold(&h, now);
                    day.confirm(&no(n));
                }
                Op::Join(n, ps) => {
                    day.join_waitlist(&JoinEntry {
                        id: wid(n),
                        applicant: ApplicantId::parse(&format!("ap{n}")).unwrap(),
                        booking_no: entry_no(n),
                        wanted: ps.iter().map(|&p| Wanted {
                            period: PeriodId::parse(PERIODS[p]).unwrap(),
                            until_ms: 1_000 * (p as i64 + 2),
                        }).collect(),
                        user: UserId::parse(&format!("u{n}")).unwrap(),
                        at_ms: now,
                    }, now);
                }
                Op::Leave(n) => day.leave_waitlist(&wid(n), now),
                Op::Release(n) => day.release(&no(n), now),
                Op::Raise(p) => {
                    capacity[p] += 1;
                    day.publish(&publish(&capacity), now);
                }
                Op::Settle(n, booked) => {
                    let how = if booked { Settled::Booked } else { Settled::Refused };
                    day.settle_entry(&wid(n), how, now);
                    day.settle_entry(&wid(n), Settled::Recorded, now);
                }
                Op::Lapse(by) => {
                    now += by * 500;
                    day.lapse_entries(now);
                }
                Op::Restart => day = Day::new(day.stored().clone()),
            }
            let stored = day.stored().clone();
            for p in PERIODS {
                let id = PeriodId::parse(p).unwrap();
                let cap = stored.periods[&id].capacity;
                prop_assert!(stored.taken(&id) <= cap, "{p} over capacity");
                if stored.taken(&id) < cap {
                    prop_assert_eq!(day.waiting_in(&id, now), 0, "{} has a free place and a waiting entry", p);
                }
                for (wid, e) in &stored.waitlist {
                    if let EntryState::Served { period } = &e.state {
                        let place = stored.places.get(&e.booking_no);
                        prop_assert!(place.is_some_and(|pl| &pl.period == period), "served entry holds its place");
                        if period == &id && ever_served.insert(wid.clone()) {
                            // Served in join order: nobody who could take this place waited
                            // from before this entry.
                            let earlier = stored.waitlist.values().any(|o| {
                                o.seq < e.seq
                                    && o.state == EntryState::Waiting
                                    && o.wanted.iter().any(|w| &w.period == period && w.until_ms > now)
                            });
                            prop_assert!(!earlier, "{} served before an earlier entry", wid);
                        }
                    }
                }
            }
            let mut replayed = Day::new(stored.clone());
            prop_assert_eq!(replayed.stored(), &stored);
            prop_assert_eq!(replayed.take_changes(), vec![]);
        }
    }
}

#[test]
fn the_earliest_waiting_entry_gets_the_place_however_entries_name_periods() {
    let mut day = Day::default();
    let period = |p: &str, cap| PublishedPeriod {
        period_id: PeriodId::parse(p).unwrap(),
        start: hm(9, 0),
        end: hm(10, 0),
        capacity: cap,
    };
    day.load_schedule(&[period("p1", 1), period("p2", 1)], 0);
    for (n, p) in [(1u8, "p1"), (2, "p2")] {
        let h = crate::inventory::Hold {
            period: PeriodId::parse(p).unwrap(),
            booking_no: no(n),
            applicant: ApplicantId::parse(&format!("ap{n}")).unwrap(),
            ttl_seconds: 60,
            user: UserId::parse(&format!("u{n}")).unwrap(),
            at_ms: 0,
        };
        day.hold(&h, 0);
    }
    let join = |day: &mut Day, n: u8, ps: &[&str]| {
        day.join_waitlist(
            &JoinEntry {
                id: wid(n),
                applicant: ApplicantId::parse(&format!("ap{n}")).unwrap(),
                booking_no: entry_no(n),
                wanted: ps
                    .iter()
                    .map(|p| Wanted {
                        period: PeriodId::parse(p).unwrap(),
                        until_ms: 10_000,
                    })
                    .collect(),
                user: UserId::parse(&format!("u{n}")).unwrap(),
                at_ms: 0,
            },
            0,
        )
    };
    assert_eq!(
        join(&mut day, 10, &["p1", "p2"]),
        Joined::Waiting { position: 1 }
    );
    assert_eq!(join(&mut day, 11, &["p2"]), Joined::Waiting { position: 2 });
    assert_eq!(join(&mut day, 12, &["p1"]), Joined::Waiting { position: 2 });
    // p2 frees: entry 10 (both periods, earliest) takes it; 11 is next there, 12 next in p1.
    day.release(&no(2), 0);
    assert!(matches!(
        day.stored().waitlist[&wid(10)].state,
        EntryState::Served { .. }
    ));
    assert_eq!(day.position(&wid(11), 0), Some(1));
    assert_eq!(day.position(&wid(12), 0), Some(1));
    assert_eq!(day.outbox().len(), 1);
    // Its booking refused: the place passes to 11.
    day.settle_entry(&wid(10), Settled::Refused, 0);
    assert!(matches!(
        day.stored().waitlist[&wid(11)].state,
        EntryState::Served { .. }
    ));
    // Closing the day lapses whoever waits, and a freed place is then served to nobody.
    day.close_waitlist();
    assert_eq!(day.stored().waitlist[&wid(12)].state, EntryState::Lapsed);
    day.release(&no(1), 0);
    assert_eq!(day.stored().taken(&PeriodId::parse("p1").unwrap()), 0);
    assert_eq!(join(&mut day, 13, &["p1"]), Joined::Closed);
}

#[test]
fn with_the_waiting_room_on_entries_stand_in_lottery_order_not_arrival_order() {
    use crate::inventory::admission::{AdmissionConfig, AdmissionStatus};
    let mut day = Day::default();
    let p1 = PeriodId::parse("p1").unwrap();
    day.load_schedule(
        &[PublishedPeriod {
            period_id: p1.clone(),
            start: hm(9, 0),
            end: hm(10, 0),
            capacity: 1,
        }],
        0,
    );
    let config = AdmissionConfig {
        opens_at_ms: 1_000,
        batch_size: 10,
        batch_interval_seconds: 60,
        admitted_for_seconds: 600,
    };
    day.set_admission(Some(&config), [7; 32]);
    let user = |n: u8| UserId::parse(&format!("u{n}")).unwrap();
    for n in 0..6u8 {
        day.join_admission(&user(n), 0);
    }
    let rank = |day: &mut Day, n: u8| match day.admission_status(&user(n), 1_000) {
        AdmissionStatus::Admitted { position, .. } => position,
        other => panic!("u{n} not admitted: {other:?}"),
    };
    let mut by_rank: Vec<u8> = (0..6).collect();
    by_rank.sort_by_key(|&n| rank(&mut day, n));
    // The best ranked books the one place; the rest join the waitlist worst rank first.
    let best = by_rank[0];
    let h = crate::inventory::Hold {
        period: p1.clone(),
        booking_no: no(best),
        applicant: ApplicantId::parse(&format!("ap{best}")).unwrap(),
        ttl_seconds: 60,
        user: user(best),
        at_ms: 1_000,
    };
    day.hold(&h, 1_000);
    for &n in by_rank[1..].iter().rev() {
        let joined = day.join_waitlist(
            &JoinEntry {
                id: wid(n),
                applicant: ApplicantId::parse(&format!("ap{n}")).unwrap(),
                booking_no: entry_no(n),
                wanted: vec![Wanted {
                    period: p1.clone(),
                    until_ms: 100_000,
                }],
                user: user(n),
                at_ms: 1_500,
            },
            1_500,
        );
        assert!(matches!(joined, Joined::Waiting { .. }), "{joined:?}");
    }
    for (k, &n) in by_rank[1..].iter().enumerate() {
        assert_eq!(day.position(&wid(n), 1_500), Some(k as u64 + 1), "u{n}");
    }
    // Someone who never entered the room cannot join the waitlist.
    let stranger = JoinEntry {
        id: wid(99),
        applicant: ApplicantId::parse("ap99").unwrap(),
        booking_no: entry_no(99),
        wanted: vec![Wanted {
            period: p1.clone(),
            until_ms: 100_000,
        }],
        user: user(99),
        at_ms: 1_500,
    };
    assert!(matches!(
        day.join_waitlist(&stranger, 1_500),
        Joined::NotAdmitted { .. }
    ));
    // The freed place goes to the best ranked entry, who joined last.
    day.release(&no(best), 1_600);
    assert_eq!(
        day.stored().waitlist[&wid(by_rank[1])].state,
        EntryState::Served { period: p1 }
    );
    // The arrival counter continues past the packed keys.
    assert_eq!(day.stored().next_seq, 5);
}
