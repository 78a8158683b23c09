use super::{corrupt, is_unique_violation, rows, storage_error, Arg, D1Store};
use chrono::NaiveDate;
use serde::Deserialize;
use yuyue_shared::domain::mask;
use yuyue_shared::domain::{BookingNo, OfficeId, PeriodId, Phone, ServiceId};
use yuyue_shared::store::*;
use yuyue_shared::time::{format_hhmm, parse_date, parse_hhmm, rfc3339, Instant};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// What a booking is read as. The phone is sealed in `phone_sealed` (`phone` holds it masked);
/// rows from before migration 0016 have it in clear in `phone` only.
const BOOKING_COLUMNS: &str = "booking_no, applicant_id, booked_by, service_id, office_id, date, \
    period_id, start_time, end_time, COALESCE(phone_sealed, phone) AS phone, pickup_json, \
    photo_receipt_no, status, created_at, cancelled_at, cancelled_by, cancel_reason, checked_in_at";
pub(super) const INSERT_COLUMNS: &str =
    "booking_no, applicant_id, booked_by, service_id, office_id, date, \
    period_id, start_time, end_time, phone, phone_sealed, pickup_json, photo_receipt_no, status, \
    created_at";
/// `?1`…`?15`, in the order of [`INSERT_COLUMNS`] and [`booking_args`].
pub(super) const INSERT_PARAMS: &str =
    "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15";
const PHONE: &str = "bookings.phone";
const ADDRESS: &str = "bookings.address";

#[derive(Deserialize)]
struct BookingRow {
    booking_no: String,
    applicant_id: String,
    booked_by: String,
    service_id: String,
    office_id: String,
    date: String,
    period_id: String,
    start_time: String,
    end_time: String,
    phone: String,
    pickup_json: String,
    photo_receipt_no: Option<String>,
    status: String,
    created_at: String,
    cancelled_at: Option<String>,
    cancelled_by: Option<String>,
    cancel_reason: Option<String>,
    checked_in_at: Option<String>,
}

pub(crate) fn instant(s: &str) -> ApiResult<Instant> {
    yuyue_shared::time::instant_from(s).ok_or_else(|| corrupt("timestamp"))
}

fn opt_instant(s: Option<&str>) -> ApiResult<Option<Instant>> {
    s.map(instant).transpose()
}

fn status(s: &str) -> ApiResult<BookingStatus> {
    Ok(match s {
        "booked" => BookingStatus::Booked,
        "cancelled" => BookingStatus::Cancelled,
        "checked_in" => BookingStatus::CheckedIn,
        "no_show" => BookingStatus::NoShow,
        _ => return Err(corrupt("bookings.status")),
    })
}

pub(super) fn bad<E>(what: &'static str) -> impl Fn(E) -> ApiError {
    move |_| corrupt(what)
}

/// The pickup as stored: a mail address sealed where it stands in the JSON.
/// (`column`: where the address is sealed for, `row` the row's key.)
pub(super) fn seal_pickup(
    store: &D1Store,
    column: &str,
    row: &str,
    pickup: &Pickup,
) -> ApiResult<String> {
    let stored = match pickup {
        Pickup::Collect => Pickup::Collect,
        Pickup::Mail { address } => Pickup::Mail {
            address: store.seal(column, row, address)?,
        },
    };
    serde_json::to_string(&stored).map_err(|_| ApiError::internal())
}

/// A new booking's values for [`INSERT_COLUMNS`], its phone and mail address sealed.
pub(super) fn booking_args<'a>(store: &D1Store, b: &'a Booking) -> ApiResult<Vec<Arg<'a>>> {
    Ok(vec![
        b.booking_no.as_str().into(),
        b.applicant_id.as_str().into(),
        b.booked_by.as_str().into(),
        b.service.as_str().into(),
        b.office_id.as_str().into(),
        b.date.to_string().into(),
        b.period_id.as_str().into(),
        format_hhmm(b.start).into(),
        format_hhmm(b.end).into(),
        mask::mask_phone(&b.phone).into(),
        store
            .seal(PHONE, b.booking_no.as_str(), b.phone.as_str())?
            .into(),
        seal_pickup(store, ADDRESS, b.booking_no.as_str(), &b.pickup)?.into(),
        b.photo_receipt_no.as_deref().into(),
        b.status.as_str().into(),
        rfc3339(&b.created_at).into(),
    ])
}

pub(super) fn open_pickup(
    store: &D1Store,
    column: &'static str,
    row: &str,
    json: &str,
) -> ApiResult<Pickup> {
    Ok(
        match serde_json::from_str(json).map_err(|_| corrupt(column))? {
            Pickup::Collect => Pickup::Collect,
            Pickup::Mail { address } => Pickup::Mail {
                address: store.unseal(column, row, &address)?,
            },
        },
    )
}

impl BookingRow {
    fn into_model(self, store: &D1Store) -> ApiResult<Booking> {
        let phone = store.unseal(PHONE, &self.booking_no, &self.phone)?;
        Ok(Booking {
            booking_no: BookingNo::parse(&self.booking_no).map_err(bad("bookings.booking_no"))?,
            applicant_id: ApplicantId::parse(&self.applicant_id)
                .map_err(|_| corrupt("bookings.applicant_id"))?,
            booked_by: UserId::parse(&self.booked_by).map_err(|_| corrupt("bookings.booked_by"))?,
            service: ServiceId::parse(&self.service_id).map_err(bad("bookings.service_id"))?,
            office_id: OfficeId::parse(&self.office_id).map_err(bad("bookings.office_id"))?,
            date: parse_date("date", &self.date).map_err(bad("bookings.date"))?,
            period_id: PeriodId::parse(&self.period_id).map_err(bad("bookings.period_id"))?,
            start: parse_hhmm("start", &self.start_time).map_err(bad("bookings.start_time"))?,
            end: parse_hhmm("end", &self.end_time).map_err(bad("bookings.end_time"))?,
            phone: Phone::parse(&phone).map_err(bad("bookings.phone"))?,
            pickup: open_pickup(store, ADDRESS, &self.booking_no, &self.pickup_json)?,
            photo_receipt_no: self.photo_receipt_no,
            status: status(&self.status)?,
            created_at: instant(&self.created_at)?,
            cancelled_at: opt_instant(self.cancelled_at.as_deref())?,
            cancelled_by: self
                .cancelled_by
                .map(|u| UserId::parse(&u))
                .transpose()
                .map_err(bad("bookings.cancelled_by"))?,
            cancel_reason: self.cancel_reason,
            checked_in_at: opt_instant(self.checked_in_at.as_deref())?,
        })
    }
}

fn models(store: &D1Store, rows: Vec<BookingRow>) -> ApiResult<Vec<Booking>> {
    rows.into_iter().map(|r| r.into_model(store)).collect()
}

#[derive(Deserialize)]
struct IdempotencyRow {
    user_id: String,
    idem_key: String,
    fingerprint: String,
    booking_no: String,
    status: f64,
    response_json: String,
    created_at: String,
}

/// When an applicant cancelled (`CancelledRow`), with [`cancellations_filter`].
pub(super) const CANCELLED_SELECT: &str = "SELECT cancelled_at FROM bookings";
/// The applicant's cancellations since an instant, newest first; the arguments are the
/// statement's parameters for them (`"?1"`, `"?2"`).
pub(super) fn cancellations_filter(applicant: &str, since: &str) -> String {
    format!(
        "WHERE applicant_id = {applicant} AND cancelled_at >= {since} AND cancelled_by IS NOT NULL \
         ORDER BY cancelled_at DESC"
    )
}
/// An applicant's no-show dates (`NoShowRow`), with [`no_shows_filter`].
pub(super) const NO_SHOW_SELECT: &str = "SELECT date FROM bookings";
/// The applicant's no-shows since a date; the arguments as for [`cancellations_filter`].
pub(super) fn no_shows_filter(applicant: &str, since: &str) -> String {
    format!("WHERE applicant_id = {applicant} AND status = 'no_show' AND date >= {since}")
}

#[derive(Deserialize)]
pub(super) struct CancelledRow {
    cancelled_at: String,
}

impl CancelledRow {
    pub(super) fn instant(&self) -> ApiResult<Instant> {
        instant(&self.cancelled_at)
    }
}

#[derive(Deserialize)]
pub(super) struct NoShowRow {
    date: String,
}

impl NoShowRow {
    pub(super) fn date(&self) -> ApiResult<NaiveDate> {
        parse_date("date", &self.date).map_err(|_| corrupt("bookings.date"))
    }
}

impl D1Store {
    async fn one_booking(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<Booking>> {
        let row: Option<BookingRow> = self.first(sql, args).await?;
        row.map(|r| r.into_model(self)).transpose()
    }
}

impl Bookings for D1Store {
    async fn create_booking(
        &self,
        b: &Booking,
        idem: &IdempotencyRecord,
        audit: &AuditEntry,
        write_by: Option<i64>,
    ) -> ApiResult<CreateBooking> {
        // First in the transaction: after `write_by` by D1's clock it writes NULL into a NOT NULL
        // column, and the whole batch is refused (see `yuyue_shared::inventory::write_by`).
        let fence = write_by
            .map(|by| {
                self.stmt(
                    "INSERT INTO hold_fence (id, checked_at_ms) \
                     VALUES (1, CASE WHEN (julianday('now') - 2440587.5) * 86400000.0 < ?1 THEN ?1 END) \
                     ON CONFLICT (id) DO UPDATE SET checked_at_ms = excluded.checked_at_ms",
                    &[Arg::Int(by)],
                )
            })
            .transpose()?;
        let insert = self.stmt(
            &format!("INSERT INTO bookings ({INSERT_COLUMNS}) VALUES ({INSERT_PARAMS})"),
            &booking_args(self, b)?,
        )?;
        let record = self.stmt(
            "INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, booking_no, status, response_json, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                idem.user_id.as_str().into(),
                idem.key.as_str().into(),
                idem.fingerprint.as_str().into(),
                idem.booking_no.as_str().into(),
                Arg::Int(idem.status.into()),
                idem.response.to_string().into(),
                rfc3339(&idem.created_at).into(),
            ],
        )?;
        let audit = self.audit_stmt(audit)?;
        let batch = fence.into_iter().chain([insert, record, audit]).collect();
        match self.db.batch(batch).await {
            Ok(_) => Ok(CreateBooking::Created),
            Err(e) if e.to_string().contains("hold_fence.checked_at_ms") => {
                Ok(CreateBooking::TooLate)
            }
            Err(e) if is_unique_violation(&e) => {
                if let Some(existing) = self.booking(&b.booking_no).await? {
                    return Ok(CreateBooking::SameNumber(Box::new(existing)));
                }
                if let Some(active) = self.active_booking(&b.applicant_id, b.service).await? {
                    return Ok(CreateBooking::ActiveExists(active.booking_no));
                }
                // The key is taken by another number: only a changed number secret does that.
                Err(ApiError::new(ErrorCode::Conflict))
            }
            Err(e) => Err(storage_error(e)),
        }
    }

    async fn booking(&self, no: &BookingNo) -> ApiResult<Option<Booking>> {
        self.one_booking(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE booking_no = ?1"),
            &[no.as_str().into()],
        )
        .await
    }

    async fn idempotency(&self, user: &UserId, key: &str) -> ApiResult<Option<IdempotencyRecord>> {
        let row: Option<IdempotencyRow> = self
            .first(
                "SELECT user_id, idem_key, fingerprint, booking_no, status, response_json, created_at \
                 FROM idempotency_keys WHERE user_id = ?1 AND idem_key = ?2",
                &[user.as_str().into(), key.into()],
            )
            .await?;
        row.map(|r| {
            Ok(IdempotencyRecord {
                user_id: UserId::parse(&r.user_id).map_err(bad("idempotency_keys.user_id"))?,
                key: r.idem_key,
                fingerprint: r.fingerprint,
                booking_no: BookingNo::parse(&r.booking_no)
                    .map_err(|_| corrupt("idempotency_keys.booking_no"))?,
                status: r.status as u16,
                response: serde_json::from_str(&r.response_json)
                    .map_err(|_| corrupt("idempotency_keys.response_json"))?,
                created_at: instant(&r.created_at)?,
            })
        })
        .transpose()
    }

    async fn bookings_of(&self, applicants: &[ApplicantId]) -> ApiResult<Vec<Booking>> {
        if applicants.is_empty() {
            return Ok(Vec::new());
        }
        // json_each keeps the statement fixed whatever the number of applicants.
        let ids = serde_json::to_string(
            &applicants
                .iter()
                .map(ApplicantId::as_str)
                .collect::<Vec<_>>(),
        )
        .map_err(|_| ApiError::internal())?;
        let rows: Vec<BookingRow> = self
            .all(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings WHERE applicant_id IN (SELECT value FROM json_each(?1)) \
                     ORDER BY created_at DESC, rowid DESC LIMIT 200"
                ),
                &[ids.into()],
            )
            .await?;
        models(self, rows)
    }

    async fn active_booking(
        &self,
        applicant: &ApplicantId,
        service: ServiceId,
    ) -> ApiResult<Option<Booking>> {
        self.one_booking(
            &format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE applicant_id = ?1 AND service_id = ?2 AND status = 'booked'"),
            &[applicant.as_str().into(), service.as_str().into()],
        )
        .await
    }

    async fn cancel_booking(
        &self,
        no: &BookingNo,
        by: &UserId,
        reason: Option<&str>,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<Option<Booking>> {
        let when = rfc3339(&at);
        let update = self.stmt(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ?2, cancelled_by = ?3, cancel_reason = ?4 \
             WHERE booking_no = ?1 AND status = 'booked'",
            &[no.as_str().into(), when.as_str().into(), by.as_str().into(), reason.into()],
        )?;
        // The audit row is written only if this very update cancelled the booking.
        let audit = self.audit_stmt_if_changed(audit)?;
        self.batch(vec![update, audit]).await?;
        self.booking(no).await
    }

    async fn withdraw_booking(
        &self,
        no: &BookingNo,
        (user, key): (&UserId, &str),
        reason: &str,
        at: Instant,
        audit: &AuditEntry,
    ) -> ApiResult<()> {
        let update = self.stmt(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ?2, cancel_reason = ?3 \
             WHERE booking_no = ?1 AND status = 'booked'",
            &[no.as_str().into(), rfc3339(&at).into(), reason.into()],
        )?;
        let audit = self.audit_stmt_if_changed(audit)?;
        // Only if this withdrawal is what cancelled it: a booking its applicant cancelled
        // meanwhile keeps its first answer (201, as the fake has it).
        let answer = self.stmt(
            "UPDATE idempotency_keys SET status = 409, response_json = '{}' \
             WHERE user_id = ?1 AND idem_key = ?2 AND booking_no = ?3 \
             AND EXISTS (SELECT 1 FROM bookings WHERE booking_no = ?3 AND status = 'cancelled' \
             AND cancelled_by IS NULL AND cancel_reason = ?4 AND cancelled_at = ?5)",
            &[
                user.as_str().into(),
                key.into(),
                no.as_str().into(),
                reason.into(),
                rfc3339(&at).into(),
            ],
        )?;
        self.batch(vec![update, audit, answer]).await?;
        Ok(())
    }

    async fn cancellations_since(
        &self,
        applicant: &ApplicantId,
        since: Instant,
    ) -> ApiResult<Vec<Instant>> {
        let rows: Vec<CancelledRow> = self
            .all(
                &format!("{CANCELLED_SELECT} {}", cancellations_filter("?1", "?2")),
                &[applicant.as_str().into(), rfc3339(&since).into()],
            )
            .await?;
        rows.iter().map(CancelledRow::instant).collect()
    }

    async fn no_shows_since(
        &self,
        applicant: &ApplicantId,
        since: NaiveDate,
    ) -> ApiResult<Vec<NaiveDate>> {
        let rows: Vec<NoShowRow> = self
            .all(
                &format!("{NO_SHOW_SELECT} {}", no_shows_filter("?1", "?2")),
                &[applicant.as_str().into(), since.to_string().into()],
            )
            .await?;
        rows.iter().map(NoShowRow::date).collect()
    }

    async fn bookings_on(&self, office: &OfficeId, date: NaiveDate) -> ApiResult<Vec<Booking>> {
        let rows: Vec<BookingRow> = self
            .all(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings WHERE office_id = ?1 AND date = ?2"
                ),
                &[office.as_str().into(), date.to_string().into()],
            )
            .await?;
        models(self, rows)
    }

    async fn check_in(&self, no: &BookingNo, at: Instant) -> ApiResult<Option<Booking>> {
        self.run(
            "UPDATE bookings SET status = 'checked_in', checked_in_at = ?2 WHERE booking_no = ?1 AND status = 'booked'",
            &[no.as_str().into(), rfc3339(&at).into()],
        )
        .await?;
        self.booking(no).await
    }

    async fn cancel_day(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        reason: &str,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        // The same rows for the audit and the update: what the trail names is what changed.
        const BOOKED: &str = "office_id = ?1 AND date = ?2 AND status = 'booked'";
        let day = date.to_string();
        let when = rfc3339(&at);
        // The audit rows first, from the very rows the update then changes, in one transaction.
        let audit = self.audit_each_stmt(
            "booking.day_closed",
            ("applicant_id", "booking_no"),
            (
                &format!("bookings WHERE {BOOKED} ORDER BY booking_no"),
                vec![office.as_str().into(), day.as_str().into()],
            ),
            actor,
            request_id,
            &at,
        )?;
        let update = self.stmt(
            &format!(
                "UPDATE bookings SET status = 'cancelled', cancelled_at = ?3, cancelled_by = NULL, \
                 cancel_reason = ?4 WHERE {BOOKED} RETURNING {BOOKING_COLUMNS}"
            ),
            &[
                office.as_str().into(),
                day.as_str().into(),
                when.as_str().into(),
                reason.into(),
            ],
        )?;
        let results = self.batch(vec![audit, update]).await?;
        models(self, rows(results.get(1).ok_or_else(ApiError::internal)?)?)
    }

    async fn mark_no_shows(
        &self,
        date: NaiveDate,
        actor: &Actor,
        request_id: &str,
        at: Instant,
    ) -> ApiResult<Vec<Booking>> {
        const BOOKED: &str = "date = ?1 AND status = 'booked'";
        let day = date.to_string();
        // The audit rows first, from the very rows the update then changes, in one transaction.
        let audit = self.audit_each_stmt(
            "booking.no_show",
            ("applicant_id", "booking_no"),
            (
                &format!("bookings WHERE {BOOKED} ORDER BY booking_no"),
                vec![day.as_str().into()],
            ),
            actor,
            request_id,
            &at,
        )?;
        let update = self.stmt(
            &format!(
                "UPDATE bookings SET status = 'no_show' WHERE {BOOKED} RETURNING {BOOKING_COLUMNS}"
            ),
            &[day.as_str().into()],
        )?;
        let results = self.batch(vec![audit, update]).await?;
        models(self, rows(results.get(1).ok_or_else(ApiError::internal)?)?)
    }
}
