//! A booking as the contract shows it: personal data masked, the QR payload attached.

use super::qr::{QrClaims, QrSigner};
use crate::domain::mask;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::store::{Applicant, Booking, BookingStatus, Pickup};
use crate::time::{format_hhmm, rfc3339};
use serde_json::{json, Value};

pub async fn booking_view(
    b: &Booking,
    applicant: Option<&Applicant>,
    qr: &QrSigner,
    lang: Lang,
) -> ApiResult<Value> {
    let pickup = match &b.pickup {
        Pickup::Collect => json!({ "method": "collect" }),
        Pickup::Mail { address } => {
            json!({ "method": "mail", "address": mask::mask_address(address) })
        }
    };
    // A QR code only means something while the booking can still be used at the office.
    let qr_payload = if b.status == BookingStatus::Booked {
        let claims = QrClaims {
            booking_no: b.booking_no.clone(),
            office_id: b.office_id.clone(),
            date: b.date,
            period_id: b.period_id.clone(),
        };
        Some(qr.sign(&claims).await?)
    } else {
        None
    };
    Ok(json!({
        "booking_no": b.booking_no.as_str(),
        "booking_no_display": b.booking_no.display_grouped(),
        "status": b.status.as_str(),
        "status_label": b.status.label().render(lang),
        "applicant": {
            "applicant_id": b.applicant_id.as_str(),
            "name": applicant.map(|a| mask::mask_name(&a.name)),
            "document": applicant.map(|a| a.document.masked.clone()),
        },
        "service": b.service.as_str(),
        "office_id": b.office_id.as_str(),
        "date": b.date.to_string(),
        "period_id": b.period_id.as_str(),
        "start": format_hhmm(b.start),
        "end": format_hhmm(b.end),
        "phone": mask::mask_phone(&b.phone),
        "pickup": pickup,
        "photo_receipt_no": b.photo_receipt_no,
        "created_at": rfc3339(&b.created_at),
        "cancelled_at": b.cancelled_at.as_ref().map(rfc3339),
        "checked_in_at": b.checked_in_at.as_ref().map(rfc3339),
        "booked_by": b.booked_by.as_str(),
        "qr_payload": qr_payload,
    }))
}
