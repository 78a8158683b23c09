//! The `objects` Worker: the home of every Durable Object class, `Inventory` (one per office and
//! date, from the adapter's `inventory-object` feature), `Metrics` (`metrics-object`) and
//! `RateLimiter` (here). It binds no other Worker, so every function can bind its classes by
//! `script_name = "yuyue-objects"` without a cycle, and a fresh account can deploy it first:
//! Cloudflare refuses a binding to a class whose script does not exist yet (code 10061).
//!
//! It has no route in wrangler.toml, so nothing outside reaches its fetch handler; that handler is
//! the usual route table (health, and the 404 envelope), for `wrangler dev --env objects`.

mod rate_limiter;

pub use rate_limiter::RateLimiter;
pub use yuyue_adapter::inventory::Inventory;
pub use yuyue_adapter::metrics::Metrics;

use yuyue_adapter::Routes;

fn routes() -> Routes {
    Routes::new("objects")
}

yuyue_adapter::function_entry!(routes);
