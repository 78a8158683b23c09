//! The inventory of a (office, date): its periods and places, holds and confirmations, refusals
//! remembered, the waiting room, and the waitlist. [`day::Day`] decides; [`stored`] is what it writes;
//! [`protocol`] is how an isolate asks the Durable Object that hosts a day. Below the storage
//! traits: it knows nothing of the record, and is told what the record says.

pub mod admission;
pub mod day;
pub mod model;
pub mod protocol;
pub mod stored;
pub mod waitlist;

pub use day::{Day, Hold, HoldAnswer};
pub use model::*;
pub use stored::{Change, Place, Queued, Room, Stored};
pub use waitlist::{Entry, EntryState, JoinEntry, Joined, Pending, Settled, Wanted};
