//! The record's side of `GET /v1/ops/metrics`: one batch of counting queries.

use super::{rows, D1Store};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use yuyue_shared::ops::metrics::{DayStats, Stats, WaitlistStats};
use yuyue_shared::store::WaitlistStatus;
use yuyue_shared::{ApiError, ApiResult};

#[derive(Deserialize)]
struct ByStatus {
    status: String,
    n: f64,
}

#[derive(Deserialize)]
struct Count {
    n: f64,
}

fn by_status(rows: Vec<ByStatus>) -> BTreeMap<String, u64> {
    rows.into_iter().map(|r| (r.status, r.n as u64)).collect()
}

impl Stats for D1Store {
    async fn day_stats(&self, date: NaiveDate) -> ApiResult<DayStats> {
        let day = date.to_string();
        // Timestamps are RFC 3339 at +08:00, so the Shanghai day is their first ten characters.
        let stmts = vec![
            self.stmt(
                "SELECT status, count(*) AS n FROM bookings WHERE date = ?1 GROUP BY status",
                &[day.as_str().into()],
            )?,
            self.stmt(
                "SELECT count(*) AS n FROM bookings WHERE substr(created_at, 1, 10) = ?1",
                &[day.as_str().into()],
            )?,
            self.stmt(
                "SELECT count(*) AS n FROM bookings WHERE substr(cancelled_at, 1, 10) = ?1",
                &[day.as_str().into()],
            )?,
            self.stmt(
                "SELECT status, count(*) AS n FROM notifications GROUP BY status",
                &[],
            )?,
            self.stmt(
                "SELECT status, count(*) AS n FROM waitlist_entries WHERE date = ?1 GROUP BY status",
                &[day.as_str().into()],
            )?,
            self.stmt(
                "SELECT count(*) AS n FROM waitlist_entries WHERE substr(created_at, 1, 10) = ?1",
                &[day.as_str().into()],
            )?,
            // An entry's last change is when it left waiting: the day it was served, lapsed or left.
            self.stmt(
                "SELECT status, count(*) AS n FROM waitlist_entries \
                 WHERE substr(updated_at, 1, 10) = ?1 AND status != 'waiting' GROUP BY status",
                &[day.as_str().into()],
            )?,
        ];
        let r = self.batch(stmts).await?;
        let get = |i: usize| r.get(i).ok_or_else(ApiError::internal);
        let count = |i: usize| -> ApiResult<u64> {
            Ok(rows::<Count>(get(i)?)?.first().map_or(0, |c| c.n as u64))
        };
        let settled = by_status(rows(get(6)?)?);
        let settled_as = |s: WaitlistStatus| settled.get(s.as_str()).copied().unwrap_or(0);
        Ok(DayStats {
            bookings_by_status: by_status(rows(get(0)?)?),
            made: count(1)?,
            cancelled: count(2)?,
            deliveries_by_status: by_status(rows(get(3)?)?),
            waitlist: WaitlistStats {
                by_status: by_status(rows(get(4)?)?),
                joined: count(5)?,
                served: settled_as(WaitlistStatus::Booked),
                lapsed: settled_as(WaitlistStatus::Expired),
                left: settled_as(WaitlistStatus::Cancelled),
            },
        })
    }
}
