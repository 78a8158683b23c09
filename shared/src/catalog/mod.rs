//! What people read before they book: services with their guides, offices, and the slot page.
//!
//! The reference data (cities, services, offices) changes a few times a year and is read on every
//! page of the mini-program, so the functions keep one [`Snapshot`] of it per isolate and answer
//! from memory; the views here are pure functions of that snapshot. The slot page ([`slots`])
//! is different: its numbers come from the inventory authority and are cached only briefly
//! ([`crate::cache`]).

use crate::t;
pub mod join;
pub mod slots;
pub mod terms;

use crate::domain::{DocumentKind, OfficeId, ServiceId};
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::store::{Catalog, City, Office, ServiceInfo};
use serde_json::{json, Map, Value};

/// The catalog as one read: cities, services and active offices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub cities: Vec<City>,
    pub services: Vec<ServiceInfo>,
    /// Active offices only: an inactive office is not found.
    pub offices: Vec<Office>,
}

impl Snapshot {
    pub async fn load<C: Catalog>(catalog: &C) -> ApiResult<Snapshot> {
        let mut offices = catalog.offices(None, None).await?;
        offices.sort_by(|a, b| (&a.city_id, &a.office_id).cmp(&(&b.city_id, &b.office_id)));
        Ok(Snapshot {
            cities: catalog.cities().await?,
            services: catalog.services().await?,
            offices,
        })
    }

    pub fn office(&self, id: &OfficeId) -> Option<&Office> {
        self.offices.iter().find(|o| &o.office_id == id && o.active)
    }

    pub fn service(&self, id: ServiceId) -> Option<&ServiceInfo> {
        self.services.iter().find(|s| s.service_id == id)
    }

    fn city(&self, id: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.city_id == id)
    }

    fn service_name(&self, id: ServiceId, lang: Lang) -> String {
        self.service(id)
            .map_or_else(|| id.as_str().to_owned(), |s| s.name_in(lang).to_owned())
    }

    /// An active office by the id in a URL; a malformed id cannot be an office, so it is not found.
    pub fn office_by_param(&self, raw: &str) -> ApiResult<&Office> {
        OfficeId::parse(raw)
            .ok()
            .and_then(|id| self.office(&id))
            .ok_or_else(ApiError::not_found)
    }

    /// `GET /v1/services`, names in `lang`.
    pub fn services_view(&self, lang: Lang) -> Value {
        let services: Vec<Value> = self
            .services
            .iter()
            .map(|s| service_summary(s, lang))
            .collect();
        json!({ "services": services })
    }

    /// `GET /v1/services/{service}/guide`: the guide document as ops wrote it, with the facts
    /// the system holds about the service, and the offices that require a photo receipt number.
    pub fn guide_view(&self, raw_service: &str, lang: Lang) -> ApiResult<Value> {
        let id = ServiceId::parse(raw_service).map_err(|_| ApiError::not_found())?;
        let service = self.service(id).ok_or_else(ApiError::not_found)?;
        let mut out = match service_summary(service, lang) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Value::Object(guide) = service.guide_in(lang) {
            for (k, v) in guide {
                // The system's own facts win over a guide field of the same name.
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let receipt_offices: Vec<Value> = self
            .offices
            .iter()
            .filter(|o| o.services.contains(&id) && id.needs_photo_receipt(o.requires_photo_receipt))
            .map(|o| json!({ "office_id": o.office_id.as_str(), "name": o.name, "city_id": o.city_id }))
            .collect();
        out.insert(
            "photo_receipt_required_at".into(),
            Value::Array(receipt_offices),
        );
        Ok(Value::Object(out))
    }

    /// `GET /v1/offices?city=&service=`. A well-formed city without offices is an empty list.
    pub fn offices_view(
        &self,
        city: Option<&str>,
        service: Option<&str>,
        lang: Lang,
    ) -> ApiResult<Value> {
        let city = city.filter(|c| !c.is_empty());
        if let Some(c) = city {
            let ok = (2..=20).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_lowercase());
            if !ok {
                return Err(ApiError::invalid("city", t!("catalog.bad_city")));
            }
        }
        let service = service
            .filter(|s| !s.is_empty())
            .map(|s| ServiceId::parse(s).map_err(|e| e.at("service")))
            .transpose()?;
        let offices: Vec<Value> = self
            .offices
            .iter()
            .filter(|o| city.is_none_or(|c| o.city_id == c))
            .filter(|o| service.is_none_or(|s| o.services.contains(&s)))
            .map(|o| self.office_view(o, lang))
            .collect();
        Ok(json!({ "offices": offices }))
    }

    /// One office as the contract shows it. An office's phone is an office line, not personal data.
    pub fn office_view(&self, o: &Office, lang: Lang) -> Value {
        let services: Vec<Value> = o
            .services
            .iter()
            .map(|s| json!({ "service_id": s.as_str(), "name": self.service_name(*s, lang) }))
            .collect();
        let receipt_for: Vec<&str> = o
            .services
            .iter()
            .filter(|s| s.needs_photo_receipt(o.requires_photo_receipt))
            .map(|s| s.as_str())
            .collect();
        let location = match (o.lat, o.lng) {
            (Some(lat), Some(lng)) => json!({ "lat": lat, "lng": lng }),
            _ => Value::Null,
        };
        json!({
            "office_id": o.office_id.as_str(),
            "name": o.name,
            "city": {
                "city_id": o.city_id,
                "name": self.city(&o.city_id).map(|c| c.name.as_str()),
            },
            "district": o.district,
            "address": o.address,
            "opening_hours": o.opening_hours,
            "phone": o.phone,
            "services": services,
            "requires_photo_receipt": o.requires_photo_receipt,
            "photo_receipt_required_for": receipt_for,
            "location": location,
        })
    }
}

/// Fees are kept in fen (分) so no amount is ever a float; `fee_yuan` is for display.
pub fn fee_yuan(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn service_summary(s: &ServiceInfo, lang: Lang) -> Value {
    json!({
        "service_id": s.service_id.as_str(),
        "name": s.name_in(lang),
        "fee_fen": s.fee_fen,
        "fee_yuan": fee_yuan(s.fee_fen),
        "processing_working_days": s.processing_working_days,
        "pickup_methods": s.terms().pickup_methods,
        "for_foreigners": !s.service_id.accepted_documents().contains(&DocumentKind::IdCard),
        "accepted_documents": s.service_id.accepted_documents(),
    })
}

#[cfg(test)]
mod tests;
