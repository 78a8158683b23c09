//! Offices, the release of schedules from templates, and the no-show sweep against the in-memory
//! store.

use super::auth::{OpsIdentity, OpsRole};
use super::jobs::{self, Job, JobContext};
use super::office::{put_office, OfficeRequest, TemplateRequest};
use super::schedule::PeriodRequest;
use crate::booking::tests::{cancel_as, d, hm, request, submit, world};
use crate::domain::{OfficeId, PeriodId};
use crate::error::ErrorCode;
use crate::fake::{block_on, MemoryStore};
use crate::rules::calendar::WorkCalendar;
use crate::rules::Rules;
use crate::store::*;
use crate::time::{at, Instant};
use serde_json::json;

fn admin() -> OpsIdentity {
    OpsIdentity {
        name: "admin".into(),
        role: OpsRole::Admin,
    }
}

fn office_staff() -> OpsIdentity {
    OpsIdentity {
        name: "futian".into(),
        role: OpsRole::Hall(OfficeId::parse("sz-futian").unwrap()),
    }
}

fn period(id: &str, start: &str, end: &str, capacity: u32) -> PeriodRequest {
    PeriodRequest {
        period_id: id.into(),
        start: start.into(),
        end: end.into(),
        capacity,
    }
}

fn office_request(weekdays: Vec<u32>) -> OfficeRequest {
    OfficeRequest {
        city_id: "sz".into(),
        name: "深圳市宝安区出入境大厅".into(),
        district: "宝安区".into(),
        address: "宝安区新安街道1号".into(),
        phone: "0755-88880000".into(),
        opening_hours: "周一至周五 09:00-17:00".into(),
        requires_photo_receipt: false,
        lat: Some(22.55),
        lng: Some(113.88),
        services: vec!["passport".into(), "passport".into(), "id_card".into()],
        active: true,
        schedule_template: Some(TemplateRequest {
            open_weekdays: weekdays,
            periods: vec![
                period("pm-1", "13:30", "14:30", 8),
                period("am-1", "09:00", "10:00", 10),
            ],
        }),
    }
}

fn city_sz(s: &MemoryStore) {
    s.add_city(City {
        city_id: "sz".into(),
        name: "深圳".into(),
        province: "广东".into(),
    });
}

#[test]
fn an_admin_creates_and_updates_a_office_with_its_usual_week() {
    let s = world(1, 0);
    city_sz(&s);
    let created = block_on(put_office(
        &s,
        &admin(),
        "sz-baoan",
        &office_request(vec![5, 1, 1]),
    ))
    .unwrap();
    assert!(created.created);
    assert_eq!(created.body["services"], json!(["passport", "id_card"]));
    assert_eq!(
        created.body["schedule_template"]["open_weekdays"],
        json!([1, 5])
    );
    assert_eq!(
        created.body["schedule_template"]["periods"][0]["period_id"], "am-1",
        "periods in start order"
    );
    let again = block_on(put_office(
        &s,
        &admin(),
        "sz-baoan",
        &office_request(vec![1]),
    ))
    .unwrap();
    assert!(!again.created);
    let templates = block_on(s.templates()).unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].open_weekdays, [1]);
    let office = block_on(s.office(&OfficeId::parse("sz-baoan").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(office.district, "宝安区");
}

#[test]
fn office_staff_and_bad_fields_are_refused_and_write_nothing() {
    let s = world(1, 0);
    city_sz(&s);
    let err = block_on(put_office(
        &s,
        &office_staff(),
        "sz-baoan",
        &office_request(vec![1]),
    ))
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let field = |mutate: &dyn Fn(&mut OfficeRequest), id: &str| {
        let mut r = office_request(vec![1]);
        mutate(&mut r);
        let e = block_on(put_office(&s, &admin(), id, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        e.details.unwrap()["field"].as_str().unwrap().to_owned()
    };
    assert_eq!(field(&|_| {}, "SZ BAOAN"), "office_id");
    assert_eq!(field(&|r| r.city_id = "xx".into(), "sz-baoan"), "city_id");
    assert_eq!(field(&|r| r.name = " ".into(), "sz-baoan"), "name");
    assert_eq!(field(&|r| r.phone = "call us".into(), "sz-baoan"), "phone");
    assert_eq!(field(&|r| r.lat = Some(91.0), "sz-baoan"), "lat");
    assert_eq!(field(&|r| r.services = vec![], "sz-baoan"), "services");
    assert_eq!(
        field(&|r| r.services = vec!["driving".into()], "sz-baoan"),
        "services[0]"
    );
    assert_eq!(
        field(
            &|r| r.schedule_template.as_mut().unwrap().open_weekdays = vec![0],
            "sz-baoan"
        ),
        "schedule_template.open_weekdays"
    );
    assert_eq!(
        field(
            &|r| r.schedule_template.as_mut().unwrap().periods[1].end = "08:00".into(),
            "sz-baoan"
        ),
        "schedule_template.periods[1].end"
    );
    assert!(block_on(s.office(&OfficeId::parse("sz-baoan").unwrap()))
        .unwrap()
        .is_none());
    assert!(block_on(s.templates()).unwrap().is_empty());
}

fn cx<'a>(
    rules: &'a Rules,
    calendar: &'a WorkCalendar,
    now: crate::time::Instant,
) -> JobContext<'a> {
    JobContext {
        rules,
        calendar,
        now,
        actor: Actor::System,
        request_id: "cron-test",
    }
}

#[test]
fn release_publishes_the_window_from_templates_around_holidays_and_closed_days() {
    let s = world(1, 0);
    city_sz(&s);
    // Open Monday to Saturday.
    block_on(put_office(
        &s,
        &admin(),
        "sz-baoan",
        &office_request(vec![1, 2, 3, 4, 5, 6]),
    ))
    .unwrap();
    let office = OfficeId::parse("sz-baoan").unwrap();
    // Ops closed Saturday 11-28 by hand before the release.
    block_on(s.put_schedule(&office, d(2026, 11, 28), &[])).unwrap();
    let calendar = WorkCalendar {
        holidays: [d(2026, 12, 1)].into(),
        makeup_workdays: [d(2026, 11, 29)].into(),
    };
    let rules = Rules::default();
    // Friday 2026-11-27, 08:00: the window runs to Friday 12-04.
    let now = at(d(2026, 11, 27), hm(8, 0));
    let report = block_on(jobs::run(&s, &s, Job::Release, &cx(&rules, &calendar, now)))
        .unwrap()
        .report;
    let baoan: Vec<String> = report["released"]["published"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .filter(|v| v.starts_with("sz-baoan/"))
        .collect();
    assert_eq!(
        baoan,
        [
            "sz-baoan/2026-11-27",
            // 11-28 was closed by hand; 11-29 is a Sunday but a make-up working day.
            "sz-baoan/2026-11-29",
            "sz-baoan/2026-11-30",
            // 12-01 is a holiday.
            "sz-baoan/2026-12-02",
            "sz-baoan/2026-12-03",
            "sz-baoan/2026-12-04",
        ]
    );
    let day = block_on(s.day(&office, d(2026, 12, 2))).unwrap();
    assert_eq!(
        day.iter()
            .map(|p| (p.period_id.as_str(), p.capacity))
            .collect::<Vec<_>>(),
        [("am-1", 10), ("pm-1", 8)],
        "the inventory object has the template's capacity"
    );
    assert_eq!(
        block_on(s.schedule(&office, d(2026, 12, 2), d(2026, 12, 2))).unwrap()[0]
            .1
            .period_id,
        PeriodId::parse("am-1").unwrap()
    );
    // Running it again publishes nothing.
    let again = block_on(jobs::run(&s, &s, Job::Release, &cx(&rules, &calendar, now)))
        .unwrap()
        .report;
    assert_eq!(again["released"]["published"], json!([]));
}

#[test]
fn an_inactive_office_is_not_released() {
    let s = world(1, 0);
    city_sz(&s);
    let mut r = office_request(vec![1, 2, 3, 4, 5, 6, 7]);
    r.active = false;
    block_on(put_office(&s, &admin(), "sz-baoan", &r)).unwrap();
    let (rules, calendar) = (Rules::default(), WorkCalendar::default());
    let now = at(d(2026, 11, 27), hm(8, 0));
    let report = block_on(jobs::run(&s, &s, Job::Release, &cx(&rules, &calendar, now)))
        .unwrap()
        .report;
    assert_eq!(report["released"]["published"], json!([]));
}

#[test]
fn the_nightly_sweep_marks_yesterdays_unattended_bookings_once_and_audits_them() {
    let s = world(5, 3);
    let booked = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let cancelled = submit(&s, "u1", "key-00000002", &request("ap1")).unwrap();
    let no = |o: &crate::booking::BookOutcome| {
        crate::domain::BookingNo::parse(o.body["booking_no"].as_str().unwrap()).unwrap()
    };
    cancel_as(
        &s,
        "u1",
        cancelled.body["booking_no"].as_str().unwrap(),
        at(d(2026, 11, 22), hm(9, 0)),
    )
    .unwrap();
    let (rules, calendar) = (Rules::default(), WorkCalendar::default());

    // The appointment day itself is not over.
    let during = at(d(2026, 11, 25), hm(23, 0));
    let err = block_on(jobs::no_show_sweep(
        &s,
        d(2026, 11, 25),
        &cx(&rules, &calendar, during),
    ))
    .unwrap_err();
    assert_eq!(err.details.unwrap()["reason"], "day_not_over");

    let after = at(d(2026, 11, 26), hm(0, 5));
    let report = block_on(jobs::run(
        &s,
        &s,
        Job::Nightly,
        &cx(&rules, &calendar, after),
    ))
    .unwrap()
    .report;
    assert_eq!(report["no_shows"]["date"], "2026-11-25");
    assert_eq!(
        report["no_shows"]["booking_nos"],
        json!([no(&booked).as_str()])
    );
    assert_eq!(report["reconciled"]["repaired"], json!([]));
    let b = block_on(s.booking(&no(&booked))).unwrap().unwrap();
    assert_eq!(b.status, BookingStatus::NoShow);
    assert_eq!(
        block_on(s.booking(&no(&cancelled)))
            .unwrap()
            .unwrap()
            .status,
        BookingStatus::Cancelled
    );
    let trail = block_on(s.audit_of(&[ApplicantId::parse("ap0").unwrap()], 10)).unwrap();
    assert_eq!(trail[0].action, "booking.no_show");
    assert_eq!(trail[0].actor, Actor::System);
    assert_eq!(trail[0].target.as_deref(), Some(no(&booked).as_str()));
    let again = block_on(jobs::run(
        &s,
        &s,
        Job::Nightly,
        &cx(&rules, &calendar, after),
    ))
    .unwrap()
    .report;
    assert_eq!(again["no_shows"]["marked"], 0);
}

#[test]
fn jobs_are_named_and_mapped_from_the_configured_crons() {
    assert_eq!(Job::parse("release").unwrap(), Job::Release);
    assert_eq!(Job::parse("nightly").unwrap(), Job::Nightly);
    assert_eq!(Job::parse("reboot").unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(Job::for_cron("0 0 * * *"), Some(Job::Release));
    assert_eq!(Job::for_cron("5 16 * * *"), Some(Job::Nightly));
    assert_eq!(Job::for_cron("* * * * *"), None);
    // The crons the ops Worker is configured with are exactly these.
    let wrangler = include_str!("../../../wrangler.toml");
    let line = wrangler
        .lines()
        .find(|l| l.starts_with("triggers = { crons"))
        .unwrap();
    assert!(
        line.contains(jobs::RELEASE_CRON) && line.contains(jobs::NIGHTLY_CRON),
        "{line}"
    );
    assert!(line.contains(jobs::REMINDERS_CRON), "{line}");
    assert_eq!(line.matches("* * *").count(), 3, "{line}");
    assert_eq!(Job::for_cron("0 12 * * *"), Some(Job::Reminders));
}

#[test]
fn the_evening_job_reminds_every_booking_of_tomorrow_and_nothing_else() {
    let s = world(5, 3);
    let kept = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let gone = submit(&s, "u1", "key-00000002", &request("ap1")).unwrap();
    cancel_as(
        &s,
        "u1",
        gone.body["booking_no"].as_str().unwrap(),
        at(d(2026, 11, 22), hm(9, 0)),
    )
    .unwrap();
    let (rules, calendar) = (Rules::default(), WorkCalendar::default());
    let eve = at(d(2026, 11, 24), hm(20, 0));
    let out = block_on(jobs::run(
        &s,
        &s,
        Job::Reminders,
        &cx(&rules, &calendar, eve),
    ))
    .unwrap();
    assert_eq!(out.report["reminders"], 1);
    assert_eq!(out.notices.len(), 1);
    assert_eq!(
        out.notices[0].booking_no.as_deref(),
        kept.body["booking_no"].as_str()
    );
    assert_eq!(out.notices[0].kind, crate::notify::NoticeKind::Reminder);
    // Two evenings before, nothing is due.
    let early = at(d(2026, 11, 23), hm(20, 0));
    let none = block_on(jobs::run(
        &s,
        &s,
        Job::Reminders,
        &cx(&rules, &calendar, early),
    ))
    .unwrap();
    assert!(none.notices.is_empty());
}

#[test]
fn closing_a_day_cancels_its_bookings_frees_and_closes_it_and_tells_everyone() {
    use super::schedule::{close_day, CloseRequest};
    let s = world(5, 3);
    let a = submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    submit(&s, "u1", "key-00000002", &request("ap1")).unwrap();
    let req = CloseRequest {
        reason: "设备故障暂停办理".into(),
    };
    let now = at(d(2026, 11, 22), hm(18, 0));
    let err = block_on(close_day(
        &s,
        &s,
        &office_staff(),
        ("sz-nanshan", "2026-11-25"),
        &req,
        now,
        "r",
    ))
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "another hall's staff");
    let closed = block_on(close_day(
        &s,
        &s,
        &office_staff(),
        ("sz-futian", "2026-11-25"),
        &req,
        now,
        "r",
    ))
    .unwrap();
    assert_eq!(closed.body["closed"], true);
    assert_eq!(closed.body["cancelled"], 2);
    assert_eq!(closed.notices.len(), 2);
    assert!(closed
        .notices
        .iter()
        .all(|n| n.kind == crate::notify::NoticeKind::DayClosed));
    let futian = OfficeId::parse("sz-futian").unwrap();
    assert!(block_on(s.day(&futian, d(2026, 11, 25)))
        .unwrap()
        .is_empty());
    assert!(
        block_on(s.schedule(&futian, d(2026, 11, 25), d(2026, 11, 25)))
            .unwrap()
            .is_empty()
    );
    let no = crate::domain::BookingNo::parse(a.body["booking_no"].as_str().unwrap()).unwrap();
    let b = block_on(s.booking(&no)).unwrap().unwrap();
    assert_eq!(b.status, BookingStatus::Cancelled);
    assert_eq!(b.cancelled_by, None, "cancelled by the hall");
    // Not the applicant's cancellation: it does not count toward their quota.
    let counted = block_on(s.cancellations_since(
        &ApplicantId::parse("ap0").unwrap(),
        now - chrono::Duration::days(1),
    ))
    .unwrap();
    assert!(counted.is_empty());
    let trail = block_on(s.audit_of(&[ApplicantId::parse("ap0").unwrap()], 10)).unwrap();
    assert_eq!(trail[0].action, "booking.day_closed");
    // Again: nothing left to do, still closed.
    let again = block_on(close_day(
        &s,
        &s,
        &admin(),
        ("sz-futian", "2026-11-25"),
        &req,
        now,
        "r",
    ))
    .unwrap();
    assert_eq!(
        (
            again.body["cancelled"].clone(),
            again.body["closed"].clone()
        ),
        (json!(0), json!(true))
    );
    let bad = CloseRequest { reason: "x".into() };
    let e = block_on(close_day(
        &s,
        &s,
        &admin(),
        ("sz-futian", "2026-11-25"),
        &bad,
        now,
        "r",
    ))
    .unwrap_err();
    assert_eq!(e.details.unwrap()["field"], "reason");
}

#[test]
fn the_nightly_job_drops_invitations_lapsed_over_thirty_days_and_keeps_the_rest() {
    let s = world(5, 3);
    let (rules, calendar) = (Rules::default(), WorkCalendar::default());
    let now = at(d(2026, 11, 26), hm(0, 5));
    let link = |helper: &str, status, expires: Option<Instant>| Link {
        helper: UserId::parse(helper).unwrap(),
        applicant: ApplicantId::parse("ap0").unwrap(),
        relation: Relation::Parent,
        status,
        consent: Consent::None,
        invitation_hash: expires.map(|_| format!("hash-{helper}")),
        invitation_expires_at: expires,
        created_at: now - chrono::Duration::days(40),
        updated_at: now - chrono::Duration::days(40),
    };
    let days_ago = |n| Some(now - chrono::Duration::days(n));
    for l in [
        link("u1", LinkStatus::Pending, days_ago(31)),
        link("u2", LinkStatus::Pending, days_ago(29)),
        link("u3", LinkStatus::Active, days_ago(31)),
    ] {
        block_on(s.put_link(&l)).unwrap();
    }
    let nightly = || {
        block_on(jobs::run(&s, &s, Job::Nightly, &cx(&rules, &calendar, now)))
            .unwrap()
            .report
    };
    assert_eq!(nightly()["invitations_dropped"], 1);
    let left: Vec<String> = block_on(s.links_of_applicant(&ApplicantId::parse("ap0").unwrap()))
        .unwrap()
        .into_iter()
        .map(|l| l.helper.as_str().to_owned())
        .collect();
    assert!(!left.contains(&"u1".to_owned()), "{left:?}");
    assert!(left.contains(&"u2".to_owned()) && left.contains(&"u3".to_owned()));
    let trail = block_on(s.audit_of(&[ApplicantId::parse("ap0").unwrap()], 10)).unwrap();
    assert!(trail.iter().any(|e| e.action == "helper.invitation_dropped"
        && e.target.as_deref() == Some("u1")
        && e.actor == Actor::System));
    assert_eq!(nightly()["invitations_dropped"], 0);
}

#[test]
fn closing_a_day_refuses_bad_input_and_writes_nothing() {
    use super::schedule::{close_day, CloseRequest};
    let s = world(5, 3);
    submit(&s, "u0", "key-00000001", &request("ap0")).unwrap();
    let now = at(d(2026, 11, 22), hm(18, 0));
    let close = |office: &str, date: &str, reason: &str| {
        block_on(close_day(
            &s,
            &s,
            &admin(),
            (office, date),
            &CloseRequest {
                reason: reason.into(),
            },
            now,
            "r",
        ))
        .map(|c| c.body)
    };
    let invalid = |office: &str, date: &str, reason: &str, field: &str| {
        let e = close(office, date, reason).unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidArgument,
            "{office} {date} {reason:?}"
        );
        assert_eq!(e.details.as_ref().unwrap()["field"], field);
    };
    invalid("sz-futian", "2026-11-25", "修", "reason");
    invalid("sz-futian", "2026-11-25", &"修".repeat(61), "reason");
    invalid("sz-futian", "2026-11-25", "设备\n故障", "reason");
    invalid("sz-futian", "2026-11-21", "设备故障", "date");
    invalid("sz-futian", "2026-13-01", "设备故障", "date");
    invalid("SZ FUTIAN", "2026-11-25", "设备故障", "office_id");
    let unknown = close("sz-nowhere", "2026-11-25", "设备故障").unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    // Nothing was cancelled or closed by any of these.
    let futian = OfficeId::parse("sz-futian").unwrap();
    assert_eq!(
        block_on(s.day(&futian, d(2026, 11, 25))).unwrap()[0].taken,
        1
    );
}
