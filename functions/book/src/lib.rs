//! The `book` function: submit a booking, list and read bookings, and a day's waiting room. It
//! hands cancels to the `cancel` function; the inventory objects it takes places in live in the
//! `objects` Worker; the waitlist (候补) is the `waitlist` function's.

use std::rc::Rc;
use yuyue_adapter::d1::D1Store;
use yuyue_adapter::faults::{Fault, Faulty};
use yuyue_adapter::reads::Reads;
use yuyue_adapter::{catalog_cache, rules_cache, ApiResult, Cx, Reply, Routes};
use yuyue_shared::auth::Caller;
use yuyue_shared::booking::admission;
use yuyue_shared::booking::list;
use yuyue_shared::booking::qr::QrSigner;
use yuyue_shared::booking::{self, BookInput, BookRequest};
use yuyue_shared::catalog::Snapshot;
use yuyue_shared::rules::calendar::WorkCalendar;
use yuyue_shared::rules::Rules;
use yuyue_shared::{ApiError, ErrorCode};

fn routes() -> Routes {
    Routes::new("book")
        .post("/v1/bookings", submit)
        .get("/v1/bookings", list)
        // Before `:booking_no`, which would otherwise take the word for a number.
        .post("/v1/bookings/admission", join_admission)
        .get("/v1/bookings/admission", admission_status)
        .get("/v1/bookings/:booking_no", read)
        .forward("/v1/bookings/:booking_no/cancel", "CANCEL")
}

/// What a submit needs besides its caller and body, loaded before the token is verified.
struct SubmitSetup {
    rules: Rules,
    calendar: WorkCalendar,
    catalog: Rc<Snapshot>,
    qr: Rc<QrSigner>,
    number_secret: Vec<u8>,
    fault: Option<Fault>,
    key: Option<String>,
    client: String,
    now: yuyue_shared::time::Instant,
    request_id: String,
    lang: yuyue_shared::i18n::Lang,
}

impl SubmitSetup {
    async fn load(cx: &Cx, store: &D1Store) -> ApiResult<Self> {
        let (mut rules, calendar) = rules_cache::current(store).await?;
        if let Some(seconds) = cx.dev_hold_seconds()? {
            rules.booking.hold_seconds = seconds;
        }
        Ok(SubmitSetup {
            rules,
            calendar,
            catalog: catalog_cache::current(store).await?,
            qr: cx.qr_signer().await?,
            number_secret: cx.secret_bytes("BOOKING_NO_SECRET")?,
            fault: cx.dev_fault()?,
            key: cx.header("idempotency-key"),
            client: cx.client_address(),
            now: cx.now(),
            request_id: cx.request_id.clone(),
            lang: cx.lang,
        })
    }

    fn input<'a>(&'a self, caller: &'a Caller, request: &'a BookRequest) -> BookInput<'a> {
        BookInput {
            caller: &caller.user_id,
            session: &caller.session_id,
            client: &self.client,
            idempotency_key: self.key.as_deref(),
            request,
            rules: &self.rules,
            calendar: &self.calendar,
            catalog: &self.catalog,
            now: self.now,
            request_id: &self.request_id,
            number_secret: &self.number_secret,
            qr: &self.qr,
            lang: self.lang,
        }
    }
}

async fn submit(mut cx: Cx) -> ApiResult<Reply> {
    // A submit for a period this isolate knows is full is refused before the token's signature
    // is checked, with the user the token names (`booking::refused_as_full` says why that is
    // safe): in a wave most submits are such refusals, each with a token new to the isolate.
    // Every other submit gets the errors in the usual order: the token's, then the body's.
    let request: ApiResult<BookRequest> = cx.json().await;
    let store = cx.store()?;
    let inventory = cx.inventory()?;
    let setup = SubmitSetup::load(&cx, &store).await;
    if let (Some(claimed), Ok(request), Ok(setup)) = (cx.claimed_caller(), &request, &setup) {
        if booking::refused_as_full(&inventory, &setup.input(&claimed, request)) {
            return Err(ApiError::new(ErrorCode::SlotFull));
        }
    }
    // The session's liveness waits until a place is held (it is read with the rest of the
    // record), so a refusal for a full period costs no D1 query.
    let caller = cx.verify_token().await?;
    let request = request?;
    let setup = setup?;
    // The booking (from its hold on) runs to its end even if the client goes away (see
    // `Cx::to_the_end`): a place is held only by a submit that is counted and then books or
    // gives the place up.
    let env = cx.env.clone();
    let outcome = cx
        .to_the_end(async move {
            let faulty = Faulty::new(&store, &inventory, setup.fault);
            let outcome = booking::book(&faulty, &faulty, setup.input(&caller, &request)).await;
            // The booker is told by the inventory object, which keeps the message with the
            // confirmation and sends its day's in batches; here only when that could not be
            // asked.
            if let Some(notice) = outcome.as_ref().ok().and_then(|o| o.untold.as_ref()) {
                yuyue_adapter::notify::enqueue(&env, notice, &setup.request_id).await;
            }
            outcome
        })
        .await??;
    Ok(Reply::with_status(outcome.status, outcome.body))
}

#[derive(serde::Deserialize)]
struct DayQuery {
    office_id: String,
    date: String,
}

/// Joins a day's waiting room (when ops switched it on): the place in the lottery drawn at the
/// release, then the turn to book.
async fn join_admission(mut cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let q: DayQuery = cx.json().await?;
    caller.require_identity(&cx.store()?).await?;
    let data = admission::place(
        &cx.inventory()?,
        &caller.user_id,
        &q.office_id,
        &q.date,
        cx.now(),
        true,
    )
    .await?;
    Ok(Reply::ok(data))
}

async fn admission_status(cx: Cx) -> ApiResult<Reply> {
    let caller = cx.authenticate().await?;
    let q: DayQuery = cx.query()?;
    let data = admission::place(
        &cx.inventory()?,
        &caller.user_id,
        &q.office_id,
        &q.date,
        cx.now(),
        false,
    )
    .await?;
    Ok(Reply::ok(data))
}

#[derive(serde::Deserialize)]
struct ListQuery {
    applicant_id: Option<String>,
}

async fn list(cx: Cx) -> ApiResult<Reply> {
    let reads = Reads::load(&cx).await?;
    let q: ListQuery = cx.query()?;
    let qr = cx.qr_signer().await?;
    let reader = reads.reader(&cx);
    let views = list::list_bookings(&reads.store, &reader, &qr, q.applicant_id.as_deref()).await?;
    Ok(Reply::ok(serde_json::json!({ "bookings": views })))
}

async fn read(cx: Cx) -> ApiResult<Reply> {
    let reads = Reads::load(&cx).await?;
    let qr = cx.qr_signer().await?;
    let view = list::read_booking(
        &reads.store,
        &reads.reader(&cx),
        &qr,
        cx.param("booking_no"),
    )
    .await?;
    Ok(Reply::ok(view))
}

yuyue_adapter::function_entry!(routes);
