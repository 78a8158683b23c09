//! Applications and issued documents (`migrations/0002`: `applications`, `documents`).

use super::bookings::instant;
use super::{corrupt, is_unique_violation, storage_error, Arg, D1Store};
use serde::Deserialize;
use yuyue_shared::domain::{ApplicationNo, BookingNo, OfficeId, ServiceId};
use yuyue_shared::store::*;
use yuyue_shared::time::{parse_date, rfc3339};
use yuyue_shared::{ApiError, ApiResult};

const COLUMNS: &str = "application_no, booking_no, applicant_id, service_id, office_id, status, \
    timeline_json, estimated_ready, updated_at";

#[derive(Deserialize)]
struct Row {
    application_no: String,
    booking_no: String,
    applicant_id: String,
    service_id: String,
    office_id: String,
    status: String,
    timeline_json: String,
    estimated_ready: String,
    updated_at: String,
}

fn bad<E>(what: &'static str) -> impl Fn(E) -> ApiError {
    move |_| corrupt(what)
}

impl Row {
    fn into_model(self) -> ApiResult<Application> {
        Ok(Application {
            application_no: ApplicationNo::parse(&self.application_no)
                .map_err(bad("applications.application_no"))?,
            booking_no: BookingNo::parse(&self.booking_no)
                .map_err(bad("applications.booking_no"))?,
            applicant_id: ApplicantId::parse(&self.applicant_id)
                .map_err(bad("applications.applicant_id"))?,
            service: ServiceId::parse(&self.service_id).map_err(bad("applications.service_id"))?,
            office_id: OfficeId::parse(&self.office_id).map_err(bad("applications.office_id"))?,
            status: ApplicationStatus::parse(&self.status).map_err(bad("applications.status"))?,
            timeline: serde_json::from_str(&self.timeline_json)
                .map_err(bad("applications.timeline_json"))?,
            estimated_ready: parse_date("estimated_ready", &self.estimated_ready)
                .map_err(bad("applications.estimated_ready"))?,
            updated_at: instant(&self.updated_at)?,
        })
    }
}

#[derive(Deserialize)]
struct DocumentRow {
    document_id: String,
    applicant_id: String,
    service_id: String,
    number_masked: String,
    issued_on: String,
    valid_until: String,
}

impl DocumentRow {
    fn into_model(self) -> ApiResult<IssuedDocument> {
        Ok(IssuedDocument {
            id: self.document_id,
            applicant_id: ApplicantId::parse(&self.applicant_id)
                .map_err(bad("documents.applicant_id"))?,
            service: ServiceId::parse(&self.service_id).map_err(bad("documents.service_id"))?,
            number_masked: self.number_masked,
            issued_on: parse_date("issued_on", &self.issued_on)
                .map_err(bad("documents.issued_on"))?,
            valid_until: parse_date("valid_until", &self.valid_until)
                .map_err(bad("documents.valid_until"))?,
        })
    }
}

/// A JSON array of the ids, for `IN (SELECT value FROM json_each(?))`: one fixed statement
/// whatever the number of applicants.
fn id_list(ids: &[ApplicantId]) -> ApiResult<String> {
    serde_json::to_string(&ids.iter().map(ApplicantId::as_str).collect::<Vec<_>>())
        .map_err(|_| ApiError::internal())
}

impl D1Store {
    async fn one_application(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<Application>> {
        let row: Option<Row> = self.first(sql, args).await?;
        row.map(Row::into_model).transpose()
    }
}

impl Applications for D1Store {
    async fn open_application(&self, a: &Application) -> ApiResult<Application> {
        let timeline = serde_json::to_string(&a.timeline).map_err(|_| ApiError::internal())?;
        // The booking's UNIQUE index makes a second open (a retry, two desks) a no-op; both then
        // read back the one that won.
        self.run(
            &format!(
                "INSERT INTO applications ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                     ON CONFLICT (booking_no) DO NOTHING"
            ),
            &[
                a.application_no.as_str().into(),
                a.booking_no.as_str().into(),
                a.applicant_id.as_str().into(),
                a.service.as_str().into(),
                a.office_id.as_str().into(),
                a.status.as_str().into(),
                timeline.into(),
                a.estimated_ready.to_string().into(),
                rfc3339(&a.updated_at).into(),
            ],
        )
        .await?;
        self.application_of_booking(&a.booking_no)
            .await?
            .ok_or_else(ApiError::internal)
    }

    async fn application(&self, no: &ApplicationNo) -> ApiResult<Option<Application>> {
        self.one_application(
            &format!("SELECT {COLUMNS} FROM applications WHERE application_no = ?1"),
            &[no.as_str().into()],
        )
        .await
    }

    async fn application_of_booking(&self, no: &BookingNo) -> ApiResult<Option<Application>> {
        self.one_application(
            &format!("SELECT {COLUMNS} FROM applications WHERE booking_no = ?1"),
            &[no.as_str().into()],
        )
        .await
    }

    async fn applications_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Application>> {
        if applicants.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = self
            .all(
                &format!(
                    "SELECT {COLUMNS} FROM applications \
                     WHERE applicant_id IN (SELECT value FROM json_each(?1)) \
                     ORDER BY updated_at DESC, application_no LIMIT 200"
                ),
                &[id_list(applicants)?.into()],
            )
            .await?;
        rows.into_iter().map(Row::into_model).collect()
    }

    async fn update_application(
        &self,
        a: &Application,
        expected: ApplicationStatus,
    ) -> ApiResult<bool> {
        let timeline = serde_json::to_string(&a.timeline).map_err(|_| ApiError::internal())?;
        let changed = self
            .run(
                "UPDATE applications SET status = ?2, timeline_json = ?3, estimated_ready = ?4, updated_at = ?5 \
                 WHERE application_no = ?1 AND status = ?6",
                &[
                    a.application_no.as_str().into(),
                    a.status.as_str().into(),
                    timeline.into(),
                    a.estimated_ready.to_string().into(),
                    rfc3339(&a.updated_at).into(),
                    expected.as_str().into(),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn documents_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<IssuedDocument>> {
        if applicants.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<DocumentRow> = self
            .all(
                "SELECT document_id, applicant_id, service_id, number_masked, issued_on, valid_until \
                 FROM documents WHERE applicant_id IN (SELECT value FROM json_each(?1)) \
                 ORDER BY valid_until, document_id LIMIT 200",
                &[id_list(applicants)?.into()],
            )
            .await?;
        rows.into_iter().map(DocumentRow::into_model).collect()
    }

    async fn add_document(&self, d: &IssuedDocument) -> ApiResult<()> {
        let result = self
            .stmt(
                "INSERT INTO documents (document_id, applicant_id, service_id, number_masked, issued_on, valid_until) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (document_id) DO NOTHING",
                &[
                    d.id.as_str().into(),
                    d.applicant_id.as_str().into(),
                    d.service.as_str().into(),
                    d.number_masked.as_str().into(),
                    d.issued_on.to_string().into(),
                    d.valid_until.to_string().into(),
                ],
            )?
            .run()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Ok(()),
            Err(e) => Err(storage_error(e)),
        }
    }
}
