//! The catalog views and the slot page against the in-memory store.

use super::slots::*;
use super::*;
use crate::domain::{BookingNo, PeriodId};
use crate::fake::{block_on, MemoryStore};
use crate::rules::calendar::WorkCalendar;
use crate::rules::Rules;
use crate::store::*;
use crate::time::{at, Instant};
use chrono::{NaiveDate, NaiveTime};
use serde_json::json;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Saturday 2026-11-21, 09:00: the window is Nov 22 .. Nov 28 (released at 08:00 today).
fn now() -> Instant {
    at(d(11, 21), hm(9, 0))
}

fn futian() -> OfficeId {
    OfficeId::parse("sz-futian").unwrap()
}

fn office(id: &str, city: &str, services: Vec<ServiceId>, receipt: bool) -> Office {
    Office {
        office_id: OfficeId::parse(id).unwrap(),
        city_id: city.into(),
        name: format!("{id} 大厅"),
        district: "福田区".into(),
        address: "深圳市福田区".into(),
        phone: "0755-12345678".into(),
        opening_hours: "周一至周六 09:00-17:00".into(),
        requires_photo_receipt: receipt,
        lat: Some(22.54),
        lng: None,
        services,
        active: true,
    }
}

fn period(id: &str, h: u32, capacity: u32) -> PublishedPeriod {
    PublishedPeriod {
        period_id: PeriodId::parse(id).unwrap(),
        start: hm(h, 0),
        end: hm(h + 1, 0),
        capacity,
    }
}

fn world() -> MemoryStore {
    let s = MemoryStore::new();
    s.set_now(now());
    s.add_city(City {
        city_id: "sz".into(),
        name: "深圳".into(),
        province: "广东".into(),
    });
    s.add_city(City {
        city_id: "bj".into(),
        name: "北京".into(),
        province: "北京".into(),
    });
    for (id, fen, days, methods) in [
        (ServiceId::Passport, 12000, 7, vec!["collect", "mail"]),
        (ServiceId::IdCard, 2000, 20, vec!["collect", "mail"]),
        (ServiceId::VisaExtension, 16000, 7, vec!["collect"]),
    ] {
        let opts: Vec<_> = methods.iter().map(|m| json!({ "method": m })).collect();
        s.add_service(ServiceInfo {
            service_id: id,
            name: format!("{id}-name"),
            name_en: String::new(),
            fee_fen: fen,
            processing_working_days: days,
            guide: json!({
                "materials": ["身份证"],
                "procedure": ["预约", "取号"],
                "pickup_options": opts,
                "photo_rules": { "spec": "白底" },
                "fee_fen": 1,
            }),
            guide_en: json!({}),
        });
    }
    block_on(async {
        s.put_office(
            &office(
                "sz-futian",
                "sz",
                vec![
                    ServiceId::Passport,
                    ServiceId::IdCard,
                    ServiceId::VisaExtension,
                ],
                true,
            ),
            None,
        )
        .await
        .unwrap();
        s.put_office(
            &office("sz-longgang", "sz", vec![ServiceId::Passport], true),
            None,
        )
        .await
        .unwrap();
        s.put_office(
            &office(
                "bj-dongcheng",
                "bj",
                vec![ServiceId::Passport, ServiceId::IdCard],
                false,
            ),
            None,
        )
        .await
        .unwrap();
        let mut closed = office("bj-closed", "bj", vec![ServiceId::Passport], false);
        closed.active = false;
        s.put_office(&closed, None).await.unwrap();
        for day in 19..=30 {
            s.put_schedule(
                &futian(),
                d(11, day),
                &[period("am-1", 9, 2), period("pm-1", 14, 3)],
            )
            .await
            .unwrap();
        }
    });
    s
}

fn snapshot(s: &MemoryStore) -> Snapshot {
    block_on(Snapshot::load(s)).unwrap()
}

fn status(
    now: Instant,
    date: NaiveDate,
    start: NaiveTime,
    remaining: u32,
) -> (SlotStatus, Option<String>) {
    period_status(
        &Rules::default(),
        &WorkCalendar::seed(),
        now,
        date,
        start,
        remaining,
    )
}

fn closed(reason: &str) -> (SlotStatus, Option<String>) {
    (SlotStatus::Closed, Some(reason.to_owned()))
}

#[test]
fn a_day_is_closed_until_its_release_time_then_open() {
    // Nov 28 is released on Nov 21 at 08:00 (7 days ahead).
    let before = at(d(11, 21), hm(7, 59));
    assert_eq!(
        status(before, d(11, 28), hm(9, 0), 5),
        closed("not_released")
    );
    assert_eq!(
        status(at(d(11, 21), hm(8, 0)), d(11, 28), hm(9, 0), 5),
        (SlotStatus::Available, None)
    );
    // The day after is too far even after the release time.
    assert_eq!(status(now(), d(11, 29), hm(9, 0), 5), closed("too_far"));
}

#[test]
fn past_periods_and_today_are_closed() {
    assert_eq!(status(now(), d(11, 20), hm(9, 0), 5), closed("past"));
    // Same-day booking is off by default.
    assert_eq!(status(now(), d(11, 21), hm(15, 0), 5), closed("too_soon"));
    let mut rules = Rules::default();
    rules.booking.min_days_ahead = 0;
    let cal = WorkCalendar::default();
    assert_eq!(
        period_status(&rules, &cal, now(), d(11, 21), hm(9, 0), 5),
        closed("past"),
        "a period that started is past"
    );
    assert_eq!(
        period_status(&rules, &cal, now(), d(11, 21), hm(9, 30), 5),
        (SlotStatus::Available, None)
    );
}

#[test]
fn holidays_are_closed_whatever_the_window_says() {
    // National Day 2026: Oct 1-7 are holidays in the seeded calendar.
    let before = at(d(9, 29), hm(9, 0));
    assert_eq!(status(before, d(10, 1), hm(9, 0), 5), closed("holiday"));
    assert_eq!(
        status(before, d(9, 30), hm(9, 0), 5),
        (SlotStatus::Available, None)
    );
    // A makeup working day (Sunday Sep 20) is an ordinary bookable day.
    assert_eq!(
        status(at(d(9, 14), hm(9, 0)), d(9, 20), hm(9, 0), 1),
        (SlotStatus::Available, None)
    );
}

#[test]
fn nothing_remaining_is_full_only_where_it_could_be_booked() {
    assert_eq!(
        status(now(), d(11, 23), hm(9, 0), 0),
        (SlotStatus::Full, None)
    );
    assert_eq!(status(now(), d(11, 20), hm(9, 0), 0), closed("past"));
}

#[test]
fn the_range_defaults_to_the_window_and_is_cut_at_14_days() {
    let r = Rules::default();
    assert_eq!(
        resolve_range(&r, now(), None, None).unwrap(),
        SlotRange {
            from: d(11, 22),
            to: d(11, 28),
            clamped: false
        }
    );
    // Before the release time the last day is not in the window yet.
    let early = at(d(11, 21), hm(7, 0));
    assert_eq!(resolve_range(&r, early, None, None).unwrap().to, d(11, 27));
    assert_eq!(
        resolve_range(&r, now(), Some("2026-11-01"), Some("2026-12-31")).unwrap(),
        SlotRange {
            from: d(11, 1),
            to: d(11, 14),
            clamped: true
        }
    );
    assert_eq!(
        resolve_range(&r, now(), Some("2026-12-20"), None).unwrap(),
        SlotRange {
            from: d(12, 20),
            to: d(12, 20),
            clamped: false
        }
    );
    assert_eq!(
        resolve_range(&r, now(), Some(""), Some("")).unwrap().from,
        d(11, 22)
    );
    let field = |f: Option<&str>, t: Option<&str>| {
        resolve_range(&r, now(), f, t).unwrap_err().details.unwrap()["field"].clone()
    };
    assert_eq!(field(Some("2026-11-31"), None), "from");
    assert_eq!(field(None, Some("tomorrow")), "to");
    assert_eq!(field(Some("2026-11-25"), Some("2026-11-24")), "to");
}

#[test]
fn the_page_takes_remaining_from_the_authority_including_holds() {
    let s = world();
    let hold = |no: u8, period: &str| {
        block_on(s.hold(&HoldRequest {
            office: futian(),
            date: d(11, 23),
            period: PeriodId::parse(period).unwrap(),
            booking_no: BookingNo::from_entropy([no; 7]),
            applicant: ApplicantId::parse(&format!("ap{no}")).unwrap(),
            ttl_seconds: 60,
            user: UserId::parse("u-test").unwrap(),
            at: crate::time::from_unix_millis(0),
        }))
        .unwrap()
    };
    // One confirmed, one only held: both are gone for anyone else.
    assert!(matches!(hold(1, "am-1"), HoldOutcome::Held { .. }));
    block_on(s.confirm(&futian(), d(11, 23), &BookingNo::from_entropy([1; 7]))).unwrap();
    assert!(matches!(hold(2, "am-1"), HoldOutcome::Held { .. }));
    assert!(matches!(hold(3, "pm-1"), HoldOutcome::Held { .. }));

    let range = SlotRange {
        from: d(11, 20),
        to: d(11, 29),
        clamped: false,
    };
    let page = block_on(slot_page(
        &s,
        &s,
        &futian(),
        range,
        &Rules::default(),
        &WorkCalendar::seed(),
        now(),
    ))
    .unwrap();
    assert_eq!(page.days.len(), 10);
    assert_eq!(
        (page.window.first.as_str(), page.window.last.as_str()),
        ("2026-11-22", "2026-11-28")
    );
    assert_eq!(page.as_of, "2026-11-21T09:00:00.000+08:00");
    let day = |date: &str| page.days.iter().find(|x| x.date == date).unwrap();

    let busy = day("2026-11-23");
    assert_eq!(busy.weekday, 1);
    assert_eq!(busy.status, SlotStatus::Available);
    let am = &busy.periods[0];
    assert_eq!(
        (am.period_id.as_str(), am.capacity, am.remaining, am.status),
        ("am-1", 2, 0, SlotStatus::Full)
    );
    let pm = &busy.periods[1];
    assert_eq!(
        (pm.start.as_str(), pm.end.as_str(), pm.remaining, pm.status),
        ("14:00", "15:00", 2, SlotStatus::Available)
    );

    assert_eq!(day("2026-11-24").periods[0].remaining, 2);
    for (date, reason) in [
        ("2026-11-20", "past"),
        ("2026-11-21", "too_soon"),
        ("2026-11-29", "too_far"),
    ] {
        let closed = day(date);
        assert_eq!(closed.status, SlotStatus::Closed, "{date}");
        assert!(closed
            .periods
            .iter()
            .all(|p| p.status == SlotStatus::Closed && p.remaining == 0 && p.capacity > 0));
        if date == "2026-11-21" {
            assert_eq!(closed.periods[0].closed_reason.as_deref(), Some("past"));
        }
        // The afternoon period: this morning's has started, so today it is `past`, not `too_soon`.
        assert_eq!(closed.periods[1].closed_reason.as_deref(), Some(reason));
    }
    // A day without a published schedule is listed, empty and closed.
    let none = block_on(slot_page(
        &s,
        &s,
        &OfficeId::parse("sz-longgang").unwrap(),
        SlotRange {
            from: d(11, 23),
            to: d(11, 23),
            clamped: false,
        },
        &Rules::default(),
        &WorkCalendar::seed(),
        now(),
    ))
    .unwrap();
    assert_eq!(none.days[0].status, SlotStatus::Closed);
    assert!(none.days[0].periods.is_empty());
}

#[test]
fn a_full_day_is_full_and_an_unreleased_day_says_when_it_opens() {
    let s = world();
    for (i, p) in ["am-1", "am-1", "pm-1", "pm-1", "pm-1"]
        .into_iter()
        .enumerate()
    {
        block_on(s.hold(&HoldRequest {
            office: futian(),
            date: d(11, 24),
            period: PeriodId::parse(p).unwrap(),
            booking_no: BookingNo::from_entropy([i as u8 + 10; 7]),
            applicant: ApplicantId::parse(&format!("ap{i}")).unwrap(),
            ttl_seconds: 60,
            user: UserId::parse("u-test").unwrap(),
            at: crate::time::from_unix_millis(0),
        }))
        .unwrap();
    }
    let early = at(d(11, 21), hm(7, 30));
    let range = SlotRange {
        from: d(11, 24),
        to: d(11, 28),
        clamped: false,
    };
    let page = block_on(slot_page(
        &s,
        &s,
        &futian(),
        range,
        &Rules::default(),
        &WorkCalendar::seed(),
        early,
    ))
    .unwrap();
    assert_eq!(page.days[0].status, SlotStatus::Full);
    assert!(page.days[0].release_at.is_none());
    let last = page.days.last().unwrap();
    assert_eq!(last.status, SlotStatus::Closed);
    assert_eq!(
        last.release_at.as_deref(),
        Some("2026-11-21T08:00:00+08:00")
    );
    assert_eq!(
        last.periods[0].closed_reason.as_deref(),
        Some("not_released")
    );
}

#[test]
fn only_bookable_days_ask_the_authority() {
    let s = world();
    // An unreachable authority fails the page only when a bookable day needs it.
    s.fail_next("day");
    let past = SlotRange {
        from: d(11, 19),
        to: d(11, 21),
        clamped: false,
    };
    let page = block_on(slot_page(
        &s,
        &s,
        &futian(),
        past,
        &Rules::default(),
        &WorkCalendar::seed(),
        now(),
    ));
    assert!(page.is_ok());
    let open = SlotRange {
        from: d(11, 22),
        to: d(11, 22),
        clamped: false,
    };
    let err = block_on(slot_page(
        &s,
        &s,
        &futian(),
        open,
        &Rules::default(),
        &WorkCalendar::seed(),
        now(),
    ))
    .unwrap_err();
    assert_eq!(err.code, crate::ErrorCode::UpstreamUnavailable);
}

#[test]
fn services_list_every_service_with_fee_in_fen_and_yuan() {
    let snap = snapshot(&world());
    let v = snap.services_view(Lang::Zh);
    let services = v["services"].as_array().unwrap();
    assert_eq!(services.len(), 3);
    assert_eq!(services[0]["service_id"], "passport");
    assert_eq!(services[0]["fee_fen"], 12000);
    assert_eq!(services[0]["fee_yuan"], "120.00");
    assert_eq!(services[0]["pickup_methods"], json!(["collect", "mail"]));
    assert_eq!(services[0]["for_foreigners"], false);
    assert_eq!(services[2]["for_foreigners"], true);
    assert_eq!(fee_yuan(6050), "60.50");
}

#[test]
fn a_guide_merges_the_document_with_the_facts_and_names_receipt_offices() {
    let snap = snapshot(&world());
    let g = snap.guide_view("id_card", Lang::Zh).unwrap();
    assert_eq!(g["materials"], json!(["身份证"]));
    assert_eq!(g["processing_working_days"], 20);
    assert_eq!(
        g["fee_fen"], 2000,
        "the system's fee wins over a stale guide field"
    );
    let offices: Vec<&str> = g["photo_receipt_required_at"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["office_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        offices,
        ["sz-futian"],
        "sz-longgang does not offer id_card, bj-dongcheng requires none"
    );
    assert_eq!(
        snap.guide_view("passport", Lang::Zh).unwrap()["photo_receipt_required_at"],
        json!([])
    );
    for bad in ["driving", "Passport", "taiwan_permit"] {
        assert_eq!(
            snap.guide_view(bad, Lang::Zh).unwrap_err().code,
            crate::ErrorCode::NotFound,
            "{bad}"
        );
    }
}

#[test]
fn offices_filter_by_city_and_service_and_hide_inactive_offices() {
    let snap = snapshot(&world());
    let ids = |v: Value| -> Vec<String> {
        v["offices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["office_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(snap.offices_view(None, None, Lang::Zh).unwrap()),
        ["bj-dongcheng", "sz-futian", "sz-longgang"]
    );
    assert_eq!(
        ids(snap.offices_view(Some("sz"), None, Lang::Zh).unwrap()),
        ["sz-futian", "sz-longgang"]
    );
    assert_eq!(
        ids(snap
            .offices_view(Some("sz"), Some("id_card"), Lang::Zh)
            .unwrap()),
        ["sz-futian"]
    );
    assert_eq!(
        ids(snap.offices_view(Some("gz"), None, Lang::Zh).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(snap.offices_view(Some(""), Some(""), Lang::Zh).unwrap()).len(),
        3
    );
    let field = |e: ApiError| e.details.unwrap()["field"].clone();
    assert_eq!(
        field(snap.offices_view(Some("SZ"), None, Lang::Zh).unwrap_err()),
        "city"
    );
    assert_eq!(
        field(snap.offices_view(None, Some("visa"), Lang::Zh).unwrap_err()),
        "service"
    );

    let o = snap.office_view(snap.office_by_param("sz-futian").unwrap(), Lang::Zh);
    assert_eq!(o["city"], json!({ "city_id": "sz", "name": "深圳" }));
    assert_eq!(o["requires_photo_receipt"], true);
    assert_eq!(o["photo_receipt_required_for"], json!(["id_card"]));
    assert_eq!(
        o["services"][0],
        json!({ "service_id": "passport", "name": "passport-name" })
    );
    assert_eq!(
        o["location"],
        Value::Null,
        "no coordinates unless both are known"
    );
    assert_eq!(o["phone"], "0755-12345678");
    for bad in ["bj-closed", "xx-nowhere", "SZ FUTIAN", ""] {
        assert_eq!(
            snap.office_by_param(bad).unwrap_err().code,
            crate::ErrorCode::NotFound,
            "{bad}"
        );
    }
}

#[test]
fn the_service_must_be_offered_by_the_office() {
    let snap = snapshot(&world());
    let longgang = snap.office_by_param("sz-longgang").unwrap();
    assert!(check_service(longgang, None).is_ok());
    assert!(check_service(longgang, Some("")).is_ok());
    assert!(check_service(longgang, Some("passport")).is_ok());
    let details = |e: ApiError| e.details.unwrap();
    assert_eq!(
        details(check_service(longgang, Some("id_card")).unwrap_err()),
        json!({ "field": "service", "reason": "not_offered" })
    );
    assert_eq!(
        details(check_service(longgang, Some("driving")).unwrap_err())["reason"],
        "unknown_service"
    );
}

#[test]
fn english_names_and_guides_are_served_on_request_and_chinese_meanwhile() {
    let w = world();
    let mut snap = snapshot(&w);
    let passport = snap
        .services
        .iter_mut()
        .find(|s| s.service_id == ServiceId::Passport)
        .unwrap();
    passport.name_en = "Ordinary passport".into();
    passport.guide_en = json!({ "materials": ["Your resident ID card"], "fee_fen": 1 });
    let names = |lang| {
        snap.services_view(lang)["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(Lang::En)[0], "Ordinary passport");
    assert_eq!(names(Lang::Zh)[0], "passport-name");
    // No English given: the Chinese name, not an empty one.
    assert_eq!(names(Lang::En)[1], names(Lang::Zh)[1]);
    let g = snap.guide_view("passport", Lang::En).unwrap();
    assert_eq!(g["materials"], json!(["Your resident ID card"]));
    assert_eq!(g["fee_fen"], 12000, "the system's facts still win");
    assert_eq!(g["name"], "Ordinary passport");
    let g = snap.guide_view("id_card", Lang::En).unwrap();
    assert_eq!(g["materials"], json!(["身份证"]));
    let o = snap.office_view(snap.office_by_param("sz-futian").unwrap(), Lang::En);
    assert_eq!(o["services"][0]["name"], "Ordinary passport");
}
