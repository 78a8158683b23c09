//! Business rules, cached per isolate. Rules are data in D1 that ops change rarely; reading
//! them on every request would put a D1 query in front of every booking, including the ones the
//! inventory object refuses as full. A change reaches every isolate within [`TTL_MS`].

use crate::d1::D1Store;
use std::cell::RefCell;
use yuyue_shared::rules::calendar::WorkCalendar;
use yuyue_shared::rules::Rules;
use yuyue_shared::store::RulesSource;
use yuyue_shared::ApiResult;

pub const TTL_MS: u64 = 30_000;

struct Cached {
    rules: Rules,
    calendar: WorkCalendar,
    loaded_at: u64,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// The rules and the working-day calendar in force, at most [`TTL_MS`] old.
pub async fn current(store: &D1Store) -> ApiResult<(Rules, WorkCalendar)> {
    let now = worker::Date::now().as_millis();
    let fresh = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|c| now.saturating_sub(c.loaded_at) < TTL_MS)
            .map(|c| (c.rules.clone(), c.calendar.clone()))
    });
    if let Some(hit) = fresh {
        return Ok(hit);
    }
    let rules = store.rules().await?;
    let calendar = store.calendar().await?;
    CACHE.with(|c| {
        *c.borrow_mut() = Some(Cached {
            rules: rules.clone(),
            calendar: calendar.clone(),
            loaded_at: now,
        })
    });
    Ok((rules, calendar))
}
