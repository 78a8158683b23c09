//! The waitlist (候补): `POST /v1/waitlist` joins a full period's queue, a place freed there goes
//! to the earliest entry before any new submit, and the entry becomes a booking.
//!
//! The order and the places are the inventory's ([`crate::inventory::waitlist`]): the day gives
//! a freed place to an entry in the step that frees it. The record keeps what the entry's
//! booking will be (phone, pickup), and [`serve::settle_waitlist`] turns each served entry into
//! a booking through the same checks and the same constraints as a submit, or passes its place
//! on when the record refuses it.
//!
//! Joining writes the day first, then the record: an entry the record never got (a crash
//! between the two) is refused when it is served, so its place passes on; an entry in the
//! record is always in the day.

pub mod join;
pub mod read;
pub mod request;
pub mod serve;
pub mod view;

pub use join::{join, JoinInput};
pub use read::{leave, list_entries, read_entry};
pub use request::WaitlistRequest;
pub use serve::settle_waitlist;

#[cfg(test)]
mod tests;
