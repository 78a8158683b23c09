//! The `catalog` function: services and their guides, offices, the slot page, and the API
//! description. Public (no login) and read-only, and what a booking wave refreshes most, so
//! every answer comes from memory where it can:
//!
//! - cities, services, offices: one snapshot per isolate, at most `catalog_cache::TTL_MS` old;
//! - the slot page: per (office, range), at most [`PAGE_HARD_MS`] older than the inventory
//!   authority (see `yuyue_shared::cache`), rebuilt in the background about once per
//!   [`PAGE_SOFT_MS`] under load;
//! - `openapi.json`: converted from the embedded YAML once per isolate.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::rc::Rc;
use yuyue_adapter::d1::D1Store;
use yuyue_adapter::inventory::DoInventory;
use yuyue_adapter::{catalog_cache, rules_cache, ApiError, ApiResult, Cx, Reply, Routes};
use yuyue_shared::cache::{BoundedCache, Lookup};
use yuyue_shared::catalog::slots::{check_service, resolve_range, slot_page};
use yuyue_shared::domain::OfficeId;
use yuyue_shared::time::Instant;

/// A slot page younger than this is served as is.
pub const PAGE_SOFT_MS: u64 = 250;
/// No slot page older than this is ever served: a place freed by a cancellation shows within
/// this (plus the rebuild's own time), well inside the one second the product promises.
pub const PAGE_HARD_MS: u64 = 750;
/// Pages kept per isolate: offices × the ranges clients actually ask for.
const PAGE_ENTRIES: usize = 512;

/// The project's API description, embedded at build time (`scripts/build.sh` rebuilds this
/// function when the file changes).
const SPEC_YAML: &str = include_str!("../../../openapi.yaml");

thread_local! {
    static PAGES: RefCell<BoundedCache<Rc<RawValue>>> =
        RefCell::new(BoundedCache::new(PAGE_SOFT_MS, PAGE_HARD_MS, PAGE_ENTRIES));
    static SPEC: RefCell<Option<Rc<RawValue>>> = const { RefCell::new(None) };
}

fn routes() -> Routes {
    Routes::new("catalog")
        .get("/v1/services", services)
        .get("/v1/services/:service/guide", guide)
        .get("/v1/offices", offices)
        .get("/v1/offices/:office_id", office)
        .get("/v1/offices/:office_id/slots", slots)
        .get("/v1/terms", terms)
        .get("/v1/openapi.json", openapi)
}

async fn services(cx: Cx) -> ApiResult<Reply> {
    let catalog = catalog_cache::current(&cx.store()?).await?;
    Ok(Reply::ok(catalog.services_view(cx.lang)))
}

async fn guide(cx: Cx) -> ApiResult<Reply> {
    let catalog = catalog_cache::current(&cx.store()?).await?;
    Ok(Reply::ok(catalog.guide_view(cx.param("service"), cx.lang)?))
}

/// The booking terms the form shows behind its agreement box, from the rules in force.
async fn terms(cx: Cx) -> ApiResult<Reply> {
    let (rules, _) = rules_cache::current(&cx.store()?).await?;
    Ok(Reply::ok(yuyue_shared::catalog::terms::booking_terms(
        &rules, cx.lang,
    )))
}

#[derive(Deserialize)]
struct OfficesQuery {
    city: Option<String>,
    service: Option<String>,
}

async fn offices(cx: Cx) -> ApiResult<Reply> {
    let q: OfficesQuery = cx.query()?;
    let catalog = catalog_cache::current(&cx.store()?).await?;
    Ok(Reply::ok(catalog.offices_view(
        q.city.as_deref(),
        q.service.as_deref(),
        cx.lang,
    )?))
}

async fn office(cx: Cx) -> ApiResult<Reply> {
    let catalog = catalog_cache::current(&cx.store()?).await?;
    let office = catalog.office_by_param(cx.param("office_id"))?;
    Ok(Reply::ok(catalog.office_view(office, cx.lang)))
}

#[derive(Deserialize)]
struct SlotsQuery {
    service: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn slots(cx: Cx) -> ApiResult<Reply> {
    let q: SlotsQuery = cx.query()?;
    let store = cx.store()?;
    let catalog = catalog_cache::current(&store).await?;
    let office = catalog.office_by_param(cx.param("office_id"))?;
    check_service(office, q.service.as_deref())?;
    let build = PageBuild {
        store,
        inventory: cx.inventory()?,
        office: office.office_id.clone(),
        from: q.from,
        to: q.to,
        now: cx.now(),
    };

    // A request that sets the dev clock sees its own instant: it neither reads nor fills the
    // cache, whose pages were built at other instants.
    if cx.header("x-dev-now").is_some() && cx.is_dev() {
        return build.run().await.map(|page| Reply::raw(200, page));
    }
    let key = format!(
        "{}|{}|{}",
        build.office,
        build.from.as_deref().unwrap_or(""),
        build.to.as_deref().unwrap_or("")
    );
    // Taken before the authority is read, so a page's age is never underestimated.
    let read_at = worker::Date::now().as_millis();
    match PAGES.with(|p| p.borrow_mut().get(&key, read_at)) {
        Lookup::Fresh(page) | Lookup::Stale(page) => Ok(Reply::raw(200, page)),
        Lookup::Refresh(page) => {
            // Nobody waits for the rebuild: this answer is still inside the bound.
            cx.ctx.wait_until(async move {
                let _ = build.run_into_cache(&key, read_at).await;
            });
            Ok(Reply::raw(200, page))
        }
        Lookup::Miss => build
            .run_into_cache(&key, read_at)
            .await
            .map(|page| Reply::raw(200, page)),
    }
}

/// Everything a slot page is built from, owned, so a rebuild can outlive its request.
struct PageBuild {
    store: D1Store,
    inventory: DoInventory,
    office: OfficeId,
    from: Option<String>,
    to: Option<String>,
    now: Instant,
}

impl PageBuild {
    async fn run(&self) -> ApiResult<Rc<RawValue>> {
        let (rules, calendar) = rules_cache::current(&self.store).await?;
        let range = resolve_range(&rules, self.now, self.from.as_deref(), self.to.as_deref())?;
        let page = slot_page(
            &self.store,
            &self.inventory,
            &self.office,
            range,
            &rules,
            &calendar,
            self.now,
        )
        .await?;
        let raw = serde_json::value::to_raw_value(&page).map_err(|_| ApiError::internal())?;
        Ok(Rc::from(raw))
    }

    async fn run_into_cache(&self, key: &str, read_at: u64) -> ApiResult<Rc<RawValue>> {
        match self.run().await {
            Ok(page) => {
                PAGES.with(|p| p.borrow_mut().put(key, Rc::clone(&page), read_at));
                Ok(page)
            }
            Err(e) => {
                PAGES.with(|p| p.borrow_mut().abandon(key));
                Err(e)
            }
        }
    }
}

async fn openapi(_cx: Cx) -> ApiResult<Reply> {
    if let Some(spec) = SPEC.with(|s| s.borrow().clone()) {
        return Ok(Reply::raw(200, spec));
    }
    let spec = yuyue_shared::openapi::yaml_to_json(SPEC_YAML)
        .and_then(|v| serde_json::value::to_raw_value(&v).map_err(|e| e.to_string()))
        .map_err(|e| {
            worker::console_error!(
                "{}",
                serde_json::json!({"level": "error", "event": "openapi_invalid", "error": e})
            );
            ApiError::internal()
        })?;
    let spec: Rc<RawValue> = Rc::from(spec);
    SPEC.with(|s| *s.borrow_mut() = Some(Rc::clone(&spec)));
    Ok(Reply::raw(200, spec))
}

yuyue_adapter::function_entry!(routes);
