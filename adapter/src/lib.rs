//! The Workers adapter: everything a function needs from the runtime, behind small types, so a
//! function crate holds only its routes and handlers.

mod auth;
pub mod catalog_cache;
pub mod clock;
pub mod cx;
pub mod d1;
pub mod faults;
pub mod inventory;
pub mod log;
pub mod metrics;
pub mod notify;
pub mod object_call;
mod ops;
mod per_isolate;
pub mod providers;
mod ratelimit;
pub mod reads;
mod respond;
mod router;
pub mod rules_cache;
mod webcrypto;

pub use cx::Cx;
pub use ratelimit::BINDING as RATE_LIMITER_BINDING;
pub use respond::Reply;
pub use router::{serve, Routes};
pub use webcrypto::WebCryptoEd25519;
pub use yuyue_shared::auth::{Caller, Identified};
pub use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// Declares a function's Worker entry point over its route table. The table is built once per
/// isolate, not once per request.
#[macro_export]
macro_rules! function_entry {
    ($routes:path) => {
        thread_local! {
            static ROUTES: ::std::rc::Rc<$crate::Routes> = ::std::rc::Rc::new($routes());
        }

        #[::worker::event(fetch)]
        async fn fetch(
            req: ::worker::Request,
            env: ::worker::Env,
            ctx: ::worker::Context,
        ) -> ::worker::Result<::worker::Response> {
            let routes = ROUTES.with(::std::rc::Rc::clone);
            $crate::serve(&routes, req, env, ctx).await
        }
    };
}
