//! `GET /v1/offices/{office_id}/slots`: the days of a range with each period's capacity, what
//! remains, and whether it can be booked now.
//!
//! - `remaining` comes from the inventory authority (`Inventory::day`), never from counting
//!   bookings in D1: D1 does not see holds, so it would show places that are already gone.
//! - `status` follows the same rule the booking call applies (`rules::window::check_bookable`),
//!   plus the holiday calendar: a period not yet released, already started, too soon, too far,
//!   or on a holiday is `closed`; otherwise `full` when nothing remains, else `available`.
//! - A closed period shows `remaining: 0` (nothing can be booked in it now) and its published
//!   capacity; only days that could be booked are asked of the authority, so reading a month of
//!   past or unreleased days costs no inventory object.

use super::join::join_all;
use crate::domain::OfficeId;
use crate::domain::ServiceId;
use crate::error::{ApiError, ApiResult};
use crate::rules::calendar::WorkCalendar;
use crate::rules::window::{booking_window, check_bookable, check_not_holiday, release_instant};
use crate::rules::Rules;
use crate::store::{Catalog, Inventory, Office, PeriodInventory, PublishedPeriod};
use crate::t;
use crate::time::{self, format_hhmm, parse_date, Instant};
use chrono::{Datelike, Days, NaiveDate, NaiveTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// The most days one page shows; a longer range is cut to its first `MAX_DAYS`.
pub const MAX_DAYS: u64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotStatus {
    Available,
    Full,
    Closed,
}

/// The days to show. Without `from`/`to`, the booking window as it is at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The range asked for was longer than [`MAX_DAYS`] and was cut.
    pub clamped: bool,
}

pub fn resolve_range(
    rules: &Rules,
    now: Instant,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<SlotRange> {
    let (first, last) = booking_window(rules, now);
    let from = match from.filter(|v| !v.is_empty()) {
        Some(s) => parse_date("from", s)?,
        None => first,
    };
    let to = match to.filter(|v| !v.is_empty()) {
        Some(s) => parse_date("to", s)?,
        // Before the release time with a one-day window, the window is empty: show `from` alone.
        None => last.max(from),
    };
    if to < from {
        return Err(ApiError::invalid("to", t!("slots.to_before_from")));
    }
    let last_allowed = from + Days::new(MAX_DAYS - 1);
    Ok(SlotRange {
        from,
        to: to.min(last_allowed),
        clamped: to > last_allowed,
    })
}

/// `service=` narrows nothing (an office's periods serve all its services), but a service the office
/// does not offer is a mistake the client should hear about rather than a page it could not use:
/// `400` with `details.reason = not_offered`, as the booking call answers it.
pub fn check_service(office: &Office, raw: Option<&str>) -> ApiResult<()> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let service = ServiceId::parse(raw).map_err(|e| e.at("service"))?;
    if office.services.contains(&service) {
        Ok(())
    } else {
        Err(
            ApiError::invalid("service", t!("office.service_not_offered"))
                .with_details(serde_json::json!({ "field": "service", "reason": "not_offered" })),
        )
    }
}

/// Whether a period can be booked at `now`, and if not, why (the booking call's reasons, plus
/// `holiday`).
pub fn period_status(
    rules: &Rules,
    calendar: &WorkCalendar,
    now: Instant,
    date: NaiveDate,
    start: NaiveTime,
    remaining: u32,
) -> (SlotStatus, Option<String>) {
    match check_not_holiday(calendar, date).and_then(|()| check_bookable(rules, now, date, start)) {
        Err(e) => {
            let reason = e
                .details
                .as_ref()
                .and_then(|d| d["reason"].as_str())
                .unwrap_or("closed");
            (SlotStatus::Closed, Some(reason.to_owned()))
        }
        Ok(()) if remaining == 0 => (SlotStatus::Full, None),
        Ok(()) => (SlotStatus::Available, None),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodSlot {
    pub period_id: String,
    pub start: String,
    pub end: String,
    pub capacity: u32,
    pub remaining: u32,
    pub status: SlotStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySlots {
    pub date: String,
    /// ISO weekday, 1 = Monday .. 7 = Sunday.
    pub weekday: u32,
    pub holiday: bool,
    /// `available` if any period is, else `full` if any period is, else `closed`.
    pub status: SlotStatus,
    /// When a day that is not yet bookable opens (it is released later, at this instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_at: Option<String>,
    pub periods: Vec<PeriodSlot>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotPage {
    pub office_id: String,
    pub from: String,
    pub to: String,
    pub clamped: bool,
    /// The booking window at `as_of`: the first and last bookable dates.
    pub window: Window,
    /// When the authority was read. A cached page keeps the instant of its read.
    pub as_of: String,
    pub days: Vec<DaySlots>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub first: String,
    pub last: String,
}

/// Builds the page: the published schedule says which periods each day has; the days that
/// could be booked now are asked of the authority, all at once.
pub async fn slot_page<C: Catalog, I: Inventory>(
    catalog: &C,
    inventory: &I,
    office: &OfficeId,
    range: SlotRange,
    rules: &Rules,
    calendar: &WorkCalendar,
    now: Instant,
) -> ApiResult<SlotPage> {
    let (first, last) = booking_window(rules, now);
    let mut published: BTreeMap<NaiveDate, Vec<PublishedPeriod>> = BTreeMap::new();
    for (date, p) in catalog.schedule(office, range.from, range.to).await? {
        published.entry(date).or_default().push(p);
    }
    let dates: Vec<NaiveDate> = range
        .from
        .iter_days()
        .take_while(|d| *d <= range.to)
        .collect();
    let bookable = |d: &NaiveDate| {
        first <= *d && *d <= last && !calendar.holidays.contains(d) && published.contains_key(d)
    };
    let asked: Vec<NaiveDate> = dates.iter().copied().filter(bookable).collect();
    let answers = join_all(asked.iter().map(|d| inventory.day(office, *d)).collect()).await;
    let mut authority: BTreeMap<NaiveDate, Vec<PeriodInventory>> = BTreeMap::new();
    for (d, answer) in asked.into_iter().zip(answers) {
        authority.insert(d, answer?);
    }

    let days = dates
        .into_iter()
        .map(|date| {
            let periods: Vec<PeriodSlot> = match authority.get(&date) {
                // The authority's periods and capacities: it may be newer than D1's schedule.
                Some(held) => held
                    .iter()
                    .map(|p| {
                        slot(
                            rules,
                            calendar,
                            now,
                            date,
                            p.period_id.as_str(),
                            p.start,
                            p.end,
                            p.capacity,
                            p.remaining(),
                        )
                    })
                    .collect(),
                None => published
                    .get(&date)
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        slot(
                            rules,
                            calendar,
                            now,
                            date,
                            p.period_id.as_str(),
                            p.start,
                            p.end,
                            p.capacity,
                            0,
                        )
                    })
                    .collect(),
            };
            day(rules, calendar, now, date, periods)
        })
        .collect();

    Ok(SlotPage {
        office_id: office.as_str().to_owned(),
        from: range.from.to_string(),
        to: range.to.to_string(),
        clamped: range.clamped,
        window: Window {
            first: first.to_string(),
            last: last.to_string(),
        },
        as_of: now
            .with_timezone(&time::shanghai())
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        days,
    })
}

#[allow(clippy::too_many_arguments)]
fn slot(
    rules: &Rules,
    calendar: &WorkCalendar,
    now: Instant,
    date: NaiveDate,
    period_id: &str,
    start: NaiveTime,
    end: NaiveTime,
    capacity: u32,
    remaining: u32,
) -> PeriodSlot {
    let (status, closed_reason) = period_status(rules, calendar, now, date, start, remaining);
    PeriodSlot {
        period_id: period_id.to_owned(),
        start: format_hhmm(start),
        end: format_hhmm(end),
        capacity,
        remaining: if status == SlotStatus::Closed {
            0
        } else {
            remaining
        },
        status,
        closed_reason,
    }
}

fn day(
    rules: &Rules,
    calendar: &WorkCalendar,
    now: Instant,
    date: NaiveDate,
    periods: Vec<PeriodSlot>,
) -> DaySlots {
    let any = |s: SlotStatus| periods.iter().any(|p| p.status == s);
    let status = if any(SlotStatus::Available) {
        SlotStatus::Available
    } else if any(SlotStatus::Full) {
        SlotStatus::Full
    } else {
        SlotStatus::Closed
    };
    let release = release_instant(rules, date);
    let holiday = calendar.holidays.contains(&date);
    DaySlots {
        date: date.to_string(),
        weekday: date.weekday().number_from_monday(),
        holiday,
        status,
        release_at: (!holiday && release > now && !periods.is_empty())
            .then(|| time::rfc3339(&release)),
        periods,
    }
}
