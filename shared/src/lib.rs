//! Yuyue's domain core. Everything here is plain Rust with no Workers runtime, so it is tested
//! natively; the Workers adapter and the functions only translate between HTTP/storage and this.

pub mod auth;
pub mod authz;
pub mod booking;
pub mod cache;
pub mod catalog;
pub mod domain;
pub mod entropy;
pub mod envelope;
pub mod error;
#[cfg(any(test, feature = "test-utils"))]
pub mod fake;
pub mod helper;
pub mod i18n;
pub mod inventory;
pub mod login;
pub mod notify;
pub mod openapi;
pub mod ops;
pub mod progress;
pub mod providers;
pub mod ratelimit;
pub mod routing;
pub mod rules;
pub mod seal;
pub mod store;
pub mod time;
pub mod waitlist;

pub use error::{ApiError, ApiResult, ErrorCode};
