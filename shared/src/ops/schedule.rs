//! Publishing capacity: ops set a day's periods for an office. The inventory object is changed
//! first (it refuses to go below what is taken), then the schedule in D1; publishing the same
//! schedule again changes nothing.

use super::auth::OpsIdentity;
use crate::domain::{OfficeId, PeriodId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::notify::{Notice, NoticeKind};
use crate::store::{Actor, Bookings, Catalog, Inventory, Publish, PublishedPeriod};
use crate::t;
use crate::time::{format_hhmm, parse_date, parse_hhmm, Instant};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

pub const MAX_PERIODS: usize = 48;
pub const MAX_CAPACITY: u32 = 10_000;

#[derive(Debug, Deserialize)]
pub struct PeriodRequest {
    pub period_id: String,
    pub start: String,
    pub end: String,
    pub capacity: u32,
}

#[derive(Debug, Deserialize)]
pub struct ScheduleRequest {
    pub office_id: String,
    pub date: String,
    pub periods: Vec<PeriodRequest>,
}

#[derive(Debug)]
pub struct ValidSchedule {
    pub office_id: OfficeId,
    pub date: NaiveDate,
    pub periods: Vec<PublishedPeriod>,
}

impl ScheduleRequest {
    pub fn validate(&self, today: NaiveDate) -> ApiResult<ValidSchedule> {
        let office_id = OfficeId::parse(&self.office_id).map_err(|e| e.at("office_id"))?;
        let date = parse_date("date", &self.date)?;
        if date < today {
            return Err(ApiError::invalid("date", t!("ops.schedule_in_past")));
        }
        let periods = validate_periods("periods", &self.periods)?;
        Ok(ValidSchedule {
            office_id,
            date,
            periods,
        })
    }
}

/// A day's periods, each named in errors as `{field}[i].…`: ids unique, start before end, no
/// overlaps, capacity within bounds; returned in start order.
pub fn validate_periods(field: &str, raw: &[PeriodRequest]) -> ApiResult<Vec<PublishedPeriod>> {
    if raw.len() > MAX_PERIODS {
        return Err(ApiError::invalid(field, t!("ops.too_many_periods")));
    }
    let mut periods: Vec<PublishedPeriod> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let field = |name: &str| format!("{field}[{i}].{name}");
        let period = PublishedPeriod {
            period_id: PeriodId::parse(&p.period_id).map_err(|e| e.at(&field("period_id")))?,
            start: parse_hhmm(&field("start"), &p.start)?,
            end: parse_hhmm(&field("end"), &p.end)?,
            capacity: p.capacity,
        };
        if period.start >= period.end {
            return Err(ApiError::invalid(&field("end"), t!("ops.end_before_start")));
        }
        if period.capacity > MAX_CAPACITY {
            return Err(ApiError::invalid(
                &field("capacity"),
                t!("ops.capacity_too_large"),
            ));
        }
        if periods.iter().any(|q| q.period_id == period.period_id) {
            return Err(ApiError::invalid(
                &field("period_id"),
                t!("ops.duplicate_period"),
            ));
        }
        if periods
            .iter()
            .any(|q| q.start < period.end && period.start < q.end)
        {
            return Err(ApiError::invalid(
                &field("start"),
                t!("ops.overlapping_periods"),
            ));
        }
        periods.push(period);
    }
    periods.sort_by_key(|p| p.start);
    Ok(periods)
}

/// Writes a day's periods: the inventory object first (it refuses to go below what is taken),
/// then the schedule in D1.
pub async fn publish_day<S: Catalog, I: Inventory>(
    store: &S,
    inventory: &I,
    office: &OfficeId,
    date: NaiveDate,
    periods: &[PublishedPeriod],
) -> ApiResult<()> {
    match inventory.publish(office, date, periods).await? {
        Publish::Published => {}
        Publish::BelowTaken { period_id, taken } => {
            return Err(ApiError::new(ErrorCode::Conflict)
                .with_message(t!("ops.capacity_below_booked"))
                .with_details(json!({ "period_id": period_id.as_str(), "taken": taken })))
        }
    }
    store.put_schedule(office, date, periods).await
}

pub async fn publish_schedule<S: Catalog, I: Inventory>(
    store: &S,
    inventory: &I,
    who: &OpsIdentity,
    req: &ScheduleRequest,
    now: Instant,
) -> ApiResult<Value> {
    let v = req.validate(now.date_naive())?;
    who.require_office(&v.office_id)?;
    store
        .office(&v.office_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    publish_day(store, inventory, &v.office_id, v.date, &v.periods).await?;
    Ok(json!({
        "office_id": v.office_id.as_str(),
        "date": v.date.to_string(),
        "periods": v.periods.iter().map(|p| json!({
            "period_id": p.period_id.as_str(),
            "start": format_hhmm(p.start),
            "end": format_hhmm(p.end),
            "capacity": p.capacity,
        })).collect::<Vec<_>>(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CloseRequest {
    pub reason: String,
}

/// A day closed: what the answer says, and the messages to send.
#[derive(Debug)]
pub struct ClosedDay {
    pub body: Value,
    pub notices: Vec<Notice>,
}

/// `POST /v1/ops/offices/{office_id}/days/{date}/close`: the office cannot open that day (a power
/// cut, a holiday announced late). No new place can be taken from the first step; every
/// booking still `booked` is cancelled by the office (not counted against the applicant's
/// cancellation quota) and its place freed; the day is then published empty, so the slot page
/// shows it closed; and each applicant is told. A submit caught between its hold and its write
/// may keep the day from emptying at once (`closed: false`, the day stays frozen): calling again
/// finishes it. Idempotent.
pub async fn close_day<S: Catalog + Bookings, I: Inventory>(
    store: &S,
    inventory: &I,
    who: &OpsIdentity,
    (raw_office, raw_date): (&str, &str),
    req: &CloseRequest,
    now: Instant,
    request_id: &str,
) -> ApiResult<ClosedDay> {
    let office = OfficeId::parse(raw_office).map_err(|e| e.at("office_id"))?;
    let date = parse_date("date", raw_date)?;
    if date < now.date_naive() {
        return Err(ApiError::invalid("date", t!("ops.close_past_day")));
    }
    let reason = req.reason.trim();
    let chars = reason.chars().count();
    if !(2..=60).contains(&chars) || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid("reason", t!("ops.bad_close_reason")));
    }
    who.require_office(&office)?;
    store
        .office(&office)
        .await?
        .ok_or_else(ApiError::not_found)?;

    freeze(inventory, &office, date).await?;
    inventory.close_waitlist(&office, date).await?;
    let actor = Actor::Ops(who.name.clone());
    let cancelled = store
        .cancel_day(&office, date, reason, &actor, request_id, now)
        .await?;
    for b in &cancelled {
        // If the object cannot be reached, reconciliation frees the place later.
        let _ = inventory.release(&office, date, &b.booking_no).await;
    }
    let closed = match publish_day(store, inventory, &office, date, &[]).await {
        Ok(()) => true,
        Err(e) if e.code == ErrorCode::Conflict => {
            freeze(inventory, &office, date).await?;
            false
        }
        Err(e) => return Err(e),
    };
    let notices = cancelled
        .iter()
        .map(|b| Notice::booking(NoticeKind::DayClosed, b, None))
        .collect();
    Ok(ClosedDay {
        body: json!({
            "office_id": office.as_str(),
            "date": date.to_string(),
            "closed": closed,
            "cancelled": cancelled.len(),
            "booking_nos": cancelled.iter().map(|b| b.booking_no.as_str()).collect::<Vec<_>>(),
        }),
        notices,
    })
}

/// Lowers every period's capacity to what is taken now: nobody can take a new place. A hold
/// that slips in between reading the day and writing it is taken into account on a second try.
async fn freeze<I: Inventory>(inventory: &I, office: &OfficeId, date: NaiveDate) -> ApiResult<()> {
    for _ in 0..2 {
        if freeze_once(inventory, office, date).await? == Publish::Published {
            return Ok(());
        }
    }
    Err(ApiError::new(ErrorCode::Conflict)
        .with_message(t!("ops.day_busy"))
        .with_details(json!({ "reason": "busy" })))
}

async fn freeze_once<I: Inventory>(
    inventory: &I,
    office: &OfficeId,
    date: NaiveDate,
) -> ApiResult<Publish> {
    let frozen: Vec<PublishedPeriod> = inventory
        .day(office, date)
        .await?
        .into_iter()
        .map(|p| PublishedPeriod {
            period_id: p.period_id,
            start: p.start,
            end: p.end,
            capacity: p.taken,
        })
        .collect();
    inventory.publish(office, date, &frozen).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(periods: Vec<(&str, &str, &str, u32)>) -> ScheduleRequest {
        ScheduleRequest {
            office_id: "sz-futian".into(),
            date: "2026-11-25".into(),
            periods: periods
                .into_iter()
                .map(|(id, s, e, c)| PeriodRequest {
                    period_id: id.into(),
                    start: s.into(),
                    end: e.into(),
                    capacity: c,
                })
                .collect(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn overlapping_duplicate_or_inverted_periods_are_refused() {
        assert!(req(vec![
            ("am-1", "09:00", "10:00", 10),
            ("am-2", "10:00", "11:00", 10)
        ])
        .validate(today())
        .is_ok());
        let field = |r: ScheduleRequest| {
            r.validate(today()).unwrap_err().details.unwrap()["field"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            field(req(vec![
                ("am-1", "09:00", "10:00", 1),
                ("am-2", "09:30", "10:30", 1)
            ])),
            "periods[1].start"
        );
        assert_eq!(
            field(req(vec![
                ("am-1", "09:00", "10:00", 1),
                ("am-1", "11:00", "12:00", 1)
            ])),
            "periods[1].period_id"
        );
        assert_eq!(
            field(req(vec![("am-1", "10:00", "09:00", 1)])),
            "periods[0].end"
        );
        assert_eq!(
            field(req(vec![("am-1", "09:00", "10:00", 10_001)])),
            "periods[0].capacity"
        );
        let mut past = req(vec![]);
        past.date = "2026-11-20".into();
        assert_eq!(field(past), "date");
    }
}
