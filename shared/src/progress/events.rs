//! `POST /v1/ops/applications/{application_no}/events`: the processing system moves an
//! application (the signature was checked before this runs, see `webhook`).
//!
//! The move is a compare-and-set on the status, so two events racing cannot both apply. An event
//! repeating the status the application already has is a redelivery: it answers `200` with
//! `changed: false` and changes nothing, so a sender may retry safely. When the certificate
//! changes hands (`collected` at the office, or `mailed`), the issued document is recorded under
//! an id derived from the application, so a retry cannot record it twice.

use super::machine::{issues_document, may_move, Delivery};
use super::validity::{term, valid_until};
use super::view::{application_view, document_view};
use crate::domain::mask;
use crate::domain::{ApplicationNo, ServiceId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::*;
use crate::t;
use crate::time::{self, parse_date, Instant};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

pub const MAX_NOTE_CHARS: usize = 200;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventRequest {
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
    /// The certificate's number, when the event hands it over. An ID card's number is the
    /// holder's ID number, already on record, so it is not needed for `id_card`.
    #[serde(default)]
    pub document_no: Option<String>,
    /// The issuer's end of validity; required for visas and residence permits, whose term is
    /// decided per case, and otherwise overrides the rule of `validity`.
    #[serde(default)]
    pub valid_until: Option<String>,
}

pub struct EventInput<'a> {
    pub application_no: &'a str,
    pub request: &'a EventRequest,
    /// Who sent it, for the audit trail.
    pub actor: &'a str,
    pub now: Instant,
    pub request_id: &'a str,
    pub lang: crate::i18n::Lang,
}

struct Valid {
    status: ApplicationStatus,
    note: Option<String>,
    document_no: Option<String>,
    valid_until: Option<NaiveDate>,
}

fn validate(r: &EventRequest) -> ApiResult<Valid> {
    let status = ApplicationStatus::parse(&r.status)?;
    let note = r.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS || n.chars().any(char::is_control)) {
        return Err(ApiError::invalid("note", t!("progress.bad_note")));
    }
    if status == ApplicationStatus::Rejected && note.is_none() {
        return Err(ApiError::invalid("note", t!("progress.reason_required")));
    }
    let document_no = r
        .document_no
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            let n = n.to_ascii_uppercase();
            let ok = (5..=18).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric());
            ok.then_some(n)
                .ok_or_else(|| ApiError::invalid("document_no", t!("progress.bad_document_no")))
        })
        .transpose()?;
    let valid_until = r
        .valid_until
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| parse_date("valid_until", v))
        .transpose()?;
    Ok(Valid {
        status,
        // The processing system writes free text; a number typed into it must not be shown.
        note: note.map(mask::scrub),
        document_no,
        valid_until,
    })
}

pub async fn apply_event<S>(store: &S, input: EventInput<'_>) -> ApiResult<Value>
where
    S: Applications + Bookings + Applicants + Audit,
{
    let v = validate(input.request)?;
    let no = ApplicationNo::parse(input.application_no).map_err(|_| ApiError::not_found())?;
    let current = store
        .application(&no)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let booking = store
        .booking(&current.booking_no)
        .await?
        .ok_or_else(ApiError::internal)?;
    let applicant = store.applicant(&current.applicant_id).await?;
    let delivery = Delivery::from(&booking.pickup);
    let today = input.now.with_timezone(&time::shanghai()).date_naive();

    if current.status == v.status {
        // A redelivery. Repair a document a failed first delivery did not get to record.
        let document = match issues_document(v.status, delivery) {
            true => Some(record_document(store, &current, applicant.as_ref(), &v, today).await?),
            false => None,
        };
        return Ok(answer(
            &current,
            applicant.as_ref(),
            document.as_ref(),
            false,
            today,
            input.lang,
        ));
    }
    if !may_move(current.status, v.status, delivery) {
        return Err(ApiError::new(ErrorCode::Conflict)
            .with_message(t!("progress.bad_transition"))
            .with_details(json!({ "from": current.status.as_str(), "to": v.status.as_str() })));
    }
    // Checked before the move, so a missing term refuses the event rather than leaving a
    // handed-over certificate without its document.
    if issues_document(v.status, delivery) {
        document_for(&current, applicant.as_ref(), &v, today)?;
    }

    let mut next = current.clone();
    next.status = v.status;
    next.timeline.push(ApplicationEvent {
        status: v.status,
        at: input.now,
        note: v.note.clone(),
    });
    next.updated_at = input.now;
    if !store.update_application(&next, current.status).await? {
        return Err(ApiError::new(ErrorCode::Conflict)
            .with_message(t!("progress.concurrent_event"))
            .with_details(json!({ "reason": "concurrent_update" })));
    }
    let document = match issues_document(v.status, delivery) {
        true => Some(record_document(store, &next, applicant.as_ref(), &v, today).await?),
        false => None,
    };
    // Best effort, like the check-in's: the move has happened either way.
    let _ = store
        .record(&AuditEntry {
            actor: Actor::Ops(input.actor.to_owned()),
            subject: next.applicant_id.clone(),
            action: format!("application.{}", v.status.as_str()),
            target: Some(next.application_no.as_str().to_owned()),
            request_id: input.request_id.to_owned(),
            at: input.now,
        })
        .await;
    Ok(answer(
        &next,
        applicant.as_ref(),
        document.as_ref(),
        true,
        today,
        input.lang,
    ))
}

fn document_id(no: &ApplicationNo) -> String {
    format!("doc-{}", no.as_str())
}

fn document_for(
    a: &Application,
    applicant: Option<&Applicant>,
    v: &Valid,
    issued_on: NaiveDate,
) -> ApiResult<IssuedDocument> {
    let birth = applicant.and_then(|x| x.birth_date);
    let until = match (v.valid_until, term(a.service, birth, issued_on)) {
        (Some(until), _) => until,
        (None, Some(t)) => valid_until(issued_on, t),
        (None, None) => {
            return Err(ApiError::invalid(
                "valid_until",
                t!("progress.valid_until_required"),
            ))
        }
    };
    if until <= issued_on {
        return Err(ApiError::invalid(
            "valid_until",
            t!("progress.valid_until_before_issue"),
        ));
    }
    let number_masked = match (a.service, &v.document_no, applicant) {
        // The ID card's number is the holder's ID number, kept masked on the applicant.
        (ServiceId::IdCard, _, Some(x)) => x.document.masked.clone(),
        (_, Some(n), _) => mask::mask_passport_no(n),
        _ => String::new(),
    };
    Ok(IssuedDocument {
        id: document_id(&a.application_no),
        applicant_id: a.applicant_id.clone(),
        service: a.service,
        number_masked,
        issued_on,
        valid_until: until,
    })
}

async fn record_document<S: Applications>(
    store: &S,
    a: &Application,
    applicant: Option<&Applicant>,
    v: &Valid,
    today: NaiveDate,
) -> ApiResult<IssuedDocument> {
    let id = document_id(&a.application_no);
    let existing = store
        .documents_of(std::slice::from_ref(&a.applicant_id))
        .await?;
    if let Some(d) = existing.into_iter().find(|d| d.id == id) {
        return Ok(d);
    }
    let doc = document_for(a, applicant, v, today)?;
    store.add_document(&doc).await?;
    Ok(doc)
}

fn answer(
    a: &Application,
    applicant: Option<&Applicant>,
    document: Option<&IssuedDocument>,
    changed: bool,
    today: NaiveDate,
    lang: crate::i18n::Lang,
) -> Value {
    json!({
        "changed": changed,
        "application": application_view(a, applicant, lang),
        "document": document.map(|d| document_view(d, applicant, today)),
    })
}
