//! Booking and cancelling: the use cases of the `book` and `cancel` functions, written against
//! the storage traits so every step and every failure between steps is tested natively.

pub mod admission;
pub mod book;
pub mod cancel;
pub mod lapse;
pub mod list;
pub mod numbers;
pub mod qr;
pub mod reconcile;
pub mod request;
pub mod view;

pub use book::{book, confirm_place, refused_as_full, BookInput, BookOutcome, Placed};
pub use cancel::{cancel, CancelInput, Cancelled};
pub use reconcile::{reconcile_day, Reconciliation};
pub use request::BookRequest;

#[cfg(test)]
mod simulation;
#[cfg(test)]
pub(crate) mod tests;
