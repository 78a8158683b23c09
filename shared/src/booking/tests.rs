//! The booking and cancelling steps against the in-memory store, including failures injected
//! between the inventory object and the record.

use super::*;
use crate::authz::tests::{applicant, link};
use crate::domain::DocumentKind;
use crate::domain::{OfficeId, PeriodId, ServiceId};
use crate::error::ErrorCode;
use crate::fake::{block_on, MemoryStore};
use crate::rules::Rules;
use crate::store::*;
use crate::time::{at, Instant};
use chrono::{NaiveDate, NaiveTime};
use qr::QrSigner;
use request::PickupRequest;

const SECRET: &[u8] = b"test-number-secret";

pub(crate) fn now() -> Instant {
    at(d(2026, 11, 21), hm(9, 0))
}

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub(crate) fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn office() -> OfficeId {
    OfficeId::parse("sz-futian").unwrap()
}

fn qr() -> QrSigner {
    QrSigner::from_seed(&[9u8; 32]).unwrap()
}

/// An office with one period `am-1` of `capacity` on 2026-11-25, and `users` users each with a bound
/// identity (`u0`… with applicant `ap0`…).
pub(crate) fn world(capacity: u32, users: usize) -> MemoryStore {
    let s = MemoryStore::new();
    s.set_now(now());
    block_on(async {
        for id in ["sz-futian", "sz-nanshan", "gz-tianhe"] {
            s.put_office(
                &Office {
                    office_id: OfficeId::parse(id).unwrap(),
                    city_id: "sz".into(),
                    name: "大厅".into(),
                    district: "福田区".into(),
                    address: "地址".into(),
                    phone: "0755-1".into(),
                    opening_hours: "9-17".into(),
                    requires_photo_receipt: id == "gz-tianhe",
                    lat: None,
                    lng: None,
                    services: vec![ServiceId::Passport, ServiceId::IdCard],
                    active: true,
                },
                None,
            )
            .await
            .unwrap();
            s.put_schedule(
                &OfficeId::parse(id).unwrap(),
                d(2026, 11, 25),
                &[PublishedPeriod {
                    period_id: PeriodId::parse("am-1").unwrap(),
                    start: hm(9, 0),
                    end: hm(10, 0),
                    capacity,
                }],
            )
            .await
            .unwrap();
        }
        for id in [ServiceId::Passport, ServiceId::IdCard] {
            s.add_service(ServiceInfo {
                service_id: id,
                name: "服务".into(),
                name_en: String::new(),
                fee_fen: 12000,
                processing_working_days: 7,
                guide: serde_json::json!({"pickup_options": [{"method": "collect"}, {"method": "mail"}]}),
                guide_en: serde_json::json!({}),
            });
        }
        for i in 0..users {
            add_user(&s, &format!("u{i}"), &format!("ap{i}")).await;
        }
    });
    s
}

async fn add_user(s: &MemoryStore, user: &str, app: &str) {
    add_user_with(s, user, app, DocumentKind::IdCard).await
}

/// A user whose own applicant holds a document of `kind`.
async fn add_user_with(s: &MemoryStore, user: &str, app: &str, kind: DocumentKind) {
    let mut a = applicant(app, Some(d(1980, 1, 1)));
    a.document.kind = kind;
    s.create_applicant(&a).await.unwrap();
    s.create_user(&User {
        id: UserId::parse(user).unwrap(),
        platform: Platform::Wechat,
        openid: format!("wx-{user}"),
        unionid: None,
        phone: None,
        applicant_id: None,
        lang: crate::i18n::Lang::Zh,
        created_at: now(),
    })
    .await
    .unwrap();
    s.bind_identity(
        &UserId::parse(user).unwrap(),
        &ApplicantId::parse(app).unwrap(),
    )
    .await
    .unwrap();
    s.put_link(&link(user, app, LinkStatus::Active, Consent::Own))
        .await
        .unwrap();
    add_session(s, user).await;
}

/// A live login of `user`, session `s-<user>`, as `submit` presents it.
async fn add_session(s: &MemoryStore, user: &str) {
    s.create_session(&Session {
        id: SessionId::parse(&format!("s-{user}")).unwrap(),
        user_id: UserId::parse(user).unwrap(),
        family: SessionId::parse(&format!("s-{user}")).unwrap(),
        refresh_hash: format!("h-{user}"),
        expires_at: now() + chrono::Duration::days(30),
        rotated_at: None,
        revoked_at: None,
        created_at: now(),
    })
    .await
    .unwrap();
}

pub(crate) fn request(applicant: &str) -> BookRequest {
    BookRequest {
        applicant_id: applicant.into(),
        service: "passport".into(),
        office_id: "sz-futian".into(),
        date: "2026-11-25".into(),
        period_id: "am-1".into(),
        phone: "13812345678".into(),
        pickup: PickupRequest {
            method: "collect".into(),
            address: None,
        },
        photo_receipt_no: None,
        agree_terms: true,
    }
}

pub(crate) fn submit(
    s: &MemoryStore,
    user: &str,
    key: &str,
    req: &BookRequest,
) -> crate::ApiResult<BookOutcome> {
    submit_at(s, user, key, req, now())
}

/// What a test submit of `user` is made with, owned so that a `BookInput` can borrow it.
pub(crate) struct Submitting {
    pub(crate) rules: Rules,
    pub(crate) signer: QrSigner,
    pub(crate) caller: UserId,
    pub(crate) session: SessionId,
    /// The client address: one per user, as phones have.
    pub(crate) client: String,
    pub(crate) calendar: crate::rules::calendar::WorkCalendar,
    pub(crate) catalog: crate::catalog::Snapshot,
}

impl Submitting {
    pub(crate) fn of(s: &MemoryStore, user: &str) -> Self {
        Submitting {
            rules: Rules::default(),
            signer: qr(),
            caller: UserId::parse(user).unwrap(),
            session: SessionId::parse(&format!("s-{user}")).unwrap(),
            client: format!("client-of-{user}"),
            calendar: block_on(s.calendar()).unwrap(),
            catalog: block_on(crate::catalog::Snapshot::load(s)).unwrap(),
        }
    }

    pub(crate) fn input<'a>(
        &'a self,
        key: &'a str,
        req: &'a BookRequest,
        at: Instant,
    ) -> BookInput<'a> {
        BookInput {
            caller: &self.caller,
            session: &self.session,
            client: &self.client,
            idempotency_key: Some(key),
            request: req,
            rules: &self.rules,
            calendar: &self.calendar,
            catalog: &self.catalog,
            now: at,
            request_id: "req-test",
            number_secret: SECRET,
            qr: &self.signer,
            lang: crate::i18n::Lang::Zh,
        }
    }
}

/// `refused_as_full` for `user`'s submit under `key`, as the function asks it before the token.
fn refused_early(s: &MemoryStore, user: &str, key: &str, req: &BookRequest) -> bool {
    refused_as_full(s, &Submitting::of(s, user).input(key, req, now()))
}

fn submit_at(
    s: &MemoryStore,
    user: &str,
    key: &str,
    req: &BookRequest,
    at: Instant,
) -> crate::ApiResult<BookOutcome> {
    // One clock for the submit, the record and the inventory, as in production.
    s.set_now(at);
    let submitting = Submitting::of(s, user);
    block_on(book(s, s, submitting.input(key, req, at)))
}

pub(crate) fn cancel_as(
    s: &MemoryStore,
    user: &str,
    no: &str,
    at: Instant,
) -> crate::ApiResult<serde_json::Value> {
    let rules = Rules::default();
    let signer = qr();
    let caller = UserId::parse(user).unwrap();
    block_on(cancel(
        s,
        s,
        CancelInput {
            caller: &caller,
            booking_no: no,
            reason: None,
            rules: &rules,
            now: at,
            request_id: "req-test",
            qr: &signer,
            lang: crate::i18n::Lang::Zh,
        },
    ))
    .map(|c| c.view)
}

fn count_booked(s: &MemoryStore) -> usize {
    block_on(s.bookings_on(&office(), d(2026, 11, 25)))
        .unwrap()
        .iter()
        .filter(|b| b.status == BookingStatus::Booked)
        .count()
}

#[test]
fn capacity_is_never_exceeded_and_the_rest_get_slot_full() {
    let s = world(3, 10);
    let mut created = 0;
    let mut full = 0;
    for i in 0..10 {
        match submit(
            &s,
            &format!("u{i}"),
            &format!("key-{i:08}"),
            &request(&format!("ap{i}")),
        ) {
            Ok(o) => {
                assert_eq!(o.status, 201);
                created += 1;
            }
            Err(e) => {
                assert_eq!(e.code, ErrorCode::SlotFull);
                full += 1;
            }
        }
    }
    assert_eq!((created, full), (3, 7));
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 3);
    assert_eq!(count_booked(&s), 3);
}

#[test]
fn a_retry_returns_the_first_answer_and_books_nothing_new() {
    let s = world(5, 1);
    let first = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let again = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert_eq!(first.body, again.body);
    assert_eq!(again.status, 201);
    assert!(again.replayed);
    assert_eq!(count_booked(&s), 1);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    assert!(first.body["qr_payload"]
        .as_str()
        .unwrap()
        .starts_with("YY1."));
    assert_eq!(first.body["phone"], "138****5678");
}

#[test]
fn a_retry_of_a_confirmed_booking_is_answered_from_the_record_alone() {
    let s = world(5, 1);
    let first = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    // Neither a check, a write nor a confirmation is made again: each would fail here.
    for op in ["create_booking", "confirm", "abandon"] {
        s.fail_next(op);
    }
    let again = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    s.clear_faults();
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert!(again.replayed);
    assert_eq!(again.untold, None);
    assert_eq!(count_booked(&s), 1);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);

    let mut other = request("ap0");
    other.phone = "13900000000".into();
    let e = submit(&s, "u0", "key-00000001", &other).unwrap_err();
    assert_eq!(e.code, ErrorCode::IdempotencyMismatch);
    s.fail_next("idempotency");
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

#[test]
fn a_confirmed_place_without_the_callers_first_answer_is_a_conflict() {
    let s = world(5, 1);
    let first = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let req = request("ap0").validate().unwrap();
    let record = block_on(s.idempotency(&UserId::parse("u0").unwrap(), "key-00000001"))
        .unwrap()
        .unwrap();
    let ours = number_of(&first);
    let again = super::book::answer_again(Some(record.clone()), &ours, &req).unwrap();
    assert_eq!((again.status, again.replayed), (201, true));
    // The place is another caller's booking under the same number, or the caller has no
    // answer under the key: refused, nothing of the booking told.
    let other = crate::domain::BookingNo::from_entropy([0xee; 7]);
    for found in [None, Some(record)] {
        let e = super::book::answer_again(found, &other, &req).unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
    }
}

#[test]
fn a_retry_of_a_confirmed_booking_counts_against_the_limits_and_needs_a_live_session() {
    let s = world(5, 1);
    let mut submitting = Submitting::of(&s, "u0");
    submitting.rules.rate_limits.booking_per_user_per_minute = 2;
    let req = request("ap0");
    let go = |at| block_on(book(&s, &s, submitting.input("key-00000001", &req, at)));
    assert_eq!(go(now()).unwrap().status, 201);
    assert!(go(now()).unwrap().replayed);
    assert_eq!(go(now()).unwrap_err().code, ErrorCode::RateLimited);
    let later = now() + chrono::Duration::minutes(1);
    block_on(s.revoke_family(&SessionId::parse("s-u0").unwrap(), later)).unwrap();
    assert_eq!(go(later).unwrap_err().code, ErrorCode::Unauthenticated);
    assert_eq!(count_booked(&s), 1);
}

#[test]
fn a_refused_submit_retried_is_refused_the_same_way() {
    let s = world(1, 2);
    submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    for _ in 0..2 {
        let e = submit(&s, "u1", "key-00000002", &request("ap1")).unwrap_err();
        assert_eq!(e.code, ErrorCode::SlotFull);
    }
}

#[test]
fn only_a_known_full_period_is_refused_before_the_caller_is_checked() {
    let s = world(1, 3);
    // Open: not refused early, whoever asks.
    assert!(!refused_early(&s, "u1", "key-00000002", &request("ap1")));
    let first = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    // Full: refused early, exactly as the submit itself would be.
    assert!(refused_early(&s, "u1", "key-00000002", &request("ap1")));
    let e = submit(&s, "u1", "key-00000002", &request("ap1")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SlotFull);
    // The retry of the submit that got the place goes on and gets its first answer.
    assert!(!refused_early(&s, "u0", "key-00000001", &request("ap0")));
    assert_eq!(
        submit(&s, "u0", "key-00000001", &request("ap0"))
            .unwrap()
            .body,
        first.body
    );
    // What is refused for another reason is left to the usual order of checks.
    let mut bad = request("ap2");
    bad.agree_terms = false;
    assert!(!refused_early(&s, "u2", "key-00000003", &bad));
    assert!(!refused_early(&s, "u2", "", &request("ap2")));
    let mut past = request("ap2");
    past.date = "2026-11-20".into();
    assert!(!refused_early(&s, "u2", "key-00000003", &past));
    let mut other = request("ap2");
    other.office_id = "sz-nanshan".into();
    assert!(!refused_early(&s, "u2", "key-00000003", &other));
    // A cancel frees the place: no longer known full.
    let no = first.body["booking_no"].as_str().unwrap().to_owned();
    cancel_as(&s, "u0", &no, now()).unwrap();
    assert!(!refused_early(&s, "u1", "key-00000002", &request("ap1")));
}

#[test]
fn the_same_key_with_another_body_is_a_mismatch() {
    let s = world(5, 1);
    submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let mut other = request("ap0");
    other.phone = "13900000000".into();
    let e = submit(&s, "u0", "key-00000001", &other).unwrap_err();
    assert_eq!(e.code, ErrorCode::IdempotencyMismatch);
    let mut elsewhere = request("ap0");
    elsewhere.office_id = "sz-nanshan".into();
    let e = submit(&s, "u0", "key-00000001", &elsewhere).unwrap_err();
    assert_eq!(e.code, ErrorCode::IdempotencyMismatch);
    // The hold taken at the other office for the mismatched submit was given back.
    assert_eq!(
        s.taken(
            &OfficeId::parse("sz-nanshan").unwrap(),
            d(2026, 11, 25),
            "am-1"
        ),
        0
    );
    assert_eq!(count_booked(&s), 1);
}

#[test]
fn one_applicant_at_several_offices_gets_exactly_one_booking() {
    let s = world(5, 1);
    let mut ok = 0;
    for (i, id) in ["sz-futian", "sz-nanshan", "gz-tianhe"].iter().enumerate() {
        let mut r = request("ap0");
        r.office_id = (*id).into();
        r.service = "passport".into();
        match submit(&s, "u0", &format!("key-hall-{i:04}"), &r) {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code, ErrorCode::AlreadyBooked),
        }
    }
    assert_eq!(ok, 1);
    let held: u32 = ["sz-futian", "sz-nanshan", "gz-tianhe"]
        .iter()
        .map(|h| s.taken(&OfficeId::parse(h).unwrap(), d(2026, 11, 25), "am-1"))
        .sum();
    assert_eq!(held, 1, "refused holds are released");
}

#[test]
fn refusals_release_their_hold() {
    let s = world(1, 2);
    // u1 may not act for a0: the hold taken for the attempt is given back.
    let e = submit(&s, "u1", "key-00000009", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    // So the one place is still there for its rightful taker.
    assert!(submit(&s, "u0", "key-00000001", &request("ap0")).is_ok());
}

#[test]
fn identity_and_links_are_required() {
    let s = world(5, 1);
    block_on(async {
        s.create_user(&User {
            id: UserId::parse("u-new").unwrap(),
            platform: Platform::Wechat,
            openid: "wx-new".into(),
            unionid: None,
            phone: None,
            applicant_id: None,
            lang: crate::i18n::Lang::Zh,
            created_at: now(),
        })
        .await
        .unwrap();
        add_session(&s, "u-new").await;
    });
    let e = submit(&s, "u-new", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::IdentityRequired);

    block_on(add_user(&s, "u-helper", "a-helper"));
    block_on(s.create_applicant(&applicant("a-mum", Some(d(1950, 1, 1))))).unwrap();
    block_on(s.put_link(&link(
        "u-helper",
        "a-mum",
        LinkStatus::Pending,
        Consent::None,
    )))
    .unwrap();
    let e = submit(&s, "u-helper", "key-00000002", &request("a-mum")).unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::NotFound,
        "a pending link gives no rights"
    );
    block_on(s.put_link(&link(
        "u-helper",
        "a-mum",
        LinkStatus::Active,
        Consent::FaceVerified,
    )))
    .unwrap();
    let booked = submit(&s, "u-helper", "key-00000003", &request("a-mum")).unwrap();
    assert!(
        submit(&s, "u-helper", "key-00000003", &request("a-mum"))
            .unwrap()
            .replayed
    );
    // A retry of that booking answers from the record only while the link still gives rights.
    block_on(s.put_link(&link(
        "u-helper",
        "a-mum",
        LinkStatus::Revoked,
        Consent::FaceVerified,
    )))
    .unwrap();
    let e = submit(&s, "u-helper", "key-00000003", &request("a-mum")).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_eq!(booked.status, 201);
}

#[test]
fn the_release_instant_is_the_edge_of_the_window() {
    let s = world(5, 1);
    // 2026-11-25 is released at 08:00 on 2026-11-18 (7 days ahead).
    let before = at(d(2026, 11, 18), NaiveTime::from_hms_opt(7, 59, 59).unwrap());
    let e = submit_at(&s, "u0", "key-00000001", &request("ap0"), before).unwrap_err();
    assert_eq!(e.code, ErrorCode::OutsideBookingWindow);
    let release = at(d(2026, 11, 18), hm(8, 0));
    assert_eq!(
        submit_at(&s, "u0", "key-00000002", &request("ap0"), release)
            .unwrap()
            .status,
        201
    );
}

#[test]
fn the_office_service_and_photo_rules_apply() {
    let s = world(5, 1);
    let mut r = request("ap0");
    r.service = "visa_extension".into();
    let e = submit(&s, "u0", "key-00000001", &r).unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "service");

    let mut r = request("ap0");
    r.office_id = "gz-tianhe".into();
    r.service = "id_card".into();
    let e = submit(&s, "u0", "key-00000002", &r).unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "photo_receipt_no");
    r.photo_receipt_no = Some("PR20261121001".into());
    assert!(submit(&s, "u0", "key-00000003", &r).is_ok());
}

#[test]
fn only_a_pickup_method_the_guide_offers_is_accepted() {
    let s = world(5, 1);
    s.add_service(ServiceInfo {
        service_id: ServiceId::IdCard,
        name: "居民身份证".into(),
        name_en: String::new(),
        fee_fen: 0,
        processing_working_days: 7,
        guide: serde_json::json!({"pickup_options": [{"method": "collect", "name": "到大厅领取"}]}),
        // A translation: what is offered is what the guide itself says.
        guide_en: serde_json::json!({"pickup_options": [{"method": "mail"}]}),
    });
    let mut r = request("ap0");
    r.service = "id_card".into();
    r.pickup = PickupRequest {
        method: "mail".into(),
        address: Some("广东省深圳市福田区某路1号".into()),
    };
    let e = submit(&s, "u0", "key-00000001", &r).unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "pickup.method");
    assert_eq!(count_booked(&s), 0);
    r.pickup = PickupRequest {
        method: "collect".into(),
        address: None,
    };
    assert!(submit(&s, "u0", "key-00000002", &r).is_ok());
}

#[test]
fn a_lost_write_leaves_a_hold_that_lapses_and_frees_the_place() {
    let s = world(1, 2);
    s.fail_next("create_booking");
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
    // The outcome of the write is unknown to the caller, so the place stays held...
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    // ...until the hold lapses and the object finds no booking behind it.
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    assert!(submit(&s, "u1", "key-00000002", &request("ap1")).is_ok());
}

/// The confirmations the days' alarms sent: (booking number, who else is told).
fn confirmations(s: &MemoryStore) -> Vec<(String, Option<String>)> {
    s.sent_notices()
        .into_iter()
        .filter(|n| n.kind == crate::notify::NoticeKind::BookingConfirmed)
        .map(|n| {
            (
                n.booking_no.unwrap(),
                n.actor.map(|a| a.as_str().to_owned()),
            )
        })
        .collect()
}

#[test]
fn a_booking_is_told_once_by_the_day_it_was_confirmed_in() {
    let s = world(2, 2);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert!(
        confirmations(&s).is_empty(),
        "kept until the day's alarm sends it"
    );
    s.expire_holds();
    let no = o.body["booking_no"].as_str().unwrap().to_owned();
    assert_eq!(confirmations(&s), [(no.clone(), Some("u0".to_owned()))]);
    // A retry replays the answer and tells nobody again.
    assert_eq!(
        submit(&s, "u0", "key-00000001", &request("ap0"))
            .unwrap()
            .body,
        o.body
    );
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    assert_eq!(confirmations(&s).len(), 1);
}

#[test]
fn a_booking_whose_confirmation_was_lost_is_told_by_its_submit() {
    let s = world(1, 2);
    s.fail_next("confirm");
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let untold = o.untold.expect("the inventory was not handed the message");
    assert_eq!(untold.kind, crate::notify::NoticeKind::BookingConfirmed);
    assert_eq!(untold.booking_no.as_deref(), o.body["booking_no"].as_str());
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    // The lapse confirms the place and tells the booker too: the same event, which the
    // consumer sends once (one message per event and account).
    let told: Vec<_> = s
        .sent_notices()
        .into_iter()
        .filter(|n| n.kind == crate::notify::NoticeKind::BookingConfirmed)
        .map(|n| n.event_id)
        .collect();
    assert_eq!(told, [untold.event_id]);
    let ok = submit(&s, "u1", "key-00000002", &request("ap1"));
    assert_eq!(ok.unwrap_err().code, ErrorCode::SlotFull);
}

#[test]
fn a_lost_confirm_is_settled_by_the_record_and_the_booking_survives() {
    let s = world(1, 2);
    s.fail_next("confirm");
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert_eq!(o.status, 201);
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    assert_eq!(
        s.taken(&office(), d(2026, 11, 25), "am-1"),
        1,
        "the booking keeps its place"
    );
    let e = submit(&s, "u1", "key-00000002", &request("ap1")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SlotFull, "and nobody else gets it");
    let report = block_on(reconcile_day(&s, &s, &office(), d(2026, 11, 25), now())).unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn a_retry_after_a_lost_write_finds_its_booking() {
    let s = world(2, 1);
    // The write commits but its answer is lost: the client sees an error and retries.
    s.fail_next("confirm");
    let first = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let retry = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert_eq!(first.body, retry.body);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

#[test]
fn cancel_frees_the_place_at_once_and_twice_is_the_same() {
    let s = world(1, 2);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no = o.body["booking_no"].as_str().unwrap().to_owned();
    let first = cancel_as(&s, "u0", &no, now()).unwrap();
    assert_eq!(first["status"], "cancelled");
    assert!(first["qr_payload"].is_null());
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    assert_eq!(cancel_as(&s, "u0", &no, now()).unwrap(), first);
    assert!(submit(&s, "u1", "key-00000002", &request("ap1")).is_ok());
}

#[test]
fn a_stranger_cannot_cancel_and_the_booking_stays() {
    let s = world(1, 2);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no = o.body["booking_no"].as_str().unwrap().to_owned();
    let e = cancel_as(&s, "u1", &no, now()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let b = block_on(s.booking(&crate::domain::BookingNo::parse(&no).unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(b.status, BookingStatus::Booked);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

#[test]
fn cancelling_stops_at_the_cutoff() {
    let s = world(1, 1);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no = o.body["booking_no"].as_str().unwrap().to_owned();
    // The period starts 09:00 on the 25th; the cutoff is two hours before.
    let late = at(d(2026, 11, 25), hm(7, 0));
    assert_eq!(
        cancel_as(&s, "u0", &no, late).unwrap_err().code,
        ErrorCode::CancelTooLate
    );
    let last_minute = at(d(2026, 11, 25), NaiveTime::from_hms_opt(6, 59, 59).unwrap());
    assert_eq!(
        cancel_as(&s, "u0", &no, last_minute).unwrap()["status"],
        "cancelled"
    );
}

#[test]
fn a_second_no_show_in_the_window_bars_booking() {
    let s = world(5, 1);
    block_on(async {
        for (i, day) in [d(2026, 9, 1), d(2026, 10, 15)].iter().enumerate() {
            let booking = Booking {
                booking_no: crate::domain::BookingNo::from_entropy([i as u8; 7]),
                applicant_id: ApplicantId::parse("ap0").unwrap(),
                booked_by: UserId::parse("u0").unwrap(),
                service: ServiceId::HkMacauPermit,
                office_id: office(),
                date: *day,
                period_id: PeriodId::parse("am-1").unwrap(),
                start: hm(9, 0),
                end: hm(10, 0),
                phone: crate::domain::Phone::parse("13812345678").unwrap(),
                pickup: Pickup::Collect,
                photo_receipt_no: None,
                status: BookingStatus::Booked,
                created_at: now(),
                cancelled_at: None,
                cancelled_by: None,
                cancel_reason: None,
                checked_in_at: None,
            };
            let idem = IdempotencyRecord {
                user_id: UserId::parse("u0").unwrap(),
                key: format!("old-key-{i:04}"),
                fingerprint: String::new(),
                booking_no: booking.booking_no.clone(),
                status: 201,
                response: serde_json::Value::Null,
                created_at: now(),
            };
            let audit = AuditEntry {
                actor: Actor::System,
                subject: ApplicantId::parse("ap0").unwrap(),
                action: "test".into(),
                target: None,
                request_id: "r".into(),
                at: now(),
            };
            s.create_booking(&booking, &idem, &audit, None)
                .await
                .unwrap();
            s.mark_no_shows(*day, &Actor::System, "r", now())
                .await
                .unwrap();
        }
    });
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::BookingBanned);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
}

#[test]
fn reconciliation_repairs_both_directions() {
    let s = world(3, 2);
    let a = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no_a = crate::domain::BookingNo::parse(a.body["booking_no"].as_str().unwrap()).unwrap();
    // The object lost a booking the record has...
    block_on(s.release(&office(), d(2026, 11, 25), &no_a)).unwrap();
    // ...and holds a place no booking stands behind, long expired.
    let stray = HoldRequest {
        office: office(),
        date: d(2026, 11, 25),
        period: PeriodId::parse("am-1").unwrap(),
        booking_no: crate::domain::BookingNo::from_entropy([42; 7]),
        applicant: ApplicantId::parse("ap1").unwrap(),
        ttl_seconds: 60,
        user: UserId::parse("u-test").unwrap(),
        at: crate::time::from_unix_millis(0),
    };
    block_on(s.hold(&stray)).unwrap();
    s.set_now(now() + chrono::Duration::seconds(120));
    let report = block_on(reconcile_day(
        &s,
        &s,
        &office(),
        d(2026, 11, 25),
        now() + chrono::Duration::seconds(120),
    ))
    .unwrap();
    assert_eq!(report.restored, vec![no_a.as_str().to_owned()]);
    assert_eq!(report.released, vec![stray.booking_no.as_str().to_owned()]);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    let again = block_on(reconcile_day(&s, &s, &office(), d(2026, 11, 25), now())).unwrap();
    assert!(again.is_clean());
}

#[test]
fn with_the_waiting_room_on_places_go_in_lottery_order_not_arrival_order() {
    use crate::inventory::admission::{AdmissionConfig, AdmissionStatus};
    let s = world(10, 5);
    let opens = now() + chrono::Duration::minutes(10);
    let config = AdmissionConfig {
        opens_at_ms: opens.timestamp_millis(),
        batch_size: 2,
        batch_interval_seconds: 60,
        admitted_for_seconds: 300,
    };
    block_on(s.set_admission(&office(), d(2026, 11, 25), Some(&config))).unwrap();
    let status = |u: &str, at: Instant, join: bool| {
        block_on(s.admission(
            &office(),
            d(2026, 11, 25),
            &UserId::parse(u).unwrap(),
            at,
            join,
        ))
        .unwrap()
    };
    for u in ["u0", "u1", "u2", "u3"] {
        assert_eq!(
            status(u, now(), true),
            AdmissionStatus::Waiting {
                position: None,
                turn_at_ms: config.opens_at_ms
            }
        );
    }
    // Before the draw nobody may take a place; someone who never joined is told to.
    let early = submit_at(&s, "u0", "key-00000001", &request("ap0"), now()).unwrap_err();
    assert_eq!(early.code, ErrorCode::RateLimited);
    let never = submit_at(&s, "u4", "key-00000004", &request("ap4"), opens).unwrap_err();
    assert_eq!(never.details.unwrap()["admission"], "not_joined");

    // At the opening the lottery is drawn: positions 1..4 in some order, two admitted.
    let positions: Vec<(String, u64)> = ["u0", "u1", "u2", "u3"]
        .iter()
        .map(|u| {
            let p = match status(u, opens, false) {
                AdmissionStatus::Admitted { position, .. } => position,
                AdmissionStatus::Waiting {
                    position: Some(p), ..
                } => p,
                other => panic!("{other:?}"),
            };
            (u.to_string(), p)
        })
        .collect();
    let mut sorted: Vec<u64> = positions.iter().map(|(_, p)| *p).collect();
    sorted.sort_unstable();
    assert_eq!(sorted, [1, 2, 3, 4]);
    for (i, (u, pos)) in positions.iter().enumerate() {
        let key = format!("key-1000000{i}");
        let r = submit_at(&s, u, &key, &request(&format!("ap{i}")), opens);
        if *pos <= 2 {
            assert_eq!(r.unwrap().status, 201, "{u} at position {pos}");
        } else {
            let e = r.unwrap_err();
            assert_eq!(e.code, ErrorCode::RateLimited);
            assert_eq!(e.details.unwrap()["position"], *pos);
            assert_eq!(e.retry_after, Some(60));
        }
    }
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 2);
    // A minute later the next batch books.
    let next = opens + chrono::Duration::seconds(60);
    for (i, (u, pos)) in positions.iter().enumerate() {
        if *pos > 2 {
            let key = format!("key-2000000{i}");
            assert_eq!(
                submit_at(&s, u, &key, &request(&format!("ap{i}")), next)
                    .unwrap()
                    .status,
                201
            );
        }
    }
    // Late joiners queue behind everyone drawn.
    assert_eq!(
        status("u4", next, true),
        AdmissionStatus::Waiting {
            position: Some(5),
            turn_at_ms: config.turn_at(5)
        }
    );
    // Switched off, anyone books again.
    block_on(s.set_admission(&office(), d(2026, 11, 25), None)).unwrap();
    assert_eq!(status("u4", next, false), AdmissionStatus::Off);
    assert_eq!(
        submit_at(&s, "u4", "key-30000004", &request("ap4"), next)
            .unwrap()
            .status,
        201
    );
}

#[test]
fn a_period_published_on_a_holiday_is_not_bookable_as_the_slot_page_says() {
    let s = world(5, 1);
    s.set_calendar(crate::rules::calendar::WorkCalendar {
        holidays: [d(2026, 11, 25)].into(),
        makeup_workdays: Default::default(),
    });
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::OutsideBookingWindow);
    assert_eq!(e.details.unwrap()["reason"], "holiday");
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
}

#[test]
fn a_revoked_or_missing_session_books_nothing_and_frees_the_hold() {
    let s = world(5, 2);
    block_on(s.revoke_family(&SessionId::parse("s-u0").unwrap(), now())).unwrap();
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    assert_eq!(count_booked(&s), 0);
    assert_eq!(
        submit(&s, "u1", "key-00000002", &request("ap1"))
            .unwrap()
            .status,
        201
    );
}

#[test]
fn a_submit_over_a_limit_frees_the_place_and_writes_nothing() {
    let s = world(5, 3);
    let mut submitting = Submitting::of(&s, "u0");
    submitting.rules.rate_limits.booking_per_user_per_minute = 1;
    let req = request("ap0");
    // Counted with the record's read: a first submit refused by the checks still counts.
    let e = block_on(book(
        &s,
        &s,
        submitting.input("key-00000001", &request("ap1"), now()),
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = block_on(book(&s, &s, submitting.input("key-00000002", &req, now()))).unwrap_err();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert_eq!(e.retry_after, Some(60 - (now().timestamp() % 60) as u32));
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    assert_eq!(count_booked(&s), 0);
    // The counter a cancel counts in (`Counters`) is the same one.
    let [user_hit, _] =
        crate::ratelimit::booking_hits(&submitting.rules, "u0", "x", now().timestamp_millis());
    assert_eq!(block_on(s.count_hits(&[user_hit])).unwrap(), [3]);
    // The next window admits it again.
    let later = now() + chrono::Duration::seconds(60);
    s.set_now(later);
    assert_eq!(
        block_on(book(&s, &s, submitting.input("key-00000003", &req, later)))
            .unwrap()
            .status,
        201
    );
}

#[test]
fn the_per_client_limit_counts_every_user_behind_one_address() {
    let s = world(5, 3);
    let mut a = Submitting::of(&s, "u0");
    let mut b = Submitting::of(&s, "u1");
    for x in [&mut a, &mut b] {
        x.rules.rate_limits.requests_per_client_per_second = 1;
        x.client = "203.0.113.7".into();
    }
    assert_eq!(
        block_on(book(
            &s,
            &s,
            a.input("key-00000001", &request("ap0"), now())
        ))
        .unwrap()
        .status,
        201
    );
    let e = block_on(book(
        &s,
        &s,
        b.input("key-00000002", &request("ap1"), now()),
    ))
    .unwrap_err();
    assert_eq!((e.code, e.retry_after), (ErrorCode::RateLimited, Some(1)));
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

fn number_of(o: &BookOutcome) -> crate::domain::BookingNo {
    crate::domain::BookingNo::parse(o.body["booking_no"].as_str().unwrap()).unwrap()
}

/// The hold a submit under `no` takes of `office`'s one period on 2026-11-25.
fn hold_of(office: &str, no: &crate::domain::BookingNo, user: &str) -> HoldRequest {
    HoldRequest {
        office: OfficeId::parse(office).unwrap(),
        date: d(2026, 11, 25),
        period: PeriodId::parse("am-1").unwrap(),
        booking_no: no.clone(),
        applicant: ApplicantId::parse(&format!("ap-{user}")).unwrap(),
        ttl_seconds: 60,
        user: UserId::parse(user).unwrap(),
        at: now(),
    }
}

#[test]
fn a_refused_retry_keeps_the_place_of_the_booking_its_first_submit_made() {
    let s = world(1, 2);
    let first = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    // The same key (so the same number, the same place) with an applicant u0 may not act
    // for: refused once the place is held...
    let e = submit(&s, "u0", "key-00000001", &request("ap1")).unwrap_err();
    assert_ne!(e.status(), 201);
    // ...and the very same submit retried into the rate limit.
    let mut submitting = Submitting::of(&s, "u0");
    submitting.rules.rate_limits.booking_per_user_per_minute = 2;
    let req = request("ap0");
    let e = block_on(book(&s, &s, submitting.input("key-00000001", &req, now()))).unwrap_err();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert_eq!(
        s.taken(&office(), d(2026, 11, 25), "am-1"),
        1,
        "the booking keeps its place"
    );
    let e = submit(&s, "u1", "key-00000002", &request("ap1")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SlotFull, "and nobody else gets it");
    assert_eq!(count_booked(&s), 1);
    let report = block_on(reconcile_day(&s, &s, &office(), d(2026, 11, 25), now())).unwrap();
    assert!(report.is_clean(), "{report:?}");
    // A retry that passes still gets the first answer.
    let again = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert_eq!(again.body, first.body);
}

#[test]
fn a_double_tap_whose_first_submit_gives_up_leaves_the_place_to_the_second() {
    let s = world(1, 2);
    let no = crate::domain::BookingNo::from_entropy([7; 7]);
    let hold = hold_of("sz-futian", &no, "u0");
    // Both taps hold: the second joins the first's place.
    for _ in 0..2 {
        let held = block_on(s.hold(&hold)).unwrap();
        assert!(matches!(held, HoldOutcome::Held { .. }), "{held:?}");
    }
    // The first is refused and gives up: the second still relies on the place.
    block_on(s.abandon(&office(), d(2026, 11, 25), &no)).unwrap();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    let other = hold_of(
        "sz-futian",
        &crate::domain::BookingNo::from_entropy([8; 7]),
        "u1",
    );
    assert_eq!(block_on(s.hold(&other)).unwrap(), HoldOutcome::Full);
    // The second writes its booking and confirms: the place is there.
    assert!(block_on(s.confirm(&office(), d(2026, 11, 25), &no)).unwrap());
    // Giving up never frees a confirmed place.
    block_on(s.abandon(&office(), d(2026, 11, 25), &no)).unwrap();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

#[test]
fn when_every_tap_gives_up_the_place_is_free_again() {
    let s = world(1, 2);
    let no = crate::domain::BookingNo::from_entropy([7; 7]);
    let hold = hold_of("sz-futian", &no, "u0");
    block_on(s.hold(&hold)).unwrap();
    block_on(s.hold(&hold)).unwrap();
    block_on(s.abandon(&office(), d(2026, 11, 25), &no)).unwrap();
    block_on(s.abandon(&office(), d(2026, 11, 25), &no)).unwrap();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    assert!(submit(&s, "u1", "key-00000002", &request("ap1")).is_ok());
}

#[test]
fn a_booking_whose_place_was_freed_before_its_confirmation_takes_it_back_or_says_so() {
    let s = world(1, 2);
    let hold = written_with_its_place_freed(&s);
    let no = hold.booking_no.clone();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    // Confirming finds no place, and takes the free one back.
    assert_eq!(
        block_on(confirm_place(&s, &s, &hold, None)),
        Placed::Confirmed
    );
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);

    // Had someone taken it meanwhile, the place is reported lost, never taken beyond capacity.
    block_on(s.release(&office(), d(2026, 11, 25), &no)).unwrap();
    let other = hold_of(
        "sz-futian",
        &crate::domain::BookingNo::from_entropy([8; 7]),
        "u1",
    );
    block_on(s.hold(&other)).unwrap();
    assert_eq!(block_on(confirm_place(&s, &s, &hold, None)), Placed::Lost);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

/// A booking written whose confirmation did not reach the object and whose place was then
/// freed (as a lapse settled before the write committed would free it), and its hold.
fn written_with_its_place_freed(s: &MemoryStore) -> HoldRequest {
    s.fail_next("confirm");
    let no = number_of(&submit(s, "u0", "key-00000001", &request("ap0")).unwrap());
    block_on(s.release(&office(), d(2026, 11, 25), &no)).unwrap();
    let mut hold = hold_of("sz-futian", &no, "u0");
    hold.applicant = ApplicantId::parse("ap0").unwrap();
    hold
}

#[test]
fn a_booking_cancelled_just_before_its_place_is_taken_back_keeps_none() {
    let s = world(1, 2);
    let hold = written_with_its_place_freed(&s);
    // The applicant cancels after the record was read and before the restore.
    let cancelling = hold.booking_no.clone();
    s.before_next("restore", move |s| {
        cancel_as(s, "u0", cancelling.as_str(), now()).unwrap();
    });
    assert_eq!(
        block_on(confirm_place(&s, &s, &hold, None)),
        Placed::Cancelled
    );
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
}

#[test]
fn a_place_is_taken_back_when_the_record_cannot_say_the_booking_was_cancelled() {
    let s = world(1, 2);
    let hold = written_with_its_place_freed(&s);
    s.fail_next("booking");
    assert_eq!(
        block_on(confirm_place(&s, &s, &hold, None)),
        Placed::Confirmed
    );
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

#[test]
fn a_booking_cancelled_before_its_confirmation_is_not_given_its_place_back() {
    let s = world(1, 2);
    // Between the submit's write and its confirmation, the applicant cancels the booking
    // (it is in the record, so it is listed): the cancel frees the unconfirmed hold.
    s.before_next("confirm", |s| {
        let mine = block_on(s.bookings_of(&[ApplicantId::parse("ap0").unwrap()])).unwrap();
        cancel_as(s, "u0", mine[0].booking_no.as_str(), now()).unwrap();
    });
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert_eq!(o.status, 201, "the booking was made, then cancelled");
    assert!(o.untold.is_none());
    assert_eq!(
        s.taken(&office(), d(2026, 11, 25), "am-1"),
        0,
        "the cancelled booking takes no place back"
    );
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    assert!(
        confirmations(&s).is_empty(),
        "nobody is told a cancelled booking is confirmed"
    );
    assert!(submit(&s, "u1", "key-00000002", &request("ap1")).is_ok());
}

#[test]
fn a_booking_whose_write_lost_its_answer_is_told_when_its_hold_lapses() {
    let s = world(1, 2);
    // D1 commits the booking, but the submit hears an error and its caller does not retry.
    s.lose_next_answer("create_booking");
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
    s.expire_holds();
    assert!(confirmations(&s).is_empty(), "nothing confirmed yet");
    // The lapse finds the booking in the record: it keeps its place and its booker is told.
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    let mine = block_on(s.bookings_of(&[ApplicantId::parse("ap0").unwrap()])).unwrap();
    assert_eq!(
        confirmations(&s),
        [(
            mine[0].booking_no.as_str().to_owned(),
            Some("u0".to_owned())
        )]
    );
}

#[test]
fn a_retry_of_a_write_that_lost_its_answer_confirms_and_tells() {
    let s = world(1, 2);
    s.lose_next_answer("create_booking");
    submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    let retry = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    assert_eq!(retry.status, 201);
    // The retry's confirmation is the first: it hands the object the booker's message.
    s.expire_holds();
    assert_eq!(
        confirmations(&s),
        [(number_of(&retry).as_str().to_owned(), Some("u0".to_owned()))]
    );
}

#[test]
fn a_hold_under_a_number_booked_elsewhere_lapses_and_frees_its_place() {
    let s = world(1, 1);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    // The same number holding a place at another office (the same key sent there, its submit
    // lost before it gave the hold up).
    let stray = hold_of("sz-nanshan", &number_of(&o), "u0");
    block_on(s.hold(&stray)).unwrap();
    s.set_now(now() + chrono::Duration::seconds(61));
    s.expire_holds();
    let nanshan = OfficeId::parse("sz-nanshan").unwrap();
    assert_eq!(s.taken(&nanshan, d(2026, 11, 25), "am-1"), 0);
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
}

#[test]
fn cancelling_again_frees_a_place_the_first_cancel_did_not_reach() {
    let s = world(1, 2);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no = number_of(&o);
    // The first cancel committed in the record but never reached the object.
    let audit = AuditEntry {
        actor: Actor::User(UserId::parse("u0").unwrap()),
        subject: ApplicantId::parse("ap0").unwrap(),
        action: "booking.cancel".into(),
        target: Some(no.as_str().to_owned()),
        request_id: "req-test".into(),
        at: now(),
    };
    block_on(s.cancel_booking(&no, &UserId::parse("u0").unwrap(), None, now(), &audit))
        .unwrap()
        .unwrap();
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    let again = cancel_as(&s, "u0", no.as_str(), now()).unwrap();
    assert_eq!(again["status"], "cancelled");
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 0);
    assert!(submit(&s, "u1", "key-00000002", &request("ap1")).is_ok());
}

#[test]
fn a_booking_whose_place_was_lost_before_its_confirmation_is_withdrawn_and_answered_full() {
    let s = world(1, 1);
    s.lose_place_before_next_confirm();
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SlotFull);
    // Never more bookings than places: the other number keeps the one place.
    assert_eq!(s.taken(&office(), d(2026, 11, 25), "am-1"), 1);
    assert_eq!(count_booked(&s), 0);
    // The withdrawal is nobody's cancellation: it counts against no quota.
    assert!(block_on(s.cancellations_since(
        &ApplicantId::parse("ap0").unwrap(),
        now() - chrono::Duration::days(30)
    ))
    .unwrap()
    .is_empty());
    // A retry gets the same answer, whether the period is still full or has room again.
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SlotFull);
    let other = crate::domain::BookingNo::from_entropy([0xee; 7]);
    block_on(s.release(&office(), d(2026, 11, 25), &other)).unwrap();
    let e = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SlotFull);
    assert_eq!(
        s.taken(&office(), d(2026, 11, 25), "am-1"),
        0,
        "the retry gave its hold up"
    );
    // The applicant holds no active booking, so may book again under a new key.
    assert_eq!(
        submit(&s, "u0", "key-00000002", &request("ap0"))
            .unwrap()
            .status,
        201
    );
}

#[test]
fn a_office_that_is_not_in_the_catalog_is_not_found_before_any_object_is_asked() {
    let s = world(1, 1);
    s.fail_next("hold");
    let mut nowhere = request("ap0");
    nowhere.office_id = "sz-nowhere".into();
    let e = submit(&s, "u0", "key-00000001", &nowhere).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(!refused_early(&s, "u0", "key-00000001", &nowhere));
    // The injected failure is still pending: no hold was asked for.
    let e = submit(&s, "u0", "key-00000002", &request("ap0")).unwrap_err();
    assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
}

#[test]
fn reconciliation_does_not_restore_a_place_its_booking_was_cancelled_from_meanwhile() {
    let s = world(1, 2);
    let o = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let no = number_of(&o);
    // The object lost the booking's place; reconciliation reads the record, and before its
    // restore reaches the object the applicant cancels (the cancel's release finds nothing).
    block_on(s.release(&office(), d(2026, 11, 25), &no)).unwrap();
    let cancelling = no.clone();
    s.before_next("restore", move |s| {
        cancel_as(s, "u0", cancelling.as_str(), now()).unwrap();
    });
    let report = block_on(reconcile_day(&s, &s, &office(), d(2026, 11, 25), now())).unwrap();
    assert!(report.restored.is_empty(), "{report:?}");
    assert_eq!(
        s.taken(&office(), d(2026, 11, 25), "am-1"),
        0,
        "the cancelled booking keeps no place"
    );
    assert!(submit(&s, "u1", "key-00000002", &request("ap1")).is_ok());
}

#[test]
fn a_foreigner_is_refused_a_residents_service_as_document_not_accepted_and_nothing_is_held() {
    let s = world(5, 0);
    for (user, kind) in [
        ("u-passport", DocumentKind::ForeignPassport),
        ("u-pr", DocumentKind::PermanentResidence),
    ] {
        let app = format!("ap-{user}");
        block_on(add_user_with(&s, user, &app, kind));
        let err = submit(&s, user, &format!("key-{user}-0001"), &request(&app)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err:?}");
        let details = err.details.unwrap();
        assert_eq!(details["reason"], "document_not_accepted");
        assert_eq!(details["field"], "service");
    }
    // A resident books the same period: both refusals gave their holds up.
    block_on(add_user(&s, "u-resident", "ap-resident"));
    assert_eq!(
        submit(
            &s,
            "u-resident",
            "key-resident-0001",
            &request("ap-resident")
        )
        .unwrap()
        .status,
        201
    );
}
