//! Counting every function's answers for `GET /v1/ops/metrics`: the router hands each answer to
//! this isolate's [`Recorder`], which now and then hands a batch to the metrics object (a
//! Durable Object of the objects Worker). Failing to count never fails a request.

#[cfg(feature = "metrics-object")]
mod object;

#[cfg(feature = "metrics-object")]
pub use object::Metrics;

use std::cell::RefCell;
use worker::Env;
use yuyue_shared::ops::metrics::{Observations, Recorder, FLUSH_INTERVAL_MS};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

pub const BINDING: &str = "METRICS";
/// One object for all: it receives a few batches a minute per isolate.
const OBJECT: &str = "metrics";

thread_local! {
    static RECORDER: RefCell<Recorder> = RefCell::new(Recorder::default());
    /// `METRICS_FLUSH_MS`, read once per isolate.
    static INTERVAL: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// How often an isolate hands its counts over: `METRICS_FLUSH_MS` (the test stack sets 0, so a
/// test sees its requests counted at once), else every 10 s.
fn interval(env: &Env) -> i64 {
    INTERVAL.with(|c| match c.get() {
        Some(v) => v,
        None => {
            let configured = crate::cx::config_of(env, "METRICS_FLUSH_MS")
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|v| (0..=600_000).contains(v))
                .unwrap_or(FLUSH_INTERVAL_MS);
            c.set(Some(configured));
            configured
        }
    })
}

/// Counts one answer; every so often sends this isolate's counts to the object.
pub async fn observe(env: &Env, function: &str, code: &str, duration_ms: u64) {
    let now = worker::Date::now().as_millis() as i64;
    let every = interval(env);
    let due = RECORDER.with(|r| {
        r.borrow_mut()
            .observe(function, code, duration_ms, now, every)
    });
    if let Some(batch) = due {
        if post::<_, serde_json::Value>(env, "observe", &batch)
            .await
            .is_err()
        {
            crate::log::event(
                "warn",
                "metrics_flush_failed",
                &[("function", function.into())],
            );
        }
    }
}

/// Every function's counts over the last `minutes`.
pub async fn read(env: &Env, minutes: u32) -> ApiResult<Vec<Observations>> {
    post(env, "read", &serde_json::json!({ "minutes": minutes })).await
}

/// One function's answers minute by minute over the last `minutes`: (unix minute, code, count).
pub async fn series(env: &Env, function: &str, minutes: u32) -> ApiResult<Vec<(i64, String, u64)>> {
    post(
        env,
        "series",
        &serde_json::json!({ "function": function, "minutes": minutes }),
    )
    .await
}

async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    env: &Env,
    op: &str,
    body: &B,
) -> ApiResult<T> {
    let unavailable = || ApiError::new(ErrorCode::UpstreamUnavailable);
    let ns = env.durable_object(BINDING).map_err(|_| unavailable())?;
    let stub = ns.get_by_name(OBJECT).map_err(|_| unavailable())?;
    let json = serde_json::to_string(body).map_err(|_| ApiError::internal())?;
    crate::object_call::post(stub, &format!("https://metrics/{op}"), &json)
        .await
        .map_err(|_| unavailable())
}
