use super::{corrupt, D1Store};
use serde::Deserialize;
use yuyue_shared::rules::calendar::WorkCalendar;
use yuyue_shared::rules::Rules;
use yuyue_shared::store::RulesSource;
use yuyue_shared::ApiResult;

#[derive(Deserialize)]
struct RulesRow {
    body_json: String,
}

#[derive(Deserialize)]
struct DayRow {
    date: String,
    kind: String,
}

impl RulesSource for D1Store {
    async fn rules(&self) -> ApiResult<Rules> {
        let row: Option<RulesRow> = self
            .first(
                "SELECT body_json FROM rules ORDER BY version DESC LIMIT 1",
                &[],
            )
            .await?;
        match row {
            // A database without a rules row runs on the defaults the seed would have written.
            None => Ok(Rules::default()),
            Some(r) => Rules::from_json(&r.body_json).map_err(|_| corrupt("rules.body_json")),
        }
    }

    async fn calendar(&self) -> ApiResult<WorkCalendar> {
        let rows: Vec<DayRow> = self
            .all("SELECT date, kind FROM calendar_days", &[])
            .await?;
        let mut cal = WorkCalendar::default();
        for r in rows {
            let date = yuyue_shared::time::date_from(&r.date)
                .ok_or_else(|| corrupt("calendar_days.date"))?;
            if r.kind == "holiday" {
                cal.holidays.insert(date);
            } else {
                cal.makeup_workdays.insert(date);
            }
        }
        Ok(cal)
    }
}
