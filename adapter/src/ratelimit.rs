//! The client of the rate-limit counters: `RateLimiter` Durable Objects, a fixed set of shards
//! (`yuyue_shared::ratelimit`). The class lives in the objects Worker; every other Worker binds
//! to it with `script_name = "yuyue-objects"`. The booking limits are not counted here but in
//! the record, with the submit's reads (`yuyue_shared::store::Counters`).
//!
//! If the counter cannot be reached, the request goes through and the failure is logged: the
//! limits slow abuse down, and turning a counter outage into a login outage for everyone would
//! hurt far more people than it protects.

use crate::clock::system_now;
use crate::cx::Cx;
use crate::object_call::CallError;
use yuyue_shared::ratelimit::{Hit, Limit, Verdict};
use yuyue_shared::ApiResult;

/// The binding name, in every Worker that applies limits.
pub const BINDING: &str = "RATE_LIMITER";

impl Cx {
    /// Counts one hit against `limit`: `429 RATE_LIMITED` with `Retry-After` once past it.
    pub async fn rate_limit(&self, limit: &Limit) -> ApiResult<()> {
        let hit = Hit::new(limit, system_now().timestamp_millis());
        match count(self, &limit.shard(), &hit).await {
            Ok(verdict) => {
                if !verdict.allowed {
                    let scope = limit.key.split(':').take(2).collect::<Vec<_>>().join(":");
                    crate::log::event("info", "rate_limited", &[("scope", scope.into())]);
                }
                verdict.into_result()
            }
            Err(cause) => {
                crate::log::event(
                    "error",
                    "rate_limiter_unavailable",
                    &[("cause", cause.into())],
                );
                Ok(())
            }
        }
    }
}

async fn count(cx: &Cx, shard: &str, hit: &Hit) -> Result<Verdict, &'static str> {
    let ns = cx.env.durable_object(BINDING).map_err(|_| "binding")?;
    let stub = ns.get_by_name(shard).map_err(|_| "stub")?;
    let body = serde_json::to_string(hit).map_err(|_| "encode")?;
    crate::object_call::post(stub, "https://rate-limiter/hit", &body)
        .await
        .map_err(CallError::as_str)
}
