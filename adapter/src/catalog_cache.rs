//! The catalog (cities, services with their guides, offices), cached per isolate. It changes a
//! few times a year and every page of the mini-program reads it, so each isolate reads D1 once
//! per [`TTL_MS`] instead of once per request: an ops change reaches every isolate within that.
//! KV would add a network read to every request to save one D1 read per isolate per TTL, and
//! is itself eventually consistent for up to a minute; memory is both faster and fresher here.

use crate::d1::D1Store;
use std::cell::RefCell;
use std::rc::Rc;
use yuyue_shared::catalog::Snapshot;
use yuyue_shared::ApiResult;

pub const TTL_MS: u64 = 30_000;

thread_local! {
    static CACHE: RefCell<Option<(Rc<Snapshot>, u64)>> = const { RefCell::new(None) };
}

/// The catalog as read at most [`TTL_MS`] ago.
pub async fn current(store: &D1Store) -> ApiResult<Rc<Snapshot>> {
    let now = worker::Date::now().as_millis();
    let hit = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(_, read_at)| now.saturating_sub(*read_at) < TTL_MS)
            .map(|(s, _)| Rc::clone(s))
    });
    if let Some(s) = hit {
        return Ok(s);
    }
    let snapshot = Rc::new(Snapshot::load(store).await?);
    // A catalog without offices or services is a database still being migrated or seeded (a
    // fresh deploy, `make dev` starting): answer from it, but do not keep it for the TTL.
    if !snapshot.offices.is_empty() && !snapshot.services.is_empty() {
        CACHE.with(|c| *c.borrow_mut() = Some((Rc::clone(&snapshot), now)));
    }
    Ok(snapshot)
}
