//! `PUT /v1/ops/offices/{office_id}`: an admin creates or updates an office, and optionally its
//! usual week (the template the release job publishes days from). Every field is validated here;
//! the catalog shows the change within its snapshot's 30 s.

use super::auth::OpsIdentity;
use super::schedule::{validate_periods, PeriodRequest};
use crate::domain::{OfficeId, ServiceId};
use crate::error::{ApiError, ApiResult};
use crate::store::{Catalog, Office, ScheduleTemplate};
use crate::t;
use crate::time::format_hhmm;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
pub struct TemplateRequest {
    pub open_weekdays: Vec<u32>,
    pub periods: Vec<PeriodRequest>,
}

#[derive(Debug, Deserialize)]
pub struct OfficeRequest {
    pub city_id: String,
    pub name: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub opening_hours: String,
    #[serde(default)]
    pub requires_photo_receipt: bool,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    pub services: Vec<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
    #[serde(default)]
    pub schedule_template: Option<TemplateRequest>,
}

fn active_by_default() -> bool {
    true
}

/// Trimmed text of `min..=max` characters without control characters.
fn text(field: &str, raw: &str, min: usize, max: usize) -> ApiResult<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            t!("ops.bad_text_length", field = field, min = min, max = max),
        ));
    }
    Ok(t.to_owned())
}

/// An office's public number: digits with `-` (area code) and an optional `+86 `.
fn office_phone(raw: &str) -> ApiResult<String> {
    let t = raw.trim();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let ok = (5..=16).contains(&digits)
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ' || b == b'+');
    ok.then(|| t.to_owned())
        .ok_or_else(|| ApiError::invalid("phone", t!("ops.bad_hall_phone")))
}

fn coordinate(field: &str, v: Option<f64>, bound: f64) -> ApiResult<Option<f64>> {
    match v {
        Some(x) if !(x.is_finite() && (-bound..=bound).contains(&x)) => Err(ApiError::invalid(
            field,
            t!("ops.out_of_range", field = field),
        )),
        other => Ok(other),
    }
}

impl OfficeRequest {
    pub fn validate(&self, id: &OfficeId) -> ApiResult<(Office, Option<ScheduleTemplate>)> {
        let mut services = Vec::with_capacity(self.services.len());
        for (i, s) in self.services.iter().enumerate() {
            let s = ServiceId::parse(s).map_err(|e| e.at(&format!("services[{i}]")))?;
            if !services.contains(&s) {
                services.push(s);
            }
        }
        if services.is_empty() {
            return Err(ApiError::invalid("services", t!("ops.no_services")));
        }
        let template = match &self.schedule_template {
            None => None,
            Some(t) => {
                let mut days = t.open_weekdays.clone();
                days.sort_unstable();
                days.dedup();
                if days.is_empty() || days.iter().any(|d| !(1..=7).contains(d)) {
                    return Err(ApiError::invalid(
                        "schedule_template.open_weekdays",
                        t!("ops.bad_weekdays"),
                    ));
                }
                Some(ScheduleTemplate {
                    office_id: id.clone(),
                    open_weekdays: days,
                    periods: validate_periods("schedule_template.periods", &t.periods)?,
                })
            }
        };
        let office = Office {
            office_id: id.clone(),
            city_id: text("city_id", &self.city_id, 2, 20)?,
            name: text("name", &self.name, 2, 60)?,
            district: text("district", &self.district, 1, 30)?,
            address: text("address", &self.address, 4, 120)?,
            phone: office_phone(&self.phone)?,
            opening_hours: text("opening_hours", &self.opening_hours, 2, 100)?,
            requires_photo_receipt: self.requires_photo_receipt,
            lat: coordinate("lat", self.lat, 90.0)?,
            lng: coordinate("lng", self.lng, 180.0)?,
            services,
            active: self.active,
        };
        Ok((office, template))
    }
}

/// Creates or updates the office; `created` tells which.
#[derive(Debug)]
pub struct PutOffice {
    pub created: bool,
    pub body: Value,
}

pub async fn put_office<S: Catalog>(
    store: &S,
    who: &OpsIdentity,
    raw_id: &str,
    req: &OfficeRequest,
) -> ApiResult<PutOffice> {
    who.require_admin()?;
    let id = OfficeId::parse(raw_id).map_err(|e| e.at("office_id"))?;
    let (office, template) = req.validate(&id)?;
    if !store
        .cities()
        .await?
        .iter()
        .any(|c| c.city_id == office.city_id)
    {
        return Err(ApiError::invalid("city_id", t!("ops.unknown_city")));
    }
    let existed = store.office(&id).await?.is_some();
    store.put_office(&office, template.as_ref()).await?;
    Ok(PutOffice {
        created: !existed,
        body: office_view(&office, template.as_ref()),
    })
}

fn office_view(o: &Office, template: Option<&ScheduleTemplate>) -> Value {
    json!({
        "office_id": o.office_id.as_str(),
        "city_id": o.city_id,
        "name": o.name,
        "district": o.district,
        "address": o.address,
        "phone": o.phone,
        "opening_hours": o.opening_hours,
        "requires_photo_receipt": o.requires_photo_receipt,
        "lat": o.lat,
        "lng": o.lng,
        "services": o.services.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "active": o.active,
        "schedule_template": template.map(|t| json!({
            "open_weekdays": t.open_weekdays,
            "periods": t.periods.iter().map(|p| json!({
                "period_id": p.period_id.as_str(),
                "start": format_hhmm(p.start),
                "end": format_hhmm(p.end),
                "capacity": p.capacity,
            })).collect::<Vec<_>>(),
        })),
    })
}
