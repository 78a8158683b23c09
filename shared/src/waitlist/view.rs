//! A waitlist entry as the API shows it: personal data masked, the position when it waits.

use crate::domain::mask;
use crate::i18n::Lang;
use crate::store::{Pickup, WaitlistEntry, WaitlistStatus};
use crate::time::rfc3339;
use serde_json::{json, Value};

pub fn entry_view(e: &WaitlistEntry, position: Option<u64>, lang: Lang) -> Value {
    let pickup = match &e.pickup {
        Pickup::Collect => json!({ "method": "collect" }),
        Pickup::Mail { address } => {
            json!({ "method": "mail", "address": mask::mask_address(address) })
        }
    };
    json!({
        "waitlist_id": e.id.as_str(),
        "status": e.status.as_str(),
        "status_label": e.status.label().render(lang),
        "position": if e.status == WaitlistStatus::Waiting { position } else { None },
        "applicant_id": e.applicant_id.as_str(),
        "service": e.service.as_str(),
        "office_id": e.office_id.as_str(),
        "date": e.date.to_string(),
        "period_ids": e.period_ids.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "phone": mask::mask_phone(&e.phone),
        "pickup": pickup,
        "booking_no": (e.status == WaitlistStatus::Booked).then(|| e.booking_no.as_str()),
        "reason": e.reason,
        "created_at": rfc3339(&e.created_at),
        "updated_at": rfc3339(&e.updated_at),
    })
}
