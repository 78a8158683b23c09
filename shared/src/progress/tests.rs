//! Check-in, the processing system's events and the reads, against the in-memory store.

use super::machine::Delivery;
use super::read::*;
use super::validity::LONG_TERM_UNTIL;
use super::*;
use crate::authz::tests::{applicant, link};
use crate::booking::qr::{QrClaims, QrSigner};
use crate::domain::{ApplicationNo, BookingNo, OfficeId, PeriodId, Phone, ServiceId};
use crate::error::ErrorCode;
use crate::fake::{block_on, MemoryStore};
use crate::i18n::Lang;
use crate::ops::auth::{OpsIdentity, OpsRole};
use crate::rules::calendar::WorkCalendar;
use crate::rules::Rules;
use crate::store::*;
use crate::time::{at, Instant};
use chrono::{NaiveDate, NaiveTime};
use serde_json::{json, Value};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Wednesday 2026-11-25, the day of the bookings, at 09:10.
fn at_the_office() -> Instant {
    at(d(2026, 11, 25), hm(9, 10))
}

fn qr() -> QrSigner {
    QrSigner::from_seed(&[9u8; 32]).unwrap()
}

fn admin() -> OpsIdentity {
    OpsIdentity {
        name: "dev-admin".into(),
        role: OpsRole::Admin,
    }
}

fn office_staff(office: &str) -> OpsIdentity {
    OpsIdentity {
        name: format!("staff-{office}"),
        role: OpsRole::Hall(OfficeId::parse(office).unwrap()),
    }
}

/// Users `u1` (applicant `ap1`, adult) and `u2` (`ap2`); `u1` also acts for child `kid`
/// (born 2015). Services with their processing days; office sz-futian.
fn world() -> MemoryStore {
    let s = MemoryStore::new();
    s.set_now(at_the_office());
    for (id, days) in [
        (ServiceId::Passport, 7),
        (ServiceId::IdCard, 20),
        (ServiceId::VisaExtension, 7),
    ] {
        s.add_service(ServiceInfo {
            service_id: id,
            name: id.as_str().into(),
            name_en: String::new(),
            fee_fen: 12000,
            processing_working_days: days,
            guide: json!({}),
            guide_en: serde_json::json!({}),
        });
    }
    block_on(async {
        for (app, birth) in [
            ("ap1", d(1990, 3, 7)),
            ("ap2", d(1985, 1, 1)),
            ("kid", d(2015, 6, 1)),
        ] {
            s.create_applicant(&applicant(app, Some(birth)))
                .await
                .unwrap();
        }
        s.put_link(&link("u1", "ap1", LinkStatus::Active, Consent::Own))
            .await
            .unwrap();
        s.put_link(&link("u1", "kid", LinkStatus::Active, Consent::Guardian))
            .await
            .unwrap();
        s.put_link(&link("u2", "ap2", LinkStatus::Active, Consent::Own))
            .await
            .unwrap();
    });
    s
}

fn book(
    s: &MemoryStore,
    n: u8,
    applicant: &str,
    service: ServiceId,
    date: NaiveDate,
    pickup: Pickup,
) -> BookingNo {
    let no = BookingNo::from_entropy([n; 7]);
    let booking = Booking {
        booking_no: no.clone(),
        applicant_id: ApplicantId::parse(applicant).unwrap(),
        booked_by: UserId::parse("u1").unwrap(),
        service,
        office_id: OfficeId::parse("sz-futian").unwrap(),
        date,
        period_id: PeriodId::parse("am-1").unwrap(),
        start: hm(9, 0),
        end: hm(10, 0),
        phone: Phone::parse("13812345678").unwrap(),
        pickup,
        photo_receipt_no: None,
        status: BookingStatus::Booked,
        created_at: at(d(2026, 11, 21), hm(9, 0)),
        cancelled_at: None,
        cancelled_by: None,
        cancel_reason: None,
        checked_in_at: None,
    };
    let record = IdempotencyRecord {
        user_id: UserId::parse("u1").unwrap(),
        key: format!("key-{n:08}"),
        fingerprint: "f".into(),
        booking_no: no.clone(),
        status: 201,
        response: json!({}),
        created_at: booking.created_at,
    };
    let audit = AuditEntry {
        actor: Actor::User(UserId::parse("u1").unwrap()),
        subject: booking.applicant_id.clone(),
        action: "booking.create".into(),
        target: None,
        request_id: "r".into(),
        at: booking.created_at,
    };
    assert!(matches!(
        block_on(s.create_booking(
            &booking, &record, &audit,
            // A record written directly, with no hold to fence.
            None
        ))
        .unwrap(),
        CreateBooking::Created
    ));
    no
}

fn payload(no: &BookingNo, date: NaiveDate, period: &str) -> String {
    crate::fake::block_on(qr().sign(&QrClaims {
        booking_no: no.clone(),
        office_id: OfficeId::parse("sz-futian").unwrap(),
        date,
        period_id: PeriodId::parse(period).unwrap(),
    }))
    .unwrap()
}

fn checkin(
    s: &MemoryStore,
    who: &OpsIdentity,
    no: &str,
    qr_payload: Option<&str>,
    now: Instant,
    entropy: u8,
) -> crate::ApiResult<CheckinOutcome> {
    let pk = qr().public_key();
    block_on(check_in(
        s,
        CheckinInput {
            who,
            booking_no: no,
            qr_payload,
            qr_public_key: &pk,
            qr_signatures: &crate::auth::InRust,
            calendar: &WorkCalendar::seed(),
            now,
            entropy: [entropy; 5],
            request_id: "req-checkin",
            lang: crate::i18n::Lang::Zh,
        },
    ))
}

fn event(s: &MemoryStore, app: &str, body: Value, now: Instant) -> crate::ApiResult<Value> {
    let request: EventRequest = serde_json::from_value(body).unwrap();
    block_on(apply_event(
        s,
        EventInput {
            application_no: app,
            request: &request,
            actor: "processing-system",
            now,
            request_id: "req-event",
            lang: crate::i18n::Lang::Zh,
        },
    ))
}

fn app_no(outcome: &CheckinOutcome) -> String {
    outcome.body["application"]["application_no"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn reason(e: crate::ApiError) -> String {
    e.details.unwrap()["reason"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn check_in_with_the_qr_code_opens_an_accepted_application_with_an_estimate() {
    let s = world();
    let no = book(
        &s,
        1,
        "ap1",
        ServiceId::Passport,
        d(2026, 11, 25),
        Pickup::Collect,
    );
    let p = payload(&no, d(2026, 11, 25), "am-1");
    let first = checkin(
        &s,
        &office_staff("sz-futian"),
        no.as_str(),
        Some(&p),
        at_the_office(),
        1,
    )
    .unwrap();
    assert!(first.created);
    let b = &first.body;
    assert_eq!(b["booking_status"], "checked_in");
    assert_eq!(b["checked_in_at"], "2026-11-25T09:10:00+08:00");
    let a = &b["application"];
    assert_eq!(a["status"], "accepted");
    assert!(a["application_no"]
        .as_str()
        .unwrap()
        .starts_with("A20261125"));
    // 7 working days after Wednesday Nov 25: Thu, Fri, Mon..Thu, Fri Dec 4.
    assert_eq!(a["estimated_ready"], "2026-12-04");
    assert_eq!(
        a["timeline"],
        json!([{ "status": "accepted", "label": "已受理", "at": "2026-11-25T09:10:00+08:00", "note": null }])
    );
    assert_eq!(a["status_label"], "已受理");
    assert_eq!(a["applicant"]["name"], "张*");

    // A second scan, and the number typed by hand, return the same application.
    let again = checkin(
        &s,
        &office_staff("sz-futian"),
        &no.display_grouped(),
        None,
        at_the_office(),
        2,
    )
    .unwrap();
    assert!(!again.created);
    assert_eq!(app_no(&again), app_no(&first));
    // Even on a later day.
    let later = checkin(
        &s,
        &admin(),
        no.as_str(),
        None,
        at(d(2026, 11, 26), hm(9, 0)),
        3,
    )
    .unwrap();
    assert_eq!(app_no(&later), app_no(&first));

    let trail = block_on(s.audit_of(&[ApplicantId::parse("ap1").unwrap()], 10)).unwrap();
    let checkins: Vec<_> = trail
        .iter()
        .filter(|e| e.action == "booking.checkin")
        .collect();
    assert_eq!(checkins.len(), 1, "one audit entry, however many scans");
    assert_eq!(checkins[0].actor, Actor::Ops("staff-sz-futian".into()));
}

#[test]
fn check_in_is_refused_on_another_day_at_another_office_or_with_a_foreign_code() {
    let s = world();
    let no = book(
        &s,
        1,
        "ap1",
        ServiceId::Passport,
        d(2026, 11, 25),
        Pickup::Collect,
    );
    let other = book(
        &s,
        2,
        "ap2",
        ServiceId::Passport,
        d(2026, 11, 25),
        Pickup::Collect,
    );

    let e = checkin(
        &s,
        &admin(),
        no.as_str(),
        None,
        at(d(2026, 11, 24), hm(16, 0)),
        1,
    )
    .unwrap_err();
    assert_eq!(
        (e.code, reason(e)),
        (ErrorCode::Conflict, "not_today".to_owned())
    );
    let e = checkin(
        &s,
        &office_staff("sz-nanshan"),
        no.as_str(),
        None,
        at_the_office(),
        1,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    // Another booking's (valid) code, a tampered one, and one for another period.
    let theirs = payload(&other, d(2026, 11, 25), "am-1");
    let e = checkin(&s, &admin(), no.as_str(), Some(&theirs), at_the_office(), 1).unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "qr_payload");
    let tampered = payload(&no, d(2026, 11, 25), "am-1").replacen("am-1", "am-2", 1);
    assert_eq!(
        checkin(
            &s,
            &admin(),
            no.as_str(),
            Some(&tampered),
            at_the_office(),
            1
        )
        .unwrap_err()
        .code,
        ErrorCode::InvalidArgument
    );
    let wrong_period = payload(&no, d(2026, 11, 25), "pm-1");
    assert_eq!(
        checkin(
            &s,
            &admin(),
            no.as_str(),
            Some(&wrong_period),
            at_the_office(),
            1
        )
        .unwrap_err()
        .code,
        ErrorCode::InvalidArgument
    );
    // Malformed and unknown numbers.
    assert_eq!(
        checkin(&s, &admin(), "NOT-A-NUMBER", None, at_the_office(), 1)
            .unwrap_err()
            .details
            .unwrap()["field"],
        "booking_no"
    );
    let unknown = BookingNo::from_entropy([77; 7]);
    assert_eq!(
        checkin(&s, &admin(), unknown.as_str(), None, at_the_office(), 1)
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    assert!(
        block_on(s.application_of_booking(&no)).unwrap().is_none(),
        "nothing was opened"
    );
}

#[test]
fn a_cancelled_booking_cannot_be_checked_in() {
    let s = world();
    let no = book(
        &s,
        1,
        "ap1",
        ServiceId::Passport,
        d(2026, 11, 25),
        Pickup::Collect,
    );
    let audit = AuditEntry {
        actor: Actor::User(UserId::parse("u1").unwrap()),
        subject: ApplicantId::parse("ap1").unwrap(),
        action: "booking.cancel".into(),
        target: None,
        request_id: "r".into(),
        at: at_the_office(),
    };
    block_on(s.cancel_booking(
        &no,
        &UserId::parse("u1").unwrap(),
        None,
        at_the_office(),
        &audit,
    ))
    .unwrap();
    let e = checkin(&s, &admin(), no.as_str(), None, at_the_office(), 1).unwrap_err();
    assert_eq!(
        (e.code, reason(e)),
        (ErrorCode::Conflict, "cancelled".to_owned())
    );
}

#[test]
fn a_lost_application_write_is_opened_by_the_retry() {
    let s = world();
    let no = book(
        &s,
        1,
        "ap1",
        ServiceId::Passport,
        d(2026, 11, 25),
        Pickup::Collect,
    );
    s.fail_next("open_application");
    assert_eq!(
        checkin(&s, &admin(), no.as_str(), None, at_the_office(), 1)
            .unwrap_err()
            .code,
        ErrorCode::UpstreamUnavailable
    );
    let retry = checkin(&s, &admin(), no.as_str(), None, at_the_office(), 2).unwrap();
    assert!(retry.created);
    assert_eq!(retry.body["application"]["status"], "accepted");
}

/// Checks `booking` in and returns its application number.
fn opened(s: &MemoryStore, n: u8, applicant: &str, service: ServiceId, pickup: Pickup) -> String {
    let no = book(s, n, applicant, service, d(2026, 11, 25), pickup);
    app_no(&checkin(s, &admin(), no.as_str(), None, at_the_office(), n).unwrap())
}

fn later(h: u32) -> Instant {
    at(d(2026, 12, 4), hm(h, 0))
}

#[test]
fn events_move_a_collected_passport_along_its_timeline_and_issue_the_document() {
    let s = world();
    let app = opened(&s, 1, "ap1", ServiceId::Passport, Pickup::Collect);
    for (i, status) in ["reviewing", "producing", "ready"].into_iter().enumerate() {
        let r = event(&s, &app, json!({ "status": status }), later(9 + i as u32)).unwrap();
        assert_eq!(r["changed"], true);
        assert_eq!(r["application"]["status"], status);
        assert_eq!(r["document"], Value::Null);
    }
    let done = event(
        &s,
        &app,
        json!({ "status": "collected", "document_no": "e12345678" }),
        later(15),
    )
    .unwrap();
    let statuses: Vec<&str> = done["application"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["accepted", "reviewing", "producing", "ready", "collected"]
    );
    assert_eq!(
        done["application"]["timeline"][4]["at"],
        "2026-12-04T15:00:00+08:00"
    );
    let doc = &done["document"];
    assert_eq!(doc["type"], "passport");
    assert_eq!(doc["number"], "E1*****78");
    assert_eq!(doc["issued_on"], "2026-12-04");
    assert_eq!(doc["valid_until"], "2036-12-04");
    assert_eq!(doc["expiring_soon"], false);

    // A redelivery changes nothing and records nothing twice.
    let again = event(&s, &app, json!({ "status": "collected" }), later(16)).unwrap();
    assert_eq!(again["changed"], false);
    assert_eq!(again["document"]["number"], "E1*****78");
    assert_eq!(
        block_on(s.documents_of(&[ApplicantId::parse("ap1").unwrap()]))
            .unwrap()
            .len(),
        1
    );
    let trail = block_on(s.audit_of(&[ApplicantId::parse("ap1").unwrap()], 20)).unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action.starts_with("application."))
            .count(),
        4
    );
}

#[test]
fn the_state_machine_refuses_what_it_does_not_allow() {
    let s = world();
    let app = opened(&s, 1, "ap1", ServiceId::Passport, Pickup::Collect);
    let code = |body: Value| event(&s, &app, body, later(10)).unwrap_err();
    assert_eq!(
        code(json!({ "status": "producing" })).code,
        ErrorCode::Conflict,
        "no skipping"
    );
    event(&s, &app, json!({ "status": "reviewing" }), later(10)).unwrap();
    assert_eq!(
        code(json!({ "status": "accepted" })).code,
        ErrorCode::Conflict,
        "nothing moves back into accepted"
    );
    event(&s, &app, json!({ "status": "producing" }), later(11)).unwrap();
    let e = code(json!({ "status": "mailed" }));
    assert_eq!(
        e.code,
        ErrorCode::Conflict,
        "collected at the hall, so never mailed"
    );
    assert_eq!(
        e.details.unwrap(),
        json!({ "from": "producing", "to": "mailed" })
    );
    assert_eq!(
        code(json!({ "status": "reviewing" })).code,
        ErrorCode::Conflict,
        "no going back"
    );
    assert_eq!(
        code(json!({ "status": "done" })).details.unwrap()["field"],
        "status"
    );
    assert_eq!(
        code(json!({ "status": "rejected" })).details.unwrap()["field"],
        "note",
        "a rejection needs its reason"
    );
    assert_eq!(
        code(json!({ "status": "ready", "note": "x".repeat(201) }))
            .details
            .unwrap()["field"],
        "note"
    );
    assert_eq!(
        event(
            &s,
            "A20261125ZZZZZZZZ0",
            json!({ "status": "ready" }),
            later(12)
        )
        .unwrap_err()
        .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        event(&s, "garbage", json!({ "status": "ready" }), later(12))
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
}

#[test]
fn a_rejection_ends_the_application_with_its_reason_masked() {
    let s = world();
    let app = opened(&s, 1, "ap1", ServiceId::Passport, Pickup::Collect);
    let r = event(
        &s,
        &app,
        json!({ "status": "rejected", "note": "照片不合格，请联系 13812345678" }),
        later(10),
    )
    .unwrap();
    assert_eq!(r["application"]["status"], "rejected");
    assert_eq!(
        r["application"]["rejected_reason"],
        "照片不合格，请联系 138****5678"
    );
    assert_eq!(r["application"]["estimated_ready"], Value::Null);
    assert_eq!(
        event(&s, &app, json!({ "status": "reviewing" }), later(11))
            .unwrap_err()
            .code,
        ErrorCode::Conflict
    );
    assert!(
        block_on(s.documents_of(&[ApplicantId::parse("ap1").unwrap()]))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_mailed_id_card_is_issued_when_posted_with_the_holders_number() {
    let s = world();
    let app = opened(
        &s,
        1,
        "ap1",
        ServiceId::IdCard,
        Pickup::Mail {
            address: "深圳市福田区福中三路1号".into(),
        },
    );
    for st in ["reviewing", "producing"] {
        event(&s, &app, json!({ "status": st }), later(9)).unwrap();
    }
    assert_eq!(
        event(&s, &app, json!({ "status": "ready" }), later(10))
            .unwrap_err()
            .code,
        ErrorCode::Conflict
    );
    let posted = event(&s, &app, json!({ "status": "mailed" }), later(10)).unwrap();
    // Born 1990-03-07: 36 on issue, so 20 years.
    assert_eq!(posted["document"]["number"], "1101**********0011");
    assert_eq!(posted["document"]["valid_until"], "2046-12-04");
    let delivered = event(&s, &app, json!({ "status": "collected" }), later(12)).unwrap();
    assert_eq!(
        delivered["document"],
        Value::Null,
        "issued once, when posted"
    );
    assert_eq!(
        block_on(s.documents_of(&[ApplicantId::parse("ap1").unwrap()]))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_childs_passport_is_valid_5_years_and_a_visa_needs_its_term() {
    let s = world();
    let kid = opened(&s, 1, "kid", ServiceId::Passport, Pickup::Collect);
    for st in ["reviewing", "producing", "ready"] {
        event(&s, &kid, json!({ "status": st }), later(9)).unwrap();
    }
    let r = event(&s, &kid, json!({ "status": "collected" }), later(10)).unwrap();
    assert_eq!(r["document"]["valid_until"], "2031-12-04");
    assert_eq!(
        r["document"]["number"],
        Value::Null,
        "no number was reported"
    );

    let visa = opened(&s, 2, "ap2", ServiceId::VisaExtension, Pickup::Collect);
    for st in ["reviewing", "producing", "ready"] {
        event(&s, &visa, json!({ "status": st }), later(9)).unwrap();
    }
    let e = event(&s, &visa, json!({ "status": "collected" }), later(10)).unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "valid_until");
    let still = block_on(s.application(&ApplicationNo::parse(&visa).unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(
        still.status,
        ApplicationStatus::Ready,
        "refused before the move"
    );
    let e = event(
        &s,
        &visa,
        json!({ "status": "collected", "valid_until": "2026-12-04" }),
        later(10),
    )
    .unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "valid_until");
    let r = event(
        &s,
        &visa,
        json!({ "status": "collected", "valid_until": "2027-06-30", "document_no": "V1234567" }),
        later(10),
    )
    .unwrap();
    assert_eq!(r["document"]["valid_until"], "2027-06-30");
    assert_eq!(r["document"]["expiring_soon"], false);
}

#[test]
fn a_concurrent_move_loses_the_compare_and_set() {
    let s = world();
    let app = opened(&s, 1, "ap1", ServiceId::Passport, Pickup::Collect);
    let no = ApplicationNo::parse(&app).unwrap();
    let mut moved = block_on(s.application(&no)).unwrap().unwrap();
    moved.status = ApplicationStatus::Reviewing;
    // Another event moved it between our read and our write: our expected status is stale.
    assert!(!block_on(s.update_application(&moved, ApplicationStatus::Producing)).unwrap());
    assert!(block_on(s.update_application(&moved, ApplicationStatus::Accepted)).unwrap());
    assert_eq!(Delivery::from(&Pickup::Collect), Delivery::Collect);
}

#[test]
fn applicants_read_their_own_and_their_principals_applications_and_nobody_elses() {
    let s = world();
    let mine = opened(&s, 1, "ap1", ServiceId::Passport, Pickup::Collect);
    let kids = opened(&s, 2, "kid", ServiceId::IdCard, Pickup::Collect);
    let theirs = opened(&s, 3, "ap2", ServiceId::Passport, Pickup::Collect);
    let rules = Rules::default();
    let now = later(9);
    let u1 = UserId::parse("u1").unwrap();
    let nos = |v: Value| -> Vec<String> {
        v["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["application_no"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = nos(block_on(list_applications(
        &s,
        &u1,
        None,
        &rules,
        now,
        "req-test",
        Lang::Zh,
    ))
    .unwrap());
    assert_eq!(all.len(), 2);
    assert!(all.contains(&mine) && all.contains(&kids));
    assert_eq!(
        nos(block_on(list_applications(
            &s,
            &u1,
            Some("kid"),
            &rules,
            now,
            "req-test",
            Lang::Zh
        ))
        .unwrap()),
        [kids]
    );
    assert_eq!(
        block_on(read_application(
            &s,
            &u1,
            &mine,
            &rules,
            now,
            "req-test",
            Lang::Zh
        ))
        .unwrap()["status"],
        "accepted"
    );

    let not_found =
        |r: crate::ApiResult<Value>| assert_eq!(r.unwrap_err().code, ErrorCode::NotFound);
    not_found(block_on(read_application(
        &s,
        &u1,
        &theirs,
        &rules,
        now,
        "req-test",
        Lang::Zh,
    )));
    not_found(block_on(read_application(
        &s,
        &u1,
        "not-a-number",
        &rules,
        now,
        "req-test",
        Lang::Zh,
    )));
    not_found(block_on(list_applications(
        &s,
        &u1,
        Some("ap2"),
        &rules,
        now,
        "req-test",
        Lang::Zh,
    )));
    not_found(block_on(list_documents(
        &s,
        &u1,
        Some("ap2"),
        &rules,
        now,
        "req-test",
    )));
    not_found(block_on(list_applications(
        &s,
        &u1,
        Some("nobody"),
        &rules,
        now,
        "req-test",
        Lang::Zh,
    )));
    assert_eq!(
        block_on(list_applications(
            &s,
            &u1,
            Some("x"),
            &rules,
            now,
            "req-test",
            Lang::Zh
        ))
        .unwrap_err()
        .code,
        ErrorCode::InvalidArgument
    );
    // A stranger with no identity sees nothing at all.
    let none = block_on(list_applications(
        &s,
        &UserId::parse("u9").unwrap(),
        None,
        &rules,
        now,
        "req-test",
        Lang::Zh,
    ))
    .unwrap();
    assert_eq!(none["applications"], json!([]));
}

#[test]
fn documents_are_flagged_when_they_expire_within_six_months() {
    let s = world();
    let docs = [
        ("d-soon", d(2016, 12, 1), d(2027, 5, 31)),
        ("d-edge", d(2017, 6, 4), d(2027, 6, 4)),
        ("d-later", d(2017, 6, 5), d(2027, 6, 5)),
        ("d-gone", d(2016, 1, 1), d(2026, 1, 1)),
        ("d-long", d(2020, 1, 1), LONG_TERM_UNTIL),
    ];
    for (id, issued, until) in docs {
        block_on(s.add_document(&IssuedDocument {
            id: id.into(),
            applicant_id: ApplicantId::parse("ap1").unwrap(),
            service: ServiceId::Passport,
            number_masked: "E1*****78".into(),
            issued_on: issued,
            valid_until: until,
        }))
        .unwrap();
    }
    let today = at(d(2026, 12, 4), hm(12, 0));
    let v = block_on(list_documents(
        &s,
        &UserId::parse("u1").unwrap(),
        None,
        &Rules::default(),
        today,
        "req-test",
    ))
    .unwrap();
    let rows: Vec<(String, bool, bool, Value)> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["document_id"].as_str().unwrap().to_owned(),
                x["expiring_soon"].as_bool().unwrap(),
                x["expired"].as_bool().unwrap(),
                x["valid_until"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("d-gone".to_owned(), false, true, json!("2026-01-01")),
            ("d-soon".to_owned(), true, false, json!("2027-05-31")),
            ("d-edge".to_owned(), true, false, json!("2027-06-04")),
            ("d-later".to_owned(), false, false, json!("2027-06-05")),
            ("d-long".to_owned(), false, false, Value::Null),
        ]
    );
    assert_eq!(v["documents"][4]["long_term"], true);
    assert_eq!(v["documents"][0]["applicant"]["name"], "张*");
}
