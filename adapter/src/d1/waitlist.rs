//! Waitlist entries (`waitlist_entries`, migration 0017). The partial unique index keeps one
//! waiting entry per applicant and service; the triggers let an entry leave `waiting` once, and
//! be `booked` only with its booking, which [`Waitlists::book_entry`] writes in the same batch.

use super::bookings::{
    bad, booking_args, instant, open_pickup, seal_pickup, INSERT_COLUMNS, INSERT_PARAMS,
};
use super::{changes, corrupt, is_unique_violation, storage_error, Arg, D1Store};
use serde::Deserialize;
use yuyue_shared::domain::mask;
use yuyue_shared::domain::{BookingNo, OfficeId, PeriodId, Phone, ServiceId, WaitlistId};
use yuyue_shared::store::*;
use yuyue_shared::time::{parse_date, rfc3339, Instant};
use yuyue_shared::ApiResult;

const COLUMNS: &str = "waitlist_id, applicant_id, joined_by, service_id, office_id, date, \
    period_ids, phone_sealed, pickup_json, photo_receipt_no, booking_no, fingerprint, status, \
    reason, created_at, updated_at";
const PHONE: &str = "waitlist_entries.phone";
const ADDRESS: &str = "waitlist_entries.address";

#[derive(Deserialize)]
struct Row {
    waitlist_id: String,
    applicant_id: String,
    joined_by: String,
    service_id: String,
    office_id: String,
    date: String,
    period_ids: String,
    phone_sealed: String,
    pickup_json: String,
    photo_receipt_no: Option<String>,
    booking_no: String,
    fingerprint: String,
    status: String,
    reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl Row {
    fn into_model(self, store: &D1Store) -> ApiResult<WaitlistEntry> {
        let periods: Vec<String> =
            serde_json::from_str(&self.period_ids).map_err(bad("waitlist_entries.period_ids"))?;
        let phone = store.unseal(PHONE, &self.waitlist_id, &self.phone_sealed)?;
        Ok(WaitlistEntry {
            id: WaitlistId::parse(&self.waitlist_id)
                .map_err(bad("waitlist_entries.waitlist_id"))?,
            applicant_id: ApplicantId::parse(&self.applicant_id)
                .map_err(bad("waitlist_entries.applicant_id"))?,
            joined_by: UserId::parse(&self.joined_by).map_err(bad("waitlist_entries.joined_by"))?,
            service: ServiceId::parse(&self.service_id)
                .map_err(bad("waitlist_entries.service_id"))?,
            office_id: OfficeId::parse(&self.office_id)
                .map_err(bad("waitlist_entries.office_id"))?,
            date: parse_date("date", &self.date).map_err(bad("waitlist_entries.date"))?,
            period_ids: periods
                .iter()
                .map(|p| PeriodId::parse(p))
                .collect::<Result<_, _>>()
                .map_err(bad("waitlist_entries.period_ids"))?,
            phone: Phone::parse(&phone).map_err(bad("waitlist_entries.phone"))?,
            pickup: open_pickup(store, ADDRESS, &self.waitlist_id, &self.pickup_json)?,
            photo_receipt_no: self.photo_receipt_no,
            booking_no: BookingNo::parse(&self.booking_no)
                .map_err(bad("waitlist_entries.booking_no"))?,
            fingerprint: self.fingerprint,
            status: WaitlistStatus::parse(&self.status)
                .ok_or_else(|| corrupt("waitlist_entries.status"))?,
            reason: self.reason,
            created_at: instant(&self.created_at)?,
            updated_at: instant(&self.updated_at)?,
        })
    }
}

impl D1Store {
    async fn one_entry(&self, id: &WaitlistId) -> ApiResult<Option<WaitlistEntry>> {
        let row: Option<Row> = self
            .first(
                &format!("SELECT {COLUMNS} FROM waitlist_entries WHERE waitlist_id = ?1"),
                &[id.as_str().into()],
            )
            .await?;
        row.map(|r| r.into_model(self)).transpose()
    }
}

impl Waitlists for D1Store {
    async fn create_entry(&self, e: &WaitlistEntry, audit: &AuditEntry) -> ApiResult<CreateEntry> {
        let periods: Vec<&str> = e.period_ids.iter().map(PeriodId::as_str).collect();
        let insert = self.stmt(
            "INSERT INTO waitlist_entries (waitlist_id, applicant_id, joined_by, service_id, \
             office_id, date, period_ids, phone, phone_sealed, pickup_json, photo_receipt_no, \
             booking_no, fingerprint, status, reason, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, NULL, ?15, ?15)",
            &[
                e.id.as_str().into(),
                e.applicant_id.as_str().into(),
                e.joined_by.as_str().into(),
                e.service.as_str().into(),
                e.office_id.as_str().into(),
                e.date.to_string().into(),
                serde_json::to_string(&periods)
                    .map_err(|_| yuyue_shared::ApiError::internal())?
                    .into(),
                mask::mask_phone(&e.phone).into(),
                self.seal(PHONE, e.id.as_str(), e.phone.as_str())?.into(),
                seal_pickup(self, ADDRESS, e.id.as_str(), &e.pickup)?.into(),
                e.photo_receipt_no.as_deref().into(),
                e.booking_no.as_str().into(),
                e.fingerprint.as_str().into(),
                e.status.as_str().into(),
                rfc3339(&e.created_at).into(),
            ],
        )?;
        let audit = self.audit_stmt(audit)?;
        match self.db.batch(vec![insert, audit]).await {
            Ok(_) => Ok(CreateEntry::Created),
            Err(err) if is_unique_violation(&err) => {
                if let Some(same) = self.one_entry(&e.id).await? {
                    return Ok(CreateEntry::SameId(Box::new(same)));
                }
                let other: Option<IdRow> = self
                    .first(
                        "SELECT waitlist_id FROM waitlist_entries \
                         WHERE applicant_id = ?1 AND service_id = ?2 AND status = 'waiting'",
                        &[e.applicant_id.as_str().into(), e.service.as_str().into()],
                    )
                    .await?;
                match other.map(|r| WaitlistId::parse(&r.waitlist_id)) {
                    Some(Ok(id)) => Ok(CreateEntry::WaitingExists(id)),
                    // Another unique column: the booking number, which only a changed secret
                    // makes collide.
                    _ => Err(yuyue_shared::ApiError::new(
                        yuyue_shared::ErrorCode::Conflict,
                    )),
                }
            }
            Err(err) => Err(storage_error(err)),
        }
    }

    async fn entry(&self, id: &WaitlistId) -> ApiResult<Option<WaitlistEntry>> {
        self.one_entry(id).await
    }

    async fn entries_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<WaitlistEntry>> {
        if applicants.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = applicants.iter().map(ApplicantId::as_str).collect();
        let ids = serde_json::to_string(&ids).map_err(|_| yuyue_shared::ApiError::internal())?;
        let rows: Vec<Row> = self
            .all(
                &format!(
                    "SELECT {COLUMNS} FROM waitlist_entries \
                     WHERE applicant_id IN (SELECT value FROM json_each(?1)) \
                     ORDER BY created_at DESC, rowid DESC LIMIT 200"
                ),
                &[Arg::Owned(ids)],
            )
            .await?;
        rows.into_iter().map(|r| r.into_model(self)).collect()
    }

    async fn end_entry(
        &self,
        id: &WaitlistId,
        to: WaitlistStatus,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<WaitlistEntry>> {
        let update = self.stmt(
            "UPDATE waitlist_entries SET status = ?2, reason = ?3, updated_at = ?4 \
             WHERE waitlist_id = ?1 AND status = 'waiting'",
            &[
                id.as_str().into(),
                to.as_str().into(),
                reason.into(),
                rfc3339(&at).into(),
            ],
        )?;
        let audit = self.audit_stmt_if_changed(audit)?;
        self.batch(vec![update, audit]).await?;
        self.one_entry(id).await
    }

    async fn book_entry(
        &self,
        id: &WaitlistId,
        booking: &Booking,
        audit: &AuditEntry,
    ) -> ApiResult<BookEntry> {
        // The booking first, only while the entry waits; then the entry, only if its booking is
        // there (the trigger checks it too); the audit row only if the entry moved.
        let mut args = booking_args(self, booking)?;
        args.push(id.as_str().into());
        let insert = self.stmt(
            &format!(
                "INSERT INTO bookings ({INSERT_COLUMNS}) SELECT {INSERT_PARAMS} \
                 WHERE EXISTS (SELECT 1 FROM waitlist_entries WHERE waitlist_id = ?16 \
                 AND status = 'waiting' AND booking_no = ?1)"
            ),
            &args,
        )?;
        let mark = self.stmt(
            "UPDATE waitlist_entries SET status = 'booked', updated_at = ?3 \
             WHERE waitlist_id = ?1 AND status = 'waiting' \
             AND EXISTS (SELECT 1 FROM bookings WHERE booking_no = ?2)",
            &[
                id.as_str().into(),
                booking.booking_no.as_str().into(),
                rfc3339(&booking.created_at).into(),
            ],
        )?;
        let audit = self.audit_stmt_if_changed(audit)?;
        match self.db.batch(vec![insert, mark, audit]).await {
            Ok(results) if results.get(1).is_some_and(|r| changes(r) == 1) => Ok(BookEntry::Booked),
            Ok(_) => Ok(match self.one_entry(id).await? {
                Some(e)
                    if e.status == WaitlistStatus::Booked && e.booking_no == booking.booking_no =>
                {
                    BookEntry::Booked
                }
                _ => BookEntry::NotWaiting,
            }),
            Err(err) if is_unique_violation(&err) => {
                if self
                    .active_booking(&booking.applicant_id, booking.service)
                    .await?
                    .is_some()
                {
                    Ok(BookEntry::ActiveExists)
                } else {
                    Ok(BookEntry::NotWaiting)
                }
            }
            Err(err) => Err(storage_error(err)),
        }
    }
}

#[derive(Deserialize)]
struct IdRow {
    waitlist_id: String,
}
