//! `POST`/`GET /v1/bookings/admission`: a day's waiting room as its users see it. The queue and
//! its arithmetic are the inventory's ([`crate::inventory::admission`]).

use crate::domain::OfficeId;
use crate::error::ApiResult;
use crate::store::{Inventory, UserId};
use crate::time::{parse_date, Instant};
use serde_json::{json, Value};

/// `POST`/`GET /v1/bookings/admission`: the caller's place in a day's waiting room, joining it
/// on `POST`.
pub async fn place<I: Inventory>(
    inventory: &I,
    user: &UserId,
    raw_office: &str,
    raw_date: &str,
    now: Instant,
    join: bool,
) -> ApiResult<Value> {
    let office = OfficeId::parse(raw_office).map_err(|e| e.at("office_id"))?;
    let date = parse_date("date", raw_date)?;
    let status = inventory.admission(&office, date, user, now, join).await?;
    let mut view = status.view();
    view["office_id"] = json!(office.as_str());
    view["date"] = json!(date.to_string());
    Ok(view)
}
