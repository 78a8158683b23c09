use super::{corrupt, Arg, D1Store};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use yuyue_shared::domain::{OfficeId, PeriodId, ServiceId};
use yuyue_shared::store::{
    Catalog, City, Office, PublishedPeriod, ScheduleTemplate, ServiceInfo, ServiceTerms,
};
use yuyue_shared::time::{format_hhmm, parse_date, parse_hhmm};
use yuyue_shared::ApiResult;

#[derive(Deserialize)]
pub(super) struct ServiceRow {
    service_id: String,
    name: String,
    name_en: String,
    fee_fen: f64,
    processing_working_days: f64,
    guide_json: String,
    guide_en_json: String,
}

impl ServiceRow {
    pub(super) fn into_model(self) -> ApiResult<ServiceInfo> {
        Ok(ServiceInfo {
            service_id: ServiceId::parse(&self.service_id)
                .map_err(|_| corrupt("services.service_id"))?,
            name: self.name,
            name_en: self.name_en,
            fee_fen: self.fee_fen as u32,
            processing_working_days: self.processing_working_days as u32,
            guide: serde_json::from_str(&self.guide_json)
                .map_err(|_| corrupt("services.guide_json"))?,
            guide_en: serde_json::from_str(&self.guide_en_json)
                .map_err(|_| corrupt("services.guide_en_json"))?,
        })
    }
}

/// A service's [`ServiceTerms`]: its guide's `ServiceTerms::PICKUP_OPTIONS` only, not the guides
/// in both languages (a few kilobytes a submit would carry through D1, JSON and wasm for nothing).
pub(super) const SERVICE_TERMS_SELECT: &str =
    "SELECT json_extract(guide_json, '$.pickup_options') AS pickup_options FROM services";

#[derive(Deserialize)]
pub(super) struct ServiceTermsRow {
    pickup_options: Option<serde_json::Value>,
}

impl ServiceTermsRow {
    pub(super) fn into_model(self) -> ServiceTerms {
        ServiceTerms::of_pickup_options(&self.pickup_options.unwrap_or_default())
    }
}

#[derive(Deserialize)]
pub(super) struct OfficeRow {
    office_id: String,
    city_id: String,
    name: String,
    district: String,
    address: String,
    phone: String,
    opening_hours: String,
    requires_photo_receipt: f64,
    lat: Option<f64>,
    lng: Option<f64>,
    active: f64,
    services: Option<String>,
}

impl OfficeRow {
    pub(super) fn into_model(self) -> ApiResult<Office> {
        let services = self
            .services
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| ServiceId::parse(s).map_err(|_| corrupt("office_services.service_id")))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Office {
            office_id: OfficeId::parse(&self.office_id)
                .map_err(|_| corrupt("offices.office_id"))?,
            city_id: self.city_id,
            name: self.name,
            district: self.district,
            address: self.address,
            phone: self.phone,
            opening_hours: self.opening_hours,
            requires_photo_receipt: self.requires_photo_receipt != 0.0,
            lat: self.lat,
            lng: self.lng,
            services,
            active: self.active != 0.0,
        })
    }
}

pub(super) const SERVICE_SELECT: &str =
    "SELECT service_id, name, name_en, fee_fen, processing_working_days, guide_json, guide_en_json FROM services";

pub(super) const OFFICE_SELECT: &str = "SELECT o.office_id, o.city_id, o.name, o.district, o.address, o.phone, \
     o.opening_hours, o.requires_photo_receipt, o.lat, o.lng, o.active, \
     (SELECT group_concat(s.service_id) FROM office_services s WHERE s.office_id = o.office_id) AS services \
     FROM offices o";

#[derive(Deserialize)]
struct PeriodRow {
    date: String,
    period_id: String,
    start_time: String,
    end_time: String,
    capacity: f64,
}

impl PeriodRow {
    fn into_model(self) -> ApiResult<(NaiveDate, PublishedPeriod)> {
        let bad = |_| corrupt("schedule_periods");
        Ok((
            parse_date("date", &self.date).map_err(bad)?,
            PublishedPeriod {
                period_id: PeriodId::parse(&self.period_id)
                    .map_err(|_| corrupt("schedule_periods.period_id"))?,
                start: parse_hhmm("start", &self.start_time).map_err(bad)?,
                end: parse_hhmm("end", &self.end_time).map_err(bad)?,
                capacity: self.capacity as u32,
            },
        ))
    }
}

impl Catalog for D1Store {
    async fn cities(&self) -> ApiResult<Vec<City>> {
        self.all(
            "SELECT city_id, name, province FROM cities ORDER BY sort, city_id",
            &[],
        )
        .await
    }

    async fn services(&self) -> ApiResult<Vec<ServiceInfo>> {
        let rows: Vec<ServiceRow> = self
            .all(&format!("{SERVICE_SELECT} ORDER BY sort, service_id"), &[])
            .await?;
        rows.into_iter().map(ServiceRow::into_model).collect()
    }

    async fn service(&self, id: ServiceId) -> ApiResult<Option<ServiceInfo>> {
        let row: Option<ServiceRow> = self
            .first(
                &format!("{SERVICE_SELECT} WHERE service_id = ?1"),
                &[id.as_str().into()],
            )
            .await?;
        row.map(ServiceRow::into_model).transpose()
    }

    async fn offices(
        &self,
        city: Option<&str>,
        service: Option<ServiceId>,
    ) -> ApiResult<Vec<Office>> {
        let sql = format!(
            "{OFFICE_SELECT} WHERE o.active = 1 AND (?1 IS NULL OR o.city_id = ?1) \
             AND (?2 IS NULL OR EXISTS (SELECT 1 FROM office_services s WHERE s.office_id = o.office_id AND s.service_id = ?2)) \
             ORDER BY o.city_id, o.office_id"
        );
        let rows: Vec<OfficeRow> = self
            .all(&sql, &[city.into(), service.map(ServiceId::as_str).into()])
            .await?;
        rows.into_iter().map(OfficeRow::into_model).collect()
    }

    async fn office(&self, id: &OfficeId) -> ApiResult<Option<Office>> {
        let sql = format!("{OFFICE_SELECT} WHERE o.office_id = ?1");
        let row: Option<OfficeRow> = self.first(&sql, &[id.as_str().into()]).await?;
        row.map(OfficeRow::into_model).transpose()
    }

    async fn put_office(
        &self,
        office: &Office,
        template: Option<&ScheduleTemplate>,
    ) -> ApiResult<()> {
        let now = yuyue_shared::time::rfc3339(&crate::clock::system_now());
        let mut stmts = vec![self.stmt(
            "INSERT INTO offices (office_id, city_id, name, district, address, phone, opening_hours, \
               requires_photo_receipt, lat, lng, active, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (office_id) DO UPDATE SET city_id = ?2, name = ?3, district = ?4, address = ?5, \
               phone = ?6, opening_hours = ?7, requires_photo_receipt = ?8, lat = ?9, lng = ?10, active = ?11, updated_at = ?12",
            &[
                office.office_id.as_str().into(),
                office.city_id.as_str().into(),
                office.name.as_str().into(),
                office.district.as_str().into(),
                office.address.as_str().into(),
                office.phone.as_str().into(),
                office.opening_hours.as_str().into(),
                Arg::Int(office.requires_photo_receipt as i64),
                office.lat.map_or(Arg::Null, Arg::Real),
                office.lng.map_or(Arg::Null, Arg::Real),
                Arg::Int(office.active as i64),
                now.as_str().into(),
            ],
        )?];
        stmts.push(self.stmt(
            "DELETE FROM office_services WHERE office_id = ?1",
            &[office.office_id.as_str().into()],
        )?);
        for s in &office.services {
            stmts.push(self.stmt(
                "INSERT INTO office_services (office_id, service_id) VALUES (?1, ?2)",
                &[office.office_id.as_str().into(), s.as_str().into()],
            )?);
        }
        if let Some(t) = template {
            let periods: Vec<TemplatePeriod> =
                t.periods.iter().map(TemplatePeriod::from_model).collect();
            stmts.push(self.stmt(
                "INSERT INTO schedule_templates (office_id, open_weekdays, periods_json, updated_at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (office_id) DO UPDATE SET open_weekdays = ?2, \
                   periods_json = ?3, updated_at = ?4",
                &[
                    t.office_id.as_str().into(),
                    to_json(&t.open_weekdays)?.into(),
                    to_json(&periods)?.into(),
                    now.as_str().into(),
                ],
            )?);
        }
        self.batch(stmts).await.map(|_| ())
    }

    async fn schedule(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<(NaiveDate, PublishedPeriod)>> {
        let rows: Vec<PeriodRow> = self
            .all(
                "SELECT date, period_id, start_time, end_time, capacity FROM schedule_periods \
                 WHERE office_id = ?1 AND date BETWEEN ?2 AND ?3 ORDER BY date, start_time, period_id",
                &[
                    office.as_str().into(),
                    from.to_string().into(),
                    to.to_string().into(),
                ],
            )
            .await?;
        rows.into_iter().map(PeriodRow::into_model).collect()
    }

    async fn put_schedule(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        periods: &[PublishedPeriod],
    ) -> ApiResult<()> {
        let now = yuyue_shared::time::rfc3339(&crate::clock::system_now());
        let day = date.to_string();
        let mut stmts = vec![self.stmt(
            "DELETE FROM schedule_periods WHERE office_id = ?1 AND date = ?2",
            &[office.as_str().into(), day.as_str().into()],
        )?];
        stmts.push(self.stmt(
            "INSERT INTO schedule_days (office_id, date, periods, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (office_id, date) DO UPDATE SET periods = ?3, updated_at = ?4",
            &[
                office.as_str().into(),
                day.as_str().into(),
                Arg::Int(periods.len() as i64),
                now.as_str().into(),
            ],
        )?);
        for p in periods {
            stmts.push(self.stmt(
                "INSERT INTO schedule_periods (office_id, date, period_id, start_time, end_time, capacity, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &[
                    office.as_str().into(),
                    day.as_str().into(),
                    p.period_id.as_str().into(),
                    format_hhmm(p.start).into(),
                    format_hhmm(p.end).into(),
                    Arg::Int(p.capacity as i64),
                    now.as_str().into(),
                ],
            )?);
        }
        self.batch(stmts).await.map(|_| ())
    }

    async fn published_days(
        &self,
        office: &OfficeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        #[derive(Deserialize)]
        struct Row {
            date: String,
        }
        let rows: Vec<Row> = self
            .all(
                "SELECT date FROM schedule_days WHERE office_id = ?1 AND date BETWEEN ?2 AND ?3 \
                 UNION SELECT date FROM schedule_periods WHERE office_id = ?1 AND date BETWEEN ?2 AND ?3 \
                 ORDER BY date",
                &[
                    office.as_str().into(),
                    from.to_string().into(),
                    to.to_string().into(),
                ],
            )
            .await?;
        rows.iter()
            .map(|r| parse_date("date", &r.date).map_err(|_| corrupt("schedule_days.date")))
            .collect()
    }

    async fn templates(&self) -> ApiResult<Vec<ScheduleTemplate>> {
        #[derive(Deserialize)]
        struct Row {
            office_id: String,
            open_weekdays: String,
            periods_json: String,
        }
        let rows: Vec<Row> = self
            .all(
                "SELECT office_id, open_weekdays, periods_json FROM schedule_templates ORDER BY office_id",
                &[],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let bad = || corrupt("schedule_templates");
                let periods: Vec<TemplatePeriod> =
                    serde_json::from_str(&r.periods_json).map_err(|_| bad())?;
                Ok(ScheduleTemplate {
                    office_id: OfficeId::parse(&r.office_id).map_err(|_| bad())?,
                    open_weekdays: serde_json::from_str(&r.open_weekdays).map_err(|_| bad())?,
                    periods: periods
                        .into_iter()
                        .map(TemplatePeriod::into_model)
                        .collect::<ApiResult<_>>()?,
                })
            })
            .collect()
    }
}

/// A period of a template as stored in `periods_json` (the seed writes the same shape).
#[derive(Serialize, Deserialize)]
struct TemplatePeriod {
    period_id: String,
    start: String,
    end: String,
    capacity: u32,
}

impl TemplatePeriod {
    fn from_model(p: &PublishedPeriod) -> Self {
        TemplatePeriod {
            period_id: p.period_id.as_str().to_owned(),
            start: format_hhmm(p.start),
            end: format_hhmm(p.end),
            capacity: p.capacity,
        }
    }

    fn into_model(self) -> ApiResult<PublishedPeriod> {
        let bad = || corrupt("schedule_templates.periods_json");
        Ok(PublishedPeriod {
            period_id: PeriodId::parse(&self.period_id).map_err(|_| bad())?,
            start: parse_hhmm("start", &self.start).map_err(|_| bad())?,
            end: parse_hhmm("end", &self.end).map_err(|_| bad())?,
            capacity: self.capacity,
        })
    }
}

fn to_json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(|_| yuyue_shared::ApiError::internal())
}
