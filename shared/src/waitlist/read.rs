//! Reading and leaving waitlist entries, through the one authorization rule: someone else's
//! entry is `404`.

use super::view::entry_view;
use crate::authz::{acting_for, authorize, record_views};
use crate::booking::list::Reader;
use crate::domain::{OfficeId, WaitlistId};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::*;
use crate::t;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A waiting entry's position, as the day has it (`None` once it is served there).
pub async fn position_of<I: Inventory>(inventory: &I, e: &WaitlistEntry) -> ApiResult<Option<u64>> {
    if e.status != WaitlistStatus::Waiting {
        return Ok(None);
    }
    let ids = std::slice::from_ref(&e.id);
    Ok(inventory
        .positions(&e.office_id, e.date, ids)
        .await?
        .into_iter()
        .next()
        .flatten())
}

pub async fn list_entries<S, I>(
    store: &S,
    inventory: &I,
    r: &Reader<'_>,
    applicant_filter: Option<&str>,
) -> ApiResult<Vec<Value>>
where
    S: Applicants + Waitlists + Audit,
    I: Inventory,
{
    let today = r.now.date_naive();
    let people = acting_for(store, r.caller, applicant_filter, r.rules, today).await?;
    let ids: Vec<_> = people.iter().map(|a| a.applicant.id.clone()).collect();
    let entries = store.entries_of(&ids).await?;
    // One question per day for the positions of its waiting entries.
    let mut days: BTreeMap<(OfficeId, chrono::NaiveDate), Vec<WaitlistId>> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.status == WaitlistStatus::Waiting)
    {
        days.entry((e.office_id.clone(), e.date))
            .or_default()
            .push(e.id.clone());
    }
    let mut positions = BTreeMap::new();
    for ((office, date), ids) in days {
        let found = inventory.positions(&office, date, &ids).await?;
        positions.extend(ids.into_iter().zip(found));
    }
    record_views(
        store,
        r.caller,
        &people,
        "waitlist.view",
        None,
        r.request_id,
        r.now,
    )
    .await?;
    Ok(entries
        .iter()
        .map(|e| entry_view(e, positions.get(&e.id).copied().flatten(), r.lang))
        .collect())
}

/// The entry, if the caller may act for its applicant.
async fn authorized<S: Applicants + Waitlists>(
    store: &S,
    r: &Reader<'_>,
    raw_id: &str,
) -> ApiResult<(WaitlistEntry, crate::authz::Acting)> {
    // A malformed id cannot be anyone's entry.
    let id = WaitlistId::parse(raw_id).map_err(|_| ApiError::not_found())?;
    let entry = store.entry(&id).await?.ok_or_else(ApiError::not_found)?;
    let who = authorize(
        store,
        r.caller,
        &entry.applicant_id,
        r.rules,
        r.now.date_naive(),
    )
    .await?;
    Ok((entry, who))
}

pub async fn read_entry<S, I>(
    store: &S,
    inventory: &I,
    r: &Reader<'_>,
    raw_id: &str,
) -> ApiResult<Value>
where
    S: Applicants + Waitlists + Audit,
    I: Inventory,
{
    let (entry, who) = authorized(store, r, raw_id).await?;
    record_views(
        store,
        r.caller,
        std::slice::from_ref(&who),
        "waitlist.view",
        Some(entry.id.as_str()),
        r.request_id,
        r.now,
    )
    .await?;
    let position = position_of(inventory, &entry).await?;
    Ok(entry_view(&entry, position, r.lang))
}

/// `DELETE /v1/waitlist/{id}`: the record first, then the day, so a place the day served the
/// entry meanwhile is either booked (the record got the booking first: `409`, cancel the
/// booking instead) or passed on. Leaving twice answers like the first time.
pub async fn leave<S, I>(store: &S, inventory: &I, r: &Reader<'_>, raw_id: &str) -> ApiResult<Value>
where
    S: Applicants + Waitlists,
    I: Inventory,
{
    let (entry, _) = authorized(store, r, raw_id).await?;
    let after = match entry.status {
        WaitlistStatus::Waiting => {
            let audit = AuditEntry {
                actor: Actor::User(r.caller.clone()),
                subject: entry.applicant_id.clone(),
                action: "waitlist.leave".into(),
                target: Some(entry.id.as_str().to_owned()),
                request_id: r.request_id.to_owned(),
                at: r.now,
            };
            store
                .end_entry(&entry.id, WaitlistStatus::Cancelled, None, r.now, &audit)
                .await?
                .ok_or_else(ApiError::not_found)?
        }
        _ => entry,
    };
    match after.status {
        WaitlistStatus::Booked => Err(ApiError::new(ErrorCode::Conflict)
            .with_message(t!("waitlist.booked_cannot_leave"))
            .with_details(json!({
                "reason": "booked",
                "booking_no": after.booking_no.as_str(),
            }))),
        // Told again on a second call: the first may have changed the record and not the day.
        // If the day stays unreachable, the entry is refused when it is served.
        WaitlistStatus::Cancelled => {
            if inventory
                .leave_waitlist(&after.office_id, after.date, &after.id)
                .await
                .is_err()
            {
                let _ = inventory
                    .leave_waitlist(&after.office_id, after.date, &after.id)
                    .await;
            }
            Ok(entry_view(&after, None, r.lang))
        }
        WaitlistStatus::Waiting | WaitlistStatus::Expired => Ok(entry_view(&after, None, r.lang)),
    }
}
