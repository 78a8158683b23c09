//! D1 implementations of the shared storage traits. Each submodule implements one trait over the
//! schema in `migrations/`; this module holds what they share: binding values the way D1 wants
//! them (integers as f64, never BigInt) and mapping its errors to the contract's codes.

mod applicants;
mod applications;
mod audit;
mod bookings;
mod catalog;
mod deliveries;
mod json_rows;
mod rules;
mod sessions;
mod stats;
mod submit;
mod users;
mod waitlist;

use crate::per_isolate::{remember, remembered, Slot};
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};
use yuyue_shared::seal::{is_sealed, SealKeys};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// The system of record. Cheap to construct per request.
pub struct D1Store {
    pub(crate) db: D1Database,
    /// The keys personal values are sealed with at rest, or why there are none (catalog reads no
    /// personal data and is given no key): only a sealed value's read or write minds, and it is
    /// what logs the setting's problem.
    seal: Result<Rc<SealKeys>, SealProblem>,
}

#[derive(Clone, Copy)]
enum SealProblem {
    Missing,
    Invalid,
}

const SEAL_KEY: &str = "ID_SEAL_KEY";

thread_local! {
    static SEAL: Slot<SealKeys> = const { RefCell::new(None) };
}

/// The personal-data keys from `ID_SEAL_KEY`, parsed once per isolate.
fn seal_keys(env: &Env) -> Result<Rc<SealKeys>, SealProblem> {
    let spec = crate::cx::config_of(env, "ID_SEAL_KEY")
        .filter(|v| !v.trim().is_empty())
        .ok_or(SealProblem::Missing)?;
    if let Some(keys) = remembered(&SEAL, &spec) {
        return Ok(keys);
    }
    let keys = SealKeys::parse(&spec, SEAL_KEY).map_err(|_| SealProblem::Invalid)?;
    Ok(remember(&SEAL, &spec, keys))
}

impl D1Store {
    /// The store of `env`'s `DB` binding, with the function's sealing keys.
    pub fn from_env(env: &Env) -> ApiResult<Self> {
        let db = env.d1("DB").map_err(|_| {
            worker::console_error!("binding DB missing");
            ApiError::internal()
        })?;
        Ok(D1Store {
            db,
            seal: seal_keys(env),
        })
    }

    fn keys(&self) -> ApiResult<&SealKeys> {
        match &self.seal {
            Ok(keys) => Ok(keys),
            Err(SealProblem::Missing) => Err(crate::auth::config_missing(SEAL_KEY)),
            Err(SealProblem::Invalid) => Err(crate::auth::config_error(SEAL_KEY)),
        }
    }

    /// `clear` sealed for column `column` of the row keyed `row`: the value opens in that place
    /// only.
    pub(crate) fn seal(&self, column: &str, row: &str, clear: &str) -> ApiResult<String> {
        let mut entropy = crate::auth::fresh_entropy()?;
        self.keys()?
            .seal(&format!("{column}:{row}"), clear, &mut entropy)
    }

    /// What `stored` (column `column` of the row keyed `row`) holds in clear. A row written
    /// before values were sealed holds its value in clear and is read as it is.
    pub(crate) fn unseal(&self, column: &str, row: &str, stored: &str) -> ApiResult<String> {
        if !is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        self.keys()?.open(&format!("{column}:{row}"), stored)
    }

    pub(crate) fn stmt(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<D1PreparedStatement> {
        let values: Vec<JsValue> = args.iter().map(Arg::to_js).collect();
        self.db.prepare(sql).bind(&values).map_err(storage_error)
    }

    pub(crate) async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> ApiResult<Vec<T>> {
        let result = self.stmt(sql, args)?.all().await.map_err(storage_error)?;
        rows(&result)
    }

    pub(crate) async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> ApiResult<Option<T>> {
        self.stmt(sql, args)?
            .first::<T>(None)
            .await
            .map_err(storage_error)
    }

    /// Runs a write; returns the number of rows changed.
    pub(crate) async fn run(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
        let result = self.stmt(sql, args)?.run().await.map_err(storage_error)?;
        Ok(changes(&result))
    }

    /// A write for callers outside the store implementations (audit rows).
    pub async fn run_write(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
        self.run(sql, args).await
    }

    /// Runs statements in one transaction (a D1 batch is atomic).
    pub(crate) async fn batch(&self, stmts: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        self.db.batch(stmts).await.map_err(storage_error)
    }
}

pub(crate) fn rows<T: DeserializeOwned>(result: &D1Result) -> ApiResult<Vec<T>> {
    result.results::<T>().map_err(|e| {
        worker::console_error!("d1 row decode failed: {e}");
        ApiError::internal()
    })
}

/// The first row of one statement's result in a batch (`None`: the batch answered fewer).
pub(crate) fn first<T: DeserializeOwned>(result: Option<&D1Result>) -> ApiResult<Option<T>> {
    let result = result.ok_or_else(ApiError::internal)?;
    Ok(rows::<T>(result)?.into_iter().next())
}

pub(crate) fn changes(result: &D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

/// A bound parameter. Integers go to D1 as JavaScript numbers.
pub enum Arg<'a> {
    Text(&'a str),
    Owned(String),
    Int(i64),
    Real(f64),
    Null,
}

impl Arg<'_> {
    fn to_js(&self) -> JsValue {
        match self {
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Owned(s) => JsValue::from_str(s),
            Arg::Int(i) => JsValue::from_f64(*i as f64),
            Arg::Real(f) => JsValue::from_f64(*f),
            Arg::Null => JsValue::NULL,
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Owned(s)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Arg::Null, Arg::Text)
    }
}

/// Whether a D1 error is a UNIQUE (or primary key) violation: the constraints that back the
/// invariants surface this way, and callers turn them into the business answer.
pub(crate) fn is_unique_violation(err: &worker::Error) -> bool {
    let text = err.to_string();
    text.contains("UNIQUE constraint failed") || text.contains("PRIMARY KEY")
}

/// D1 unavailable or a query failed: the client may retry. The message never carries data.
pub(crate) fn storage_error(err: worker::Error) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"level": "error", "event": "d1_error", "error": yuyue_shared::domain::mask::scrub(&err.to_string())})
    );
    ApiError::new(ErrorCode::UpstreamUnavailable)
}

/// A stored value that no longer parses as its domain type: data corruption, not bad input.
pub(crate) fn corrupt(what: &str) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"level": "error", "event": "corrupt_row", "what": what})
    );
    ApiError::internal()
}
