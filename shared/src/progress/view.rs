//! Applications and documents as the contract shows them, personal data masked.

use super::validity::LONG_TERM_UNTIL;
use crate::domain::mask;
use crate::i18n::Lang;
use crate::store::{Applicant, Application, ApplicationStatus, IssuedDocument};
use crate::time::rfc3339;
use chrono::{Months, NaiveDate};
use serde_json::{json, Value};

/// A certificate this close to its end is flagged: people renew before they travel.
pub const EXPIRING_MONTHS: u32 = 6;

pub fn application_view(a: &Application, applicant: Option<&Applicant>, lang: Lang) -> Value {
    let timeline: Vec<Value> = a
        .timeline
        .iter()
        .map(|e| {
            json!({
                "status": e.status.as_str(),
                "label": e.status.label().render(lang),
                "at": rfc3339(&e.at),
                "note": e.note,
            })
        })
        .collect();
    let rejected = a.status == ApplicationStatus::Rejected;
    let reason = rejected
        .then(|| {
            a.timeline
                .iter()
                .rev()
                .find(|e| e.status == ApplicationStatus::Rejected)
        })
        .flatten()
        .and_then(|e| e.note.clone());
    json!({
        "application_no": a.application_no.as_str(),
        "booking_no": a.booking_no.as_str(),
        "applicant": {
            "applicant_id": a.applicant_id.as_str(),
            "name": applicant.map(|x| mask::mask_name(&x.name)),
        },
        "service": a.service.as_str(),
        "office_id": a.office_id.as_str(),
        "status": a.status.as_str(),
        "status_label": a.status.label().render(lang),
        "timeline": timeline,
        // Meaningless once rejected.
        "estimated_ready": (!rejected).then(|| a.estimated_ready.to_string()),
        "rejected_reason": reason,
        "updated_at": rfc3339(&a.updated_at),
    })
}

pub fn document_view(d: &IssuedDocument, applicant: Option<&Applicant>, today: NaiveDate) -> Value {
    let long_term = d.valid_until == LONG_TERM_UNTIL;
    let expired = !long_term && d.valid_until < today;
    let soon = today
        .checked_add_months(Months::new(EXPIRING_MONTHS))
        .unwrap_or(LONG_TERM_UNTIL);
    json!({
        "document_id": d.id,
        "applicant": {
            "applicant_id": d.applicant_id.as_str(),
            "name": applicant.map(|x| mask::mask_name(&x.name)),
        },
        "type": d.service.as_str(),
        // Empty when the processing system did not report the number.
        "number": (!d.number_masked.is_empty()).then_some(d.number_masked.as_str()),
        "issued_on": d.issued_on.to_string(),
        "valid_until": (!long_term).then(|| d.valid_until.to_string()),
        "long_term": long_term,
        "expired": expired,
        "expiring_soon": !long_term && !expired && d.valid_until <= soon,
    })
}
